// Draft → ClusterModel: settings, IPAM, add-ons, workload expansion, scheduling, Services and
// EndpointSlices, with every problem of the whole input collected before giving up.

import { layOver } from "./with-settings.js";
import { applyFaults } from "../faults/apply.js";
import { uniquePolicies } from "../policy/read.js";
import { cidrContains, formatCidr, formatIPv4, maskOf, parseCidr, parseIPv4, type Cidr } from "../net/ipv4.js";
import { tryCidr, tryIP } from "./addresses.js";
import { addAddons, SYSTEM_NAMESPACES } from "./addons.js";
import type { Draft, DraftPod, DraftService } from "./draft.js";
import { deriveSlices, PodIndex, resolveTargetPort } from "./endpointslices.js";
import { BlockAllocator, podRange, RandomScanAllocator, RangeAllocator } from "./ipam.js";
import { CALICO_BLOCK_SIZE, CalicoIpam } from "./calico-ipam.js";
import { checkLabelName, checkServiceName, checkSubdomain } from "./names.js";
import { formatPath, type Origin, type Problems } from "./problems.js";
import { PodKeys } from "./pod-keys.js";
import { Scheduler } from "./scheduler.js";
import { fnv1a32, prng } from "./random.js";
import { checkRanges, inferRanges, readSettings } from "./settings.js";
import {
  LIMITS,
  type ClusterModel,
  type ClusterNamespace,
  type ClusterNode,
  type ClusterPod,
  type ClusterService,
  type DnsPolicy,
  type EndpointSlice,
  type ServicePort,
} from "./types.js";
import { expandWorkloads } from "./workloads.js";

/** kube-apiserver's default `--service-node-port-range`. */
const NODE_PORTS = { first: 30000, last: 32767 };
const DEFAULT_AFFINITY_TIMEOUT = 10800;

function tooMany(problems: Problems, what: string, count: number, limit: number): boolean {
  if (count <= limit) return false;
  problems.error("too-large", { path: [what] }, [], `${count.toLocaleString("en")} ${what} is more than Kubernetes' scalability limit of ${limit.toLocaleString("en")}, the most k8s-net-flow models`);
  return true;
}

