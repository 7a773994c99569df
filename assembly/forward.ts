// The forwarding loop: one packet, hop by hop, through veth pairs, the cni0 bridge (with
// br_netfilter), netfilter's hooks, conntrack, routing, VXLAN encapsulation over the
// underlay and decapsulation — or, with flannel host-gw, no tunnel at all: a route via the
// peer node's IP on eth0 puts the packet itself on the wire, and the peer routes it on
// arrival — until it is delivered, dropped or rejected. The same loop runs
// traced (a hop record per step) and in batch (counters only). No allocation per packet.

import {
  A_BRIDGE, A_CT_HIT, A_DECAP, A_DELIVER, A_DNAT, A_DROP, A_ENCAP, A_REJECT, A_ROUTE, A_SNAT, A_UNNAT, A_WIRE, A_XMIT,
  D_CONNTRACK, D_FDB, D_IPVS, D_IPVS_VS, D_NEIGH, D_NONE, D_ROUTE, D_RULE, PF_ACK, PF_RST, X_NO_SOCKET,
  H_FILTER_FORWARD, H_FILTER_INPUT, H_FILTER_OUTPUT, H_FILTER_OUTPUT_PRE, H_FILTER_PREROUTING_PRE, H_NAT_OUTPUT, H_NAT_POSTROUTING, H_NAT_PREROUTING,
  IF_ADDR, IF_BRIDGE, IF_ETH, IF_FLAGS, IF_IPIP, IF_KIND, IF_MAC_HI, IF_MAC_LO, IF_MASTER, IF_MTU, IF_NETNS, IF_PEER, IF_PORT, IF_SEGMENT, IF_VETH, IF_VNI, IF_VXLAN, IFF_PROXY_ARP,
  K_BRIDGE, K_CONNTRACK, K_IPIP, K_NETFILTER, K_POD, K_ROUTING, K_SOCKET, K_UNDERLAY, K_VETH, K_VXLAN,
  N_ETH, N_HOST, N_VXLAN, NONE, NS_FIB, NS_KIND, NS_NODE, NS_POD, NS_ROUTES,
  P_DMAC_HI, P_DMAC_LO, P_DPORT, P_DST, P_FLAGS, P_LEN, P_OUTER_DPORT, P_OUTER_DST, P_OUTER_SPORT, P_OUTER_SRC, P_OUTER_TTL, P_PROTO,
  P_ICMP, P_SMAC_HI, P_SMAC_LO, P_SPORT, P_SRC, P_TTL, P_VNI, PF_DF, PF_ENCAP, PF_SYN, PROTO_ICMP, PROTO_TCP, PROTO_UDP,
  RT_BYTES, RT_GATEWAY, RT_OIF,
  V_DELIVERED, V_DROPPED, V_REJECTED,
  X_BLACKHOLE, X_CT_FULL, X_FRAG_NEEDED, X_LEAVES_CLUSTER, X_LOOP, X_NO_FDB, X_NO_NEIGHBOUR, X_NO_ROUTE, X_NONE, X_REJECTED, X_RULE_DROP, X_TTL,
} from "./abi";
import {
  CS_DNAT, CS_SEEN_REPLY, CS_SNAT, CT_ORIG_DST, CT_ORIG_PORTS, CT_ORIG_SRC, CT_REPLY_DST, CT_REPLY_PORTS, CT_REPLY_SRC, CT_STATUS,
  CS_ASSURED, ctEntry, ctInsert, ctLookup, ctRefresh, foundDir, TCP_ESTABLISHED, TCP_SHIFT, TCP_SYN_RECV, TCP_SYN_SENT,
  CS_IPVS, CS_IPVS_ACTIVE, CT_IPVS_RS,
  TIMEOUT_ICMP, TIMEOUT_TCP_ESTABLISHED, TIMEOUT_TCP_SYN_RECV, TIMEOUT_TCP_SYN_SENT, TIMEOUT_UDP,
} from "./conntrack";
import { fibLookup } from "./fib";
import { hookChain, NF_DROP, NF_REJECT, nfAt, nfCountLookup, nfDnatAddr, nfDnatPort, nfMasquerade, nfRule, nfWalk, nfWalked } from "./netfilter";
import { ipvsActivate, ipvsBind, ipvsBound, ipvsFind, ipvsFromTemplate, ipvsSchedule, rsActive, rsAddr, rsInactive, rsPort, vsCount, vsFirst, vsKey } from "./ipvs";
import { hop } from "./trace";
import { arenaAlloc } from "./arena";
import { iface, ifaceByAddr, ifaceByMac, netns, node, random32 } from "./state";

/** VXLAN adds outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 bytes. */
export const VXLAN_OVERHEAD: u32 = 50;
/** IP-in-IP adds one outer IPv4 header. */
export const IPIP_OVERHEAD: u32 = 20;
const MAX_STEPS: u32 = 64;

// Where the last forward() ended, for replies and ICMP errors.
export let endNetns: u32 = NONE;
export let endReason: u32 = X_NONE;
export let rejectAddr: u32 = 0; // source address of the ICMP error a REJECT sends
// A forwarded packet too big for its next hop with DF set: the next hop's MTU (0 otherwise),
// for the ICMP "fragmentation needed" the node sends back (ip_forward → icmp_send).
export let fragMtu: u32 = 0;
// The IP-in-IP packet being sent: its outer destination (the route's gateway) and that route.
let tunnelDst: u32 = 0;
let tunnelRoute: u32 = 0;

export function dropCountOf(reason: u32): u64 {
  return load<u64>(dropReasons + (<usize>(reason & 15) << 3));
}

// Counters (batch statistics)
export let delivered: u64 = 0;
export let dropped: u64 = 0;
export let rejected: u64 = 0;
export let bytesDelivered: u64 = 0;
export let encapBytes: u64 = 0;
// Static memory, below the arena (a runtime allocation would land inside it: the arena starts
// at __heap_base, where the stub runtime allocates too).
const dropReasons: usize = memory.data(16 * 8, 8);

// Delivered packets per (origin node, delivery node): a hash map with fixed capacity, since
// a dense matrix of 5,000 × 5,000 nodes would not fit. Pairs beyond capacity are counted apart.
const PAIR_SLOTS: u32 = 1 << 16;
let pairKeys: usize = 0; // (src << 16 | dst) + 1
let pairCounts: usize = 0;
export let pairOverflow: u64 = 0;

export function pairsInit(): void {
  pairKeys = arenaAlloc(<usize>PAIR_SLOTS * 4);
  pairCounts = arenaAlloc(<usize>PAIR_SLOTS * 8);
}

