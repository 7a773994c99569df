// What each node's kernel holds once flannel (VXLAN or host-gw) and the bridge CNI plugin have
// set it up: namespaces, interfaces (eth0, cni0, flannel.1 with VXLAN only, a veth pair per
// pod) with their MACs and MTUs, and the routes of every namespace pointing at those interfaces.

import { parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel } from "../model/types.js";
import { calicoVethName, hostVethName } from "./interfaces.js";
import { compileCiliumNetwork } from "./cilium-network.js";
import { formatMac, MacSet, macNumber, NetworkTables, NIC_MTU, podNamespaces, SEGMENT_OVERLAY, SEGMENT_UNDERLAY } from "./network-tables.js";

export { NIC_MTU, NO_DEVICE, SEGMENT_OVERLAY, SEGMENT_UNDERLAY } from "./network-tables.js";
import { ciliumDeviceMtu, ciliumMode } from "./cilium.js";
import { BRIDGE, CALICO_IPIP_DEV, CALICO_VXLAN_DEV, calicoMode, compileRoutes, flannelBackend, flanneldStoppedNodes, NODE_IFACE, POD_IFACE, VXLAN_DEV, type PeerHolder, type PeerRoutes, type Route } from "./routes.js";

export type IfaceKind = "veth" | "bridge" | "vxlan" | "eth" | "ipip";

export interface Iface {
  id: number;
  name: string;
  netns: number;
  kind: IfaceKind;
  peer?: number;
  master?: number;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
  /** Primary IPv4 address and its prefix length. */
  addr?: number;
  prefixLength?: number;
  mtu: number;
  /** L2 segment: 0 the underlay (one segment for all nodes), 1 the VXLAN overlay, 2 + node index a node's cni0. */
  segment: number;
  vni?: number;
  port?: number;
  /** proxy_arp=1: answers ARP for any address its namespace routes out another interface (Calico's host veths). */
  proxyArp?: boolean;
  /**
   * The Cilium eBPF program attached here (src/compile/cilium-network.ts): `lxc` a pod's host
   * veth (cil_from_container, tc ingress), `host` cilium_host (cil_from_host, tc egress),
   * `netdev` the node's NIC (cil_from_netdev, tc ingress), `overlay` cilium_vxlan (cil_from_overlay).
   */
  bpf?: "lxc" | "host" | "netdev" | "overlay";
  /** Cilium: the security identity of the endpoint behind an `lxc` veth. */
  identity?: number;
  /** IFF_NOARP (cilium_host and cilium_net). */
  noarp?: boolean;
  /** Position in the namespace's ifindex order when the kind's usual order is not how they were created. */
  linkOrder?: number;
}

export interface NetnsInfo {
  id: number;
  kind: "host" | "pod";
  node: number;
  /** `default/pod-a`, or `host`. */
  label: string;
  pod?: { namespace: string; name: string };
  /** Its own routes, each pointed at its device. */
  routes: Array<Route & { oif: number }>;
  /** A node's routes to the other nodes' pod networks (shared, see PeerRoutes), all by device `oif`. */
  peers?: PeerHolder & { oif: number };
}

export interface NodeInfo {
  name: string;
  host: number;
  eth: number;
  /** The overlay device: flannel.1, vxlan.calico or tunl0; absent with flannel host-gw and Calico BGP. */
  vxlan?: number;
  /** cni0; absent with Calico, which routes to each pod's veth instead of bridging. */
  bridge?: number;
  /** Cilium's cilium_host. */
  ciliumHost?: number;
  /** Cilium: the node's pod CIDR, as the other nodes' ipcache tunnels it to this node. */
  podCIDR?: { address: number; prefixLength: number };
  /**
   * `net.bridge.bridge-nf-call-iptables=0` (the br-netfilter-off fault): frames cni0 bridges
   * from port to port skip iptables and conntrack. Absent: 1, as kube-proxy requires.
   */
  bridgeNfOff?: boolean;
  /**
   * flanneld is not running here (the flanneld-stopped fault, flannel VXLAN): flannel.1 holds
   * none of its peers' neighbour and FDB entries, and the routes to their pod networks are
   * gone (src/compile/routes.ts flanneldStoppedNodes, where the source is cited).
   */
  flanneldStopped?: boolean;
}

export interface CompiledNetwork {
  netns: NetnsInfo[];
  ifaces: Iface[];
  nodes: NodeInfo[];
  /** Namespace of each pod (`namespace/name`): its own, or its node's for hostNetwork pods. */
  podNetns: Map<string, number>;
  /** The routes to the nodes' pod networks that every host namespace shares. */
  peerRoutes?: PeerRoutes;
}

/** flannel: VNI 1, the Linux-assigned VXLAN port 8472, MTU = NIC MTU − 50. */
export const FLANNEL_VNI = 1;
export const FLANNEL_PORT = 8472;
export const OVERLAY_MTU = NIC_MTU - 50;

