// iproute2's views of a node or a pod: `ip link show`, `ip -d link show flannel.1`,
// `ip addr show`, `ip neigh show`, `bridge fdb show`, `ip netns list`. Formats checked
// against iproute2 6.1 on Linux 6.x in network namespaces built like a flannel node (see
// test/node/outputs/links.test.ts); flags that vary with time (DAD's `tentative`) are
// printed as a settled node shows them.

import type { CompiledNetwork, Iface, NetnsInfo } from "../compile/network.js";
import { formatIPv4, maskOf } from "../net/ipv4.js";
import { fnv1a32 } from "../model/random.js";

interface Link {
  index: number;
  name: string;
  iface?: Iface;
}

/** Interfaces of a namespace in ifindex order: lo, then as CNI/flannel create them. */
export function linksOf(net: CompiledNetwork, ns: NetnsInfo): Link[] {
  const own = net.ifaces.filter((f) => f.netns === ns.id);
  if (ns.kind === "pod") return [{ index: 1, name: "lo" }, ...own.map((f) => ({ index: podIfindex(net, f), name: f.name, iface: f }))];
  const order = (f: Iface) => f.linkOrder ?? { eth: 0, vxlan: 1, ipip: 1, bridge: 2, veth: 3 }[f.kind];
  let next = 2;
  return [
    { index: 1, name: "lo" },
    ...own
      .sort((a, b) => order(a) - order(b) || a.id - b.id)
      .map((f) => {
        // Cilium makes each pod's veth pair in the node's namespace (connector.SetupVethWithNames):
        // the peer `tmp…` takes an ifindex first, then leaves for the pod; the lxc keeps the next.
        if (f.bpf === "lxc") next++;
        return { index: next++, name: f.name, iface: f };
      }),
  ];
}

/**
 * A pod's eth0: 2 when the CNI made the pair inside the pod (the CNI plugins' ip.SetupVeth);
 * with Cilium the index the peer had in the node's namespace, which a move into a namespace
 * holding only lo keeps.
 */
function podIfindex(net: CompiledNetwork, f: Iface): number {
  const hostEnd = f.peer === undefined ? undefined : net.ifaces[f.peer]!;
  if (hostEnd?.bpf !== "lxc") return 2;
  return linksOf(net, net.netns[hostEnd.netns]!).find((l) => l.iface?.id === hostEnd.id)!.index - 1;
}