function countPair(src: u32, dst: u32): void {
  const key = ((src << 16) | (dst & 0xffff)) + 1;
  let s = (key * 0x9e3779b1) >>> 16;
  for (let probes: u32 = 0; probes < PAIR_SLOTS; probes++) {
    const k = load<u32>(pairKeys + <usize>s * 4);
    if (k == key || k == 0) {
      if (k == 0) store<u32>(pairKeys + <usize>s * 4, key);
      store<u64>(pairCounts + <usize>s * 8, load<u64>(pairCounts + <usize>s * 8) + 1);
      return;
    }
    s = (s + 1) & (PAIR_SLOTS - 1);
  }
  pairOverflow++;
}

/** Writes up to `max` [src node, dst node, packets] triples at `out`; returns how many. */
export function nodePairs(out: usize, max: u32): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < PAIR_SLOTS && n < max; s++) {
    const k = load<u32>(pairKeys + <usize>s * 4);
    if (k == 0) continue;
    store<u32>(out + <usize>n * 12, (k - 1) >>> 16);
    store<u32>(out + <usize>n * 12 + 4, (k - 1) & 0xffff);
    store<u32>(out + <usize>n * 12 + 8, <u32>load<u64>(pairCounts + <usize>s * 8));
    n++;
  }
  return n;
}

export function resetCounters(): void {
  if (pairKeys != 0) {
    memory.fill(pairKeys, 0, <usize>PAIR_SLOTS * 4);
    memory.fill(pairCounts, 0, <usize>PAIR_SLOTS * 8);
  }
  pairOverflow = 0;
  delivered = 0;
  dropped = 0;
  rejected = 0;
  bytesDelivered = 0;
  encapBytes = 0;
  memory.fill(dropReasons, 0, 16 * 8);
}

// The connection being set up on the current node (confirmed when the packet leaves it).
let pendActive: bool = false;
let pendNode: u32 = 0;
let pendSrc: u32 = 0;
let pendDst: u32 = 0;
let pendPorts: u32 = 0;
let pendKey: u32 = 0;
let pendStatus: u32 = 0;
let pendReplySrc: u32 = 0;
let pendReplyDst: u32 = 0;
let pendReplyPorts: u32 = 0;
// IPVS: the real server the pending connection was scheduled to; the IPVS connection the last
// conntrack lookup found, in the original direction (IPVS forwards it again at LOCAL_IN) or the
// reply's (IPVS restores the virtual server's address in FORWARD); the nat walk's length.
let pendIpvsRs: u32 = NONE;
let ipvsConn: u32 = NONE;
let ipvsReplyConn: u32 = NONE;
let natWalked: u32 = 0;

@inline function ports(pkt: usize): u32 {
  return (load<u32>(pkt, P_SPORT) << 16) | (load<u32>(pkt, P_DPORT) & 0xffff);
}

@inline function nodeOf(ns: u32): u32 {
  return load<u32>(netns(ns), NS_NODE);
}

/** The status (with TCP state) and timeout of a connection after a packet, as nf_conntrack_proto_tcp moves it. */
let nextStatus: u32 = 0;
function ctAdvance(status: u32, pkt: usize, replyDir: bool): u32 {
  const proto = load<u32>(pkt, P_PROTO);
  let s = status | (replyDir ? CS_SEEN_REPLY : 0);
  if (proto != PROTO_TCP) {
    nextStatus = s;
    return proto == PROTO_UDP ? TIMEOUT_UDP : TIMEOUT_ICMP;
  }
  const flags = load<u32>(pkt, P_FLAGS);
  let state = (s >>> TCP_SHIFT) & 15;
  if (state == 0) state = flags & PF_SYN ? TCP_SYN_SENT : TCP_ESTABLISHED; // a new connection (or one picked up mid-stream)
  else if (state == TCP_SYN_SENT && replyDir && (flags & PF_SYN)) state = TCP_SYN_RECV;
  else if (state == TCP_SYN_RECV && !replyDir && !(flags & PF_SYN)) state = TCP_ESTABLISHED;
  s = (s & ~(15 << TCP_SHIFT)) | (state << TCP_SHIFT);
  if (state == TCP_ESTABLISHED) s |= CS_ASSURED;
  nextStatus = s;
  return state == TCP_SYN_SENT ? TIMEOUT_TCP_SYN_SENT : state == TCP_SYN_RECV ? TIMEOUT_TCP_SYN_RECV : TIMEOUT_TCP_ESTABLISHED;
}

function drop(ns: u32, component: u32, reason: u32, inIf: u32, outIf: u32, decider: u32, arg: u32, pkt: usize): u32 {
  dropped++;
  const slot = dropReasons + (<usize>(reason & 15) << 3);
  store<u64>(slot, load<u64>(slot) + 1);
  endNetns = ns;
  endReason = reason;
  pendActive = false;
  hop(nodeOf(ns), ns, component, A_DROP, reason, inIf, outIf, decider, arg, 0, pkt);
  return V_DROPPED;
}

/**
 * Conntrack and the nat table for a packet entering netfilter on a node. Returns NF_ACCEPT,
 * or NF_DROP when the conntrack table is full. `natHook`: the nat chain for new connections.
 */
