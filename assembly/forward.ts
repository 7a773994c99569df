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
  N_ETH, N_FLAGS, N_HOST, N_VXLAN, NFL_BR_NETFILTER_OFF, NONE, NS_KIND, NS_NODE, NS_POD, X_NO_CONNECTION,
  P_DMAC_HI, P_DMAC_LO, P_DPORT, P_DST, P_FLAGS, P_LEN, P_OUTER_DPORT, P_OUTER_DST, P_OUTER_SPORT, P_OUTER_SRC, P_OUTER_TTL, P_PROTO,
  P_ICMP, P_MARK, P_SMAC_HI, P_SMAC_LO, P_SPORT, P_SRC, P_TTL, P_VNI, PF_DF, PF_ENCAP, PF_FIN, PF_SYN, PROTO_ICMP, PROTO_TCP, PROTO_UDP,
  A_REDIRECT, A_SOCK_LB, A_TO_STACK, D_EP, D_LB, D_LB_FE, D_TUNNEL, IFF_BPF_HOST, IFF_BPF_LXC, IFF_BPF_NETDEV, IFF_BPF_OVERLAY, K_BPF, K_SOCK_LB,
  LB_PER_PACKET, LB_SOCKET, N_POD_LEN, N_POD_NET, PF_CONNECTED, PROG_AFFINITY, PROG_FROM_CONTAINER, PROG_FROM_HOST, PROG_FROM_NETDEV,
  PROG_FROM_OVERLAY, PROG_LOOPBACK, PROG_SOCK_CONNECT, PROG_SOCK_RECVMSG, PROG_SOCK_SENDMSG, X_NO_BACKEND, X_NO_ENDPOINT,
  V_DELIVERED, V_DROPPED, V_REJECTED,
  X_BLACKHOLE, X_CT_FULL, X_FRAG_NEEDED, X_LEAVES_CLUSTER, X_LOOP, X_NO_FDB, X_NO_NEIGHBOUR, X_NO_ROUTE, X_NODE_DOWN, X_NONE, X_REJECTED, X_RULE_DROP, X_TTL, X_POLICY_DENIED, X_REASONS, K_POLICY, A_ALLOW, M_VERDICT, R_FLAGS, D_POLICY, POL_EGRESS, POL_INGRESS, PF_POLICY_SKIP,
} from "./abi";
import {
  CS_DNAT, CS_SEEN_REPLY, CS_SNAT, CT_ORIG_DST, CT_ORIG_PORTS, CT_ORIG_SRC, CT_REPLY_DST, CT_REPLY_PORTS, CT_REPLY_SRC, CT_STATUS,
  CS_ASSURED, ctEntry, ctInsert, ctKill, ctLookup, ctRefresh, foundDir, TCP_ESTABLISHED, TCP_SHIFT, TCP_SYN_RECV, TCP_SYN_SENT,
  CS_IPVS, CS_IPVS_ACTIVE, CT_IPVS_RS, TCP_CLOSE_WAIT, TCP_FIN_WAIT, TCP_LAST_ACK, TCP_TIME_WAIT,
  TIMEOUT_ICMP, TIMEOUT_TCP_CLOSE_WAIT, TIMEOUT_TCP_ESTABLISHED, TIMEOUT_TCP_FIN_WAIT, TIMEOUT_TCP_LAST_ACK, TIMEOUT_TCP_SYN_RECV, TIMEOUT_TCP_SYN_SENT, TIMEOUT_TCP_TIME_WAIT, TIMEOUT_UDP,
} from "./conntrack";
import { routeGateway, routeLookup, routeMtu, routeOif } from "./routing";
import { hookChain, NF_DROP, NF_REJECT, nfAt, nfCountLookup, nfDnatAddr, nfDnatPort, nfMasquerade, nfRule, nfVerdict, nfVerdictCount, nfWalk, nfWalked } from "./netfilter";
import { ipvsActivate, ipvsBind, ipvsBound, ipvsFind, ipvsFromTemplate, ipvsSchedule, rsActive, rsAddr, rsInactive, rsPort, vsCount, vsFirst, vsKey } from "./ipvs";
import { hop } from "./trace";
import {
  beAddr, bePort, feAddr, feAffinity, feBackends, feFirst, fePort, K_AFFINITY, K_CT, K_REVCT, K_REVSK, K_SOCK, lbFind, lbMode, podCidrNode, stateFind, stateGet, stateSet,
} from "./cilium";
import { arenaAlloc } from "./arena";
import { identityOf, policyActive, policyIsReply, policyLookup, policyRemember, policyTracked, POLICY_ALLOW_ALL, POLICY_DENIED } from "./policy";
import { iface, ifaceByAddr, ifaceByMac, netns, node, nodeCount, now, random32, rule, seedValue } from "./state";

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
// The address and port the last forward()'s packet left its socket for (after Cilium's socket
// LB, before any NAT on the way): the peer the client's socket is connected to.
export let sentDst: u32 = 0;
export let sentDport: u32 = 0;
// The client socket an answer is for (expectReply): delivered to namespace expectNs, a TCP or UDP
// packet must come from expectSrc:expectSport, else no socket takes it (X_NO_CONNECTION).
let expectNs: u32 = NONE;
let expectSrc: u32 = 0;
let expectSport: u32 = 0;

/** The next forward()s are answers for the socket in `ns` that sent to `src`:`sport` (NONE: none). */
export function expectReply(ns: u32, src: u32, sport: u32): void {
  expectNs = ns;
  expectSrc = src;
  expectSport = sport;
}
// The IP-in-IP packet being sent: its outer destination (the route's gateway) and that route.
let tunnelDst: u32 = 0;
let tunnelRoute: u32 = 0;

export function dropCountOf(reason: u32): u64 {
  return load<u64>(dropReasons + (<usize>(reason & (X_REASONS - 1)) << 3));
}

