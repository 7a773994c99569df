// The dataplane's exports. Only integers cross the boundary; tables and packets live in
// linear memory, written by the host (src/dataplane/) and read back by it.

import {
  FL_BYTES, FL_DPORT, FL_DST, FL_FLAGS, FL_FROM, FL_LEN, FL_PACKETS, FL_PROTO, FL_SEED, FL_SPORT, FL_SRC, FL_TIME,
  NONE, P_BYTES, P_DPORT, P_DST, P_FLAGS, P_ICMP, P_LEN, P_MARK, P_PROTO, P_SPORT, P_SRC, P_TTL, PF_ACK, PF_DF, PF_FIN, PF_SYN,
  PH_ERROR, PH_REPLY, PH_REQUEST, PROTO_ICMP, PROTO_TCP, RF_CLOSE, RF_CONNECTED, RF_ESTABLISHED, PF_CONNECTED, V_DELIVERED, V_DROPPED, V_REJECTED,
  X_REASONS, RF_QUERY, RF_LOOKUP_START, RF_AFTER_LOOKUP,
} from "./abi";
import { arenaAlloc } from "./arena";
import { CT_BYTES, CT_STATUS, ctClear, ctEntry, ctFullDrops, ctHits, ctInit, ctInserts, ctLive, ctMisses } from "./conntrack";
import { nodeDownInit, bytesDelivered, delivered, dropCountOf, dropped, encapBytes, endNetns, endReason, errorSource, expectReply, forward, fragMtu, nodeOfNetns, rejectAddr, rejectIf, rejected, pairsInit, resetCounters, routeCacheInit, sentDport, sentDst } from "./forward";
import { nfInit, nfSetsLoad, nfTotalWalked, recentClear } from "./netfilter";
import { ipvsLoad, ipvsReset, rsActive, rsConnCount, rsInactive } from "./ipvs";
import { ipcacheLoad, lbLoad, lbReset } from "./cilium";
import { chainCount, chainHits, configure as configureTables, E_OK, E_RULE_TARGET, ruleCount, ruleHits, rulesConfigure, setSeed, setTime } from "./state";
import { routesLoad } from "./routing";
import { policyLoad } from "./policy";
import { hopCount, setPhase, traceBuffer, traceInit, traceStart } from "./trace";

export { arenaReset, arenaAlloc, arenaUsed } from "./arena";
export { fibBuild, fibLookup, fibLookupBatch } from "./fib";
export { getTime, setSeed, setTime } from "./state";
export { setNodeDown } from "./forward";
export { traceBuffer } from "./trace";
export { nodePairs } from "./forward";
export { ctCapacity, ctGc, ctInject, ctReserve } from "./conntrack";

/** Entry `i` of the conntrack table as 9 u32 at `out` (orig src, dst, ports, key, reply src, dst, ports, status, expires); false if unused. */
export function ctRead(i: u32, out: usize): bool {
  const p = ctEntry(i);
  if (load<u32>(p, CT_STATUS) == 0) return false;
  memory.copy(out, p, CT_BYTES);
  return true;
}

let pkt: usize = 0;

/**
 * Loads the tables described at `desc` (see src/dataplane/layout.ts). Words 11-13 give the
 * conntrack capacity, the affinity (recent) capacity and the trace capacity in hops; words
 * 14-15 the nftables set elements.
 * Returns 0, or an error code when the tables are inconsistent.
 */