function conntrackIn(ns: u32, pkt: usize, natHook: u32, inIf: u32): void {
  ipvsConn = NONE;
  ipvsReplyConn = NONE;
  natWalked = 0;
  // An ICMP error belongs to the connection it reports on (RELATED): no entry of its own.
  if (load<u32>(pkt, P_PROTO) == PROTO_ICMP && ((load<u32>(pkt, P_ICMP) >>> 8) & 255) == 3) {
    pendActive = false;
    return;
  }
  const n = nodeOf(ns);
  const key = load<u32>(pkt, P_PROTO) | (n << 8);
  const src = load<u32>(pkt, P_SRC);
  const dst = load<u32>(pkt, P_DST);
  const pp = ports(pkt);
  const e = ctLookup(src, dst, pp, key);
  if (e != NONE) {
    pendActive = false;
    const c = ctEntry(e);
    const status = load<u32>(c, CT_STATUS);
    const replyDir = foundDir == 1;
    // IPVS's connections: conntrack holds their tuples (net.ipv4.vs.conntrack=1) but no NAT of its own.
    if (status & CS_IPVS) {
      if (replyDir) ipvsReplyConn = e;
      else ipvsConn = e;
    }
    const timeout = ctAdvance(status, pkt, replyDir);
    store<u32>(c, nextStatus, CT_STATUS);
    ctRefresh(e, timeout);
    let changed = false;
    if (replyDir) {
      // Reply: undo the NAT of the original direction.
      if (status & CS_DNAT) {
        store<u32>(pkt, load<u32>(c, CT_ORIG_DST), P_SRC);
        store<u32>(pkt, load<u32>(c, CT_ORIG_PORTS) & 0xffff, P_SPORT);
        changed = true;
      }
      if (status & CS_SNAT) {
        store<u32>(pkt, load<u32>(c, CT_ORIG_SRC), P_DST);
        store<u32>(pkt, load<u32>(c, CT_ORIG_PORTS) >>> 16, P_DPORT);
        changed = true;
      }
    } else {
      // Later packets of a NAT'd connection: the same translation, without walking rules.
      if (status & CS_DNAT) {
        store<u32>(pkt, load<u32>(c, CT_REPLY_SRC), P_DST);
        store<u32>(pkt, load<u32>(c, CT_REPLY_PORTS) >>> 16, P_DPORT);
        changed = true;
      }
      if (status & CS_SNAT) {
        store<u32>(pkt, load<u32>(c, CT_REPLY_DST), P_SRC);
        store<u32>(pkt, load<u32>(c, CT_REPLY_PORTS) & 0xffff, P_SPORT);
        changed = true;
      }
    }
    if (changed) hop(n, ns, K_CONNTRACK, replyDir ? A_UNNAT : A_CT_HIT, X_NONE, inIf, NONE, D_CONNTRACK, e, 0, pkt);
    return;
  }
  // A new connection: remember it, walk the nat chain.
  pendActive = true;
  pendNode = n;
  pendSrc = src;
  pendDst = dst;
  pendPorts = pp;
  pendKey = key;
  pendStatus = 0;
  pendReplySrc = dst;
  pendReplyDst = src;
  pendReplyPorts = (pp << 16) | (pp >>> 16);
  pendIpvsRs = NONE;
  // nftables' filter chains at priority -110 see a new connection before the DNAT; iptables
  // has none. Their one lookup (firewall-ips: LoadBalancer source ranges, not modelled) never
  // matches, so only the rules it evaluates count.
  nfWalk(hookChain(natHook == H_NAT_OUTPUT ? H_FILTER_OUTPUT_PRE : H_FILTER_PREROUTING_PRE), pkt, true, isLocal(ns, dst));
  // `-m addrtype --dst-type LOCAL` looks at the destination before any translation.
  nfWalk(hookChain(natHook), pkt, true, isLocal(ns, dst));
  natWalked = nfWalked;
  if (nfDnatAddr != 0) {
    const walked = nfWalked;
    const rule = nfRule;
    store<u32>(pkt, nfDnatAddr, P_DST);
    store<u32>(pkt, nfDnatPort, P_DPORT);
    pendStatus |= CS_DNAT;
    pendReplySrc = nfDnatAddr;
    pendReplyPorts = (nfDnatPort << 16) | (pendReplyPorts & 0xffff);
    hop(n, ns, K_NETFILTER, A_DNAT, X_NONE, inIf, NONE, D_RULE, rule, walked, pkt);
  }
}

/** nat POSTROUTING (masquerade) for a new connection, then confirm it in conntrack. */
function conntrackOut(ns: u32, pkt: usize, oif: u32, dstLocal: bool): bool {
  if (!pendActive) return true;
  const n = nodeOf(ns);
  nfWalk(hookChain(H_NAT_POSTROUTING), pkt, true, dstLocal);
  if (nfMasquerade) {
    const walked = nfWalked;
    const rule = nfRule;
    // MASQUERADE --random-fully: the outgoing interface's address, a random source port.
    const addr: u32 = oif == NONE ? 0 : load<u32>(iface(oif), IF_ADDR);
    const port = 1024 + random32() % (65536 - 1024);
    store<u32>(pkt, addr, P_SRC);
    store<u32>(pkt, port, P_SPORT);
    pendStatus |= CS_SNAT;
    pendReplyDst = addr;
    pendReplyPorts = (pendReplyPorts & 0xffff0000) | port;
    hop(n, ns, K_NETFILTER, A_SNAT, X_NONE, NONE, oif, D_RULE, rule, walked, pkt);
  }
  pendActive = false;
  const timeout = ctAdvance(pendStatus, pkt, false);
  const e = ctInsert(pendSrc, pendDst, pendPorts, pendKey, pendReplySrc, pendReplyDst, pendReplyPorts, nextStatus, timeout);
  if (e != NONE && (nextStatus & CS_IPVS)) store<u32>(ctEntry(e), pendIpvsRs, CT_IPVS_RS);
  return e != NONE;
}

/** The interface that answers ARP for `ip` on `oif`'s L2 segment, or NONE. */
function neighbour(oif: u32, ip: u32): u32 {
  const t = ifaceByAddr(ip);
  // A bridge port's segment is its bridge's; a pod's eth0 is on the segment of its veth peer's bridge.
  if (t != NONE && segmentOf(t) == segmentOf(oif)) return t;
  // Proxy ARP (Calico's host veths): the far end of a veth answers for an address its own
  // namespace routes out another interface (arp_process → arp_fwd_proxy), such as the
  // pods' gateway 169.254.1.1, which no interface holds.
  if (load<u32>(iface(oif), IF_KIND) == IF_VETH) {
    const peer = load<u32>(iface(oif), IF_PEER);
    if ((load<u32>(iface(peer), IF_FLAGS) & IFF_PROXY_ARP) != 0) {
      const nsp = netns(load<u32>(iface(peer), IF_NETNS));
      const r = fibLookup(<usize>load<u32>(nsp, NS_FIB), ip);
      if (r >= 0) {
        const out = load<u32>(<usize>load<u32>(nsp, NS_ROUTES) + <usize>r * RT_BYTES, RT_OIF);
        if (out != NONE && out != peer) return peer;
      }
    }
  }
  return NONE;
}

/**
 * The source of an ICMP error `ns` sends to `to` (icmp_send with no source, then the route's
 * preferred source, inet_select_addr): the address of the interface the route leaves by; for
 * an interface without one (a Calico veth) the first address among the namespace's
 * interfaces, on a node its eth0's.
 */