export function buildModel(draft: Draft, problems: Problems, extraSettings?: Record<string, unknown>): ClusterModel | undefined {
  // Settings given beside the input (the CLI's --mode and --cni, the elements' attributes) are
  // laid over the document's own, one level deep: `cni: { mtu }` keeps the document's plugin.
  const settingsInput = extraSettings || draft.settings ? layOver(draft.settings?.value ?? {}, extraSettings ?? {}) : undefined;
  const resolved = readSettings(settingsInput, draft.settings?.at ?? { path: ["settings"] }, problems);
  const { settings } = resolved;
  if (tooMany(problems, "nodes", draft.nodes.length, LIMITS.nodes) || tooMany(problems, "services", draft.services.length, LIMITS.services)) return undefined;

  // Pass 1: the addresses a running cluster's objects carry, to infer unspecified ranges.
  const nodeIPs = draft.nodes.map((n) => (n.internalIP ? tryIP(n.internalIP.value, n.at, n.internalIP.sub, problems) : undefined));
  const podCIDRs = draft.nodes.map((n) => (n.podCIDR ? tryCidr(n.podCIDR.value, n.at, n.podCIDR.sub, problems) : undefined));
  const clusterIPs = draft.services.map((s) => (s.clusterIP && s.clusterIP.value !== "None" ? tryIP(s.clusterIP.value, s.at, s.clusterIP.sub, problems) : undefined));
  // Only a running cluster's objects (a kubectl dump, with status) tell us its ranges; in
  // what an author wrote, an address outside the ranges is a mistake to report.
  if (draft.observed) inferRanges(resolved, { podCIDRs: podCIDRs.filter((c): c is Cidr => !!c), nodeIPs: nodeIPs.filter((x): x is number => x !== undefined), clusterIPs: clusterIPs.filter((x): x is number => x !== undefined) }, problems);
  const before = problems.errorCount;
  checkRanges(resolved, problems);
  // Overlapping ranges make every address check meaningless: stop there. Other problems so
  // far still let the rest of the input be checked, so the user sees them all at once.
  if (problems.errorCount > before) return undefined;

  const cluster = parseCidr(settings.clusterCIDR, "clusterCIDR");
  const serviceNet = parseCidr(settings.serviceCIDR, "serviceCIDR");
  const underlay = parseCidr(settings.nodeNetwork, "nodeNetwork");

  const hostGw = settings.cni.plugin === "flannel" && settings.cni.mode === "host-gw";
  const nodes = buildNodes(draft, nodeIPs, podCIDRs, cluster, underlay, settings.nodeCIDRMaskSize, settings.apiServer.ip, hostGw, problems);
  addAddons(draft, settings, serviceNet.address);
  const namespaces = buildNamespaces(draft, problems);
  // Calico IPAM hands out pod addresses from /26 blocks of its IP pool (here the cluster CIDR).
  let calico: CalicoPool | undefined;
  if (settings.cni.plugin === "calico") {
    if (cluster.prefixLength > CALICO_BLOCK_SIZE) {
      problems.error("out-of-range", resolved.origin, ["clusterCIDR"], `${settings.clusterCIDR} is smaller than one Calico IPAM block (/${CALICO_BLOCK_SIZE}): Calico's IP pool (the cluster CIDR here) must hold at least one`);
      return undefined;
    }
    calico = { pool: cluster, tunnel: settings.cni.mode !== "bgp" };
  }
  const pods = buildPods(draft, nodes, problems, calico, settings.cni.plugin === "cilium");
  if (!pods) return undefined;
  const services = buildServices(draft, serviceNet, problems);
  const endpointSlices = buildSlices(draft, services, pods, problems);
  const networkPolicies = uniquePolicies(draft.networkPolicies, problems);
  if (problems.errorCount) return undefined;
  const model: ClusterModel = { name: draft.name ?? "cluster", settings, namespaces, nodes, pods, services, endpointSlices, networkPolicies };
  if (settings.faults.length) applyFaults(model, problems);
  return model;
}

/** Nodes whose addresses were invalid: they exist (pods may name them) but take no pods. */
const brokenNodes = new WeakSet<ClusterNode>();

