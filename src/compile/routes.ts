// The routing tables each kernel holds once flannel (VXLAN or host-gw backend) and the bridge
// CNI plugin have set a node up. Routes are listed in the order `ip route show` prints them (the
// kernel's fib dump: by network address, longer prefixes first), and that order is also
// the index the dataplane returns.

import { K8sNetFlowError } from "../errors.js";
import { cidrContains, formatCidr, parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, ClusterNode, ClusterPod } from "../model/types.js";
import { calicoVethName } from "./interfaces.js";
import { CILIUM_HOST_DEV, ciliumMode, ciliumRouteMtu } from "./cilium.js";

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
  /**
   * Not a kernel route: the node lacks the shared route to this prefix (fault missing-route, see
   * PeerRoutes). It stands in the node's own routes so its longest-prefix match wins over the
   * shared one, and a lookup that ends here takes `fallback`, the route the kernel is left with
   * (the default route): it carries fallback's device, gateway and MTU, `routeAt` answers with
   * fallback itself, and `ip route` (allRoutes) leaves it out.
   */
  fallback?: Route;
}

export type Netns = { kind: "host"; node: string } | { kind: "pod"; node: string; namespace: string; pod: string };

export interface RouteTable {
  netns: Netns;
  /** The namespace's own routes, in `ip route show` order. */
  routes: Route[];
  /** A node's routes to the other nodes' pod networks, held once for the cluster (see PeerRoutes). */
  peers?: PeerHolder;
  /** Addresses owned by this namespace (the kernel's `local` table), checked before `main`. */
  local: number[];
}

/**
 * The routes every node holds to every other node's pod network (flanneld's, BIRD's, Felix's or
 * cilium-agent's), kept once for the whole cluster: one per node (or Calico block), the same
 * on every node but for the device's owner and, with Cilium's VXLAN, the holder's own router
 * as gateway. 5,000 nodes would otherwise hold 25 million routes; the kernel holds them per node,
 * and `ip route show` (allRoutes) still prints each node's full table.
 */
export interface PeerRoutes {
  /** One per remote pod network, in node order; `gateway` absent: the holder's own (`PeerHolder.gateway`). */
  entries: Array<{ prefix: number; prefixLength: number; node: number; gateway?: number }>;
  /** What the rest of each route looks like on every node. */
  route: Omit<Route, "prefix" | "prefixLength" | "via" | "src"> & { srcHolder?: boolean };
}

/** A host namespace's view of the shared peer routes: its node's own entries are not its routes. */
export interface PeerHolder {
  shared: PeerRoutes;
  /** The holding node's index. */
  node: number;
  /** The gateway (and, with `srcHolder`, the preferred source) of entries without their own. */
  gateway?: number;
}

/**
 * Route `index` of a table: its own routes first, then entry `index - routes.length` of the
 * shared peer routes. Undefined past the end and for the holder's own entries (never matched).
 * A missing peer route's stand-in (Route.fallback) answers with the route it falls back to.
 */
export function routeAt<R extends Route>(table: { routes: R[]; peers?: PeerHolder & Omit<R, keyof Route> }, index: number): R | undefined {
  if (index < table.routes.length) {
    const r = table.routes[index];
    return r?.fallback ? (r.fallback as R) : r;
  }
  const p = table.peers;
  const e = p?.shared.entries[index - table.routes.length];
  if (!p || !e || e.node === p.node) return undefined;
  const { srcHolder, ...rest } = p.shared.route;
  const { shared: _s, node: _n, gateway, ...extra } = p;
  const via = e.gateway ?? gateway;
  return { ...rest, ...extra, prefix: e.prefix, prefixLength: e.prefixLength, ...(via !== undefined ? { via } : {}), ...(srcHolder && gateway !== undefined ? { src: gateway } : {}) } as unknown as R;
}