export function errorSource(ns: u32, to: u32): u32 {
  const nsp = netns(ns);
  const route = fibLookup(<usize>load<u32>(nsp, NS_FIB), to);
  if (route < 0) return 0;
  const oif = load<u32>(<usize>load<u32>(nsp, NS_ROUTES) + <usize>route * RT_BYTES, RT_OIF);
  const addr: u32 = oif == NONE ? 0 : load<u32>(iface(oif), IF_ADDR);
  if (addr != 0 || load<u32>(nsp, NS_KIND) == NS_POD) return addr;
  return load<u32>(iface(load<u32>(node(nodeOf(ns)), N_ETH)), IF_ADDR);
}

function segmentOf(i: u32): u32 {
  const f = iface(i);
  if (load<u32>(f, IF_KIND) == IF_VETH) {
    const master = load<u32>(f, IF_MASTER);
    if (master != NONE) return load<u32>(iface(master), IF_SEGMENT);
    const peerMaster = load<u32>(iface(load<u32>(f, IF_PEER)), IF_MASTER);
    if (peerMaster != NONE) return load<u32>(iface(peerMaster), IF_SEGMENT);
  }
  return load<u32>(f, IF_SEGMENT);
}

/**
 * The Ethernet header a routed packet leaves with: the outgoing interface's MAC, the next
 * hop's (NONE: not resolved, all zeros, as the kernel has no frame to send).
 */
@inline function setMacs(pkt: usize, from: u32, to: u32): void {
  store<u32>(pkt, load<u32>(iface(from), IF_MAC_HI), P_SMAC_HI);
  store<u32>(pkt, load<u32>(iface(from), IF_MAC_LO), P_SMAC_LO);
  store<u32>(pkt, to == NONE ? 0 : load<u32>(iface(to), IF_MAC_HI), P_DMAC_HI);
  store<u32>(pkt, to == NONE ? 0 : load<u32>(iface(to), IF_MAC_LO), P_DMAC_LO);
}

/** Is `addr` an address of namespace `ns`? (In IPVS mode a node's own include the ClusterIPs on kube-ipvs0.) */
@inline function isLocal(ns: u32, addr: u32): bool {
  const t = ifaceByAddr(addr);
  if (t != NONE) return load<u32>(iface(t), IF_NETNS) == ns;
  return vsCount != 0 && load<u32>(netns(ns), NS_KIND) != NS_POD && ipvsBound(addr);
}

// A direct-mapped cache of route lookups by (namespace, destination), like the per-socket
// route caches that spare the kernel a FIB walk per packet. Tables never change after a load,
// so a hit is always right; the cache is emptied at every load.
const ROUTE_CACHE_SLOTS: u32 = 1 << 16;
const RC_BYTES: usize = 20;
let routeCache: usize = 0; // [ns + 1, dst, local, route, neighbour] per slot

export function routeCacheInit(): void {
  routeCache = arenaAlloc(<usize>ROUTE_CACHE_SLOTS * RC_BYTES);
}

// Results of resolve()
let rcLocal: bool = false;
let rcRoute: i32 = -1;
let rcPeer: u32 = NONE;

/** Is `dst` local to `ns`, which route leads to it, and which interface answers ARP for its next hop. */
function resolve(ns: u32, nsp: usize, dst: u32): void {
  let h = (dst ^ (ns * 0x9e3779b1)) * 0x85ebca6b;
  h ^= h >>> 15;
  const slot = routeCache + <usize>(h & (ROUTE_CACHE_SLOTS - 1)) * RC_BYTES;
  if (load<u32>(slot) == ns + 1 && load<u32>(slot, 4) == dst) {
    rcLocal = load<u32>(slot, 8) != 0;
    rcRoute = load<i32>(slot, 12);
    rcPeer = load<u32>(slot, 16);
    return;
  }
  rcLocal = isLocal(ns, dst);
  rcRoute = fibLookup(<usize>load<u32>(nsp, NS_FIB), dst);
  rcPeer = NONE;
  if (rcRoute >= 0) {
    const rt = <usize>load<u32>(nsp, NS_ROUTES) + <usize>rcRoute * RT_BYTES;
    const gw = load<u32>(rt, RT_GATEWAY);
    const oif = load<u32>(rt, RT_OIF);
    rcPeer = oif == NONE ? NONE : neighbour(oif, gw != 0 ? gw : dst); // a blackhole has no device
  }
  store<u32>(slot, ns + 1);
  store<u32>(slot, dst, 4);
  store<u32>(slot, rcLocal ? 1 : 0, 8);
  store<i32>(slot, rcRoute, 12);
  store<u32>(slot, rcPeer, 16);
}

// States of the loop
const S_ORIGINATE: u32 = 1;
const S_XMIT: u32 = 2;
const S_RX: u32 = 3;
const S_INPUT: u32 = 4;
const S_IPVS: u32 = 5; // IPVS translated it at LOCAL_IN and sends it on (ip_vs_nat_xmit)

/**
 * Forwards the packet at `pkt` from namespace `from`, where it was created. Returns a
 * V_* verdict; endNetns / endReason say where and why it ended.
 */
