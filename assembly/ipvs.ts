// IPVS as kube-proxy's IPVS mode uses it (net/netfilter/ipvs/): a table of virtual servers
// (ClusterIP:port/proto → real servers, Masq forwarding, weight 1) looked up in one hash probe,
// and the eleven schedulers, each as its ip_vs_*.c module picks a destination. The table is the
// same on every node; what a scheduler remembers (rr's position, the connection counters the
// least-connection family compares, lblc's cache, persistence templates) is each node's own,
// kept in hash tables that start empty and grow. Nothing here draws a random number: every
// IPVS scheduler is deterministic.

import {
  NONE, P_DPORT, P_DST, P_PROTO, P_SPORT, P_SRC, RS_ADDR, RS_BYTES, RS_PORT, RS_WEIGHT,
  SCHED_DH, SCHED_LBLC, SCHED_LBLCR, SCHED_LC, SCHED_MH, SCHED_NQ, SCHED_RR, SCHED_SED, SCHED_SH, SCHED_WLC, SCHED_WRR,
  VS_ADDR, VS_BYTES, VS_COUNT, VS_FIRST, VS_FLAGS, VS_MH, VS_PORTS, VS_SCHED, VS_TIMEOUT, VS_WRR_CW, VS_WRR_DI, VS_WRR_MW,
} from "./abi";
import { arenaAlloc } from "./arena";
import { KT_BYTES, ktClear, ktFind, ktInit, mix } from "./keyed-table";
import { now } from "./state";

const IP_VS_SVC_F_PERSISTENT: u32 = 0x1;
const IP_VS_SVC_F_SCHED_MH_PORT: u32 = 0x10;
/** ip_vs_mh.c: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8], the default index 12. */
const MH_TAB_SIZE: u32 = 4093;
/** ip_vs_mh.c: IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2. */
const MH_TAB_BITS: i32 = 6;

let vsTable: usize = 0;
export let vsCount: u32 = 0;
let rsTable: usize = 0;
let rsCount: u32 = 0;
// (address, proto << 16 | port) → virtual server + 1, and the addresses on kube-ipvs0.
let vsSlots: usize = 0;
let vsMask: u32 = 0;
let boundSlots: usize = 0;
let boundMask: u32 = 0;
/** Connections scheduled to each real server, on all nodes (simulation statistics). */
let rsConns: usize = 0;

@inline function vsRec(v: u32): usize {
  return vsTable + <usize>v * VS_BYTES;
}
@inline function rsRec(r: u32): usize {
  return rsTable + <usize>r * RS_BYTES;
}

/**
 * Loads the virtual servers (VS_* records) and real servers (RS_*). Returns false when a
 * virtual server's real servers run past the table.
 */
export function ipvsLoad(vs: usize, vsN: u32, rs: usize, rsN: u32): bool {
  vsTable = vs;
  vsCount = vsN;
  rsTable = rs;
  rsCount = rsN;
  let cap: u32 = 16;
  while (cap < vsN * 2) cap <<= 1;
  vsMask = cap - 1;
  vsSlots = arenaAlloc(<usize>cap * 4);
  boundMask = cap - 1;
  boundSlots = arenaAlloc(<usize>cap * 4);
  for (let v: u32 = 0; v < vsN; v++) {
    const p = vsRec(v);
    if (<u64>load<u32>(p, VS_FIRST) + <u64>load<u32>(p, VS_COUNT) > <u64>rsN) return false;
    store<u32>(p, 0, VS_MH);
    const addr = load<u32>(p, VS_ADDR);
    let s = mix(addr, load<u32>(p, VS_PORTS)) & vsMask;
    while (load<u32>(vsSlots + <usize>s * 4) != 0) s = (s + 1) & vsMask;
    store<u32>(vsSlots + <usize>s * 4, v + 1);
    let b = mix(addr, 0) & boundMask;
    for (;;) {
      const k = load<u32>(boundSlots + <usize>b * 4);
      if (k == addr) break;
      if (k == 0) {
        store<u32>(boundSlots + <usize>b * 4, addr);
        break;
      }
      b = (b + 1) & boundMask;
    }
  }
  rsConns = arenaAlloc(<usize>rsN * 8 + 8);
  tabInit(T_NODE_VS, 7);
  tabInit(T_NODE_RS, 6);
  tabInit(T_TEMPLATE, 5);
  return true;
}