/** Every route of a table, own and peer, in `ip route show` order. */
export function allRoutes<R extends Route>(table: { routes: R[]; peers?: PeerHolder & Omit<R, keyof Route> }): R[] {
  // The peer routes the table lacks (fault missing-route), by their stand-ins.
  const lacks = new Set<string>();
  for (const r of table.routes) if (r.fallback) lacks.add(`${r.prefix}/${r.prefixLength}`);
  if (!table.peers) return lacks.size ? table.routes.filter((r) => !r.fallback) : table.routes;
  const out = lacks.size ? table.routes.filter((r) => !r.fallback) : [...table.routes];
  const n = table.peers.shared.entries.length;
  for (let i = 0; i < n; i++) {
    const r = routeAt(table, table.routes.length + i);
    if (r && !(lacks.size && lacks.has(`${r.prefix}/${r.prefixLength}`))) out.push(r);
  }
  return sortLikeKernel(out);
}

export interface CompiledRoutes {
  tables: RouteTable[];
  /** The routes to the nodes' pod networks every host table shares; absent when none are needed. */
  peerRoutes?: PeerRoutes;
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
  const peerRoutes = compilePeerRoutes(model, underlay.address, underlay.prefixLength);
  const missing = missingPeerRoutes(model);
  const tables: RouteTable[] = [];
  const hostTable = new Map<string, number>();
  const podTable = new Map<string, number>();
  const podsOf = new Map<string, ClusterPod[]>(model.nodes.map((n) => [n.name, []]));
  for (const pod of model.pods) if (!pod.hostNetwork) podsOf.get(pod.node)?.push(pod);
  model.nodes.forEach((node, i) => {
    hostTable.set(node.name, tables.length);
    const table = calico ? calicoHostRoutes(node, podsOf.get(node.name)!, underlay.address, underlay.prefixLength, calico)
      : cilium ? ciliumHostRoutes(node, i, underlay.address, underlay.prefixLength)
      : hostRoutes(node, underlay.address, underlay.prefixLength, backend);
    if (peerRoutes) table.peers = { shared: peerRoutes, node: i, ...(cilium === "vxlan" ? { gateway: ciliumRouter(node, i) } : {}) };
    const lacks = missing.get(i);
    if (lacks && peerRoutes) table.routes = withoutPeers(table.routes, peerRoutes, lacks);
    tables.push(table);
  });
  const nodes = new Map(model.nodes.map((n, i) => [n.name, { node: n, index: i }]));
  for (const pod of model.pods) {
    const { node, index } = nodes.get(pod.node)!;
    if (pod.hostNetwork) {
      // A host-network pod lives in its node's namespace.
      podTable.set(`${pod.namespace}/${pod.name}`, hostTable.get(node.name)!);
      continue;
    }
    podTable.set(`${pod.namespace}/${pod.name}`, tables.length);
    tables.push(calico ? calicoPodRoutes(pod) : cilium ? ciliumPodRoutes(model, pod, node, index) : podRoutes(pod, node, cluster.address, cluster.prefixLength));
  }
  return { tables, hostTable, podTable, ...(peerRoutes ? { peerRoutes } : {}) };
}

/**
 * Fault missing-route=NODE>PEER: the peers whose routes each node lacks, by node index (names
 * the model does not know were reported by applyFaults). Cilium forwards pods' packets by its
 * ipcache, not by per-peer routes, so the fault has nothing to remove there: an error.
 */
function missingPeerRoutes(model: ClusterModel): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const index = new Map(model.nodes.map((n, i) => [n.name, i]));
  for (const f of model.settings.faults ?? []) {
    if (f.kind !== "missing-route") continue;
    if (ciliumMode(model)) {
      throw new K8sNetFlowError(
        "unsupported",
        `Cilium has no per-node routes to peers' pod networks for missing-route=${f.node}>${f.peer} to remove: its eBPF programs send pods' packets by the ipcache (each pod CIDR's node and tunnel endpoint), not by the host's routing table (the fault applies to flannel and Calico)`,
        "settings.faults",
      );
    }
    const node = index.get(f.node);
    const peer = index.get(f.peer);
    if (node === undefined || peer === undefined) continue;
    let set = out.get(node);
    if (!set) out.set(node, (set = new Set()));
    set.add(peer);
  }
  for (const name of flanneldStoppedNodes(model)) {
    const node = index.get(name);
    if (node === undefined) continue;
    let set = out.get(node);
    if (!set) out.set(node, (set = new Set()));
    for (let peer = 0; peer < model.nodes.length; peer++) if (peer !== node) set.add(peer);
  }
  return out;
}

