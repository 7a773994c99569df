// The routing tables each kernel holds once flannel (VXLAN or host-gw backend) and the bridge
// CNI plugin have set a node up. Routes are listed in the order `ip route show` prints them (the
// kernel's fib dump: by network address, longer prefixes first), and that order is also
// the index the dataplane returns.

import { K8sNetFlowError } from "../errors.js";
import { cidrContains, formatCidr, parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, ClusterNode, ClusterPod } from "../model/types.js";
import { calicoVethName } from "./interfaces.js";
import { CILIUM_HOST_DEV, ciliumMode, ciliumRouteMtu, type CiliumMode } from "./cilium.js";

export interface Route {
  /** Network address as an unsigned integer; 0 with length 0 for `default`. */
  prefix: number;
  prefixLength: number;
  dev: string;
  /** Next hop; absent for directly connected networks. */
  via?: number;
  /** `onlink`: the gateway is reachable on `dev` even though no address of `dev` covers it. */
  onlink?: boolean;
  /** Routes the kernel adds itself for an interface address (`proto kernel scope link src …`). */
  connected?: { src: number };
  /** `blackhole`: no device; the kernel discards what matches (Calico's route for a node's own IPAM block). */
  blackhole?: boolean;
  /** The routing protocol that installed it, as `ip route` names it (`bird` for RTPROT_BIRD 12, `80` for Felix). */
  proto?: string;
  /** `scope link` on a route that is not a connected one (Calico's routes to pods and to 169.254.1.1). */
  scopeLink?: boolean;
  /** The preferred source (`src …`) of a route that is not a connected one (Cilium's via cilium_host). */
  src?: number;
  /** The route's MTU metric (`mtu 1450`): what leaves by it may be no bigger, whatever the device's MTU. */
  mtu?: number;
}

export type Netns = { kind: "host"; node: string } | { kind: "pod"; node: string; namespace: string; pod: string };

export interface RouteTable {
  netns: Netns;
  routes: Route[];
  /** Addresses owned by this namespace (the kernel's `local` table), checked before `main`. */
  local: number[];
}

export interface CompiledRoutes {
  tables: RouteTable[];
  /** Index into `tables` of each node's host namespace, by node name. */
  hostTable: Map<string, number>;
  /** Index into `tables` of each pod's namespace, by `namespace/name`. */
  podTable: Map<string, number>;
}

export const POD_IFACE = "eth0";
export const BRIDGE = "cni0";
export const NODE_IFACE = "eth0";
export const VXLAN_DEV = "flannel.1";
/** Calico's devices: the kernel's IP-in-IP fallback tunnel, and Felix's VXLAN device (felix/dataplane/linux/dataplanedefs). */
export const CALICO_IPIP_DEV = "tunl0";
export const CALICO_VXLAN_DEV = "vxlan.calico";
/** The gateway the Calico CNI plugin gives every pod; no host owns it, proxy ARP answers for it. */
export const CALICO_GATEWAY = 0xa9fe0101;
/** Felix's routing protocol number (dataplanedefs.DefaultRoutingProto), which `ip route` prints as `proto 80`. */
export const FELIX_PROTO = "80";

/** flannel's backend (net-conf.json's `Backend.Type`): VXLAN tunnels, or host-gw's plain routes. */
export type FlannelBackend = "vxlan" | "host-gw";

export function flannelBackend(model: ClusterModel): FlannelBackend {
  return model.settings.cni.mode === "host-gw" ? "host-gw" : "vxlan";
}

/** Calico's encapsulation: IP-in-IP (the manifests' CALICO_IPV4POOL_IPIP=Always), VXLAN, or none (plain BGP routes). */
export type CalicoMode = "ipip" | "vxlan" | "bgp";

/** The Calico mode, or undefined when the CNI is not Calico. */
export function calicoMode(model: ClusterModel): CalicoMode | undefined {
  const { plugin, mode } = model.settings.cni;
  return plugin === "calico" ? (mode as CalicoMode) : undefined;
}