function buildNodes(draft: Draft, ips: Array<number | undefined>, cidrs: Array<Cidr | undefined>, cluster: Cidr, underlay: Cidr, maskSize: number, apiServer: string, hostGw: boolean, problems: Problems): ClusterNode[] {
  const names = new Map<string, number>();
  const hostIPs = new RangeAllocator(underlay.address + 2, ((underlay.address | ~maskOf(underlay.prefixLength)) >>> 0) - 1);
  const ipOwner = new Map<number, number>([[parseIPv4(apiServer, "apiServer.ip"), -1]]);
  const blocks = new BlockAllocator(cluster, maskSize);
  const blockOwner = new Map<number, number>();
  draft.nodes.forEach((n, i) => {
    const bad = checkSubdomain(n.name);
    if (bad) problems.error("invalid-name", n.at, ["name"], bad);
    if (names.has(n.name)) problems.error("duplicate", n.at, ["name"], `node "${n.name}" is already defined by nodes[${names.get(n.name)}]`);
    else names.set(n.name, i);
    const ip = ips[i];
    if (ip !== undefined) {
      if (!hostIPs.contains(ip)) {
        // flannel host-gw routes pod CIDRs via the node IPs themselves: they must share one L2 network.
        const why = hostGw ? "; flannel host-gw needs every node on this one L2 network, since it routes each node's pod CIDR via the node's IP" : "";
        problems.error("out-of-range", n.at, n.internalIP!.sub, `${formatIPv4(ip)} is not a usable host address of the node network ${formatCidr(underlay)} (its first address ${formatIPv4(underlay.address + 1)} is the gateway)${why}`);
      } else if (ipOwner.has(ip)) {
        const owner = ipOwner.get(ip)!;
        problems.error("duplicate", n.at, n.internalIP!.sub, `${formatIPv4(ip)} is already used by ${owner < 0 ? "settings.apiServer.ip" : `node ${draft.nodes[owner]!.name}`}`);
      } else {
        ipOwner.set(ip, i);
        hostIPs.reserve(ip);
      }
    }
    const cidr = cidrs[i];
    if (cidr) {
      if (cidr.prefixLength !== maskSize || !cidrContains(cluster, cidr.address)) {
        problems.error("out-of-range", n.at, n.podCIDR!.sub, `${formatCidr(cidr)} is not a /${maskSize} inside the cluster CIDR ${formatCidr(cluster)}`);
      } else if (!blocks.reserve(cidr)) {
        const owner = blockOwner.get(cidr.address)!;
        problems.error("duplicate", n.at, n.podCIDR!.sub, `${formatCidr(cidr)} is already the podCIDR of node ${draft.nodes[owner]!.name}`);
      } else blockOwner.set(cidr.address, i);
    }
  });
  // Defaults: node IPs from .10 of the node network (the examples' convention), pod CIDRs
  // in order as the node IPAM controller hands them out.
  const defaultIPs = new RangeAllocator(underlay.address + 10, hostIPs.last);
  for (const ip of ipOwner.keys()) defaultIPs.reserve(ip);
  return draft.nodes.map((n, i) => {
    let ip = ips[i];
    // A node whose own addresses are wrong (already reported) takes no pods: placing pods
    // on it would only report the same mistake again in other words.
    const broken = (n.internalIP && ip === undefined) || (n.podCIDR && cidrs[i] === undefined);
    if (!n.internalIP) {
      ip = defaultIPs.next();
      if (ip === undefined) problems.error("exhausted", n.at, [], `the node network ${formatCidr(underlay)} has no address left for node ${n.name} (node ${i + 1} of ${draft.nodes.length}); give settings.nodeNetwork a larger range`);
    }
    let cidr = cidrs[i];
    if (!n.podCIDR) {
      cidr = blocks.next();
      if (!cidr) problems.error("exhausted", n.at, [], `the cluster CIDR ${formatCidr(cluster)} holds ${blocks.blocks.size} node ranges of /${maskSize}; node ${n.name} would be node ${i + 1} of ${draft.nodes.length}`);
    }
    const node: ClusterNode = {
      name: n.name,
      internalIP: ip === undefined ? "0.0.0.0" : formatIPv4(ip),
      podCIDR: cidr ? formatCidr(cidr) : "0.0.0.0/32",
      labels: { "kubernetes.io/hostname": n.name, ...n.labels },
    };
    if (broken || !cidr || ip === undefined) brokenNodes.add(node);
    return node;
  });
}

function buildNamespaces(draft: Draft, problems: Problems): ClusterNamespace[] {
  const out = new Map<string, ClusterNamespace>();
  for (const ns of draft.namespaces) {
    const bad = checkLabelName(ns.name);
    if (bad) problems.error("invalid-name", ns.at, ["name"], bad);
    if (out.has(ns.name)) problems.error("duplicate", ns.at, ["name"], `namespace "${ns.name}" is defined twice`);
    out.set(ns.name, { name: ns.name, labels: { ...ns.labels, "kubernetes.io/metadata.name": ns.name } });
  }
  const implicit = [...SYSTEM_NAMESPACES, ...draft.pods.map((p) => p.namespace), ...draft.workloads.map((w) => w.namespace), ...draft.services.map((s) => s.namespace), ...draft.networkPolicies.map((p) => p.policy.namespace)];
  for (const name of implicit) {
    if (!out.has(name) && !checkLabelName(name)) out.set(name, { name, labels: { "kubernetes.io/metadata.name": name } });
  }
  return [...out.values()];
}

/** Calico's IP pool, and whether calico-node takes a tunnel address (IP-in-IP, VXLAN) on each node. */
interface CalicoPool {
  pool: Cidr;
  tunnel: boolean;
}