/**
 * Fault flanneld-stopped=NODE, flannel's VXLAN backend only: the nodes whose flanneld is not
 * running. Its route to every peer's pod network goes too: flanneld writes all three entries per
 * peer lease, in flannel-io/flannel pkg/backend/vxlan/vxlan_network.go handleSubnetEvents
 * (EventAdded: dev.AddARP — the VTEP's permanent neighbour —, dev.AddFDB — its MAC → the peer's
 * public IP —, then netlink.RouteReplace of `Dst: sn, Gw: sn.IP, LinkIndex: flannel.1, onlink`),
 * and none is kept across a reboot (kernel state, nothing restores it). So NODE's packets to a
 * peer's pods meet no route via flannel.1 and follow the default route out of the cluster, as
 * missing-route to every peer (missingPeerRoutes); its flannel.1's neighbour and FDB entries
 * are gone as well (NodeInfo.flanneldStopped: `ip neigh`, `bridge fdb` print none of them).
 * Modelled scope: flannel.1 itself, its address and subnet.env are there (as when flanneld got
 * through RegisterNetwork and died before its lease watch delivered the peers: the pods were
 * set up); the peers keep NODE's entries, since kube-flannel's subnet manager (--kube-subnet-mgr)
 * keeps NODE's lease in its Node object's annotations, which do not expire. Traffic towards
 * NODE's pods still arrives (flannel.1 decapsulates without flanneld; loose rp_filter, as
 * systemd's default 2, lets the request in), and their answers cannot leave NODE.
 */
export function flanneldStoppedNodes(model: ClusterModel): Set<string> {
  const out = new Set<string>();
  for (const f of model.settings.faults ?? []) {
    if (f.kind !== "flanneld-stopped") continue;
    const { plugin, mode } = model.settings.cni;
    if (plugin !== "flannel" || flannelBackend(model) !== "vxlan") {
      throw new K8sNetFlowError(
        "unsupported",
        `flanneld-stopped=${f.node} (settings.faults) needs flannel's VXLAN backend, whose flanneld programs each peer's route, flannel.1 neighbour and FDB entry: this cluster runs ${plugin} ${mode}${plugin === "flannel" ? " (host-gw's routes are flanneld's too, but it has no flannel.1; use missing-route)" : ""}`,
        "settings.faults",
      );
    }
    out.add(f.node);
  }
  return out;
}

/**
 * A node's own routes plus, per shared peer route of a `lacks` node (every Calico block of it),
 * a stand-in (Route.fallback) for its absence: the longest own route that covers the whole
 * prefix, as the kernel's lookup falls back to it (the default route via the node network's
 * gateway). Own routes of the same or a longer prefix win over the shared trie's answer in both
 * dataplanes, so the shared routes stay one copy for the cluster and a missing one costs its
 * node one record. A prefix an own route already holds needs none.
 */
function withoutPeers(routes: Route[], peers: PeerRoutes, lacks: Set<number>): Route[] {
  const out = [...routes];
  for (const e of peers.entries) {
    if (!lacks.has(e.node)) continue;
    let fallback: Route | undefined;
    let held = false;
    for (const r of routes) {
      if (r.prefixLength === e.prefixLength && r.prefix === e.prefix) held = true;
      else if (r.prefixLength < e.prefixLength && routeCovers(r, e.prefix) && (!fallback || r.prefixLength > fallback.prefixLength)) fallback = r;
    }
    // No route left at all would be "Network is unreachable"; every node table has a default.
    if (held || !fallback) continue;
    const { connected: _c, fallback: _f, ...rest } = fallback;
    out.push({ ...rest, prefix: e.prefix, prefixLength: e.prefixLength, fallback });
  }
  return sortLikeKernel(out);
}