/** Throws for settings that are valid Kubernetes but not simulated yet. */
export function assertSimulated(model: ClusterModel): void {
  const { cni, kubeProxy } = model.settings;
  const flannel = cni.plugin === "flannel" && (cni.mode === "vxlan" || cni.mode === "host-gw");
  const calico = cni.plugin === "calico" && (cni.mode === "ipip" || cni.mode === "vxlan" || cni.mode === "bgp");
  const cilium = cni.plugin === "cilium" && (cni.mode === "vxlan" || cni.mode === "native");
  if (!flannel && !calico && !cilium) {
    throw new K8sNetFlowError("unsupported", `CNI ${cni.plugin} (${cni.mode}) is not simulated yet: flannel with VXLAN or host-gw is, Calico with IP-in-IP, VXLAN or BGP, and Cilium with VXLAN or native routing`, "settings.cni");
  }
  // `ebpf` is Cilium's kube-proxy replacement (kubeProxyReplacement=true): the eBPF programs
  // that do kube-proxy's job are Cilium's, attached by cilium-agent, so there is none without it.
  if (kubeProxy.mode === "ebpf" && !cilium) {
    throw new K8sNetFlowError(
      "unsupported",
      `kube-proxy mode ebpf is Cilium's kube-proxy replacement (kubeProxyReplacement=true): its eBPF programs are cilium-agent's, so it needs settings.cni.plugin cilium, not ${cni.plugin} (Cilium chained on top of ${cni.plugin}, and Calico's own eBPF dataplane, are not simulated)`,
      "settings.kubeProxy.mode",
    );
  }
  if (kubeProxy.mode !== "iptables" && kubeProxy.mode !== "nftables" && kubeProxy.mode !== "ipvs" && kubeProxy.mode !== "ebpf") {
    throw new K8sNetFlowError("unsupported", `kube-proxy mode ${kubeProxy.mode} is not simulated yet: iptables, nftables, ipvs and (with Cilium) ebpf are`, "settings.kubeProxy.mode");
  }
}

export function compileRoutes(model: ClusterModel): CompiledRoutes {
  assertSimulated(model);
  const cluster = parseCidr(model.settings.clusterCIDR, "settings.clusterCIDR");
  const underlay = parseCidr(model.settings.nodeNetwork, "settings.nodeNetwork");
  const backend = flannelBackend(model);
  const calico = calicoMode(model);
  const cilium = ciliumMode(model);
  const tables: RouteTable[] = [];
  const hostTable = new Map<string, number>();
  const podTable = new Map<string, number>();
  for (const node of model.nodes) {
    hostTable.set(node.name, tables.length);
    tables.push(
      calico ? calicoHostRoutes(model, node, underlay.address, underlay.prefixLength, calico)
        : cilium ? ciliumHostRoutes(model, node, underlay.address, underlay.prefixLength, cilium)
        : hostRoutes(node, model.nodes, underlay.address, underlay.prefixLength, backend),
    );
  }
  const nodes = new Map(model.nodes.map((n) => [n.name, n]));
  for (const pod of model.pods) {
    const node = nodes.get(pod.node)!;
    if (pod.hostNetwork) {
      // A host-network pod lives in its node's namespace.
      podTable.set(`${pod.namespace}/${pod.name}`, hostTable.get(node.name)!);
      continue;
    }
    podTable.set(`${pod.namespace}/${pod.name}`, tables.length);
    tables.push(calico ? calicoPodRoutes(pod) : cilium ? ciliumPodRoutes(model, pod, node) : podRoutes(pod, node, cluster.address, cluster.prefixLength));
  }
  return { tables, hostTable, podTable };
}