/** containerd names a pod's network namespace `cni-<uuid>`; the uuid here is derived from the pod. */
export function netnsName(ns: NetnsInfo): string {
  const h = (s: string) => fnv1a32(`${ns.label}/${s}`).toString(16).padStart(8, "0");
  const hex = h("a") + h("b") + h("c") + h("d");
  return `cni-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function peerIndex(net: CompiledNetwork, f: Iface): number | undefined {
  if (f.peer === undefined) return undefined;
  const peer = net.ifaces[f.peer]!;
  return linksOf(net, net.netns[peer.netns]!).find((l) => l.iface?.id === peer.id)?.index;
}

function linkHeader(net: CompiledNetwork, l: Link, withMode: boolean): string {
  const mode = withMode ? " mode DEFAULT" : "";
  if (!l.iface) return `${l.index}: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN${mode} group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00`;
  const f = l.iface;
  if (f.kind === "ipip") {
    // The ipip module's fallback device: no link layer (NOARP, link/ipip), bound to no device (@NONE).
    return `${l.index}: ${f.name}@NONE: <NOARP,UP,LOWER_UP> mtu ${f.mtu} qdisc noqueue state UNKNOWN${mode} group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0`;
  }
  const peer = peerIndex(net, f);
  // A veth whose peer is in the same namespace (cilium_host/cilium_net) is shown with the peer's name.
  const samePeer = f.peer !== undefined && net.ifaces[f.peer]!.netns === f.netns ? net.ifaces[f.peer]! : undefined;
  const name = samePeer ? `${f.name}@${samePeer.name}` : peer === undefined ? f.name : `${f.name}@if${peer}`;
  // A NIC has a real queueing discipline (systemd sets fq_codel); virtual devices have none.
  const qdisc = f.kind === "eth" ? "fq_codel" : "noqueue";
  const master = f.master !== undefined ? ` master ${net.ifaces[f.master]!.name}` : "";
  const state = f.kind === "vxlan" ? "UNKNOWN" : "UP";
  let link = `    link/ether ${f.mac} brd ff:ff:ff:ff:ff:ff`;
  if (f.kind === "veth" && !samePeer) {
    const peerNs = net.netns[net.ifaces[f.peer!]!.netns]!;
    // From a pod, the node's namespace has no name, only an id; from the node, the pod's has.
    link += peerNs.kind === "pod" ? ` link-netns ${netnsName(peerNs)}` : " link-netnsid 0";
  }
  const flags = f.noarp ? "BROADCAST,MULTICAST,NOARP,UP,LOWER_UP" : "BROADCAST,MULTICAST,UP,LOWER_UP";
  return `${l.index}: ${name}: <${flags}> mtu ${f.mtu} qdisc ${qdisc}${master} state ${state}${mode} group default qlen 1000\n${link}`;
}

/** `ip link show` in a namespace. */
export function ipLinkShow(net: CompiledNetwork, ns: NetnsInfo, device?: string): string {
  const links = linksOf(net, ns).filter((l) => device === undefined || l.name === device);
  return links.map((l) => `${linkHeader(net, l, true)}\n`).join("");
}

/** `ip -d link show flannel.1` (vxlan.calico, tunl0). */
export function ipDetailLinkShow(net: CompiledNetwork, ns: NetnsInfo, device: string): string {
  const l = linksOf(net, ns).find((x) => x.name === device);
  if (!l) return "";
  const f = l.iface;
  if (f?.kind === "ipip") {
    // The fallback tunl0 (ip_tunnel_init_net): all parameters zero, so iproute2's
    // iptnl_print_opt prints protocol "any", no endpoints, `ttl inherit` and `nopmtudisc`;
    // max MTU IP_MAX_MTU less the outer header.
    return `${linkHeader(net, l, true)} promiscuity 0  allmulti 0 minmtu 68 maxmtu 65515 \n    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n`;
  }
  let out = `${linkHeader(net, l, true)} promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n`;
  if (f?.kind === "vxlan" && f.bpf === "overlay") {
    // Cilium's flow-based device (netlink.Vxlan{FlowBased: true, Port: 8472}): collect_metadata
    // (`external`), VNI 0, no local address or lower device, TTL 0 (`auto`), learning off.
    return `${out}    vxlan external id 0 srcport 0 0 dstport ${f.port} nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n`;
  }
  if (f?.kind === "vxlan") {
    const eth = net.ifaces.find((x) => x.netns === f.netns && x.kind === "eth")!;
    out += `    vxlan id ${f.vni} local ${formatIPv4(eth.addr!)} dev ${eth.name} srcport 0 0 dstport ${f.port} nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n`;
  }
  return out;
}

/** The IPv6 link-local address the kernel derives from a MAC (EUI-64). */
export function linkLocal(mac: string): string {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  b[0]! ^= 0x02;
  const groups = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${groups.map((g) => g.toString(16)).join(":")}`;
}

/** `ip addr show` in a namespace. */
export function ipAddrShow(net: CompiledNetwork, ns: NetnsInfo): string {
  let out = "";
  for (const l of linksOf(net, ns)) {
    out += `${linkHeader(net, l, false)}\n`;
    if (!l.iface) {
      out += "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n";
      continue;
    }
    const f = l.iface;
    if (f.addr !== undefined && f.prefixLength !== undefined) {
      // Addresses set through netlink get a broadcast address when the prefix allows one.
      const brd = f.prefixLength < 31 ? ` brd ${formatIPv4((f.addr | ~maskOf(f.prefixLength)) >>> 0)}` : "";
      out += `    inet ${formatIPv4(f.addr)}/${f.prefixLength}${brd} scope global ${f.name}\n       valid_lft forever preferred_lft forever\n`;
    }
    // An IP-in-IP device has no link-layer address to make an IPv6 link-local one from.
    if (f.kind !== "ipip") out += `    inet6 ${linkLocal(f.mac)}/64 scope link \n       valid_lft forever preferred_lft forever\n`;
  }
  return out;
}

/**
 * `ip neigh show` on a node: flannel's permanent entries for each peer VTEP (and, in a pod,
 * the gateway it has talked to).
 */