/** Throws unless `peer`'s IP is on the node network, for the modes that route pod networks via node IPs. */
function onUnderlay(peer: ClusterNode, i: number, underlay: number, underlayLen: number, why: string): number {
  const peerIP = parseIPv4(peer.internalIP, "internalIP");
  if (!cidrContains({ address: underlay, prefixLength: underlayLen }, peerIP)) {
    throw new K8sNetFlowError("invalid-input", why.replace("{net}", () => formatCidr({ address: underlay, prefixLength: underlayLen })).replace("{node}", () => `node ${peer.name}'s ${peer.internalIP}`), `nodes[${i}].internalIP`);
  }
  return peerIP;
}

/**
 * The routes each node holds to the other nodes' pod networks, as PeerRoutes (one entry per
 * remote network, shared by all nodes):
 * - flannel VXLAN: flanneld adds one onlink route per remote node via that node's VTEP address,
 *   the network address of its pod CIDR, which it puts on its flannel.1.
 * - flannel host-gw (pkg/backend/hostgw/hostgw.go): Dst the lease's subnet, Gw the node's
 *   PublicIP, LinkIndex the external interface; no onlink flag and no Protocol, so netlink sends
 *   RTPROT_BOOT, which `ip route` omits. The kernel takes such a gateway only on a connected
 *   network ("Nexthop has invalid gateway"): host-gw needs every node on one L2 segment.
 * - Calico, per block of every other node: with IP-in-IP, BIRD's BGP route through tunl0
 *   (bird.cfg.template's kernel filter sets `krt_tunnel = "tunl0"`; Calico's BIRD makes it
 *   onlink); with BGP alone, the same route on eth0; with VXLAN, Felix's route via the peer's
 *   VTEP address (its vxlan.calico /32) on vxlan.calico, onlink, no protocol shown.
 * - Cilium (pkg/datapath/linux/node.go): with VXLAN, each remote pod CIDR via the holder's own
 *   router on cilium_host with the router as preferred source and the route MTU
 *   (createNodeRouteSpec); with native routing, auto-direct-node-routes (createDirectRouteSpec:
 *   `Dst` the CIDR, `Gw` the node's IP, the device towards it, proto kernel).
 */
function compilePeerRoutes(model: ClusterModel, underlay: number, underlayLen: number): PeerRoutes | undefined {
  const calico = calicoMode(model);
  const cilium = ciliumMode(model);
  const entries: PeerRoutes["entries"] = [];
  if (calico) {
    model.nodes.forEach((peer, i) => {
      const peerIP = calico === "bgp"
        ? onUnderlay(peer, i, underlay, underlayLen, "Calico without encapsulation routes each node's blocks via the node's IP, so every node must be on the node network {net}: {node} is not (a router between them would have to learn the pod routes by BGP, which is not simulated)")
        : parseIPv4(peer.internalIP, "internalIP");
      for (const block of peer.calico?.blocks ?? []) {
        const b = parseCidr(block, "block");
        entries.push({ prefix: b.address, prefixLength: b.prefixLength, node: i, gateway: calico === "vxlan" ? parseIPv4(peer.calico!.tunnelAddress!, "tunnelAddress") : peerIP });
      }
    });
    const route = calico === "ipip" ? { dev: CALICO_IPIP_DEV, proto: "bird", onlink: true } : calico === "bgp" ? { dev: NODE_IFACE, proto: "bird" } : { dev: CALICO_VXLAN_DEV, onlink: true };
    return { entries, route };
  }
  if (cilium) {
    model.nodes.forEach((peer, i) => {
      const cidr = parseCidr(peer.podCIDR, "podCIDR");
      const gateway = cilium === "native"
        ? onUnderlay(peer, i, underlay, underlayLen, "Cilium's native routing with auto-direct-node-routes routes each node's pod CIDR via the node's IP, so every node must be on the node network {net}: {node} is not (the agent refuses: \"route to destination … contains gateway …, must be directly reachable\")")
        : undefined;
      entries.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, node: i, ...(gateway !== undefined ? { gateway } : {}) });
    });
    const route = cilium === "vxlan" ? { dev: CILIUM_HOST_DEV, proto: "kernel", srcHolder: true, mtu: ciliumRouteMtu(model) } : { dev: NODE_IFACE, proto: "kernel" };
    return { entries, route };
  }
  const vxlan = flannelBackend(model) === "vxlan";
  model.nodes.forEach((peer, i) => {
    const cidr = parseCidr(peer.podCIDR, "podCIDR");
    const gateway = vxlan ? cidr.address
      : onUnderlay(peer, i, underlay, underlayLen, "flannel host-gw routes to each node's IP directly, so every node must be on the node network {net} (one L2 segment): {node} is not (the kernel refuses the route with \"Nexthop has invalid gateway\")");
    entries.push({ prefix: cidr.address, prefixLength: cidr.prefixLength, node: i, gateway });
  });
  return { entries, route: vxlan ? { dev: VXLAN_DEV, onlink: true } : { dev: NODE_IFACE } };
}