export function forward(pkt: usize, from: u32): u32 {
  const origin = nodeOf(from);
  let state = S_ORIGINATE;
  let ns = from;
  let cur: u32 = NONE; // the interface in play
  let inIf: u32 = NONE;
  pendActive = false;
  fragMtu = 0;
  ipvsConn = NONE;
  ipvsReplyConn = NONE;
  // A new packet (a request, its reply, a DNS answer, an ICMP error) has no Ethernet header
  // until it is routed: nothing is left over from the packet before.
  store<u32>(pkt, 0, P_SMAC_HI);
  store<u32>(pkt, 0, P_SMAC_LO);
  store<u32>(pkt, 0, P_DMAC_HI);
  store<u32>(pkt, 0, P_DMAC_LO);
  for (let step: u32 = 0; step < MAX_STEPS; step++) {
    if (state == S_ORIGINATE || state == S_INPUT || state == S_IPVS) {
      const n = nodeOf(ns);
      nfAt(n);
      const nsp = netns(ns);
      const host = load<u32>(nsp, NS_KIND) != NS_POD;
      const originating = state == S_ORIGINATE;
      const ipvsOut = state == S_IPVS;
      const preDst = load<u32>(pkt, P_DST); // br_netfilter's nf_bridge->ipv4_daddr
      if (host && !ipvsOut) conntrackIn(ns, pkt, originating ? H_NAT_OUTPUT : H_NAT_PREROUTING, inIf);
      const dst = load<u32>(pkt, P_DST);
      resolve(ns, nsp, dst);
      if (rcLocal) {
        if (host) {
          if (!ipvsOut) {
            // Local delivery on the node: filter INPUT (kube-proxy's firewall chains).
            const v = nfWalk(hookChain(H_FILTER_INPUT), pkt, pendActive, true);
            if (v == NF_REJECT) return reject(ns, pkt, inIf);
            if (v == NF_DROP) return drop(ns, K_NETFILTER, X_RULE_DROP, inIf, NONE, D_RULE, nfRule, pkt);
            if (vsCount != 0) {
              const step = ipvsLocalIn(ns, pkt, inIf, natWalked + nfWalked);
              if (step == IPVS_XMIT) {
                state = S_IPVS;
                continue;
              }
              if (step == IPVS_NODEST) return ipvsReject(ns, pkt, inIf, natWalked + nfWalked + 1);
              if (step == IPVS_NOSCHED) return drop(ns, K_SOCKET, X_NO_SOCKET, inIf, NONE, D_NONE, 0, pkt);
              ipvsUnnat(ns, pkt, inIf, NONE);
            }
          }
          if (pendActive && !conntrackOut(ns, pkt, NONE, true)) return drop(ns, K_CONNTRACK, X_CT_FULL, inIf, NONE, D_NONE, 0, pkt);
        }
        delivered++;
        bytesDelivered += load<u32>(pkt, P_LEN);
        countPair(origin, n);
        endNetns = ns;
        endReason = X_NONE;
        hop(n, ns, host ? K_SOCKET : K_POD, A_DELIVER, X_NONE, inIf, NONE, D_NONE, 0, 0, pkt);
        return V_DELIVERED;
      }
      // A blackhole route (Calico's for a node's own block): discarded at the route lookup,
      // before any TTL is spent, with no ICMP (ip_error ignores EINVAL).
      if (rcRoute >= 0 && load<u32>(<usize>load<u32>(nsp, NS_ROUTES) + <usize>rcRoute * RT_BYTES, RT_OIF) == NONE) {
        return drop(ns, K_ROUTING, X_BLACKHOLE, inIf, NONE, D_ROUTE, <u32>rcRoute, pkt);
      }
      // br_netfilter's bridged DNAT (br_nf_pre_routing_finish): a frame that came in on a port
      // of a bridge (`cur`, still that port) and whose destination PREROUTING rewrote (a
      // Service's DNAT, or conntrack restoring a masqueraded reply's) is not routed when the
      // route to the new destination leaves by that same bridge: it stays bridged, TTL
      // untouched, source MAC the sender's, destination MAC the new destination's neighbour
      // entry (br_nf_pre_routing_finish_bridge). Then the bridge's own path: FDB, FORWARD,
      // POSTROUTING. The FDB may pick the port it came in on (a pod reaching itself): hairpin
      // mode, which flannel's bridge plugin sets on every port (hairpinMode), lets it out there.
      if (!originating && host && dst != preDst && inIf != NONE && load<u32>(iface(inIf), IF_KIND) == IF_BRIDGE && rcRoute >= 0
        && load<u32>(<usize>load<u32>(nsp, NS_ROUTES) + <usize>rcRoute * RT_BYTES, RT_OIF) == inIf) {
        const t = rcPeer;
        if (t == NONE) {
          store<u32>(pkt, 0, P_DMAC_HI);
          store<u32>(pkt, 0, P_DMAC_LO);
          return drop(ns, K_ROUTING, X_NO_NEIGHBOUR, inIf, inIf, D_ROUTE, <u32>rcRoute, pkt);
        }
        const port = load<u32>(iface(t), IF_PEER);
        if (port == NONE || load<u32>(iface(port), IF_MASTER) != inIf) return drop(ns, K_BRIDGE, X_NO_FDB, cur, NONE, D_NONE, 0, pkt);
        store<u32>(pkt, load<u32>(iface(t), IF_MAC_HI), P_DMAC_HI);
        store<u32>(pkt, load<u32>(iface(t), IF_MAC_LO), P_DMAC_LO);
        hop(n, ns, K_BRIDGE, A_BRIDGE, X_NONE, cur, port, D_FDB, t, 1, pkt); // extra 1: bridged DNAT
        const v = nfWalk(hookChain(H_FILTER_FORWARD), pkt, pendActive, false);
        if (v == NF_REJECT) return reject(ns, pkt, inIf);
        if (v == NF_DROP) return drop(ns, K_NETFILTER, X_RULE_DROP, cur, port, D_RULE, nfRule, pkt);
        ipvsUnnat(ns, pkt, cur, port); // a masqueraded (hairpin) IPVS reply: IPVS's FORWARD hook sees it bridged too
        if (!conntrackOut(ns, pkt, inIf, false)) return drop(ns, K_CONNTRACK, X_CT_FULL, cur, port, D_NONE, 0, pkt);
        cur = port;
        state = S_XMIT;
        continue;
      }
      if (!originating) {
        if (!host) return drop(ns, K_POD, X_NO_ROUTE, inIf, NONE, D_NONE, 0, pkt); // pods do not forward
        const ttl = load<u32>(pkt, P_TTL);
        if (ttl <= 1) return drop(ns, K_ROUTING, X_TTL, inIf, NONE, D_NONE, 0, pkt);
        store<u32>(pkt, ttl - 1, P_TTL);
      }
      const route = rcRoute;
      const peer = rcPeer;
      if (route < 0) return drop(ns, K_ROUTING, X_NO_ROUTE, inIf, NONE, D_NONE, 0, pkt);
      const rt = <usize>load<u32>(nsp, NS_ROUTES) + <usize>route * RT_BYTES;
      const oif = load<u32>(rt, RT_OIF);
      // The frame the route builds (neighbour resolution): its record shows the new MACs.
      setMacs(pkt, oif, peer);
      hop(n, ns, host ? K_ROUTING : K_POD, A_ROUTE, X_NONE, inIf, oif, D_ROUTE, <u32>route, 0, pkt);
      if (host) {
        // IPVS's translated packets leave through LOCAL_OUT (ip_vs_nat_send_or_cont): filter OUTPUT.
        const v = nfWalk(hookChain(originating || ipvsOut ? H_FILTER_OUTPUT : H_FILTER_FORWARD), pkt, pendActive, false);
        if (v == NF_REJECT) return reject(ns, pkt, inIf);
        if (v == NF_DROP) return drop(ns, K_NETFILTER, X_RULE_DROP, inIf, oif, D_RULE, nfRule, pkt);
        ipvsUnnat(ns, pkt, inIf, oif);
        if (!conntrackOut(ns, pkt, oif, false)) return drop(ns, K_CONNTRACK, X_CT_FULL, inIf, oif, D_NONE, 0, pkt);
      }
      const oifKind = load<u32>(iface(oif), IF_KIND);
      // tunl0 is NOARP: no neighbour to resolve, the route's gateway is the tunnel's far end.
      if (peer == NONE && oifKind != IF_IPIP) {
        const reason = oifKind == IF_ETH ? X_LEAVES_CLUSTER : X_NO_NEIGHBOUR;
        return drop(ns, K_ROUTING, reason, inIf, oif, D_ROUTE, <u32>route, pkt);
      }
      const mtu = load<u32>(iface(oif), IF_MTU);
      if (load<u32>(pkt, P_LEN) > mtu && (load<u32>(pkt, P_FLAGS) & PF_DF)) {
        // Forwarded: the node answers with ICMP "fragmentation needed" (exchange() sends it).
        // Sent by this namespace itself: the socket gets EMSGSIZE, nothing goes on the wire.
        const v = drop(ns, K_ROUTING, X_FRAG_NEEDED, inIf, oif, D_ROUTE, <u32>route, pkt);
        if (!originating) fragMtu = mtu;
        return v;
      }
      if (oifKind == IF_IPIP) {
        // `ipip any remote any`: the outer destination is the route's next hop (ip_tunnel_xmit, rt_nexthop).
        const gw = load<u32>(rt, RT_GATEWAY);
        tunnelDst = gw != 0 ? gw : load<u32>(pkt, P_DST);
        tunnelRoute = <u32>route;
      }
      cur = oif;
      state = S_XMIT;
      continue;
    }

    if (state == S_XMIT) {
      const f = iface(cur);
      const kind = load<u32>(f, IF_KIND);
      const n = nodeOf(ns);
      if (kind == IF_VETH) {
        const peer = load<u32>(f, IF_PEER);
        hop(n, ns, K_VETH, A_XMIT, X_NONE, NONE, cur, D_NONE, peer, 0, pkt);
        inIf = peer;
        ns = load<u32>(iface(peer), IF_NETNS);
        cur = peer;
        state = S_RX;
        continue;
      }
      if (kind == IF_BRIDGE) {
        // The node sends into its bridge: the FDB says which port has the destination MAC.
        const t = ifaceByMac(load<u32>(pkt, P_DMAC_HI), load<u32>(pkt, P_DMAC_LO));
        const port = t == NONE ? NONE : load<u32>(iface(t), IF_PEER);
        if (port == NONE || load<u32>(iface(port), IF_MASTER) != cur) return drop(ns, K_BRIDGE, X_NO_FDB, NONE, cur, D_NONE, 0, pkt);
        hop(n, ns, K_BRIDGE, A_BRIDGE, X_NONE, cur, port, D_FDB, t, 0, pkt);
        cur = port;
        continue; // S_XMIT through the veth
      }
      if (kind == IF_VXLAN) {
        // Encapsulate: the FDB maps the inner destination MAC (the peer VTEP's) to its node.
        const vtep = ifaceByMac(load<u32>(pkt, P_DMAC_HI), load<u32>(pkt, P_DMAC_LO));
        if (vtep == NONE || load<u32>(iface(vtep), IF_KIND) != IF_VXLAN) return drop(ns, K_VXLAN, X_NO_FDB, NONE, cur, D_NONE, 0, pkt);
        const remote = node(nodeOf(load<u32>(iface(vtep), IF_NETNS)));
        const remoteEth = load<u32>(remote, N_ETH);
        const localEth = load<u32>(node(n), N_ETH);
        const outerLen = load<u32>(pkt, P_LEN) + VXLAN_OVERHEAD;
        if (outerLen > load<u32>(iface(localEth), IF_MTU)) return drop(ns, K_VXLAN, X_FRAG_NEEDED, NONE, cur, D_NONE, 0, pkt);
        store<u32>(pkt, load<u32>(iface(localEth), IF_ADDR), P_OUTER_SRC);
        store<u32>(pkt, load<u32>(iface(remoteEth), IF_ADDR), P_OUTER_DST);
        store<u32>(pkt, flowSourcePort(pkt), P_OUTER_SPORT);
        store<u32>(pkt, load<u32>(f, IF_PORT), P_OUTER_DPORT);
        store<u32>(pkt, load<u32>(f, IF_VNI), P_VNI);
        store<u32>(pkt, 64, P_OUTER_TTL);
        store<u32>(pkt, load<u32>(pkt, P_FLAGS) | PF_ENCAP, P_FLAGS);
        encapBytes += VXLAN_OVERHEAD;
        hop(n, ns, K_VXLAN, A_ENCAP, X_NONE, NONE, cur, D_FDB, vtep, 0, pkt);
        // The outer packet leaves by the underlay NIC (its route is the node network's) in an
        // outer frame eth0 → the peer's eth0, which the record does not hold: its MACs stay
        // the inner frame's (flannel.1 → the peer's flannel.1) until the peer routes it.
        cur = localEth;
        continue; // S_XMIT on eth0
      }
      if (kind == IF_IPIP) {
        // Encapsulate in an outer IPv4 header, protocol 4: from this node's address to the
        // next hop, TTL inherited from the inner packet (tunl0: `ttl inherit`), DF copied from
        // it. tunl0 has no link layer: the record's MACs stay zero until the peer routes it.
        const t = ifaceByAddr(tunnelDst);
        if (t == NONE || load<u32>(iface(t), IF_KIND) != IF_ETH) return drop(ns, K_IPIP, X_LEAVES_CLUSTER, NONE, cur, D_ROUTE, tunnelRoute, pkt);
        const localEth = load<u32>(node(n), N_ETH);
        if (load<u32>(pkt, P_LEN) + IPIP_OVERHEAD > load<u32>(iface(localEth), IF_MTU) && (load<u32>(pkt, P_FLAGS) & PF_DF)) {
          return drop(ns, K_IPIP, X_FRAG_NEEDED, NONE, cur, D_ROUTE, tunnelRoute, pkt);
        }
        store<u32>(pkt, load<u32>(iface(localEth), IF_ADDR), P_OUTER_SRC);
        store<u32>(pkt, tunnelDst, P_OUTER_DST);
        store<u32>(pkt, 0, P_OUTER_SPORT);
        store<u32>(pkt, 0, P_OUTER_DPORT);
        store<u32>(pkt, 0, P_VNI);
        store<u32>(pkt, load<u32>(pkt, P_TTL), P_OUTER_TTL);
        store<u32>(pkt, load<u32>(pkt, P_FLAGS) | PF_ENCAP, P_FLAGS);
        encapBytes += IPIP_OVERHEAD;
        hop(n, ns, K_IPIP, A_ENCAP, X_NONE, NONE, cur, D_ROUTE, tunnelRoute, 0, pkt);
        cur = localEth;
        continue; // S_XMIT on eth0
      }
      if (kind == IF_ETH) {
        // The NIC whose MAC the frame is for: the outer frame's (the node owning the outer
        // destination address, as ARP on the node network finds it) while encapsulated.
        const t = load<u32>(pkt, P_FLAGS) & PF_ENCAP
          ? ifaceByAddr(load<u32>(pkt, P_OUTER_DST))
          : ifaceByMac(load<u32>(pkt, P_DMAC_HI), load<u32>(pkt, P_DMAC_LO));
        if (t == NONE || load<u32>(iface(t), IF_KIND) != IF_ETH) return drop(ns, K_UNDERLAY, X_LEAVES_CLUSTER, NONE, cur, D_NONE, 0, pkt);
        hop(n, ns, K_UNDERLAY, A_WIRE, X_NONE, cur, t, D_FDB, t, 0, pkt);
        inIf = t;
        ns = load<u32>(iface(t), IF_NETNS);
        cur = t;
        state = S_RX;
        continue;
      }
      return drop(ns, K_ROUTING, X_NO_ROUTE, NONE, cur, D_NONE, 0, pkt);
    }

    if (state == S_RX) {
      const f = iface(cur);
      const master = load<u32>(f, IF_MASTER);
      const n = nodeOf(ns);
      nfAt(n);
      if (master != NONE) {
        // A frame into a bridge port. For the bridge's own MAC it goes up to the node's IP stack.
        const t = ifaceByMac(load<u32>(pkt, P_DMAC_HI), load<u32>(pkt, P_DMAC_LO));
        if (t == master) {
          inIf = master;
          state = S_INPUT;
          continue;
        }
        const port = t == NONE ? NONE : load<u32>(iface(t), IF_PEER);
        if (port == NONE || load<u32>(iface(port), IF_MASTER) != master) return drop(ns, K_BRIDGE, X_NO_FDB, cur, NONE, D_NONE, 0, pkt);
        // br_netfilter (bridge-nf-call-iptables=1, which kube-proxy needs): bridged IPv4
        // traffic goes through iptables' PREROUTING, FORWARD and POSTROUTING too.
        conntrackIn(ns, pkt, H_NAT_PREROUTING, master);
        const v = nfWalk(hookChain(H_FILTER_FORWARD), pkt, pendActive, false);
        if (v == NF_REJECT) return reject(ns, pkt, master);
        if (v == NF_DROP) return drop(ns, K_NETFILTER, X_RULE_DROP, cur, port, D_RULE, nfRule, pkt);
        // br_netfilter hands bridged IPv4 to every FORWARD hook, IPVS's (ip_vs_reply4) among them.
        ipvsUnnat(ns, pkt, cur, port);
        if (!conntrackOut(ns, pkt, master, false)) return drop(ns, K_CONNTRACK, X_CT_FULL, cur, port, D_NONE, 0, pkt);
        hop(n, ns, K_BRIDGE, A_BRIDGE, X_NONE, cur, port, D_FDB, t, 0, pkt);
        cur = port;
        state = S_XMIT;
        continue;
      }
      const kind = load<u32>(f, IF_KIND);
      if (kind == IF_ETH && (load<u32>(pkt, P_FLAGS) & PF_ENCAP) != 0 && load<u32>(pkt, P_OUTER_DST) == load<u32>(f, IF_ADDR)) {
        // UDP to the VXLAN port: the kernel's vxlan socket strips the outer headers and the
        // inner packet appears on this node's flannel.1.
        const vx = load<u32>(node(n), N_VXLAN);
        if (vx == NONE || load<u32>(pkt, P_OUTER_DPORT) != load<u32>(iface(vx), IF_PORT)) return drop(ns, K_UNDERLAY, X_NO_ROUTE, cur, NONE, D_NONE, 0, pkt);
        store<u32>(pkt, load<u32>(pkt, P_FLAGS) & ~PF_ENCAP, P_FLAGS);
        // Protocol 4 (outer port 0 in the record) is the ipip module's: it hands the packet to tunl0, whose port is 0 too.
        hop(n, ns, load<u32>(iface(vx), IF_KIND) == IF_IPIP ? K_IPIP : K_VXLAN, A_DECAP, X_NONE, cur, vx, D_NONE, 0, 0, pkt);
        store<u32>(pkt, 0, P_OUTER_SRC);
        store<u32>(pkt, 0, P_OUTER_DST);
        store<u32>(pkt, 0, P_OUTER_SPORT);
        store<u32>(pkt, 0, P_OUTER_DPORT);
        store<u32>(pkt, 0, P_VNI);
        store<u32>(pkt, 0, P_OUTER_TTL);
        inIf = vx;
        state = S_INPUT;
        continue;
      }
      // A plain packet for this NIC's MAC (host-gw's next hop, or traffic to the node itself):
      // up to the node's IP stack, which routes it on (or delivers it).
      inIf = cur;
      state = S_INPUT;
      continue;
    }
  }
  return drop(ns, K_ROUTING, X_LOOP, inIf, NONE, D_NONE, 0, pkt);
}