/** Is `addr` one of the addresses kube-proxy put on kube-ipvs0? */
export function ipvsBound(addr: u32): bool {
  if (vsCount == 0 || addr == 0) return false;
  let b = mix(addr, 0) & boundMask;
  for (;;) {
    const k = load<u32>(boundSlots + <usize>b * 4);
    if (k == 0) return false;
    if (k == addr) return true;
    b = (b + 1) & boundMask;
  }
  return false;
}

/** ip_vs_service_find: the virtual server for addr, proto and port, or NONE. */
export function ipvsFind(addr: u32, ports: u32): u32 {
  if (vsCount == 0) return NONE;
  let s = mix(addr, ports) & vsMask;
  for (;;) {
    const v = load<u32>(vsSlots + <usize>s * 4);
    if (v == 0) return NONE;
    const p = vsRec(v - 1);
    if (load<u32>(p, VS_ADDR) == addr && load<u32>(p, VS_PORTS) == ports) return v - 1;
    s = (s + 1) & vsMask;
  }
  return NONE;
}

export function vsFirst(v: u32): u32 {
  return load<u32>(vsRec(v), VS_FIRST);
}
export function rsAddr(r: u32): u32 {
  return load<u32>(rsRec(r), RS_ADDR);
}
export function rsPort(r: u32): u32 {
  return load<u32>(rsRec(r), RS_PORT);
}

// ---- Per-node state: growable open-addressing tables of fixed-size records ------------------
// A record starts with its key [node + 1, a, b]; node + 1 == 0 marks a free slot.
const T_NODE_VS: u32 = 0; // [node+1, vs, 0, rr/wrr position (NONE: the list head), wrr cw, lblc dest + 1, lblcr insertions]
const T_NODE_RS: u32 = 1; // [node+1, rs, 0, activeconns, inactconns, lblcr set position (0: not in the set)]
const T_TEMPLATE: u32 = 2; // [node+1, vs, client, dest, last use]: persistence templates
const tabs: usize = memory.data(3 * KT_BYTES, 8); // one keyed table (3 key words) each

@inline function tab(t: u32): usize {
  return tabs + <usize>t * KT_BYTES;
}

function tabInit(t: u32, words: u32): void {
  ktInit(tab(t), words * 4, 3, 64);
}

function tabClear(t: u32): void {
  ktClear(tab(t));
}

/** The record keyed (k0, k1, k2), k0 != 0; with `create`, a zeroed one is made when there is none. 0 if none. */
@inline function tabFind(t: u32, k0: u32, k1: u32, k2: u32, create: bool): usize {
  return ktFind(tab(t), k0, k1, k2, 0, 0, create);
}

/** Forgets every node's scheduler state, connection counters and templates. */
export function ipvsReset(): void {
  if (rsConns == 0) return;
  tabClear(T_NODE_VS);
  tabClear(T_NODE_RS);
  tabClear(T_TEMPLATE);
  memory.fill(rsConns, 0, <usize>rsCount * 8);
}

function nodeVs(node: u32, v: u32): usize {
  let r = tabFind(T_NODE_VS, node + 1, v, 0, false);
  if (r != 0) return r;
  r = tabFind(T_NODE_VS, node + 1, v, 0, true);
  store<u32>(r, NONE, 12); // sched_data / mark->cl start at the list head
  store<u32>(r, load<u32>(vsRec(v), VS_WRR_CW), 16);
  return r;
}

/** A real server's ActiveConn on `node`. */
export function rsActive(node: u32, r: u32): u32 {
  const p = tabFind(T_NODE_RS, node + 1, r, 0, false);
  return p == 0 ? 0 : load<u32>(p, 12);
}
/** A real server's InActConn on `node`. */
export function rsInactive(node: u32, r: u32): u32 {
  const p = tabFind(T_NODE_RS, node + 1, r, 0, false);
  return p == 0 ? 0 : load<u32>(p, 16);
}
/** Connections scheduled to real server `r` on all nodes. */
export function rsConnCount(r: u32): u64 {
  return load<u64>(rsConns + <usize>r * 8);
}