function hostRoutes(node: ClusterNode, underlay: number, underlayLen: number, backend: FlannelBackend): RouteTable {
  const own = parseCidr(node.podCIDR, "podCIDR");
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const gateway = own.address + 1;
  const routes: Route[] = [
    // The node network's first address is its router (settings.nodeNetwork).
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: own.address, prefixLength: own.prefixLength, dev: BRIDGE, connected: { src: gateway } },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
  ];
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
 * BGP, Felix's with VXLAN (`proto 80`). The other nodes' blocks: compilePeerRoutes.
 */
function calicoHostRoutes(node: ClusterNode, pods: ClusterPod[], underlay: number, underlayLen: number, mode: CalicoMode): RouteTable {
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const routes: Route[] = [
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
  ];
  for (const block of node.calico?.blocks ?? []) {
    const b = parseCidr(block, "block");
    routes.push({ prefix: b.address, prefixLength: b.prefixLength, dev: "", blackhole: true, proto: mode === "vxlan" ? FELIX_PROTO : "bird" });
  }
  for (const pod of pods) routes.push({ prefix: parseIPv4(pod.ip, "ip"), prefixLength: 32, dev: calicoVethName(pod.namespace, pod.name), scopeLink: true });
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
 * (EnableLocalNodeRoute) with no MTU. The other nodes' CIDRs: compilePeerRoutes.
 */
function ciliumHostRoutes(node: ClusterNode, index: number, underlay: number, underlayLen: number): RouteTable {
  const nodeIP = parseIPv4(node.internalIP, "internalIP");
  const router = ciliumRouter(node, index);
  const own = parseCidr(node.podCIDR, "podCIDR");
  const routes: Route[] = [
    { prefix: 0, prefixLength: 0, dev: NODE_IFACE, via: underlay + 1 },
    { prefix: underlay, prefixLength: underlayLen, dev: NODE_IFACE, connected: { src: nodeIP } },
    { prefix: router, prefixLength: 32, dev: CILIUM_HOST_DEV, proto: "kernel", scopeLink: true },
    { prefix: own.address, prefixLength: own.prefixLength, dev: CILIUM_HOST_DEV, via: router, proto: "kernel", src: router },
  ];
  return { netns: { kind: "host", node: node.name }, routes: sortLikeKernel(routes), local: [nodeIP, router] };
}

/**
 * A pod's table under Cilium (pkg/datapath/connector IPv4Routes, added by the CNI plugin's
 * addIPConfigToLink, most specific first): the router address as a link-scope route on eth0,
 * then the default route via it carrying the route MTU. The pod's address is a /32
 * (AddrToIPNet), so there is no subnet route.
 */
function ciliumPodRoutes(model: ClusterModel, pod: ClusterPod, node: ClusterNode, index: number): RouteTable {
  const router = ciliumRouter(node, index);
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
function sortLikeKernel<R extends Route>(routes: R[]): R[] {
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