/** REJECT: the packet ends here; the node will answer with an ICMP error. */
function reject(ns: u32, pkt: usize, inIf: u32): u32 {
  rejected++;
  endNetns = ns;
  endReason = X_REJECTED;
  pendActive = false;
  // The error's source (icmp_send): the rejected packet's destination when that is an address of
  // this namespace (a local route), else the address of the interface facing the sender.
  const dst = load<u32>(pkt, P_DST);
  rejectAddr = isLocal(ns, dst) ? dst : errorSource(ns, load<u32>(pkt, P_SRC));
  hop(nodeOf(ns), ns, K_NETFILTER, A_REJECT, X_REJECTED, inIf, NONE, D_RULE, nfRule, nfWalked, pkt);
  return V_REJECTED;
}

// ---- IPVS (kube-proxy's IPVS mode) -----------------------------------------------------------

const IPVS_PASS: u32 = 0; // not for a virtual server: the local stack takes it
const IPVS_XMIT: u32 = 1; // translated: sent on to the real server
const IPVS_NODEST: u32 = 2; // a virtual server without a real server: ICMP port unreachable, dropped
const IPVS_NOSCHED: u32 = 3; // TCP that is not a SYN, with no connection: nothing schedules it
let ipvsNoDest: u32 = NONE;

/** A real server's connection counters as a hop records them: ActiveConn << 16 | InActConn. */
@inline function ipvsCounts(n: u32, r: u32): u32 {
  return (min<u32>(rsActive(n, r), 0xffff) << 16) | min<u32>(rsInactive(n, r), 0xffff);
}