/** A new connection is bound to `r` (ip_vs_bind_dest): dest->conn_flags carry IP_VS_CONN_F_INACTIVE. */
export function ipvsBind(node: u32, r: u32): void {
  const p = tabFind(T_NODE_RS, node + 1, r, 0, true);
  store<u32>(p, load<u32>(p, 16) + 1, 16);
  store<u64>(rsConns + <usize>r * 8, load<u64>(rsConns + <usize>r * 8) + 1);
}

/** set_tcp_state moved a connection to or from ESTABLISHED: one more active, one fewer inactive, or back. */
export function ipvsActivate(node: u32, r: u32, active: bool): void {
  const p = tabFind(T_NODE_RS, node + 1, r, 0, true);
  if (active) {
    store<u32>(p, load<u32>(p, 12) + 1, 12);
    store<u32>(p, load<u32>(p, 16) - 1, 16);
  } else {
    store<u32>(p, load<u32>(p, 12) - 1, 12);
    store<u32>(p, load<u32>(p, 16) + 1, 16);
  }
}

// ---- Scheduling ------------------------------------------------------------------------------

/** Set by ipvsSchedule: the destination came from a persistence template, not the scheduler. */
export let ipvsFromTemplate: bool = false;

@inline function weight(first: u32, i: u32): i32 {
  return <i32>load<u32>(rsRec(first + i), RS_WEIGHT);
}

/** ip_vs_dest_conn_overhead: activeconns << 8 + inactconns. */
@inline function overhead(node: u32, r: u32): i64 {
  return (<i64>rsActive(node, r) << 8) + <i64>rsInactive(node, r);
}

/**
 * ip_vs_schedule for a new connection of `pkt` to virtual server `v` on `node`: the
 * destination's index in the virtual server's list, or NONE when none is available (then
 * ip_vs_leave answers with an ICMP port unreachable).
 */
export function ipvsSchedule(node: u32, v: u32, pkt: usize): u32 {
  ipvsFromTemplate = false;
  const p = vsRec(v);
  const n = load<u32>(p, VS_COUNT);
  const first = load<u32>(p, VS_FIRST);
  if (load<u32>(p, VS_FLAGS) & IP_VS_SVC_F_PERSISTENT) {
    // ip_vs_sched_persist: the client's template <proto, caddr, 0, vaddr, vport> decides while
    // it lives (its timer restarts at every use), and a new one is made from the scheduler's pick.
    const client = load<u32>(pkt, P_SRC);
    const tpl = tabFind(T_TEMPLATE, node + 1, v, client, false);
    if (tpl != 0 && now - load<u32>(tpl, 16) < load<u32>(p, VS_TIMEOUT) && weight(first, load<u32>(tpl, 12)) > 0) {
      store<u32>(tpl, now, 16);
      ipvsFromTemplate = true;
      return load<u32>(tpl, 12);
    }
    const d = pick(node, v, p, n, first, pkt);
    if (d == NONE) return NONE;
    const t2 = tabFind(T_TEMPLATE, node + 1, v, client, true);
    store<u32>(t2, d, 12);
    store<u32>(t2, now, 16);
    return d;
  }
  return pick(node, v, p, n, first, pkt);
}

function pick(node: u32, v: u32, p: usize, n: u32, first: u32, pkt: usize): u32 {
  switch (load<u32>(p, VS_SCHED)) {
    case SCHED_RR: return rr(node, v, n, first);
    case SCHED_WRR: return wrr(node, v, p, n, first);
    case SCHED_LC: return lc(node, n, first);
    case SCHED_WLC: return wlc(node, n, first, false);
    case SCHED_SED: return wlc(node, n, first, true);
    case SCHED_NQ: return nq(node, n, first);
    case SCHED_SH: return sh(n, first, load<u32>(pkt, P_SRC));
    case SCHED_DH: return dh(n, first, load<u32>(pkt, P_DST));
    case SCHED_MH: return mh(p, n, first, load<u32>(pkt, P_SRC), load<u32>(p, VS_FLAGS) & IP_VS_SVC_F_SCHED_MH_PORT ? load<u32>(pkt, P_SPORT) : 0);
    case SCHED_LBLC: return lblc(node, v, n, first);
    case SCHED_LBLCR: return lblcr(node, v, n, first);
    default: return NONE;
  }
}