function buildPods(draft: Draft, nodes: ClusterNode[], problems: Problems, calico?: CalicoPool, cilium = false): ClusterPod[] | undefined {
  const drafts: DraftPod[] = [...draft.pods, ...expandWorkloads(draft, nodes)];
  if (tooMany(problems, "pods", drafts.length, LIMITS.pods)) return undefined;
  const nodeIndex = new Map(nodes.map((n, i) => [n.name, i]));
  // host-local hands out a node's podCIDR from .2 up (.1 is cni0's); Cilium's cluster-pool IPAM
  // every address but the network and broadcast ones, at random (seeded by the node's name).
  const ranges = nodes.map((n) => (cilium ? new RandomScanAllocator(parseCidr(n.podCIDR, "podCIDR"), prng(fnv1a32(`cilium-ipam/${n.name}`))) : podRange(parseCidr(n.podCIDR, "podCIDR"))));
  // Where a node's pod addresses come from: host-local's range of its podCIDR, or Calico IPAM's blocks.
  const ipam = calico ? new CalicoIpam(calico.pool, nodes.length) : undefined;
  const fits = (n: number, ip: number) => (ipam ? ipam.allows(n, ip) : ranges[n]!.contains(ip));
  const take = (n: number, ip: number) => (ipam ? ipam.assign(n, ip) : ranges[n]!.reserve(ip));
  const misfit = (n: number, text: string): string => {
    if (!ipam) {
      const r = ranges[n]!;
      const why = cilium ? "the network and broadcast addresses are not handed out" : `${formatIPv4(r.first - 1)} is cni0's gateway`;
      return `${text} is not a pod address of node ${nodes[n]!.name}'s podCIDR ${nodes[n]!.podCIDR} (usable: ${formatIPv4(r.first)} to ${formatIPv4(r.last)}; ${why})`;
    }
    const ip = parseIPv4(text, "ip");
    const owner = ipam.ownerOf(ip);
    return owner === undefined
      ? `${text} is not in Calico's IP pool ${formatCidr(calico!.pool)} (the cluster CIDR)`
      : `${ipam.describe(ip)} is a Calico IPAM block of node ${nodes[owner]!.name}, not of ${nodes[n]!.name}: addresses borrowed from another node's block are not simulated`;
  };
  const nodeIPs = new Map(nodes.map((n) => [parseIPv4(n.internalIP, "internalIP"), n.name]));
  const scheduler = new Scheduler(nodes.map((n) => ({ name: n.name, labels: n.labels, pods: brokenNodes.has(n) ? Infinity : 0 })));
  // Pods by `namespace/name`, hashed rather than keyed by 150,000 joined strings.
  const seen = new PodKeys<DraftPod>(drafts.length);
  const ipOwner = new Map<number, DraftPod>();
  const placement: Array<number | undefined> = [];
  const ips: Array<number | undefined> = [];

  // Pass 1: names, explicit nodes and explicit IPs (reserved before any allocation).
  // A namespace's pods come together: its name is checked once per run, not once per pod.
  let lastNs: string | undefined;
  let lastNsBad: string | undefined;
  drafts.forEach((p, i) => {
    const badName = checkSubdomain(p.name);
    if (badName) problems.error("invalid-name", p.at, ["name"], badName);
    if (p.namespace !== lastNs) {
      lastNs = p.namespace;
      lastNsBad = checkLabelName(p.namespace);
    }
    const badNs = lastNsBad;
    if (badNs) problems.error("invalid-name", p.at, ["namespace"], badNs);
    const first = seen.get(p.namespace, "", p.name);
    if (first) problems.error("duplicate", p.at, ["name"], `pod ${p.namespace}/${p.name} is already defined at ${formatOrigin(first.at)}`);
    else seen.add(p.namespace, "", p.name, undefined, undefined, p);
    if (p.node) {
      const n = nodeIndex.get(p.node.value);
      if (n === undefined) problems.error("not-found", p.at, p.node.sub, `no node named "${p.node.value}"${nodes.length ? ` (nodes: ${nodes.slice(0, 5).map((x) => x.name).join(", ")}${nodes.length > 5 ? ", …" : ""})` : ""}`);
      else scheduler.placed(n);
      placement[i] = n;
    }
    if (p.ip) {
      const ip = tryIP(p.ip.value, p.at, p.ip.sub, problems);
      if (ip === undefined) return;
      ips[i] = ip;
      if (p.hostNetwork) return; // checked against its node's IP below
      const n = placement[i];
      if (n !== undefined && !fits(n, ip)) {
        problems.error("out-of-range", p.at, p.ip.sub, misfit(n, p.ip.value));
      } else if (ipOwner.has(ip)) {
        const o = ipOwner.get(ip)!;
        problems.error("duplicate", p.at, p.ip.sub, `${p.ip.value} is already the IP of pod ${o.namespace}/${o.name}`);
      } else {
        ipOwner.set(ip, p);
        if (n !== undefined) take(n, ip);
        // Cilium's router address is drawn before the pods: keep it off every given address.
        else if (cilium) ranges.find((r) => r.contains(ip))?.reserve(ip);
      }
    }
  });

  // calico-node takes each node's first IPAM address for its tunnel device before pods start.
  const tunnels = ipam && calico!.tunnel ? nodes.map((node, n) => (brokenNodes.has(node) ? undefined : ipam.next(n))) : [];
  // cilium-agent allocates its router address (cilium_host's) when it starts, before any pod (daemon/cmd/ipam.go allocateRouterIPv4).
  const routers = cilium ? nodes.map((node, n) => (brokenNodes.has(node) ? undefined : ranges[n]!.next())) : [];

  // Pass 2: schedule the rest, then hand out addresses.
  const out: ClusterPod[] = [];
  drafts.forEach((p, i) => {
    let n = placement[i];
    if (n === undefined && !p.node) {
      // A pod with an address but no node goes to the node whose range (Calico: block) holds the address.
      if (ips[i] !== undefined && !p.hostNetwork) n = ipam ? (ipam.ownerOf(ips[i]!) ?? -1) : ranges.findIndex((r) => r.contains(ips[i]!));
      if (n === undefined || n < 0) n = scheduler.pick(p.nodeSelector);
      else scheduler.placed(n);
      if (n === undefined) {
        problems.error("not-found", p.at, p.nodeSelector ? ["nodeSelector"] : [], nodes.length ? `no node matches nodeSelector ${JSON.stringify(p.nodeSelector)}` : "there are no nodes to run it on");
        return;
      }
      if (ips[i] !== undefined && !p.hostNetwork && !fits(n, ips[i]!)) {
        problems.error("out-of-range", p.at, p.ip!.sub, ipam ? misfit(n, p.ip!.value) : `${p.ip!.value} is in no node's podCIDR`);
        return;
      }
      if (ipam && ips[i] !== undefined && !p.hostNetwork && !take(n, ips[i]!)) {
        problems.error("duplicate", p.at, p.ip!.sub, `${p.ip!.value} is node ${nodes[n]!.name}'s Calico tunnel address`);
        return;
      }
    }
    if (n === undefined) return; // unknown node, reported
    const node = nodes[n]!;
    if (brokenNodes.has(node)) return; // its addresses are wrong, reported
    let ip = ips[i];
    if (p.hostNetwork) {
      // A host-network pod has its node's address.
      if (ip !== undefined && formatIPv4(ip) !== node.internalIP) {
        problems.error("invalid-address", p.at, p.ip!.sub, `a hostNetwork pod has its node's IP ${node.internalIP}, not ${p.ip!.value}`);
      }
      ip = parseIPv4(node.internalIP, "internalIP");
    } else if (ip === undefined && !p.ip) {
      ip = ipam ? ipam.next(n) : ranges[n]!.next();
      if (ip === undefined && ipam) {
        problems.error("exhausted", p.at, [], `Calico IPAM has no address left for pod ${p.namespace}/${p.name} on node ${node.name}: its blocks are full and the IP pool ${formatCidr(calico!.pool)} has no free /${CALICO_BLOCK_SIZE} block (borrowing from other nodes' blocks is not simulated)`);
        return;
      }
      if (ip === undefined) {
        const r = ranges[n]!;
        problems.error("exhausted", p.at, [], `node ${node.name}'s podCIDR ${node.podCIDR} has ${r.size} pod addresses (${formatIPv4(r.first)} to ${formatIPv4(r.last)}), all taken: pod ${p.namespace}/${p.name} does not fit`);
        return;
      }
    }
    if (ip === undefined) return; // invalid, reported
    if (!p.hostNetwork && nodeIPs.has(ip)) problems.error("duplicate", p.at, p.ip?.sub ?? [], `${formatIPv4(ip)} is node ${nodeIPs.get(ip)}'s IP`);
    const dnsPolicy: DnsPolicy = p.dnsPolicy ?? "ClusterFirst";
    if (dnsPolicy === "None" && !p.dnsConfig) problems.error("required", p.at, ["spec", "dnsConfig"], `dnsPolicy "None" needs a dnsConfig`);
    const pod: ClusterPod = { name: p.name, namespace: p.namespace, node: node.name, ip: formatIPv4(ip), labels: p.labels, ports: p.ports, ready: p.ready, terminating: p.terminating, hostNetwork: p.hostNetwork, dnsPolicy };
    if (p.dnsConfig) pod.dnsConfig = p.dnsConfig;
    if (p.hostname) pod.hostname = p.hostname;
    if (p.subdomain) pod.subdomain = p.subdomain;
    if (p.owner) pod.owner = p.owner;
    if (p.libc) pod.libc = p.libc;
    out.push(pod);
  });
  routers.forEach((ip, n) => {
    if (ip !== undefined) nodes[n]!.cilium = { routerIP: formatIPv4(ip) };
  });
  if (ipam) {
    nodes.forEach((node, n) => {
      const tunnel = tunnels[n];
      node.calico = { blocks: ipam.cidrsOf(n), ...(tunnel !== undefined ? { tunnelAddress: formatIPv4(tunnel) } : {}) };
    });
  }
  return out;
}