/**
 * set_tcp_state's effect on the connection counters (ip_vs_proto_tcp.c tcp_states): an ACK
 * without SYN takes SYN_RECV to ESTABLISHED (active), a SYN changes nothing, a RST or a segment
 * without these flags leaves ESTABLISHED (inactive). UDP connections stay inactive.
 */
function ipvsTcpState(n: u32, c: usize, r: u32, pkt: usize): void {
  if (load<u32>(pkt, P_PROTO) != PROTO_TCP) return;
  const f = load<u32>(pkt, P_FLAGS);
  const status = load<u32>(c, CT_STATUS);
  const was = (status & CS_IPVS_ACTIVE) != 0;
  const active = f & PF_RST ? false : f & PF_SYN ? was : (f & PF_ACK) != 0;
  if (active == was) return;
  store<u32>(c, active ? status | CS_IPVS_ACTIVE : status & ~CS_IPVS_ACTIVE, CT_STATUS);
  ipvsActivate(n, r, active);
}

/**
 * IPVS at LOCAL_IN (ip_vs_remote_request4, priority NF_IP_PRI_NAT_SRC - 2: after filter INPUT)
 * for a packet to an address of this node: a known connection's packet goes where its first
 * went; a new one to a virtual server is scheduled (one lookup in the virtual-server hash) and
 * its destination rewritten to the real server (Masq), which conntrack records.
 */