/** ip_vs_rr_schedule: the next available destination after the last one chosen (from the head at first). */
function rr(node: u32, v: u32, n: u32, first: u32): u32 {
  const s = nodeVs(node, v);
  const pos = load<u32>(s, 12);
  for (let k: u32 = 1; k <= n; k++) {
    const i = pos == NONE ? k - 1 : (pos + k) % n;
    if (weight(first, i) > 0) {
      store<u32>(s, i, 12);
      return i;
    }
  }
  return NONE;
}

/** ip_vs_wrr_schedule: passes over the list with a falling current weight cw (mw, mw - di, …, down to 1). */
function wrr(node: u32, v: u32, p: usize, n: u32, first: u32): u32 {
  const s = nodeVs(node, v);
  const mw = <i32>load<u32>(p, VS_WRR_MW);
  const di = <i32>load<u32>(p, VS_WRR_DI);
  let cw = <i32>load<u32>(s, 16);
  let dest = load<u32>(s, 12); // NONE: the list head
  let result: u32 = NONE;
  if (mw != 0) {
    const last = dest;
    let stop: u32 = NONE;
    let lastPass = false;
    let restarted = false;
    let done = false;
    while (!done) {
      for (let i: u32 = dest == NONE ? 0 : dest + 1; i < n; i++) {
        dest = i;
        if (weight(first, i) >= cw) {
          result = i; // found
          done = true;
          break;
        }
        if (dest == stop) {
          done = true; // err_over
          break;
        }
      }
      if (done) break;
      dest = NONE;
      cw -= di;
      if (cw <= 0) {
        cw = mw;
        if (lastPass || last == NONE) break; // err_over
        restarted = true;
      }
      lastPass = cw <= di;
      if (lastPass && restarted && last != NONE) stop = last;
    }
  }
  store<u32>(s, dest, 12);
  store<u32>(s, <u32>cw, 16);
  return result;
}

