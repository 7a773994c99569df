// A Cilium node's devices, as cilium-agent and its CNI plugin leave them: eth0 with
// cil_from_netdev at tc ingress; the veth pair cilium_host/cilium_net (NOARP, the router address
// on cilium_host as a /32, cil_from_host at cilium_host's tc egress); with VXLAN the flow-based
// cilium_vxlan (cil_from_overlay); and per pod a veth pair, routed by eBPF, not bridged: the
// host end lxc… with cil_from_container at its tc ingress, the pod's eth0 with the pod's /32.
// Every MAC is random in a real cluster (mac.GenerateRandMAC, the kernel's for the pod side);
// here each is derived from the device's owner.

import { parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel } from "../model/types.js";
import { CILIUM_HOST_DEV, CILIUM_NET_DEV, CILIUM_VXLAN_DEV, CILIUM_VXLAN_PORT, ciliumDeviceMtu, ciliumMode, lxcName, podIdentities } from "./cilium.js";
import type { CompiledNetwork, Iface, NodeInfo } from "./network.js";
import { MacSet, NetworkTables, podNamespaces, NIC_MTU, SEGMENT_OVERLAY, SEGMENT_UNDERLAY } from "./network-tables.js";
import { ciliumRouter, NODE_IFACE, POD_IFACE, type compileRoutes } from "./routes.js";

/** What network.ts lends (passed in, so that the two modules do not import each other). */
export function compileCiliumNetwork(model: ClusterModel, routes: ReturnType<typeof compileRoutes>): CompiledNetwork {
  const vxlan = ciliumMode(model) === "vxlan";
  const mtu = ciliumDeviceMtu(model);
  // Two generated MACs per pod, three per node.
  const t = new NetworkTables(routes, model.nodes.map((n) => n.name), new MacSet(model.pods.length * 2 + model.nodes.length * 3));
  const add = (f: Iface) => t.add(f);
  const identities = podIdentities(model);
  const underlayLen = parseInt(model.settings.nodeNetwork.split("/")[1]!, 10);
  // Each veth pair is its own point-to-point link: a segment of two, after the shared ones.
  let segment = 2;
  const nodes: NodeInfo[] = model.nodes.map((n, i) => {
    const host = routes.hostTable.get(n.name)!;
    const eth = add({ id: 0, name: NODE_IFACE, netns: host, kind: "eth", mac: t.nicMac(n.name), addr: parseIPv4(n.internalIP, "ip"), prefixLength: underlayLen, mtu: NIC_MTU, segment: SEGMENT_UNDERLAY, bpf: "netdev", linkOrder: 0 });
    // setupBaseDevice: one veth pair, the peer (cilium_net) created first, so it has the lower ifindex.
    const net = add({ id: 0, name: CILIUM_NET_DEV, netns: host, kind: "veth", mac: t.localMac("cilium_net/", n.name), mtu, segment, noarp: true, linkOrder: 1, peer: t.ifaces.length + 1 });
    const ciliumHost = add({ id: 0, name: CILIUM_HOST_DEV, netns: host, kind: "veth", peer: net, mac: t.localMac("cilium_host/", n.name), addr: ciliumRouter(n, i), prefixLength: 32, mtu, segment, noarp: true, bpf: "host", linkOrder: 2 });
    segment++;
    const podCIDR = parseCidr(n.podCIDR, "podCIDR");
    if (!vxlan) return { name: n.name, host, eth, ciliumHost, podCIDR };
    // setupVxlanDevice: flow-based (`external`, VNI per packet from the tunnel key), dstport 8472.
    const vx = add({ id: 0, name: CILIUM_VXLAN_DEV, netns: host, kind: "vxlan", mac: t.localMac("cilium_vxlan/", n.name), mtu, segment: SEGMENT_OVERLAY, vni: 0, port: CILIUM_VXLAN_PORT, bpf: "overlay", linkOrder: 3 });
    return { name: n.name, host, eth, vxlan: vx, ciliumHost, podCIDR };
  });
  const nodeIndex = new Map(model.nodes.map((n, i) => [n.name, i]));
  const netnsOf = podNamespaces(model, routes);
  const pods = model.pods;
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    if (pod.hostNetwork) continue;
    const node = nodes[nodeIndex.get(pod.node)!]!;
    const key = `${pod.namespace}/${pod.name}`;
    // The host end's peer is the pod's end, added right after it (and the other way round).
    const hostEnd = add({ id: 0, name: lxcName(pod.namespace, pod.name), netns: node.host, kind: "veth", mac: t.localMac("lxc/", key), mtu, segment, bpf: "lxc", identity: identities.get(key)!, linkOrder: 4, peer: t.ifaces.length + 1 });
    add({ id: 0, name: POD_IFACE, netns: netnsOf[i]!, kind: "veth", peer: hostEnd, mac: t.localMac("eth0/", key), addr: parseIPv4(pod.ip, "ip"), prefixLength: 32, mtu, segment });
    segment++;
  }
  return t.finish(nodes, routes.podTable);
}