function hostRoutes(node: ClusterNode, all: ClusterNode[], underlay: number, underlayLen: number, backend: FlannelBackend): RouteTable {
  const own = parseCidr(node.podCIDR, "podCIDR");
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const gateway = own.address + 1;
  const routes: Route[] = [
    // The node network's first address is its router (settings.nodeNetwork).
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: own.address, prefixLength: own.prefixLength, dev: BRIDGE, connected: { src: gateway } },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
  ];
  all.forEach((peer, i) => {
    if (peer === node) return;
    const cidr = parseCidr(peer.podCIDR, "podCIDR");
    if (backend === "vxlan") {
      // flanneld (VXLAN backend) adds one onlink route per remote node, via that node's VTEP
      // address: the network address of its pod CIDR, which it puts on its flannel.1.
      routes.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, dev: VXLAN_DEV, via: cidr.address, onlink: true });
      return;
    }
    // flanneld (host-gw backend, pkg/backend/hostgw/hostgw.go) adds one route per remote node:
    // Dst its lease's subnet, Gw its PublicIP (the node IP), LinkIndex the external interface;
    // no onlink flag and no Protocol, so netlink sends RTPROT_BOOT, which `ip route` omits.
    // The kernel takes such a gateway only on a connected network ("Nexthop has invalid
    // gateway"): host-gw needs every node on one L2 segment.
    const peerIP = parseIPv4(peer.internalIP, "internalIP");
    if (!cidrContains({ address: underlay, prefixLength: underlayLen }, peerIP)) {
      throw new K8sNetFlowError(
        "invalid-input",
        `flannel host-gw routes to each node's IP directly, so every node must be on the node network ${formatCidr({ address: underlay, prefixLength: underlayLen })} (one L2 segment): node ${peer.name}'s ${peer.internalIP} is not (the kernel refuses the route with "Nexthop has invalid gateway")`,
        `nodes[${i}].internalIP`,
      );
    }
    routes.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, dev: NODE_IFACE, via: peerIP });
  });
  return {
    netns: { kind: "host", node: node.name },
    routes: sortLikeKernel(routes),
    // host-gw has no flannel.1, so the pod CIDR's network address is no address of the node.
    local: backend === "vxlan" ? [nodeIP, gateway, own.address] : [nodeIP, gateway],
  };
}

function podRoutes(pod: ClusterPod, node: ClusterNode, cluster: number, clusterLen: number): RouteTable {
  const own = parseCidr(node.podCIDR, "podCIDR");
  const ip = parseIPv4(pod.ip, "ip");
  const gateway = own.address + 1;
  // The bridge plugin (isDefaultGateway) adds the default route; flannel's host-local IPAM
  // config adds the cluster CIDR via the same gateway; the kernel adds the connected subnet.
  const routes: Route[] = [
    { prefix: 0, prefixLength: 0, dev: POD_IFACE, via: gateway },
    { prefix: own.address, prefixLength: own.prefixLength, dev: POD_IFACE, connected: { src: ip } },
    { prefix: cluster, prefixLength: clusterLen, dev: POD_IFACE, via: gateway },
  ];
  return {
    netns: { kind: "pod", node: node.name, namespace: pod.namespace, pod: pod.name },
    routes: sortLikeKernel(routes),
    local: [ip],
  };
}

/**
 * A Calico node's main table. Per local pod, the route the CNI plugin adds (cni-plugin
 * dataplane_linux.go SetupRoutes: Dst the pod's /32, LinkIndex its host veth, SCOPE_LINK, no
 * protocol). Per own IPAM block a blackhole, so an address of the block that no pod holds is
 * discarded rather than sent to the default gateway: BIRD's static protocol
 * (confd bird_aggr.cfg.template: `route <block> blackhole;`, `proto bird`) with IP-in-IP or
 * BGP, Felix's with VXLAN (`proto 80`). Per block of every other node: with IP-in-IP, BIRD's BGP
 * route through tunl0 (bird.cfg.template's kernel filter sets `krt_tunnel = "tunl0"`; Calico's
 * BIRD makes it onlink); with BGP alone, the same route on eth0; with VXLAN, Felix's route via
 * the peer's VTEP address (its vxlan.calico /32) on vxlan.calico, onlink, no protocol shown.
 */