/** ip_vs_lc_schedule: the least (activeconns << 8) + inactconns, the first of equals. */
function lc(node: u32, n: u32, first: u32): u32 {
  let least: u32 = NONE;
  let loh: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (weight(first, i) == 0) continue;
    const doh = overhead(node, first + i);
    if (least == NONE || doh < loh) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

/**
 * ip_vs_wlc_schedule (and ip_vs_sed_schedule with `sed`, whose overhead is activeconns + 1):
 * the least overhead / weight, compared as loh * w > doh * wl; the first with weight > 0 starts.
 */
function wlc(node: u32, n: u32, first: u32, sed: bool): u32 {
  let least: u32 = NONE;
  let loh: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const doh = sed ? <i64>rsActive(node, first + i) + 1 : overhead(node, first + i);
    if (least == NONE) {
      if (weight(first, i) > 0) {
        least = i;
        loh = doh;
      }
      continue;
    }
    if (loh * <i64>weight(first, i) > doh * <i64>weight(first, least)) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_nq_schedule: an idle server (no active connection) at once, else as sed. */
function nq(node: u32, n: u32, first: u32): u32 {
  let least: u32 = NONE;
  let loh: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (weight(first, i) == 0) continue;
    const active = rsActive(node, first + i);
    const doh = <i64>active + 1;
    if (active == 0) return i;
    if (least == NONE || loh * <i64>weight(first, i) > doh * <i64>weight(first, least)) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

/**
 * ip_vs_sh_schedule: bucket hash_32(ntohl(saddr) + 0, 8) of the 256 that ip_vs_sh_reassign
 * filled round the list, each destination max(weight, 1) buckets in a row; an unavailable one
 * (weight 0) gives none, as kube-proxy sets no sh-fallback.
 */
function sh(n: u32, first: u32, src: u32): u32 {
  if (n == 0) return NONE;
  const bucket = (src * 0x61c88647) >>> 24;
  let total: u32 = 0;
  for (let i: u32 = 0; i < n; i++) total += <u32>max<i32>(weight(first, i), 1);
  let at = bucket % total;
  for (let i: u32 = 0; i < n; i++) {
    const w = <u32>max<i32>(weight(first, i), 1);
    if (at < w) return weight(first, i) > 0 ? i : NONE;
    at -= w;
  }
  return NONE;
}

/** ip_vs_dh_schedule: bucket (ntohl(daddr) * 2654435761) & 255 of the 256 that ip_vs_dh_assign filled round the list. */
function dh(n: u32, first: u32, dst: u32): u32 {
  if (n == 0) return NONE;
  const i = ((dst * 2654435761) & 255) % n;
  return weight(first, i) > 0 ? i : NONE;
}

// hsiphash on 64-bit kernels (lib/siphash.c): SipHash-1-3 of one u32, truncated to 32 bits.
@inline function sipround(): void {
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
}
let v0: u64 = 0;
let v1: u64 = 0;
let v2: u64 = 0;
let v3: u64 = 0;

export function hsiphash32(value: u32, key: u64): u32 {
  v0 = 0x736f6d6570736575 ^ key;
  v1 = 0x646f72616e646f6d ^ key;
  v2 = 0x6c7967656e657261 ^ key;
  v3 = 0x7465646279746573 ^ key;
  const b: u64 = (<u64>4 << 56) | <u64>value;
  v3 ^= b;
  sipround();
  v0 ^= b;
  v2 ^= 0xff;
  sipround();
  sipround();
  sipround();
  return <u32>(v0 ^ v1 ^ v2 ^ v3);
}

// generate_hash_secret: both words of each key are the same constant.
const MH_KEY1: u64 = 2654435761;
const MH_KEY2: u64 = 2654446892;

@inline function fls(x: u32): i32 {
  return x == 0 ? 0 : 32 - <i32>clz<u32>(x);
}

/**
 * ip_vs_mh_permutate + ip_vs_mh_populate: Maglev's lookup table of MH_TAB_SIZE positions, each
 * destination taking the next free position of its permutation (offset, skip from its address
 * and port) `turns` times in a round. Built when the virtual server is first scheduled.
 */
function mhTable(p: usize, n: u32, first: u32): usize {
  let table = <usize>load<u32>(p, VS_MH);
  if (table != 0) return table;
  table = arenaAlloc(<usize>MH_TAB_SIZE * 4); // dest + 1 per position, 0: none
  let g: i32 = 0;
  let maxw: i32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const w = weight(first, i);
    if (w > 0) {
      let a = w;
      let b = g;
      while (b != 0) {
        const t = a % b;
        a = b;
        b = t;
      }
      g = g > 0 ? a : w;
    }
    if (w > maxw) maxw = w;
  }
  if (g >= 1) {
    const shift = max<i32>(0, fls(<u32>(maxw / g)) - MH_TAB_BITS);
    const setup = arenaAlloc(<usize>n * 16); // offset, skip, perm, turns
    for (let i: u32 = 0; i < n; i++) {
      const r = rsRec(first + i);
      const key = load<u32>(r, RS_PORT) + load<u32>(r, RS_ADDR);
      const ds = setup + <usize>i * 16;
      const offset = hsiphash32(key, MH_KEY1) % MH_TAB_SIZE;
      store<u32>(ds, offset);
      store<u32>(ds, hsiphash32(key, MH_KEY2) % (MH_TAB_SIZE - 1) + 1, 4);
      store<u32>(ds, offset, 8);
      const w = weight(first, i);
      const turns = (w / g) >> shift;
      store<i32>(ds, turns != 0 ? turns : w != 0 ? 1 : 0, 12);
    }
    let filled: u32 = 0;
    let dt: i32 = 0;
    let i: u32 = 0;
    while (filled < MH_TAB_SIZE) {
      const ds = setup + <usize>i * 16;
      if (load<i32>(ds, 12) < 1) {
        i = (i + 1) % n;
        continue;
      }
      let c = load<u32>(ds, 8);
      while (load<u32>(table + <usize>c * 4) != 0) {
        let next = load<u32>(ds, 8) + load<u32>(ds, 4);
        if (next >= MH_TAB_SIZE) next -= MH_TAB_SIZE;
        store<u32>(ds, next, 8);
        c = next;
      }
      store<u32>(table + <usize>c * 4, i + 1);
      filled++;
      if (++dt >= load<i32>(ds, 12)) {
        dt = 0;
        i = (i + 1) % n;
      }
    }
  }
  store<u32>(p, <u32>table, VS_MH);
  return table;
}

/** ip_vs_mh_schedule: position hsiphash(ntohs(sport) + ntohl(saddr)) % M of the lookup table (sport 0 without mh-port). */
function mh(p: usize, n: u32, first: u32, src: u32, sport: u32): u32 {
  if (n == 0) return NONE;
  const table = mhTable(p, n, first);
  const d = load<u32>(table + <usize>(hsiphash32(sport + src, MH_KEY1) % MH_TAB_SIZE) * 4);
  if (d == 0 || weight(first, d - 1) <= 0) return NONE;
  return d - 1;
}

/** lblc's and lblcr's is_overloaded: more active connections than its weight while some server is below half of its own. */
function overloaded(node: u32, n: u32, first: u32, i: u32): bool {
  if (<i64>rsActive(node, first + i) <= <i64>weight(first, i)) return false;
  for (let j: u32 = 0; j < n; j++) if (<i64>rsActive(node, first + j) * 2 < <i64>weight(first, j)) return true;
  return false;
}

/**
 * ip_vs_lblc_schedule: the cache keyed by the packet's destination — for a virtual server always
 * its own address, so one entry — keeps the server it names while that is not overloaded;
 * otherwise a weighted least-connection pick replaces it.
 */
function lblc(node: u32, v: u32, n: u32, first: u32): u32 {
  const s = nodeVs(node, v);
  const cached = load<u32>(s, 20);
  if (cached != 0) {
    const i = cached - 1;
    if (weight(first, i) > 0 && !overloaded(node, n, first, i)) return i;
  }
  const d = wlc(node, n, first, false);
  if (d != NONE) store<u32>(nodeVs(node, v), d + 1, 20);
  return d;
}

/**
 * ip_vs_lblcr_schedule: the cache entry holds a set of servers (newest first); the weighted
 * least-connection one of the set serves unless overloaded, then a pick over all joins the set.
 * (The set's 24-hour shrinking, lblcr_expiration, never comes within a simulation.)
 */
function lblcr(node: u32, v: u32, n: u32, first: u32): u32 {
  const s = nodeVs(node, v);
  const inserted = load<u32>(s, 24);
  if (inserted != 0) {
    // ip_vs_dest_set_min over the set, in its list order (the latest insertion first).
    let least: u32 = NONE;
    let loh: i64 = 0;
    for (let seq = inserted; seq >= 1; seq--) {
      for (let i: u32 = 0; i < n; i++) {
        if (setPosition(node, first + i) != seq) continue;
        const doh = overhead(node, first + i);
        if (least == NONE) {
          if (weight(first, i) > 0) {
            least = i;
            loh = doh;
          }
        } else if (loh * <i64>weight(first, i) > doh * <i64>weight(first, least)) {
          least = i;
          loh = doh;
        }
      }
    }
    if (least != NONE && !overloaded(node, n, first, least)) return least;
    const d = wlc(node, n, first, false);
    if (d == NONE) return NONE;
    if (setPosition(node, first + d) == 0) joinSet(node, v, first + d);
    return d;
  }
  const d = wlc(node, n, first, false);
  if (d != NONE) joinSet(node, v, first + d);
  return d;
}

function setPosition(node: u32, r: u32): u32 {
  const p = tabFind(T_NODE_RS, node + 1, r, 0, false);
  return p == 0 ? 0 : load<u32>(p, 20);
}

/** ip_vs_dest_set_insert: list_add at the head, remembered as the next insertion number. */
function joinSet(node: u32, v: u32, r: u32): void {
  const s = nodeVs(node, v);
  const seq = load<u32>(s, 24) + 1;
  store<u32>(s, seq, 24);
  const p = tabFind(T_NODE_RS, node + 1, r, 0, true);
  store<u32>(p, seq, 20);
}

/** The 5-tuple's protocol and port as the virtual-server table keys them. */
@inline export function vsKey(pkt: usize): u32 {
  return (load<u32>(pkt, P_PROTO) << 16) | (load<u32>(pkt, P_DPORT) & 0xffff);
}