function formatOrigin(at: Origin): string {
  return formatPath(at.path);
}

function buildServices(draft: Draft, net: Cidr, problems: Problems): ClusterService[] {
  const size = 2 ** (32 - net.prefixLength);
  // The network and broadcast addresses are never handed out.
  const allocator = new RangeAllocator(net.address + 1, net.address + size - 2);
  const owners = new Map<number, DraftService>();
  const nodePorts = new RangeAllocator(NODE_PORTS.first, NODE_PORTS.last);
  const nodePortOwner = new Map<number, DraftService>();
  const keys = new Map<string, DraftService>();
  const ips: Array<number | undefined> = [];

  draft.services.forEach((s, i) => {
    const bad = checkServiceName(s.name);
    if (bad) problems.error("invalid-name", s.at, ["name"], bad);
    const key = `${s.namespace}/${s.name}`;
    const first = keys.get(key);
    if (first) problems.error("duplicate", s.at, ["name"], `service ${key} is already defined at ${formatOrigin(first.at)}`);
    else keys.set(key, s);
    if (s.type === "ExternalName") {
      if (!s.externalName) problems.error("required", s.at, ["externalName"], `an ExternalName service needs "externalName"`);
      else if (checkSubdomain(s.externalName.toLowerCase())) problems.error("invalid-name", s.at, ["externalName"], `"${s.externalName}" is not a DNS name`);
      if (s.clusterIP && s.clusterIP.value !== "None") problems.error("invalid-value", s.at, s.clusterIP.sub, "an ExternalName service has no ClusterIP");
      return;
    }
    if (s.clusterIP && s.clusterIP.value !== "None") {
      const ip = tryIP(s.clusterIP.value, s.at, s.clusterIP.sub, problems);
      if (ip === undefined) return;
      if (!allocator.contains(ip)) {
        problems.error("out-of-range", s.at, s.clusterIP.sub, `${s.clusterIP.value} is not in the service CIDR ${formatCidr(net)}`);
      } else if (owners.has(ip)) {
        const o = owners.get(ip)!;
        const reserved = o.at.path[0] === "addons" ? ` (reserved for the ${o.name} service)` : "";
        problems.error("duplicate", s.at, s.clusterIP.sub, `${s.clusterIP.value} is already the ClusterIP of ${o.namespace}/${o.name}${reserved}`);
      } else {
        owners.set(ip, s);
        allocator.reserve(ip);
        ips[i] = ip;
      }
    }
    if (s.clusterIP?.value === "None" && s.type !== "ClusterIP") problems.error("invalid-value", s.at, s.clusterIP.sub, `a headless service (clusterIP None) must be of type ClusterIP, not ${s.type}`);
    checkPorts(s, problems);
    for (const p of s.ports) {
      if (p.nodePort === undefined) continue;
      if (s.type !== "NodePort" && s.type !== "LoadBalancer") problems.error("invalid-value", s.at, [...p.sub, "nodePort"], `nodePort is only for NodePort and LoadBalancer services`);
      else if (!nodePorts.contains(p.nodePort)) problems.error("out-of-range", s.at, [...p.sub, "nodePort"], `${p.nodePort} is outside the node port range ${NODE_PORTS.first}-${NODE_PORTS.last}`);
      else if (!nodePorts.reserve(p.nodePort)) problems.error("duplicate", s.at, [...p.sub, "nodePort"], `node port ${p.nodePort} is already used by ${nodePortOwner.get(p.nodePort)!.name}`);
      else nodePortOwner.set(p.nodePort, s);
    }
  });

  // Allocation in input order, after every explicit address is reserved: never a collision.
  // (The API server picks at random; lowest-free keeps docs readable and runs repeatable.)
  return draft.services.flatMap((s, i): ClusterService[] => {
    let clusterIP: string | undefined;
    if (s.type !== "ExternalName") {
      if (s.clusterIP?.value === "None") clusterIP = "None";
      else if (ips[i] !== undefined) clusterIP = formatIPv4(ips[i]!);
      else if (!s.clusterIP) {
        const ip = allocator.next();
        if (ip === undefined) {
          problems.error("exhausted", s.at, [], `the service CIDR ${formatCidr(net)} has no address left for ${s.namespace}/${s.name} (service ${i + 1} of ${draft.services.length})`);
          return [];
        }
        clusterIP = formatIPv4(ip);
      } else return []; // invalid, reported
    }
    const ports: ServicePort[] = s.ports.map((p) => {
      let nodePort = p.nodePort;
      if (nodePort === undefined && (s.type === "NodePort" || s.type === "LoadBalancer")) {
        nodePort = nodePorts.next();
        if (nodePort === undefined) problems.error("exhausted", s.at, p.sub, `no node port left in ${NODE_PORTS.first}-${NODE_PORTS.last}`);
      }
      return { ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort, protocol: p.protocol, ...(nodePort !== undefined ? { nodePort } : {}) };
    });
    return [
      {
        name: s.name,
        namespace: s.namespace,
        type: s.type,
        ...(clusterIP !== undefined ? { clusterIP } : {}),
        ports,
        ...(s.selector && s.type !== "ExternalName" ? { selector: s.selector } : {}),
        sessionAffinity: s.sessionAffinity,
        ...(s.sessionAffinity === "ClientIP" ? { sessionAffinityTimeout: s.sessionAffinityTimeout ?? DEFAULT_AFFINITY_TIMEOUT } : {}),
        internalTrafficPolicy: s.internalTrafficPolicy,
        ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
        ...(s.externalName !== undefined && s.type === "ExternalName" ? { externalName: s.externalName } : {}),
        publishNotReadyAddresses: s.publishNotReadyAddresses,
      },
    ];
  });
}