export function ipNeighShow(net: CompiledNetwork, ns: NetnsInfo): string {
  if (ns.kind === "pod") {
    const eth = net.ifaces.find((f) => f.netns === ns.id)!;
    const hostEnd = net.ifaces[eth.peer!]!;
    // Calico: the gateway 169.254.1.1, answered by proxy ARP with the host veth's MAC.
    if (hostEnd.proxyArp) return `169.254.1.1 dev eth0 lladdr ${hostEnd.mac} REACHABLE\n`;
    // Cilium: the router address, answered by cil_from_container's ARP responder with the lxc's MAC.
    if (hostEnd.bpf === "lxc") {
      const gateway = ns.routes.find((r) => r.prefixLength === 0)?.via;
      return gateway === undefined ? "" : `${formatIPv4(gateway)} dev eth0 lladdr ${hostEnd.mac} REACHABLE\n`;
    }
    const bridge = net.ifaces[hostEnd.master!]!;
    return `${formatIPv4(bridge.addr!)} dev eth0 lladdr ${bridge.mac} REACHABLE\n`;
  }
  const vx = net.ifaces.find((f) => f.netns === ns.id && f.kind === "vxlan");
  // Cilium's flow-based cilium_vxlan needs no neighbour entries: the tunnel key names the peer.
  if (!vx || vx.bpf === "overlay") return "";
  // flanneld not running on this node (fault flanneld-stopped): it wrote none of them.
  if (net.nodes[ns.node]?.flanneldStopped) return "";
  return net.ifaces
    .filter((f) => f.kind === "vxlan" && f.id !== vx.id)
    .map((f) => `${formatIPv4(f.addr!)} dev ${vx.name} lladdr ${f.mac} PERMANENT \n`)
    .join("");
}

const MULTICAST = (mac: string, bridge: boolean): string[] => {
  const tail = mac.split(":").slice(3).join(":");
  return bridge
    ? ["33:33:00:00:00:01", "01:00:5e:00:00:6a", "33:33:00:00:00:6a", "01:00:5e:00:00:01", `33:33:ff:${tail}`]
    : ["33:33:00:00:00:01", "01:00:5e:00:00:01", `33:33:ff:${tail}`];
};

/** `bridge fdb show br cni0` or `bridge fdb show dev flannel.1` on a node. */
export function bridgeFdbShow(net: CompiledNetwork, ns: NetnsInfo, filter: { br?: string; dev?: string }): string {
  const lines: string[] = [];
  if (filter.dev) {
    const dev = net.ifaces.find((f) => f.netns === ns.id && f.name === filter.dev);
    // Cilium's flow-based cilium_vxlan has no FDB: each packet's tunnel key names the peer.
    // None when flanneld is not running on the node (fault flanneld-stopped).
    if (dev?.kind === "vxlan" && dev.bpf !== "overlay" && !net.nodes[ns.node]?.flanneldStopped) {
      // flanneld's entries: each peer VTEP's MAC → that node's IP.
      for (const f of net.ifaces.filter((x) => x.kind === "vxlan" && x.id !== dev.id)) {
        const node = net.nodes.find((n) => n.vxlan === f.id)!;
        lines.push(`${f.mac} dst ${formatIPv4(net.ifaces[node.eth]!.addr!)} self permanent`);
      }
    }
    return lines.map((l) => `${l}\n`).join("");
  }
  const bridge = net.ifaces.find((f) => f.netns === ns.id && f.kind === "bridge" && (filter.br === undefined || f.name === filter.br));
  if (!bridge) return "";
  for (const m of MULTICAST(bridge.mac, true)) lines.push(`${m} dev ${bridge.name} self permanent`);
  lines.push(`${bridge.mac} dev ${bridge.name} master ${bridge.name} permanent`);
  for (const l of linksOf(net, ns)) {
    const port = l.iface;
    if (port?.master !== bridge.id) continue;
    // The pod's MAC, learned by the bridge from its traffic; then the port's own entries.
    lines.push(`${net.ifaces[port.peer!]!.mac} dev ${port.name} master ${bridge.name} `);
    lines.push(`${port.mac} dev ${port.name} master ${bridge.name} permanent`);
    for (const m of MULTICAST(port.mac, false)) lines.push(`${m} dev ${port.name} self permanent`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

/** `ip netns list` on a node: the pods' namespaces, newest first, with the ids the node gave them. */
export function ipNetnsList(net: CompiledNetwork, node: number): string {
  const pods = net.netns.filter((ns) => ns.kind === "pod" && ns.node === node);
  return pods
    .map((ns, i) => `${netnsName(ns)} (id: ${i})\n`)
    .reverse()
    .join("");
}