export function configure(desc: usize): u32 {
  let err = configureTables(desc);
  if (err != E_OK) return err;
  // Words 25-27: the peer routes every node shares, their count and MTU metric (routing.ts).
  err = routesLoad(<usize>load<u32>(desc, 100), load<u32>(desc, 104), load<u32>(desc, 108));
  if (err != E_OK) return err;
  ctInit(load<u32>(desc, 44));
  nfInit(load<u32>(desc, 48));
  // Words 14-15: the nftables set and map elements (none in iptables mode).
  if (!nfSetsLoad(<usize>load<u32>(desc, 56), load<u32>(desc, 60), chainCount)) return E_RULE_TARGET;
  // Words 16-19: IPVS's virtual and real servers (none but in IPVS mode).
  if (!ipvsLoad(<usize>load<u32>(desc, 64), load<u32>(desc, 68), <usize>load<u32>(desc, 72), load<u32>(desc, 76))) return E_RULE_TARGET;
  // Words 20-24: Cilium's frontends and backends, and where it translates ClusterIPs (LB_*).
  if (!lbLoad(<usize>load<u32>(desc, 80), load<u32>(desc, 84), <usize>load<u32>(desc, 88), load<u32>(desc, 92), load<u32>(desc, 96))) return E_RULE_TARGET;
  ipcacheLoad();
  // Words 28-31: Cilium's policy maps, per endpoint and direction, and their entries (none without policies).
  if (!policyLoad(<usize>load<u32>(desc, 112), load<u32>(desc, 116), <usize>load<u32>(desc, 120), load<u32>(desc, 124))) return E_RULE_TARGET;
  traceInit(load<u32>(desc, 52));
  routeCacheInit();
  pairsInit();
  nodeDownInit();
  pkt = arenaAlloc(P_BYTES);
  walkCounts = arenaAlloc(<usize>WALK_SLOTS * 4);
  resetCounters();
  resetBatchStats();
  return E_OK;
}

/**
 * kube-proxy's re-sync during a run (iptables and nftables modes): new rules, chains, hooks
 * and set elements at `desc` ([rules, count, chains, count, hooks, elements, count]) replace
 * the loaded ones; conntrack, affinities and counters stay (rule hits start again at zero).
 * Returns 0, or an error of configure(): the host compiled the tables, so an error is a bug
 * there, and the dataplane must be loaded again.
 */
export function reloadRules(desc: usize): u32 {
  const err = rulesConfigure(<usize>load<u32>(desc, 0), load<u32>(desc, 4), <usize>load<u32>(desc, 8), load<u32>(desc, 12), <usize>load<u32>(desc, 16));
  if (err != E_OK) return err;
  if (!nfSetsLoad(<usize>load<u32>(desc, 20), load<u32>(desc, 24), chainCount)) return E_RULE_TARGET;
  return E_OK;
}

/** Forgets all connections and affinities, and zeroes the counters: a fresh cluster. */
export function resetState(): void {
  ctClear();
  recentClear();
  ipvsReset();
  lbReset();
  resetCounters();
  resetBatchStats();
  memory.fill(ruleHits, 0, <usize>ruleCount * 16);
  memory.fill(chainHits, 0, <usize>chainCount * 16);
}

/** The packet record the host fills before exchange() and reads after. */
export function packetBuffer(): usize {
  return pkt;
}

export let replyVerdict: u32 = 0;

export function lastReplyVerdict(): u32 {
  return replyVerdict;
}

/** Why the last forwarded packet was dropped (an X_* reason). */
export function lastDropReason(): u32 {
  return endReason;
}

export function hops(): u32 {
  return hopCount;
}

/**
 * Sends the packet in packetBuffer() from namespace `from`. With `reply`, a delivered
 * request is answered (addresses and ports swapped) and the answer forwarded back; a
 * rejected one is answered by the rejecting node's ICMP port-unreachable. `trace` records
 * hops. Returns the request's verdict; lastReplyVerdict() the answer's.
 */