function checkPorts(s: DraftService, problems: Problems): void {
  const headless = s.clusterIP?.value === "None";
  if (s.ports.length === 0 && !headless) problems.error("required", s.at, ["ports"], "a service needs at least one port (only headless services may have none)");
  const seen = new Map<string, number>();
  s.ports.forEach((p, i) => {
    // The API server requires names once there is more than one port.
    if (s.ports.length > 1 && p.name === undefined) problems.error("required", s.at, [...p.sub, "name"], "every port must be named when a service has more than one");
    if (p.name !== undefined) {
      if (seen.has(`name:${p.name}`)) problems.error("duplicate", s.at, [...p.sub, "name"], `port name "${p.name}" is used by ports[${seen.get(`name:${p.name}`)}] too`);
      seen.set(`name:${p.name}`, i);
    }
    const k = `${p.port}/${p.protocol}`;
    if (seen.has(k)) problems.error("duplicate", s.at, [...p.sub, "port"], `port ${k} is defined by ports[${seen.get(k)}] too`);
    seen.set(k, i);
  });
}

function buildSlices(draft: Draft, services: ClusterService[], pods: ClusterPod[], problems: Problems): EndpointSlice[] {
  const byKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
  // EndpointSlices given for a service are the truth for it; v1 Endpoints count only when no slice is given.
  const withSlices = new Set(draft.slices.filter((s) => !s.fromEndpoints).map((s) => `${s.namespace}/${s.service}`));
  const given: EndpointSlice[] = [];
  const sliceNames = new Set<string>();
  for (const s of draft.slices) {
    const key = `${s.namespace}/${s.service}`;
    if (s.fromEndpoints && withSlices.has(key)) continue;
    if (!byKey.has(key)) {
      problems.warn("not-found", s.at, ["metadata", "labels", "kubernetes.io/service-name"], `no service ${key}: this slice is kept but nothing routes to it`);
    }
    if (sliceNames.has(`${s.namespace}/${s.name}`)) problems.error("duplicate", s.at, ["metadata", "name"], `EndpointSlice ${s.namespace}/${s.name} is defined twice`);
    sliceNames.add(`${s.namespace}/${s.name}`);
    for (const e of s.endpoints) for (const [j, a] of e.addresses.entries()) tryIP(a, s.at, [...e.sub, "addresses", j], problems);
    given.push({
      name: s.name,
      namespace: s.namespace,
      service: s.service,
      addressType: "IPv4",
      ports: s.ports,
      endpoints: s.endpoints.map(({ sub: _sub, ...e }) => e),
      managedBy: s.controllerManaged ? "endpointslice-controller.k8s.io" : "input",
    });
  }
  const haveGiven = new Set(given.map((s) => `${s.namespace}/${s.service}`));
  const index = new PodIndex(pods);
  const derived: EndpointSlice[] = [];
  const drafts = new Map(draft.services.map((d) => [`${d.namespace}/${d.name}`, d]));
  services.forEach((svc, i) => {
    if (!svc.selector || svc.type === "ExternalName" || haveGiven.has(`${svc.namespace}/${svc.name}`)) return;
    const slices = deriveSlices(svc, index);
    derived.push(...slices);
    // A named targetPort no selected pod declares gives no endpoint port: say so.
    const selected = index.select(svc.namespace, svc.selector);
    const draftSvc = drafts.get(`${svc.namespace}/${svc.name}`);
    svc.ports.forEach((p, j) => {
      if (typeof p.targetPort !== "string" || selected.length === 0) return;
      if (!selected.some((k) => resolveTargetPort(pods[k]!, p.targetPort, p.protocol) !== undefined)) {
        problems.warn("not-found", draftSvc?.at ?? { path: ["services", i] }, [...(draftSvc?.ports[j]?.sub ?? ["ports", j]), "targetPort"], `no pod selected by ${svc.namespace}/${svc.name} has a ${p.protocol} port named "${p.targetPort}": this port has no endpoints`);
      }
    });
  });
  return [...given, ...derived];
}