/**
 * The MTU flannel writes to subnet.env (FLANNEL_MTU) and the bridge plugin gives cni0 and the
 * veths: the NIC's less VXLAN's 50 bytes; host-gw's RouteNetwork reports the NIC's own MTU
 * (pkg/backend/hostgw/hostgw.go: `Mtu: be.extIface.Iface.MTU`), since nothing is added.
 */
export function backendMtu(model: ClusterModel): number {
  const calico = calicoMode(model);
  if (calico) return NIC_MTU - CALICO_OVERHEAD[calico];
  return flannelBackend(model) === "host-gw" ? NIC_MTU : OVERLAY_MTU;
}

/** The pods' interfaces' MTU: `settings.cni.mtu` when given (a misconfiguration if above the path's), else the backend's. */
export function podMtu(model: ClusterModel): number {
  // Cilium's pod devices keep the full MTU; its routes carry the tunnel's (src/compile/cilium.ts).
  if (ciliumMode(model)) return ciliumDeviceMtu(model);
  return model.settings.cni.mtu ?? backendMtu(model);
}

/**
 * What Calico's encapsulation adds, from which calico-node auto-detects the MTU of the tunnel
 * device and of the pods' veths (veth_mtu "0"): IP-in-IP an outer IPv4 header (20), VXLAN 50,
 * BGP nothing. So 1480, 1450 and 1500 on a 1500-byte NIC.
 */
export const CALICO_OVERHEAD = { ipip: 20, vxlan: 50, bgp: 0 } as const;
/** Felix's defaults: FelixConfiguration vxlanVNI 4096, vxlanPort 4789 (the IANA port, not flannel's 8472). */
export const CALICO_VXLAN_VNI = 4096;
export const CALICO_VXLAN_PORT = 4789;
/** The MAC the Calico CNI plugin gives every host-side veth (dataplane_linux.go: "EE:EE:EE:EE:EE:EE"). */
export const CALICO_VETH_MAC = "ee:ee:ee:ee:ee:ee";


/** The bridge plugin gives a pod's eth0 the MAC 0a:58 followed by its IPv4 address. */
export function podMac(ip: number): string {
  return formatMac(0x0a, 0x58, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255);
}

export function compileNetwork(model: ClusterModel): CompiledNetwork {
  const net = compileDevices(model);
  // The kernel's settings every node shares (a per-cluster fault, settings.faults).
  if (model.settings.faults.some((f) => f.kind === "br-netfilter-off")) for (const n of net.nodes) n.bridgeNfOff = true;
  // A node's own daemon (settings.faults): flanneld's entries for its peers are missing there.
  const stopped = flanneldStoppedNodes(model);
  for (const n of net.nodes) if (stopped.has(n.name)) n.flanneldStopped = true;
  return net;
}

function compileDevices(model: ClusterModel): CompiledNetwork {
  const routes = compileRoutes(model);
  if (calicoMode(model)) return compileCalico(model, routes);
  if (ciliumMode(model)) return compileCiliumNetwork(model, routes);
  const vxlanBackend = flannelBackend(model) === "vxlan";
  const mtu = podMtu(model);
  const pods = model.pods;
  // Pods' MACs are fixed by their IPs: generated ones must avoid them.
  const podIPs = new Float64Array(pods.length);
  const podMacs: string[] = new Array(pods.length);
  // Each pod's MAC, and a generated one per pod and per node device.
  const taken = new MacSet(pods.length * 2 + model.nodes.length * 3);
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    if (pod.hostNetwork) continue;
    const ip = parseIPv4(pod.ip, "ip");
    podIPs[i] = ip;
    podMacs[i] = podMac(ip);
    taken.add(0x0a58, ip);
  }
  const t = new NetworkTables(routes, model.nodes.map((n) => n.name), taken);
  const add = (f: Iface) => t.add(f);
  const cidrs = model.nodes.map((n) => parseCidr(n.podCIDR, "podCIDR"));
  const nodes: NodeInfo[] = model.nodes.map((n, i) => {
    const host = routes.hostTable.get(n.name)!;
    const cidr = cidrs[i]!;
    const eth = add({ id: 0, name: NODE_IFACE, netns: host, kind: "eth", mac: t.nicMac(n.name), addr: parseIPv4(n.internalIP, "ip"), prefixLength: parseCidr(model.settings.nodeNetwork, "n").prefixLength, mtu: NIC_MTU, segment: SEGMENT_UNDERLAY });
    const bridge = add({ id: 0, name: BRIDGE, netns: host, kind: "bridge", mac: t.localMac("cni0/", n.name), addr: cidr.address + 1, prefixLength: cidr.prefixLength, mtu, segment: 2 + i });
    if (!vxlanBackend) return { name: n.name, host, eth, bridge };
    const vxlan = add({ id: 0, name: VXLAN_DEV, netns: host, kind: "vxlan", mac: t.localMac("vtep/", n.name), addr: cidr.address, prefixLength: 32, mtu: OVERLAY_MTU, segment: SEGMENT_OVERLAY, vni: FLANNEL_VNI, port: FLANNEL_PORT });
    return { name: n.name, host, eth, vxlan, bridge };
  });
  const nodeIndex = new Map(model.nodes.map((n, i) => [n.name, i]));
  const netnsOf = podNamespaces(model, routes);
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    if (pod.hostNetwork) continue;
    const index = nodeIndex.get(pod.node)!;
    const node = nodes[index]!;
    const ip = podIPs[i]!;
    // The host end's peer is the pod's end, added right after it (and the other way round).
    const hostEnd = add({ id: 0, name: hostVethName(pod.namespace, pod.name), netns: node.host, kind: "veth", master: node.bridge, mac: t.localMac("veth/", pod.namespace, "/", pod.name), mtu, segment: 2 + index, peer: t.ifaces.length + 1 });
    add({ id: 0, name: POD_IFACE, netns: netnsOf[i]!, kind: "veth", peer: hostEnd, mac: podMacs[i]!, addr: ip, prefixLength: cidrs[index]!.prefixLength, mtu, segment: 2 + index });
  }
  return t.finish(nodes, routes.podTable);
}