export function exchange(from: u32, reply: bool, trace: bool, replyLen: u32): u32 {
  traceStart(trace);
  setPhase(PH_REQUEST);
  // replyLen: the answer's IPv4 total length (the trace's FlowQuery.replySize); 0: the request's.
  const v = forward(pkt, from);
  requestEnd = endNetns;
  replyVerdict = 0;
  if (v == V_DELIVERED && reply) {
    const src = load<u32>(pkt, P_SRC);
    const sport = load<u32>(pkt, P_SPORT);
    store<u32>(pkt, load<u32>(pkt, P_DST), P_SRC);
    store<u32>(pkt, load<u32>(pkt, P_DPORT), P_SPORT);
    store<u32>(pkt, src, P_DST);
    store<u32>(pkt, sport, P_DPORT);
    store<u32>(pkt, 64, P_TTL);
    store<u32>(pkt, 0, P_MARK);
    if (replyLen != 0) store<u32>(pkt, replyLen, P_LEN);
    const flags = load<u32>(pkt, P_FLAGS);
    store<u32>(pkt, (flags & PF_DF) | PF_ACK | (flags & (PF_SYN | PF_FIN)), P_FLAGS);
    setPhase(PH_REPLY);
    // The client's socket takes an answer from the address and port it sent to.
    expectReply(from, sentDst, sentDport);
    replyVerdict = forward(pkt, endNetns);
    expectReply(NONE, 0, 0);
    // An answer too big for a hop on its way back (a large response, FlowQuery.replySize): that
    // node's ICMP fragmentation needed goes to the answering pod; the client gets nothing.
    if (replyVerdict == V_DROPPED && fragMtu != 0) fragNeeded();
  } else if (v == V_REJECTED && reply) {
    // icmp-port-unreachable carrying the offending packet's IP header and 8 bytes.
    const client = load<u32>(pkt, P_SRC);
    const from2 = endNetns;
    const bounce = rejectIf; // Cilium's answer goes back out the lxc the request came in on
    memory.fill(pkt, 0, P_BYTES);
    store<u32>(pkt, rejectAddr, P_SRC);
    store<u32>(pkt, client, P_DST);
    store<u32>(pkt, PROTO_ICMP, P_PROTO);
    store<u32>(pkt, 64, P_TTL);
    store<u32>(pkt, 20 + 8 + 20 + 8, P_LEN);
    store<u32>(pkt, (3 << 8) | 3, P_ICMP);
    setPhase(PH_ERROR);
    replyVerdict = forward(pkt, from2, bounce);
  } else if (v == V_DROPPED && reply && fragMtu != 0) {
    replyVerdict = fragNeeded();
  }
  return v;
}

/**
 * A forwarded packet too big for the next hop with DF set (ip_forward): ICMP destination
 * unreachable, fragmentation needed (type 3, code 4) with the next-hop MTU, from the node's
 * address towards the sender, forwarded as the exchange's error phase. icmp_send quotes the
 * packet up to 576 bytes in all. Returns the ICMP packet's verdict.
 */
function fragNeeded(): u32 {
  const client = load<u32>(pkt, P_SRC);
  const quoted = min<u32>(load<u32>(pkt, P_LEN), 576 - 20 - 8);
  const mtu = fragMtu;
  const from2 = endNetns;
  memory.fill(pkt, 0, P_BYTES);
  store<u32>(pkt, errorSource(from2, client), P_SRC);
  store<u32>(pkt, client, P_DST);
  store<u32>(pkt, PROTO_ICMP, P_PROTO);
  store<u32>(pkt, 64, P_TTL);
  store<u32>(pkt, 20 + 8 + quoted, P_LEN);
  store<u32>(pkt, (mtu << 16) | (3 << 8) | 4, P_ICMP);
  setPhase(PH_ERROR);
  return forward(pkt, from2);
}

/**
 * Batch mode: `count` flow records (FL_* words, see abi.ts) at `flows`. Each starts at its
 * FL_TIME second of simulated time and sends FL_PACKETS packets: the first opens the connection
 * and is answered (so conntrack sees the reply), the rest are established traffic; with
 * RF_ESTABLISHED all of them are established traffic (no SYN, no answers); with RF_CLOSE a TCP
 * connection is then closed (FIN answered by FIN-ACK, then the last ACK), its entries left in
 * TIME_WAIT. The PRNG is seeded per flow, so a flow's random choices do not depend on which
 * flows ran before it (runs sharded over several workers add up to the same counters).
 * Counters only.
 */
