// Walks one packet through the cluster, namespace by namespace. Every routing decision is a
// longest-prefix match done by the Wasm dataplane over the compiled tables; this file only
// follows the chosen route to the next namespace (veth → cni0, flannel.1 → the peer node)
// and records the hops. (Bridge FDB, netfilter and VXLAN encapsulation move into Wasm with
// the dataplane issue.)

import { K8sNetFlowError } from "../errors.js";
import { hostVethName } from "../compile/interfaces.js";
import { BRIDGE, netnsLabel, POD_IFACE, VXLAN_DEV, type CompiledRoutes, type RouteTable } from "../compile/routes.js";
import { cidrContains, formatIPv4, parseCidr, parseIPv4 } from "../net/ipv4.js";
import { formatRoute } from "../outputs/ip-route.js";
import type { ClusterModel, ClusterPod } from "../model/types.js";
import type { FlowQuery, Hop, Trace } from "../engine/types.js";
import type { Dataplane } from "./dataplane.js";

/** Linux's default TTL for packets a pod sends (net.ipv4.ip_default_ttl). */
const DEFAULT_TTL = 64;
const MAX_HOPS = 32;

export interface LoadedCluster {
  model: ClusterModel;
  routes: CompiledRoutes;
  /** The dataplane's trie handle for each entry of `routes.tables`. */
  fibs: number[];
}

export function findPod(model: ClusterModel, ref: string, path: string): ClusterPod {
  const [namespace, name] = ref.includes("/") ? ref.split("/", 2) as [string, string] : ["default", ref];
  const pod = model.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) {
    const known = model.pods.slice(0, 8).map((p) => (p.namespace === "default" ? p.name : `${p.namespace}/${p.name}`));
    const more = model.pods.length > known.length ? `, and ${model.pods.length - known.length} more` : "";
    throw new K8sNetFlowError("not-found", `no pod "${ref}" in the model (pods: ${known.join(", ") || "none"}${more})`, path);
  }
  return pod;
}