// Counters (batch statistics)
export let delivered: u64 = 0;
export let dropped: u64 = 0;
export let rejected: u64 = 0;
export let bytesDelivered: u64 = 0;
export let encapBytes: u64 = 0;
// Static memory, below the arena (a runtime allocation would land inside it: the arena starts
// at __heap_base, where the stub runtime allocates too).
const dropReasons: usize = memory.data(X_REASONS * 8, 8);

// Delivered packets per (origin node, delivery node): a hash map with fixed capacity, since
// a dense matrix of 5,000 × 5,000 nodes would not fit. Pairs beyond capacity are counted apart.
// It takes at most PAIR_MAX pairs (3/4 full), so a probe always meets an empty slot soon:
// a full table would scan all of it for every packet of a pair it does not hold.
const PAIR_SLOTS: u32 = 1 << 16;
export const PAIR_MAX: u32 = (PAIR_SLOTS >> 2) * 3;
let pairKeys: usize = 0; // (src << 16 | dst) + 1
let pairCounts: usize = 0;
let pairUsed: u32 = 0;
export let pairOverflow: u64 = 0;

// Nodes that have failed (a byte each): frames sent to them are lost.
let nodeDown: usize = 0;

export function nodeDownInit(): void {
  nodeDown = arenaAlloc(<usize>nodeCount + 1);
  memory.fill(nodeDown, 0, <usize>nodeCount + 1);
}

/** Marks node `n` failed (or back up); out-of-range nodes are ignored. */
export function setNodeDown(n: u32, down: bool): void {
  if (n < nodeCount) store<u8>(nodeDown + <usize>n, down ? 1 : 0);
}

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
      if (k == 0) {
        if (pairUsed >= PAIR_MAX) break;
        pairUsed++;
        store<u32>(pairKeys + <usize>s * 4, key);
      }
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
  pairUsed = 0;
  delivered = 0;
  dropped = 0;
  rejected = 0;
  bytesDelivered = 0;
  encapBytes = 0;
  memory.fill(dropReasons, 0, X_REASONS * 8);
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

/** The node namespace `ns` belongs to (batch statistics: same-node or cross-node connections). */
export function nodeOfNetns(ns: u32): u32 {
  return nodeOf(ns);
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
  // nf_conntrack_proto_tcp.c tcp_conntracks, for the packets simulated: the handshake, and the
  // close FIN → FIN-ACK → ACK (FIN_WAIT, LAST_ACK, then TIME_WAIT for two minutes).
  if (state == 0) state = flags & PF_SYN ? TCP_SYN_SENT : TCP_ESTABLISHED; // a new connection (or one picked up mid-stream)
  else if (state == TCP_SYN_SENT && replyDir && (flags & PF_SYN)) state = TCP_SYN_RECV;
  else if (state == TCP_SYN_RECV && !replyDir && !(flags & PF_SYN)) state = TCP_ESTABLISHED;
  else if (flags & PF_FIN) {
    if (state == TCP_ESTABLISHED) state = replyDir ? TCP_CLOSE_WAIT : TCP_FIN_WAIT;
    else if (state == TCP_FIN_WAIT || state == TCP_CLOSE_WAIT) state = TCP_LAST_ACK;
  } else if (state == TCP_LAST_ACK && (flags & PF_ACK)) state = TCP_TIME_WAIT;
  s = (s & ~(15 << TCP_SHIFT)) | (state << TCP_SHIFT);
  if (state == TCP_ESTABLISHED) s |= CS_ASSURED;
  nextStatus = s;
  switch (state) {
    case TCP_SYN_SENT: return TIMEOUT_TCP_SYN_SENT;
    case TCP_SYN_RECV: return TIMEOUT_TCP_SYN_RECV;
    case TCP_FIN_WAIT: return TIMEOUT_TCP_FIN_WAIT;
    case TCP_CLOSE_WAIT: return TIMEOUT_TCP_CLOSE_WAIT;
    case TCP_LAST_ACK: return TIMEOUT_TCP_LAST_ACK;
    case TCP_TIME_WAIT: return TIMEOUT_TCP_TIME_WAIT;
  }
  return TIMEOUT_TCP_ESTABLISHED;
}