export function runFlows(flows: usize, count: u32): void {
  traceStart(false);
  for (let i: u32 = 0; i < count; i++) {
    const f = flows + <usize>i * FL_BYTES;
    setSeed(load<u32>(f, FL_SEED));
    setTime(load<u32>(f, FL_TIME));
    const from = load<u32>(f, FL_FROM);
    const flowFlags = load<u32>(f, FL_FLAGS);
    const established = (flowFlags & RF_ESTABLISHED) != 0;
    const packets = load<u32>(f, FL_PACKETS);
    // A lookup stops at its first query nobody answers (glibc and musl give up rather than try
    // the next name), and a connection to the name it was for is never made.
    if (flowFlags & RF_LOOKUP_START) lookupAnswered = true;
    if ((flowFlags & RF_QUERY) && !lookupAnswered) continue;
    if ((flowFlags & RF_AFTER_LOOKUP) && !lookupAnswered) {
      lookupsFailed++;
      continue;
    }
    let open = true;
    for (let k: u32 = 0; k < packets; k++) {
      flowPacket(f, k == 0 && !established ? PF_SYN : PF_ACK);
      if (k != 0 || established) {
        exchange(from, false, false, 0);
        continue;
      }
      // The new connection's first packet and its answer: the rules (or lookups) they walked,
      // and whether the request reached a pod on the client's own node.
      const walked = nfTotalWalked;
      const v = exchange(from, true, false, 0);
      countWalks(<u32>min<u64>(nfTotalWalked - walked, <u64>(WALK_SLOTS - 1)));
      if ((flowFlags & RF_QUERY) && (v != V_DELIVERED || replyVerdict != V_DELIVERED)) lookupAnswered = false;
      if (v == V_DELIVERED) {
        if (nodeOfNetns(requestEnd) == nodeOfNetns(from)) connSameNode++;
        else connCrossNode++;
      } else open = false;
    }
    if (open && (load<u32>(f, FL_FLAGS) & RF_CLOSE) != 0 && load<u32>(f, FL_PROTO) == PROTO_TCP) {
      flowPacket(f, PF_FIN | PF_ACK);
      exchange(from, true, false, 0);
      flowPacket(f, PF_ACK);
      exchange(from, false, false, 0);
    }
  }
}

/** The flow's next packet in packetBuffer(), with TCP `flags`. */
function flowPacket(f: usize, flags: u32): void {
  memory.fill(pkt, 0, P_BYTES);
  store<u32>(pkt, load<u32>(f, FL_SRC), P_SRC);
  store<u32>(pkt, load<u32>(f, FL_DST), P_DST);
  store<u32>(pkt, load<u32>(f, FL_SPORT), P_SPORT);
  store<u32>(pkt, load<u32>(f, FL_DPORT), P_DPORT);
  store<u32>(pkt, load<u32>(f, FL_PROTO), P_PROTO);
  store<u32>(pkt, load<u32>(f, FL_LEN), P_LEN);
  store<u32>(pkt, 64, P_TTL);
  store<u32>(pkt, flags | PF_DF | ((load<u32>(f, FL_FLAGS) & RF_CONNECTED) != 0 ? PF_CONNECTED : 0), P_FLAGS);
}

// Batch statistics of new connections: how many rules (or lookups) each one's first packet and
// answer walked, as exact counts per value (the last slot holds WALK_SLOTS - 1 and more), and
// where its request was delivered.
const WALK_SLOTS: u32 = 1 << 16;
let walkCounts: usize = 0;
let requestEnd: u32 = NONE;
let connSameNode: u64 = 0;
let connCrossNode: u64 = 0;
let lookupAnswered = true; // the current lookup's queries have all been answered so far
let lookupsFailed: u64 = 0; // connections not made: their lookup got no answer

@inline function countWalks(n: u32): void {
  const at = walkCounts + (<usize>n << 2);
  store<u32>(at, load<u32>(at) + 1);
}