export function traceFlow(dataplane: Dataplane, cluster: LoadedCluster, flow: FlowQuery): Trace {
  const { model, routes } = cluster;
  if (typeof flow?.from !== "string") throw new K8sNetFlowError("invalid-input", "expected the source pod's name", "from");
  if (typeof flow.to !== "string") throw new K8sNetFlowError("invalid-input", "expected a pod name or an IPv4 address", "to");
  const source = findPod(model, flow.from, "from");
  const dst = resolveDestination(model, flow.to);
  const src = parseIPv4(source.ip, "from");
  const hops: Hop[] = [];
  let ttl = DEFAULT_TTL;
  let table = routes.tables[routes.podTable.get(`${source.namespace}/${source.name}`)!]!;
  let inIface: string | undefined;
  const packet = () => ({ src: formatIPv4(src), dst: formatIPv4(dst), ttl });
  const podAt = (node: string, ip: number) => model.pods.find((p) => p.node === node && parseIPv4(p.ip, "ip") === ip);
  const finish = (outcome: Trace["outcome"]): Trace => ({
    flow: { from: flow.from, to: flow.to, srcIP: formatIPv4(src), dstIP: formatIPv4(dst) },
    outcome,
    hops,
  });
  const push = (hop: Omit<Hop, "seq" | "packet">) => hops.push({ seq: hops.length, packet: packet(), ...hop });
  const bridged = (node: string, fromPod: ClusterPod | undefined, target: ClusterPod) => {
    const port = fromPod === undefined ? BRIDGE : hostVethName(fromPod.namespace, fromPod.name);
    const outIface = hostVethName(target.namespace, target.name);
    const text = fromPod === undefined
      ? `The node sends the frame into the ${BRIDGE} bridge, which forwards it out ${target.name}'s veth ${outIface}: layer 2, TTL unchanged.`
      : `${BRIDGE} switches the frame from ${fromPod.name}'s veth ${port} to ${target.name}'s veth ${outIface}: layer 2 only, no NAT, TTL unchanged.`;
    push({ node, netns: "host", component: "bridge", inIface: port, outIface, action: "bridge", text });
    table = routes.tables[routes.podTable.get(`${target.namespace}/${target.name}`)!]!;
    inIface = POD_IFACE;
  };
  const dropNoNeighbour = (node: string, ip: number, dev: string): Trace => {
    const where = table.netns;
    const netns = where.kind === "host" ? "host" : `${where.namespace}/${where.pod}`;
    push({ node, netns, component: where.kind === "host" ? "kernel" : "pod", outIface: dev, action: "drop", text: `Nothing on ${dev} answers ARP for ${formatIPv4(ip)}: the packet is dropped and the sender gets "No route to host".` });
    return finish("dropped");
  };

  while (hops.length < MAX_HOPS) {
    const node = table.netns.node;
    const netns = table.netns.kind === "host" ? "host" : `${table.netns.namespace}/${table.netns.pod}`;
    const component = table.netns.kind === "host" ? "kernel" : "pod";
    // The kernel's local table wins before any route: the packet has arrived.
    if (table.local.includes(dst)) {
      push({ node, netns, component, inIface, action: "deliver", text: `${formatIPv4(dst)} is an address of ${netnsLabel(table.netns)}: delivered to its socket with TTL ${ttl}.` });
      return finish("delivered");
    }
    if (inIface !== undefined) {
      // Forwarding, not originating: the router decrements the TTL.
      ttl -= 1;
    }
    const index = dataplane.lookup(cluster.fibs[routes.tables.indexOf(table)]!, dst);
    const ruleSource = table.netns.kind === "host" ? "ip route show" : `kubectl exec ${table.netns.namespace === "default" ? "" : `-n ${table.netns.namespace} `}${table.netns.pod} -- ip route`;
    if (index < 0) {
      push({ node, netns, component, inIface, action: "drop", ruleSource, text: `No route to ${formatIPv4(dst)} in ${netnsLabel(table.netns)}: "Network is unreachable".` });
      return finish("dropped");
    }
    const route = table.routes[index]!;
    const rule = formatRoute(route);
    const nextHop = route.via ?? dst;
    const matched = `Route lookup for ${formatIPv4(dst)} matches "${rule}"`;
    const routed = (text: string) => push({ node, netns, component, inIface, outIface: route.dev, action: "route", rule, ruleSource, text });

    if (table.netns.kind === "pod") {
      // The pod's eth0 is one end of a veth pair whose host end is a port of cni0.
      if (route.via !== undefined) {
        // Via the gateway (cni0's address): the node's own stack routes the packet next.
        routed(`${matched}: the packet goes to the gateway ${formatIPv4(route.via)} (cni0 on ${node}) through the pod's veth.`);
        table = routes.tables[routes.hostTable.get(node)!]!;
        inIface = BRIDGE;
        continue;
      }
      // Same subnet: an L2 frame through the bridge, no router, so the TTL is unchanged.
      routed(`${matched}: the destination is on the pod's own subnet, so the frame goes out eth0 directly.`);
      const target = podAt(node, nextHop);
      if (!target) return dropNoNeighbour(node, nextHop, POD_IFACE);
      bridged(node, findPod(model, `${table.netns.namespace}/${table.netns.pod}`, "from"), target);
      continue;
    }

    // Host namespace: the node forwards the packet.
    if (route.dev === BRIDGE) {
      routed(`${matched}: a pod of this node, reached through the cni0 bridge.`);
      const target = podAt(node, dst);
      if (!target) return dropNoNeighbour(node, dst, BRIDGE);
      bridged(node, undefined, target);
      continue;
    }
    if (route.dev === VXLAN_DEV) {
      // flanneld's permanent ARP and FDB entries map the VTEP address (the peer's podCIDR
      // network address) to the peer node's IP; the VXLAN packet crosses the underlay to it.
      const peer = model.nodes.find((n) => parseCidr(n.podCIDR, "podCIDR").address === nextHop);
      if (!peer) {
        routed(`${matched}.`);
        return dropNoNeighbour(node, nextHop, VXLAN_DEV);
      }
      routed(`${matched}: ${VXLAN_DEV} (VXLAN, VNI 1) carries it to ${peer.name}, whose VTEP is ${formatIPv4(nextHop)}, at ${peer.internalIP}.`);
      table = routes.tables[routes.hostTable.get(peer.name)!]!;
      inIface = VXLAN_DEV;
      continue;
    }
    // Anything else leaves the pod network, which resolveDestination has ruled out.
    throw new K8sNetFlowError("internal", `route "${rule}" on ${node} leads out of the pod network`);
  }
  throw new K8sNetFlowError("internal", `the packet did not arrive within ${MAX_HOPS} hops (a routing loop)`);
}

/** `name[.namespace][.svc[.cluster.local]][:port]` or a ClusterIP, when it names a Service. */
function findService(model: ClusterModel, to: string): string | undefined {
  const host = to.replace(/:\d+$/, "");
  const byIP = model.services.find((s) => s.clusterIP === host);
  if (byIP) return `${byIP.namespace}/${byIP.name}`;
  const [name, namespace = "default"] = host.replace(new RegExp(`\\.svc(\\.${model.settings.clusterDomain.replace(/\./g, "\\.")})?\\.?$`), "").split(".");
  const byName = model.services.find((s) => s.name === name && s.namespace === namespace);
  return byName && (to.includes(":") || to.includes(".")) ? `${byName.namespace}/${byName.name}` : undefined;
}

function resolveDestination(model: ClusterModel, to: string): number {
  const service = findService(model, to);
  if (service) {
    throw new K8sNetFlowError("unsupported", `${to} is the Service ${service}: Services (kube-proxy DNAT) and DNS are not forwarded yet, only pod-to-pod traffic`, "to");
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(to)) {
    const ip = parseIPv4(to, "to");
    if (!cidrContains(parseCidr(model.settings.clusterCIDR, "settings.clusterCIDR"), ip)) {
      throw new K8sNetFlowError("unsupported", `${to} is outside the pod network ${model.settings.clusterCIDR}; only pod destinations are simulated yet`, "to");
    }
    return ip;
  }
  return parseIPv4(findPod(model, to, "to").ip, "to");
}