function calicoHostRoutes(model: ClusterModel, node: ClusterNode, underlay: number, underlayLen: number, mode: CalicoMode): RouteTable {
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const routes: Route[] = [
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
  ];
  for (const block of node.calico?.blocks ?? []) {
    const b = parseCidr(block, "block");
    routes.push({ prefix: b.address, prefixLength: b.prefixLength, dev: "", blackhole: true, proto: mode === "vxlan" ? FELIX_PROTO : "bird" });
  }
  for (const pod of model.pods) {
    if (pod.node !== node.name || pod.hostNetwork) continue;
    routes.push({ prefix: parseIPv4(pod.ip, "ip"), prefixLength: 32, dev: calicoVethName(pod.namespace, pod.name), scopeLink: true });
  }
  model.nodes.forEach((peer, i) => {
    if (peer === node) return;
    const peerIP = parseIPv4(peer.internalIP, "internalIP");
    if (mode === "bgp" && !cidrContains({ address: underlay, prefixLength: underlayLen }, peerIP)) {
      throw new K8sNetFlowError(
        "invalid-input",
        `Calico without encapsulation routes each node's blocks via the node's IP, so every node must be on the node network ${formatCidr({ address: underlay, prefixLength: underlayLen })}: node ${peer.name}'s ${peer.internalIP} is not (a router between them would have to learn the pod routes by BGP, which is not simulated)`,
        `nodes[${i}].internalIP`,
      );
    }
    for (const block of peer.calico?.blocks ?? []) {
      const b = parseCidr(block, "block");
      if (mode === "ipip") routes.push({ prefix: b.address, prefixLength: b.prefixLength, dev: CALICO_IPIP_DEV, via: peerIP, proto: "bird", onlink: true });
      else if (mode === "bgp") routes.push({ prefix: b.address, prefixLength: b.prefixLength, dev: NODE_IFACE, via: peerIP, proto: "bird" });
      else routes.push({ prefix: b.address, prefixLength: b.prefixLength, dev: CALICO_VXLAN_DEV, via: parseIPv4(peer.calico!.tunnelAddress!, "tunnelAddress"), onlink: true });
    }
  });
  const tunnel = node.calico?.tunnelAddress;
  return {
    netns: { kind: "host", node: node.name },
    routes: sortLikeKernel(routes),
    local: tunnel ? [nodeIP, parseIPv4(tunnel, "tunnelAddress")] : [nodeIP],
  };
}

/**
 * A pod's table under Calico (cni-plugin dataplane_linux.go DoNetworking): a link-scope route to
 * 169.254.1.1 on eth0, then the default route via it (the CNI config's default 0.0.0.0/0). Its
 * address is a /32, so the kernel adds no subnet route: everything goes to the gateway.
 */
function calicoPodRoutes(pod: ClusterPod): RouteTable {
  return {
    netns: { kind: "pod", node: pod.node, namespace: pod.namespace, pod: pod.name },
    routes: sortLikeKernel([
      { prefix: 0, prefixLength: 0, dev: POD_IFACE, via: CALICO_GATEWAY },
      { prefix: CALICO_GATEWAY, prefixLength: 32, dev: POD_IFACE, scopeLink: true },
    ]),
    local: [parseIPv4(pod.ip, "ip")],
  };
}

/** The router address cilium-agent put on a node's cilium_host. */
export function ciliumRouter(node: ClusterNode, index: number): number {
  if (!node.cilium) throw new K8sNetFlowError("invalid-input", `node ${node.name} has no Cilium router address (its own addresses are invalid)`, `nodes[${index}]`);
  return parseIPv4(node.cilium.routerIP, "routerIP");
}

/**
 * A Cilium node's main table. The agent's routes all carry `proto kernel` (linux_defaults.RTProto
 * = RTPROT_KERNEL) and go through route.Upsert, which first adds the router address as a
 * link-scope route on cilium_host (createNexthopRoute), then the prefix via it with the router as
 * preferred source (pkg/datapath/linux/node.go createNodeRouteSpec): the node's own pod CIDR
 * (EnableLocalNodeRoute) with no MTU, and, with VXLAN, every other node's with the route MTU
 * (1450). With native routing the other nodes' CIDRs are auto-direct-node-routes instead
 * (createDirectRouteSpec: `Dst` the CIDR, `Gw` the node's IP, the device towards it, proto kernel).
 */