function resetBatchStats(): void {
  if (walkCounts != 0) memory.fill(walkCounts, 0, <usize>WALK_SLOTS * 4);
  connSameNode = 0;
  connCrossNode = 0;
  lookupAnswered = true;
  lookupsFailed = 0;
}

/** Writes up to `max` [rules walked, new connections] pairs at `out`, by rules walked; returns how many. */
export function walkHistogram(out: usize, max: u32): u32 {
  let n: u32 = 0;
  for (let v: u32 = 0; v < WALK_SLOTS && n < max; v++) {
    const c = load<u32>(walkCounts + (<usize>v << 2));
    if (c == 0) continue;
    store<u32>(out + <usize>n * 8, v);
    store<u32>(out + <usize>n * 8 + 4, c);
    n++;
  }
  return n;
}

// Counters, as f64 (exact below 2^53).
export const CNT_DELIVERED: u32 = 0;
export const CNT_DROPPED: u32 = 1;
export const CNT_REJECTED: u32 = 2;
export const CNT_BYTES: u32 = 3;
export const CNT_ENCAP_BYTES: u32 = 4;
export const CNT_RULES_WALKED: u32 = 5;
export const CNT_CT_HITS: u32 = 6;
export const CNT_CT_MISSES: u32 = 7;
export const CNT_CT_INSERTS: u32 = 8;
export const CNT_CT_FULL: u32 = 9;
export const CNT_CT_LIVE: u32 = 10;
export const CNT_CONN_SAME_NODE: u32 = 11;
export const CNT_CONN_CROSS_NODE: u32 = 12;
export const CNT_LOOKUPS_FAILED: u32 = 13;

export function counter(which: u32): f64 {
  switch (which) {
    case CNT_DELIVERED: return <f64>delivered;
    case CNT_DROPPED: return <f64>dropped;
    case CNT_REJECTED: return <f64>rejected;
    case CNT_BYTES: return <f64>bytesDelivered;
    case CNT_ENCAP_BYTES: return <f64>encapBytes;
    case CNT_RULES_WALKED: return <f64>nfTotalWalked;
    case CNT_CT_HITS: return <f64>ctHits;
    case CNT_CT_MISSES: return <f64>ctMisses;
    case CNT_CT_INSERTS: return <f64>ctInserts;
    case CNT_CT_FULL: return <f64>ctFullDrops;
    case CNT_CT_LIVE: return <f64>ctLive();
    case CNT_CONN_SAME_NODE: return <f64>connSameNode;
    case CNT_CONN_CROSS_NODE: return <f64>connCrossNode;
    case CNT_LOOKUPS_FAILED: return <f64>lookupsFailed;
    default: return 0;
  }
}

export function dropCount(reason: u32): f64 {
  return reason < X_REASONS ? <f64>dropCountOf(reason) : 0;
}

/** IPVS real server `r`'s counters on `node`, as `ipvsadm -Ln` prints them: ActiveConn (`active`) or InActConn. */
export function ipvsConnCounter(node: u32, r: u32, active: bool): u32 {
  return active ? rsActive(node, r) : rsInactive(node, r);
}

/** Connections IPVS scheduled to real server `r`, on every node. */
export function ipvsScheduled(r: u32): f64 {
  return <f64>rsConnCount(r);
}

/** Packets that matched rule `i` (for statistics and `iptables-save -c`). */
export function ruleHitCount(i: u32): f64 {
  return <f64>load<u64>(ruleHits + <usize>i * 16);
}

/** Bytes of the packets that matched rule `i`. */
export function ruleByteCount(i: u32): f64 {
  return <f64>load<u64>(ruleHits + <usize>i * 16, 8);
}

/** [packets, bytes] that fell through chain `i` (a built-in chain's policy counters). */
export function chainPolicyCount(i: u32, bytes: bool): f64 {
  return <f64>load<u64>(chainHits + <usize>i * 16 + (bytes ? 8 : 0));
}

export const NO_INDEX: u32 = NONE;