function drop(ns: u32, component: u32, reason: u32, inIf: u32, outIf: u32, decider: u32, arg: u32, pkt: usize, extra: u32 = 0): u32 {
  dropped++;
  const slot = dropReasons + (<usize>(reason & (X_REASONS - 1)) << 3);
  store<u64>(slot, load<u64>(slot) + 1);
  endNetns = ns;
  endReason = reason;
  pendActive = false;
  hop(nodeOf(ns), ns, component, A_DROP, reason, inIf, outIf, decider, arg, extra, pkt);
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
  let e = ctLookup(src, dst, pp, key);
  // A SYN meeting its tuple's connection in TIME_WAIT opens a new one (tcp_packet: the old
  // entry is killed and the packet looked up again).
  if (e != NONE && foundDir == 0 && (load<u32>(pkt, P_FLAGS) & PF_SYN) && load<u32>(pkt, P_PROTO) == PROTO_TCP
    && ((load<u32>(ctEntry(e), CT_STATUS) >>> TCP_SHIFT) & 15) == TCP_TIME_WAIT) {
    ctKill(e);
    e = NONE;
  }
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
    // Cilium: cil_from_container's ARP responder (tail_handle_arp) answers the pod for any
    // address but the pod's own with the lxc's MAC.
    if ((load<u32>(iface(peer), IF_FLAGS) & IFF_BPF_LXC) != 0) return ip == load<u32>(iface(oif), IF_ADDR) ? NONE : peer;
    if ((load<u32>(iface(peer), IF_FLAGS) & IFF_PROXY_ARP) != 0) {
      const nsp = netns(load<u32>(iface(peer), IF_NETNS));
      const r = routeLookup(nsp, ip);
      if (r >= 0) {
        const out = routeOif(nsp, r);
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
  const route = routeLookup(nsp, to);
  if (route < 0) return 0;
  const oif = routeOif(nsp, route);
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
  rcRoute = routeLookup(nsp, dst);
  rcPeer = NONE;
  if (rcRoute >= 0) {
    const gw = routeGateway(nsp, rcRoute);
    const oif = routeOif(nsp, rcRoute);
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
export function forward(pkt: usize, from: u32, startIf: u32 = NONE): u32 {
  const origin = nodeOf(from);
  let state = S_ORIGINATE;
  let ns = from;
  let cur: u32 = NONE; // the interface in play
  let inIf: u32 = NONE;
  pendActive = false;
  fragMtu = 0;
  ipvsConn = NONE;
  ipvsReplyConn = NONE;
  rejectIf = NONE;
  // A new packet (a request, its reply, a DNS answer, an ICMP error) has no Ethernet header
  // until it is routed: nothing is left over from the packet before.
  store<u32>(pkt, 0, P_SMAC_HI);
  store<u32>(pkt, 0, P_SMAC_LO);
  store<u32>(pkt, 0, P_DMAC_HI);
  store<u32>(pkt, 0, P_DMAC_LO);
  if (startIf != NONE) {
    // An eBPF program's own answer (Cilium's ICMP for a Service without backends), sent back out
    // the device the request came in on: the request's MACs swapped, the pod's behind the veth.
    setMacs(pkt, startIf, load<u32>(iface(startIf), IF_PEER));
    cur = startIf;
    state = S_XMIT;
  }
  for (let step: u32 = 0; step < MAX_STEPS; step++) {
    if (state == S_ORIGINATE || state == S_INPUT || state == S_IPVS) {
      const n = nodeOf(ns);
      nfAt(n);
      const nsp = netns(ns);
      const host = load<u32>(nsp, NS_KIND) != NS_POD;
      const originating = state == S_ORIGINATE;
      const ipvsOut = state == S_IPVS;
      // Cilium's socket LB: connect()/sendmsg() already named the backend, before any packet.
      if (originating && lbMode == LB_SOCKET) {
        const v = socketLb(ns, pkt);
        if (v != 0) return v;
      }
      if (originating) {
        sentDst = load<u32>(pkt, P_DST);
        sentDport = load<u32>(pkt, P_DPORT);
      }
      const preDst = load<u32>(pkt, P_DST); // br_netfilter's nf_bridge->ipv4_daddr
      if (host && !ipvsOut) conntrackIn(ns, pkt, originating ? H_NAT_OUTPUT : H_NAT_PREROUTING, inIf);
      const dst = load<u32>(pkt, P_DST);
      resolve(ns, nsp, dst);
      if (rcLocal) {
        if (host) {
          if (!ipvsOut) {
            // Local delivery on the node: filter INPUT (kube-proxy's firewall chains).
            const v = filterWalk(H_FILTER_INPUT, ns, pkt, true, inIf, NONE);
            if (v == NF_REJECT) return reject(ns, pkt, inIf);
            if (v == NF_DROP) return ruleDrop(ns, inIf, NONE, pkt);
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
        // An answer for the client's socket must come from the peer it sent to: one that
        // reaches it with another source (a backend's own address, not un-NAT'd by conntrack)
        // finds no socket (__inet_lookup_established misses): TCP answers RST, UDP drops it.
        if (ns == expectNs && load<u32>(pkt, P_PROTO) != PROTO_ICMP && (load<u32>(pkt, P_SRC) != expectSrc || load<u32>(pkt, P_SPORT) != expectSport)) {
          return drop(ns, host ? K_SOCKET : K_POD, X_NO_CONNECTION, inIf, NONE, D_NONE, 0, pkt);
        }
        delivered++;
        bytesDelivered += load<u32>(pkt, P_LEN);
        countPair(origin, n);
        endNetns = ns;
        endReason = X_NONE;
        const revsk = lbMode == LB_SOCKET ? socketRev(ns, pkt) : NONE;
        // extra: the socket-LB frontend (+ 1) a connected TCP socket's peer is shown as.
        hop(n, ns, host ? K_SOCKET : K_POD, A_DELIVER, X_NONE, inIf, NONE, D_NONE, 0, revsk != NONE && load<u32>(pkt, P_PROTO) == PROTO_TCP ? revsk + 1 : 0, pkt);
        if (revsk != NONE && load<u32>(pkt, P_PROTO) == PROTO_UDP) {
          // recvmsg() (cil_sock4_recvmsg): the datagram's source becomes the Service again.
          store<u32>(pkt, feAddr(revsk), P_SRC);
          store<u32>(pkt, fePort(revsk), P_SPORT);
          hop(n, ns, K_SOCK_LB, A_SOCK_LB, X_NONE, NONE, NONE, D_LB_FE, revsk, PROG_SOCK_RECVMSG, pkt);
        }
        return V_DELIVERED;
      }
      // A blackhole route (Calico's for a node's own block): discarded at the route lookup,
      // before any TTL is spent, with no ICMP (ip_error ignores EINVAL).
      if (rcRoute >= 0 && routeOif(nsp, rcRoute) == NONE) {
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
      // With bridge-nf-call-iptables=0 the frame for the bridge's MAC was the IP stack's from the
      // start: PREROUTING's DNAT is then an ordinary routed packet's.
      if (!originating && host && dst != preDst && inIf != NONE && load<u32>(iface(inIf), IF_KIND) == IF_BRIDGE && rcRoute >= 0
        && routeOif(nsp, rcRoute) == inIf && (load<u32>(node(n), N_FLAGS) & NFL_BR_NETFILTER_OFF) == 0) {
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
        const v = filterWalk(H_FILTER_FORWARD, ns, pkt, false, cur, port);
        if (v == NF_REJECT) return reject(ns, pkt, inIf);
        if (v == NF_DROP) return ruleDrop(ns, cur, port, pkt);
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
      const oif = routeOif(nsp, route);
      // The frame the route builds (neighbour resolution): its record shows the new MACs.
      setMacs(pkt, oif, peer);
      hop(n, ns, host ? K_ROUTING : K_POD, A_ROUTE, X_NONE, inIf, oif, D_ROUTE, <u32>route, 0, pkt);
      if (host) {
        // IPVS's translated packets leave through LOCAL_OUT (ip_vs_nat_send_or_cont): filter OUTPUT.
        const v = filterWalk(originating || ipvsOut ? H_FILTER_OUTPUT : H_FILTER_FORWARD, ns, pkt, false, inIf, oif);
        if (v == NF_REJECT) return reject(ns, pkt, inIf);
        if (v == NF_DROP) return ruleDrop(ns, inIf, oif, pkt);
        ipvsUnnat(ns, pkt, inIf, oif);
        if (!conntrackOut(ns, pkt, oif, false)) return drop(ns, K_CONNTRACK, X_CT_FULL, inIf, oif, D_NONE, 0, pkt);
      }
      const oifKind = load<u32>(iface(oif), IF_KIND);
      // tunl0 is NOARP: no neighbour to resolve, the route's gateway is the tunnel's far end.
      if (peer == NONE && oifKind != IF_IPIP) {
        const reason = oifKind == IF_ETH ? X_LEAVES_CLUSTER : X_NO_NEIGHBOUR;
        return drop(ns, K_ROUTING, reason, inIf, oif, D_ROUTE, <u32>route, pkt);
      }
      // A route's MTU metric (Cilium's `mtu 1450`) limits what this namespace sends itself;
      // forwarded packets meet the device's (ip_dst_mtu_maybe_forward: the metric is not locked).
      const rtMtu = routeMtu(nsp, route);
      const mtu = originating && rtMtu != 0 ? rtMtu : load<u32>(iface(oif), IF_MTU);
      if (load<u32>(pkt, P_LEN) > mtu && (load<u32>(pkt, P_FLAGS) & PF_DF)) {
        // Forwarded: the node answers with ICMP "fragmentation needed" (exchange() sends it).
        // Sent by this namespace itself: the socket gets EMSGSIZE, nothing goes on the wire.
        const v = drop(ns, K_ROUTING, X_FRAG_NEEDED, inIf, oif, D_ROUTE, <u32>route, pkt);
        if (!originating) fragMtu = mtu;
        return v;
      }
      if (oifKind == IF_IPIP) {
        // `ipip any remote any`: the outer destination is the route's next hop (ip_tunnel_xmit, rt_nexthop).
        const gw = routeGateway(nsp, route);
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
      if ((load<u32>(f, IF_FLAGS) & IFF_BPF_HOST) != 0) {
        // cil_from_host at cilium_host's tc egress: what the node routes to its pods.
        const b = bpfRoute(ns, pkt, cur, PROG_FROM_HOST, IDENTITY_LOCAL_NODE);
        if (b == BPF_DONE) return bpfVerdict;
        if (b == BPF_PASS) return drop(ns, K_BPF, X_NO_ROUTE, NONE, cur, D_NONE, 0, pkt);
        cur = bpfCur;
        continue; // S_XMIT out of the device the program chose
      }
      if (kind == IF_VETH) {
        const peer = load<u32>(f, IF_PEER);
        hop(n, ns, K_VETH, A_XMIT, X_NONE, NONE, cur, D_NONE, peer, 0, pkt);
        // Into another namespace: skb_scrub_packet clears the mark (Calico's and kube-proxy's bits stay where they were set).
        store<u32>(pkt, 0, P_MARK);
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
        // A failed node: its neighbour entries are still here, so the frame is sent; nothing takes it.
        if (load<u8>(nodeDown + <usize>nodeOf(load<u32>(iface(t), IF_NETNS))) != 0) return drop(ns, K_UNDERLAY, X_NODE_DOWN, NONE, cur, D_NONE, 0, pkt);
        hop(n, ns, K_UNDERLAY, A_WIRE, X_NONE, cur, t, D_FDB, t, 0, pkt);
        store<u32>(pkt, 0, P_MARK); // a mark never leaves its host
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
      const bpfFlags = load<u32>(f, IF_FLAGS);
      if ((bpfFlags & IFF_BPF_LXC) != 0) {
        // cil_from_container at the lxc's tc ingress: the pod's packet never meets a bridge or,
        // unless the program hands it to the stack, the node's routing and netfilter.
        const b = ciliumFromContainer(ns, pkt, cur);
        if (b == BPF_DONE) return bpfVerdict;
        if (b == BPF_XMIT) {
          cur = bpfCur;
          state = S_XMIT;
          continue;
        }
        inIf = cur;
        state = S_INPUT;
        continue;
      }
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
        if ((load<u32>(node(n), N_FLAGS) & NFL_BR_NETFILTER_OFF) != 0) {
          // bridge-nf-call-iptables=0: the bridge forwards the frame by its FDB alone; iptables
          // and conntrack never see it (no DNAT, no filter, no reply's un-NAT).
          hop(n, ns, K_BRIDGE, A_BRIDGE, X_NONE, cur, port, D_FDB, t, 0, pkt);
          cur = port;
          state = S_XMIT;
          continue;
        }
        // br_netfilter (bridge-nf-call-iptables=1, which kube-proxy needs): bridged IPv4
        // traffic goes through iptables' PREROUTING, FORWARD and POSTROUTING too.
        conntrackIn(ns, pkt, H_NAT_PREROUTING, master);
        const v = filterWalk(H_FILTER_FORWARD, ns, pkt, false, cur, port);
        if (v == NF_REJECT) return reject(ns, pkt, master);
        if (v == NF_DROP) return ruleDrop(ns, cur, port, pkt);
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
        if ((load<u32>(iface(vx), IF_FLAGS) & IFF_BPF_OVERLAY) != 0) {
          // cil_from_overlay at cilium_vxlan's tc ingress: delivered to the endpoint by eBPF.
          const b = bpfRoute(ns, pkt, vx, PROG_FROM_OVERLAY, 0);
          if (b == BPF_DONE) return bpfVerdict;
          if (b == BPF_XMIT) {
            cur = bpfCur;
            state = S_XMIT;
          }
        }
        continue;
      }
      if ((bpfFlags & IFF_BPF_NETDEV) != 0 && (load<u32>(pkt, P_FLAGS) & PF_ENCAP) == 0) {
        // cil_from_netdev at the NIC's tc ingress: a packet for a local endpoint (native
        // routing) is delivered by eBPF; the node's own traffic goes up the stack.
        const b = bpfRoute(ns, pkt, cur, PROG_FROM_NETDEV, 0);
        if (b == BPF_DONE) return bpfVerdict;
        if (b == BPF_XMIT) {
          cur = bpfCur;
          state = S_XMIT;
          continue;
        }
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

/**
 * A filter hook's walk for a packet the node routes, delivers or sends; each NetworkPolicy
 * verdict point the walk passed (Calico's allow marks) becomes a hop of its own, in order.
 */
@inline function filterWalk(hook: u32, ns: u32, pkt: usize, dstLocal: bool, inIf: u32, outIf: u32): u32 {
  const v = nfWalk(hookChain(hook), pkt, pendActive, dstLocal, inIf, outIf);
  const count = nfVerdictCount;
  for (let k: u32 = 0; k < count; k++) {
    const r = nfVerdict(k);
    if (v == NF_DROP && r == nfRule) continue; // the drop's own hop shows it
    hop(nodeOf(ns), ns, K_POLICY, A_ALLOW, X_NONE, inIf, outIf, D_RULE, r, 0, pkt);
  }
  return v;
}

/** A filter rule dropped the packet: a NetworkPolicy's verdict when the rule is one (Calico's "Drop if no policies passed packet"). */
function ruleDrop(ns: u32, inIf: u32, outIf: u32, pkt: usize): u32 {
  const policy = (load<u32>(rule(nfRule), R_FLAGS) & M_VERDICT) != 0;
  return drop(ns, policy ? K_POLICY : K_NETFILTER, policy ? X_POLICY_DENIED : X_RULE_DROP, inIf, outIf, D_RULE, nfRule, pkt);
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
  // Once closing (a FIN seen either way), IPVS's state leaves ESTABLISHED for good.
  const closing = ((status >>> TCP_SHIFT) & 15) >= TCP_FIN_WAIT;
  const active = f & (PF_RST | PF_FIN) || closing ? false : f & PF_SYN ? was : (f & PF_ACK) != 0;
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

// ---- Cilium's eBPF datapath (docs/cilium.md) ----------------------------------------------------

const BPF_PASS: u32 = 0; // TC_ACT_OK: the kernel goes on with the packet (its stack, or the device's own transmit)
const BPF_XMIT: u32 = 1; // bpf_redirect: out of bpfCur
const BPF_DONE: u32 = 2; // dropped or answered: bpfVerdict
let bpfCur: u32 = NONE;
let bpfVerdict: u32 = 0;
/** The device an eBPF program sends its own answer back out of (rejected by Cilium), or NONE. */
export let rejectIf: u32 = NONE;
/** LOCAL_NODE_ID: encapsulating the host's own packets, bpf_host marks them as from a remote node (reserved identity 6). */
const IDENTITY_LOCAL_NODE: u32 = 6;
/** --ipv4-service-loopback-address 169.254.42.1. */
const SERVICE_LOOPBACK: u32 = 0xa9fe2a01;

/** The random draw that stands for a socket's cookie: the same socket (namespace, address, port) always gets the same. */
function socketCookie(ns: u32, src: u32, sport: u32): u32 {
  let h = (seedValue ^ 0x5bd1e995) * 0x9e3779b1;
  h = (h ^ ns) * 0x85ebca6b;
  h = (h ^ src) * 0xc2b2ae35;
  h = (h ^ sport) * 0x27d4eb2f;
  return h ^ (h >>> 15);
}

/**
 * ClientIP affinity (cilium_lb4_affinity): the backend this client got within the timeout, or
 * NONE. The socket LB keys it by the client's network namespace, per-packet LB by its address.
 */
function affinityGet(n: u32, f: u32, client: u32): u32 {
  const timeout = feAffinity(f);
  if (timeout == 0) return NONE;
  const r = stateFind(K_AFFINITY | n, f, client, 0, 0, false);
  if (r == 0 || now - stateGet(r, 1) > timeout) return NONE;
  stateSet(r, 1, now);
  return stateGet(r, 0) - 1;
}

function affinitySet(n: u32, f: u32, client: u32, b: u32): void {
  if (feAffinity(f) == 0) return;
  const r = stateFind(K_AFFINITY | n, f, client, 0, 0, true);
  stateSet(r, 0, b + 1);
  stateSet(r, 1, now);
}

/**
 * The socket LB (bpf_sock.c __sock4_xlate_fwd, in cil_sock4_connect or cil_sock4_sendmsg): the
 * address the application named is a frontend, so the socket is pointed at one of its backends
 * before any packet exists: slot (random for TCP, the socket cookie for UDP) % backends + 1. A
 * connected socket keeps it. Returns 0 (go on) or the verdict when the call fails.
 */
function socketLb(ns: u32, pkt: usize): u32 {
  const proto = load<u32>(pkt, P_PROTO);
  if (proto != PROTO_TCP && proto != PROTO_UDP) return 0; // sock_proto_enabled: TCP and UDP only
  const src = load<u32>(pkt, P_SRC);
  const dst = load<u32>(pkt, P_DST);
  const sport = load<u32>(pkt, P_SPORT);
  const dport = load<u32>(pkt, P_DPORT);
  const connected = proto == PROTO_TCP || (load<u32>(pkt, P_FLAGS) & PF_CONNECTED) != 0;
  const sock = stateFind(K_SOCK | ns, src, dst, (sport << 16) | dport, proto, false);
  if (sock != 0) {
    // send() on a connected socket: it is connected to the backend already, no program runs.
    const b = stateGet(sock, 0) - 1;
    store<u32>(pkt, beAddr(b), P_DST);
    store<u32>(pkt, bePort(b), P_DPORT);
    return 0;
  }
  const f = lbFind(dst, (proto << 16) | dport);
  if (f == NONE) return 0;
  nfCountLookup(); // the one lookup in the service map
  const n = nodeOf(ns);
  const count = feBackends(f);
  // svc->count == 0: -EHOSTUNREACH, and the call fails before anything is sent.
  if (count == 0) return drop(ns, K_SOCK_LB, X_NO_BACKEND, NONE, NONE, D_LB_FE, f, pkt);
  let prog: u32 = connected ? PROG_SOCK_CONNECT : PROG_SOCK_SENDMSG;
  let b = affinityGet(n, f, ns);
  if (b != NONE) prog |= PROG_AFFINITY;
  else {
    const slot = (proto == PROTO_TCP ? random32() : socketCookie(ns, src, sport)) % count;
    b = feFirst(f) + slot;
    affinitySet(n, f, ns, b);
  }
  if (connected) stateSet(stateFind(K_SOCK | ns, src, dst, (sport << 16) | dport, proto, true), 0, b + 1);
  // sock4_update_revnat: what recvmsg() and getpeername() translate back.
  stateSet(stateFind(K_REVSK | ns, beAddr(b), src, (bePort(b) << 16) | sport, proto, true), 0, f + 1);
  store<u32>(pkt, beAddr(b), P_DST);
  store<u32>(pkt, bePort(b), P_DPORT);
  hop(n, ns, K_SOCK_LB, A_SOCK_LB, X_NONE, NONE, NONE, D_LB, b, prog, pkt);
  return 0;
}

/** A packet delivered to a socket the socket LB translated: its frontend, or NONE. */
function socketRev(ns: u32, pkt: usize): u32 {
  const proto = load<u32>(pkt, P_PROTO);
  if (proto != PROTO_TCP && proto != PROTO_UDP) return NONE;
  const r = stateFind(K_REVSK | ns, load<u32>(pkt, P_SRC), load<u32>(pkt, P_DST), (load<u32>(pkt, P_SPORT) << 16) | load<u32>(pkt, P_DPORT), proto, false);
  return r == 0 ? NONE : stateGet(r, 0) - 1;
}

/**
 * Per-packet LB in bpf_lxc (kube-proxy still runs): a new connection to a frontend gets a random
 * backend (LB_SELECTION_RANDOM: prandom % backends + 1), kept in Cilium's conntrack; its later
 * packets get the same one. A Service without backends is answered with ICMP port unreachable
 * from the frontend (service-no-backend-response=reject). Returns false when it rejected.
 */
function perPacketLb(n: u32, ns: u32, pkt: usize, lxc: u32): bool {
  const proto = load<u32>(pkt, P_PROTO);
  if (proto != PROTO_TCP && proto != PROTO_UDP) return true;
  const src = load<u32>(pkt, P_SRC);
  const dst = load<u32>(pkt, P_DST);
  const ports = (load<u32>(pkt, P_SPORT) << 16) | load<u32>(pkt, P_DPORT);
  const ct = stateFind(K_CT | n, src, dst, ports, proto, false);
  if (ct != 0) {
    const b = stateGet(ct, 0) - 1;
    store<u32>(pkt, beAddr(b), P_DST);
    store<u32>(pkt, bePort(b), P_DPORT);
    if (stateGet(ct, 1) != 0) store<u32>(pkt, SERVICE_LOOPBACK, P_SRC);
    hop(n, ns, K_BPF, A_CT_HIT, X_NONE, lxc, NONE, D_LB, b, PROG_FROM_CONTAINER, pkt);
    return true;
  }
  const f = lbFind(dst, (proto << 16) | load<u32>(pkt, P_DPORT));
  if (f == NONE) return true;
  nfCountLookup(); // the one lookup in the service map
  const count = feBackends(f);
  if (count == 0) {
    rejected++;
    endNetns = ns;
    endReason = X_REJECTED;
    pendActive = false;
    rejectAddr = dst;
    rejectIf = lxc;
    hop(n, ns, K_BPF, A_REJECT, X_REJECTED, lxc, NONE, D_LB_FE, f, PROG_FROM_CONTAINER, pkt);
    return false;
  }
  let prog: u32 = PROG_FROM_CONTAINER;
  let b = affinityGet(n, f, src);
  if (b != NONE) prog |= PROG_AFFINITY;
  else {
    b = feFirst(f) + random32() % count;
    affinitySet(n, f, src, b);
  }
  // The client reaching itself through the Service: it would see its own address as the
  // source, so the source becomes the service loopback address (lb4_local: loopback).
  const loopback = beAddr(b) == src;
  if (loopback) prog |= PROG_LOOPBACK;
  const sent = loopback ? SERVICE_LOOPBACK : src;
  const c = stateFind(K_CT | n, src, dst, ports, proto, true);
  stateSet(c, 0, b + 1);
  stateSet(c, 1, loopback ? 1 : 0);
  const rev = stateFind(K_REVCT | n, beAddr(b), sent, (bePort(b) << 16) | (ports >>> 16), proto, true);
  stateSet(rev, 0, f + 1);
  stateSet(rev, 1, src);
  store<u32>(pkt, beAddr(b), P_DST);
  store<u32>(pkt, bePort(b), P_DPORT);
  store<u32>(pkt, sent, P_SRC);
  hop(n, ns, K_BPF, A_DNAT, X_NONE, lxc, NONE, D_LB, b, prog, pkt);
  return true;
}

/** Per-packet LB's reverse NAT (lb4_rev_nat) for a reply of a translated connection: the frontend becomes its source again. */
function revNat(n: u32, ns: u32, pkt: usize, inIf: u32, outIf: u32, prog: u32): void {
  const proto = load<u32>(pkt, P_PROTO);
  if (proto != PROTO_TCP && proto != PROTO_UDP) return;
  const r = stateFind(K_REVCT | n, load<u32>(pkt, P_SRC), load<u32>(pkt, P_DST), (load<u32>(pkt, P_SPORT) << 16) | load<u32>(pkt, P_DPORT), proto, false);
  if (r == 0) return;
  const f = stateGet(r, 0) - 1;
  store<u32>(pkt, feAddr(f), P_SRC);
  store<u32>(pkt, fePort(f), P_SPORT);
  if (load<u32>(pkt, P_DST) == SERVICE_LOOPBACK) store<u32>(pkt, stateGet(r, 1), P_DST);
  hop(n, ns, K_BPF, A_UNNAT, X_NONE, inIf, outIf, D_LB_FE, f, prog, pkt);
}

/** cil_from_container: per-packet LB (without the kube-proxy replacement), then bpfRoute. */
function ciliumFromContainer(ns: u32, pkt: usize, lxc: u32): u32 {
  // A reply of a connection the policy allowed (CT_REPLY), by the tuple as it leaves the pod:
  // no lookup here, and policy_mark_skip for a local destination's ingress check.
  // A pod's reply to itself through its Service (to the service loopback address) is one too.
  const reply = policyActive && (load<u32>(pkt, P_DST) == SERVICE_LOOPBACK || policyIsReply(nodeOf(ns), POL_EGRESS, pkt));
  if (lbMode == LB_PER_PACKET) {
    const n = nodeOf(ns);
    // The backend's own reply on the client's node: reverse NAT here, before it is delivered.
    const before = load<u32>(pkt, P_SRC);
    revNat(n, ns, pkt, lxc, NONE, PROG_FROM_CONTAINER);
    if (load<u32>(pkt, P_SRC) == before && !perPacketLb(n, ns, pkt, lxc)) {
      bpfVerdict = V_REJECTED;
      return BPF_DONE;
    }
  }
  // handle_ipv4_from_lxc: the egress policy, after any service translation.
  if (reply) store<u32>(pkt, load<u32>(pkt, P_FLAGS) | PF_POLICY_SKIP, P_FLAGS);
  else if (policyActive) {
    const v = ciliumPolicy(nodeOf(ns), ns, pkt, lxc, POL_EGRESS, lxc, NONE);
    if (v != 0) {
      bpfVerdict = v;
      return BPF_DONE;
    }
  }
  return bpfRoute(ns, pkt, lxc, PROG_FROM_CONTAINER, load<u32>(iface(lxc), IF_VNI));
}

/**
 * The endpoint's policy map for a packet in direction `dir` (egress at its lxc, ingress before
 * delivery): a new connection is looked up, and allowed (a hop naming the entry, the connection
 * remembered) or dropped (Policy denied); replies and later packets pass. Returns 0 or V_DROPPED.
 */
function ciliumPolicy(n: u32, ns: u32, pkt: usize, lxc: u32, dir: u32, inIf: u32, outIf: u32): u32 {
  const proto = load<u32>(pkt, P_PROTO);
  // ICMP errors are RELATED to the connection they report on.
  if (proto == PROTO_ICMP && ((load<u32>(pkt, P_ICMP) >>> 8) & 255) == 3) return 0;
  const src = load<u32>(pkt, P_SRC);
  const dst = load<u32>(pkt, P_DST);
  // A pod reaching itself through its Service (per-packet LB's loopback): policy is skipped.
  if (src == SERVICE_LOOPBACK || dst == SERVICE_LOOPBACK) return 0;
  const pp = ports(pkt);
  if (policyTracked(n, dir, src, dst, pp, proto)) return 0;
  const remoteAddr = dir == POL_EGRESS ? dst : src;
  const remote = identityOf(remoteAddr, n);
  const e = policyLookup(lxc, dir, remote, remoteAddr, proto, proto == PROTO_ICMP ? 0 : load<u32>(pkt, P_DPORT));
  if (e == POLICY_DENIED) return drop(ns, K_POLICY, X_POLICY_DENIED, inIf, outIf, D_POLICY, NONE, pkt, remote);
  policyRemember(n, dir, src, dst, pp, proto);
  hop(n, ns, K_POLICY, A_ALLOW, X_NONE, inIf, outIf, D_POLICY, e == POLICY_ALLOW_ALL ? NONE : e, remote, pkt);
  return 0;
}

/**
 * What Cilium's tc programs do with a packet once any translation is done (handle_ipv4_from_lxc,
 * bpf_host/bpf_overlay handle_ipv4): a local endpoint's address → ipv4_local_delivery (TTL − 1,
 * MACs rewritten, the endpoint's policy program, bpf_redirect to its lxc); with VXLAN, an address
 * of another node's pod CIDR → its tunnel (VNI = the source's security identity); else, from a
 * pod, pass_to_stack (TTL − 1 as well: ENABLE_ROUTING), from a device, the stack as it is.
 */
function bpfRoute(ns: u32, pkt: usize, inIf: u32, prog: u32, seclabel: u32): u32 {
  const n = nodeOf(ns);
  const dst = load<u32>(pkt, P_DST);
  const t = ifaceByAddr(dst);
  if (t != NONE) {
    const tns = load<u32>(iface(t), IF_NETNS);
    if (load<u32>(netns(tns), NS_KIND) == NS_POD && load<u32>(iface(t), IF_KIND) == IF_VETH) {
      const lxc = load<u32>(iface(t), IF_PEER);
      if (load<u32>(iface(lxc), IF_NETNS) == ns) return localDelivery(n, ns, pkt, inIf, lxc, t, prog);
    } else if (tns == ns) {
      // One of the node's own addresses (lookup_ip4_endpoint: ENDPOINT_F_HOST): up the stack.
      return prog == PROG_FROM_CONTAINER ? passToStack(n, ns, pkt, inIf) : BPF_PASS;
    }
  }
  const vx = load<u32>(node(n), N_VXLAN);
  if (vx != NONE && (load<u32>(iface(vx), IF_FLAGS) & IFF_BPF_OVERLAY) != 0) {
    const m = podCidrNode(dst);
    if (m != NONE && m != n) return encapCilium(n, ns, pkt, inIf, vx, m, prog, seclabel);
  }
  // An address of this node's pod CIDR that no endpoint holds.
  const len = load<u32>(node(n), N_POD_LEN);
  if (len != 0 && (dst & ~(0xffffffff >>> len)) == load<u32>(node(n), N_POD_NET) && prog != PROG_FROM_CONTAINER) {
    bpfVerdict = drop(ns, K_BPF, X_NO_ENDPOINT, inIf, NONE, D_NONE, prog, pkt);
    return BPF_DONE;
  }
  return prog == PROG_FROM_CONTAINER ? passToStack(n, ns, pkt, inIf) : BPF_PASS;
}

/** ipv4_local_delivery: TTL − 1, the endpoint's MACs, its policy program (allow: no NetworkPolicy), bpf_redirect to its lxc. */
function localDelivery(n: u32, ns: u32, pkt: usize, inIf: u32, lxc: u32, podEth: u32, prog: u32): u32 {
  const ttl = load<u32>(pkt, P_TTL);
  if (ttl <= 1) {
    bpfVerdict = drop(ns, K_BPF, X_TTL, inIf, lxc, D_EP, lxc, pkt);
    return BPF_DONE;
  }
  store<u32>(pkt, ttl - 1, P_TTL);
  setMacs(pkt, lxc, podEth);
  // The endpoint's policy program (cilium_call_policy → ipv4_policy): its ingress policy first,
  // unless the sender on this node marked the packet a reply.
  const flags = load<u32>(pkt, P_FLAGS);
  if (flags & PF_POLICY_SKIP) store<u32>(pkt, flags & ~PF_POLICY_SKIP, P_FLAGS);
  else if (policyActive) {
    const v = ciliumPolicy(n, ns, pkt, lxc, POL_INGRESS, inIf, lxc);
    if (v != 0) {
      bpfVerdict = v;
      return BPF_DONE;
    }
  }
  // With per-packet LB, a reply for this client gets its frontend back.
  if (lbMode == LB_PER_PACKET) revNat(n, ns, pkt, inIf, lxc, prog);
  hop(n, ns, K_BPF, A_REDIRECT, X_NONE, inIf, lxc, D_EP, lxc, prog, pkt);
  bpfCur = lxc;
  return BPF_XMIT;
}

/** pass_to_stack: TTL − 1 and the lxc's MAC as destination (ipv4_l3 with router_mac), then TC_ACT_OK. */
function passToStack(n: u32, ns: u32, pkt: usize, lxc: u32): u32 {
  const ttl = load<u32>(pkt, P_TTL);
  if (ttl <= 1) {
    bpfVerdict = drop(ns, K_BPF, X_TTL, lxc, NONE, D_NONE, PROG_FROM_CONTAINER, pkt);
    return BPF_DONE;
  }
  store<u32>(pkt, ttl - 1, P_TTL);
  store<u32>(pkt, load<u32>(iface(lxc), IF_MAC_HI), P_DMAC_HI);
  store<u32>(pkt, load<u32>(iface(lxc), IF_MAC_LO), P_DMAC_LO);
  hop(n, ns, K_BPF, A_TO_STACK, X_NONE, lxc, NONE, D_NONE, 0, PROG_FROM_CONTAINER, pkt);
  return BPF_PASS;
}

/**
 * encap_and_redirect: the tunnel key (remote node's IP, VNI = the source's security identity,
 * TTL 64) set on the packet and bpf_redirect to cilium_vxlan, whose flow-based transmit puts the
 * outer IPv4/UDP/VXLAN headers on (source: the node's address, the route to the peer's) and
 * sends the result out eth0. No TTL is spent here; the inner frame keeps its MACs.
 */
function encapCilium(n: u32, ns: u32, pkt: usize, inIf: u32, vx: u32, m: u32, prog: u32, seclabel: u32): u32 {
  const localEth = load<u32>(node(n), N_ETH);
  const remoteEth = load<u32>(node(m), N_ETH);
  if (load<u32>(pkt, P_LEN) + VXLAN_OVERHEAD > load<u32>(iface(localEth), IF_MTU) && (load<u32>(pkt, P_FLAGS) & PF_DF)) {
    bpfVerdict = drop(ns, K_VXLAN, X_FRAG_NEEDED, inIf, vx, D_TUNNEL, m, pkt);
    return BPF_DONE;
  }
  store<u32>(pkt, load<u32>(iface(localEth), IF_ADDR), P_OUTER_SRC);
  store<u32>(pkt, load<u32>(iface(remoteEth), IF_ADDR), P_OUTER_DST);
  store<u32>(pkt, flowSourcePort(pkt), P_OUTER_SPORT);
  store<u32>(pkt, load<u32>(iface(vx), IF_PORT), P_OUTER_DPORT);
  store<u32>(pkt, seclabel, P_VNI);
  store<u32>(pkt, 64, P_OUTER_TTL);
  // The skip mark lives in the skb's control block: it does not cross the tunnel.
  store<u32>(pkt, load<u32>(pkt, P_FLAGS) & ~PF_POLICY_SKIP, P_FLAGS);
  store<u32>(pkt, load<u32>(pkt, P_FLAGS) | PF_ENCAP, P_FLAGS);
  encapBytes += VXLAN_OVERHEAD;
  hop(n, ns, K_VXLAN, A_ENCAP, X_NONE, inIf, vx, D_TUNNEL, m, prog, pkt);
  bpfCur = localEth;
  return BPF_XMIT;
}