/**
 * A Calico node: eth0, the tunnel device with the node's tunnel address as a /32 (tunl0 for
 * IP-in-IP, the kernel's fallback device with no link-layer address; vxlan.calico for VXLAN),
 * and per pod a veth pair that is routed, not bridged: the host end cali… with MAC
 * ee:ee:ee:ee:ee:ee and proxy_arp=1 (cni-plugin dataplane_linux.go configureSysctls), the pod's
 * eth0 with the pod's /32 and a MAC the kernel made up.
 */
/** The MACs a Calico node's generated ones must avoid: the host veths' fixed one. */
function calicoTaken(model: ClusterModel): MacSet {
  // Then a generated one per pod, two per node.
  const taken = new MacSet(model.pods.length + model.nodes.length * 2);
  taken.add(...macNumber(CALICO_VETH_MAC));
  return taken;
}

function compileCalico(model: ClusterModel, routes: ReturnType<typeof compileRoutes>): CompiledNetwork {
  const mode = calicoMode(model)!;
  const mtu = podMtu(model);
  const t = new NetworkTables(routes, model.nodes.map((n) => n.name), calicoTaken(model));
  const add = (f: Iface) => t.add(f);
  const underlayLen = parseCidr(model.settings.nodeNetwork, "n").prefixLength;
  const nodes: NodeInfo[] = model.nodes.map((n) => {
    const host = routes.hostTable.get(n.name)!;
    const eth = add({ id: 0, name: NODE_IFACE, netns: host, kind: "eth", mac: t.nicMac(n.name), addr: parseIPv4(n.internalIP, "ip"), prefixLength: underlayLen, mtu: NIC_MTU, segment: SEGMENT_UNDERLAY });
    const tunnel = n.calico?.tunnelAddress === undefined ? undefined : parseIPv4(n.calico.tunnelAddress, "tunnelAddress");
    if (mode === "ipip") {
      const tunl0 = add({ id: 0, name: CALICO_IPIP_DEV, netns: host, kind: "ipip", mac: "00:00:00:00:00:00", ...(tunnel !== undefined ? { addr: tunnel, prefixLength: 32 } : {}), mtu: backendMtu(model), segment: SEGMENT_OVERLAY });
      return { name: n.name, host, eth, vxlan: tunl0 };
    }
    if (mode === "vxlan") {
      const vx = add({ id: 0, name: CALICO_VXLAN_DEV, netns: host, kind: "vxlan", mac: t.localMac("vtep/", n.name), ...(tunnel !== undefined ? { addr: tunnel, prefixLength: 32 } : {}), mtu: backendMtu(model), segment: SEGMENT_OVERLAY, vni: CALICO_VXLAN_VNI, port: CALICO_VXLAN_PORT });
      return { name: n.name, host, eth, vxlan: vx };
    }
    return { name: n.name, host, eth };
  });
  const nodeIndex = new Map(model.nodes.map((n, i) => [n.name, i]));
  const netnsOf = podNamespaces(model, routes);
  // Each veth pair is its own point-to-point link: a segment of two, after the shared ones.
  let segment = 2 + model.nodes.length;
  const pods = model.pods;
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    if (pod.hostNetwork) continue;
    const node = nodes[nodeIndex.get(pod.node)!]!;
    // The host end's peer is the pod's end, added right after it (and the other way round).
    const hostEnd = add({ id: 0, name: calicoVethName(pod.namespace, pod.name), netns: node.host, kind: "veth", mac: CALICO_VETH_MAC, mtu, segment, proxyArp: true, peer: t.ifaces.length + 1 });
    add({ id: 0, name: POD_IFACE, netns: netnsOf[i]!, kind: "veth", peer: hostEnd, mac: t.localMac("eth0/", pod.namespace, "/", pod.name), addr: parseIPv4(pod.ip, "ip"), prefixLength: 32, mtu, segment });
    segment++;
  }
  return t.finish(nodes, routes.podTable);
}