function ciliumHostRoutes(model: ClusterModel, node: ClusterNode, underlay: number, underlayLen: number, mode: CiliumMode): RouteTable {
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const index = model.nodes.indexOf(node);
  const router = ciliumRouter(node, index);
  const own = parseCidr(node.podCIDR, "podCIDR");
  const routes: Route[] = [
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
    { prefix: router, prefixLength: 32, dev: CILIUM_HOST_DEV, proto: "kernel", scopeLink: true },
    { prefix: own.address, prefixLength: own.prefixLength, dev: CILIUM_HOST_DEV, via: router, proto: "kernel", src: router },
  ];
  const routeMtu = ciliumRouteMtu(model);
  model.nodes.forEach((peer, i) => {
    if (peer === node) return;
    const cidr = parseCidr(peer.podCIDR, "podCIDR");
    if (mode === "vxlan") {
      routes.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, dev: CILIUM_HOST_DEV, via: router, proto: "kernel", src: router, mtu: routeMtu });
      return;
    }
    const peerIP = parseIPv4(peer.internalIP, "internalIP");
    if (!cidrContains({ address: underlay, prefixLength: underlayLen }, peerIP)) {
      throw new K8sNetFlowError(
        "invalid-input",
        `Cilium's native routing with auto-direct-node-routes routes each node's pod CIDR via the node's IP, so every node must be on the node network ${formatCidr({ address: underlay, prefixLength: underlayLen })}: node ${peer.name}'s ${peer.internalIP} is not (the agent refuses: "route to destination … contains gateway …, must be directly reachable")`,
        `nodes[${i}].internalIP`,
      );
    }
    routes.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, dev: NODE_IFACE, via: peerIP, proto: "kernel" });
  });
  return { netns: { kind: "host", node: node.name }, routes: sortLikeKernel(routes), local: [nodeIP, router] };
}

/**
 * A pod's table under Cilium (pkg/datapath/connector IPv4Routes, added by the CNI plugin's
 * addIPConfigToLink, most specific first): the router address as a link-scope route on eth0,
 * then the default route via it carrying the route MTU. The pod's address is a /32
 * (AddrToIPNet), so there is no subnet route.
 */
function ciliumPodRoutes(model: ClusterModel, pod: ClusterPod, node: ClusterNode): RouteTable {
  const router = ciliumRouter(node, model.nodes.indexOf(node));
  return {
    netns: { kind: "pod", node: pod.node, namespace: pod.namespace, pod: pod.name },
    routes: sortLikeKernel([
      { prefix: 0, prefixLength: 0, dev: POD_IFACE, via: router, mtu: ciliumRouteMtu(model) },
      { prefix: router, prefixLength: 32, dev: POD_IFACE, scopeLink: true },
    ]),
    local: [parseIPv4(pod.ip, "ip")],
  };
}

/** `ip route show` order: by network address, and for one address the longer prefix first. */
function sortLikeKernel(routes: Route[]): Route[] {
  return routes.sort((a, b) => a.prefix - b.prefix || b.prefixLength - a.prefixLength);
}

/** Route records as the dataplane reads them: [prefix, prefixLength] per route. */
export function encodeRouteTable(table: RouteTable): Uint32Array {
  const out = new Uint32Array(table.routes.length * 2);
  table.routes.forEach((r, i) => {
    out[i * 2] = r.prefix;
    out[i * 2 + 1] = r.prefixLength;
  });
  return out;
}

export function routeCovers(route: Route, address: number): boolean {
  return cidrContains({ address: route.prefix, prefixLength: route.prefixLength }, address);
}

export function netnsLabel(netns: Netns): string {
  return netns.kind === "host" ? `${netns.node} (host)` : `${netns.namespace}/${netns.pod}`;
}