function ipvsLocalIn(ns: u32, pkt: usize, inIf: u32, walked: u32): u32 {
  const n = nodeOf(ns);
  if (ipvsConn != NONE) {
    const c = ctEntry(ipvsConn);
    ipvsConn = NONE;
    const r = load<u32>(c, CT_IPVS_RS);
    store<u32>(pkt, load<u32>(c, CT_REPLY_SRC), P_DST);
    store<u32>(pkt, load<u32>(c, CT_REPLY_PORTS) >>> 16, P_DPORT);
    ipvsTcpState(n, c, r, pkt);
    hop(n, ns, K_NETFILTER, A_CT_HIT, ipvsCounts(n, r), inIf, NONE, D_IPVS, r, 0, pkt);
    return IPVS_XMIT;
  }
  if (!pendActive) return IPVS_PASS;
  const dst = load<u32>(pkt, P_DST);
  if (!ipvsBound(dst)) return IPVS_PASS;
  nfCountLookup();
  const v = ipvsFind(dst, vsKey(pkt));
  if (v == NONE) return IPVS_PASS;
  // tcp_conn_schedule: only a SYN (no ACK, RST) opens a connection; sloppy_tcp is off.
  const f = load<u32>(pkt, P_FLAGS);
  if (load<u32>(pkt, P_PROTO) == PROTO_TCP && ((f & PF_SYN) == 0 || (f & (PF_ACK | PF_RST)) != 0)) return IPVS_NOSCHED;
  const d = ipvsSchedule(n, v, pkt);
  if (d == NONE) {
    ipvsNoDest = v;
    return IPVS_NODEST;
  }
  const r = vsFirst(v) + d;
  ipvsBind(n, r);
  store<u32>(pkt, rsAddr(r), P_DST);
  store<u32>(pkt, rsPort(r), P_DPORT);
  pendStatus |= CS_IPVS;
  pendReplySrc = rsAddr(r);
  pendReplyPorts = (rsPort(r) << 16) | (pendReplyPorts & 0xffff);
  pendIpvsRs = r;
  hop(n, ns, K_NETFILTER, A_DNAT, ipvsCounts(n, r), inIf, NONE, D_IPVS, r, (walked + 1) | (ipvsFromTemplate ? 0x80000000 : 0), pkt);
  return IPVS_XMIT;
}

/** ip_vs_reply4 (FORWARD, or LOCAL_IN for the node's own clients): a reply of an IPVS connection gets the virtual server's address back. */
function ipvsUnnat(ns: u32, pkt: usize, inIf: u32, outIf: u32): void {
  if (ipvsReplyConn == NONE) return;
  const c = ctEntry(ipvsReplyConn);
  ipvsReplyConn = NONE;
  const n = nodeOf(ns);
  const r = load<u32>(c, CT_IPVS_RS);
  store<u32>(pkt, load<u32>(c, CT_ORIG_DST), P_SRC);
  store<u32>(pkt, load<u32>(c, CT_ORIG_PORTS) & 0xffff, P_SPORT);
  ipvsTcpState(n, c, r, pkt);
  hop(n, ns, K_NETFILTER, A_UNNAT, ipvsCounts(n, r), inIf, outIf, D_IPVS, r, 0, pkt);
}

/**
 * ip_vs_leave: a virtual server with no real server answers with ICMP port unreachable and
 * drops the packet; icmp_send takes the local destination, the ClusterIP, as the error's source.
 */
function ipvsReject(ns: u32, pkt: usize, inIf: u32, walked: u32): u32 {
  rejected++;
  endNetns = ns;
  endReason = X_REJECTED;
  pendActive = false;
  rejectAddr = load<u32>(pkt, P_DST);
  hop(nodeOf(ns), ns, K_NETFILTER, A_REJECT, X_REJECTED, inIf, NONE, D_IPVS_VS, ipvsNoDest, walked, pkt);
  return V_REJECTED;
}

/**
 * The outer UDP source port: a hash of the inner flow scaled into the local port range
 * 32768-60999, like udp_flow_src_port(), so one flow keeps one port and flows spread.
 */
function flowSourcePort(pkt: usize): u32 {
  let h: u32 = 0x9747b28c;
  h = (h ^ load<u32>(pkt, P_SRC)) * 0x5bd1e995;
  h = (h ^ load<u32>(pkt, P_DST)) * 0x5bd1e995;
  h = (h ^ ((load<u32>(pkt, P_SPORT) << 16) | load<u32>(pkt, P_DPORT))) * 0x5bd1e995;
  h = (h ^ load<u32>(pkt, P_PROTO)) * 0x5bd1e995;
  h ^= h >>> 13;
  return 32768 + <u32>((<u64>h * <u64>(60999 - 32768)) >>> 32);
}
