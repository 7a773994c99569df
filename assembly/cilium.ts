// Cilium's load balancer as its eBPF programs consult it: the service map (frontend
// ClusterIP:port/proto → backend slots, one hash probe) and the state the programs keep — the
// socket LB's reverse map (cilium_lb4_reverse_sk, what recvmsg()/getpeername() translate back),
// the connected sockets (a connect()ed socket keeps its backend: no lookup per packet), per-packet
// LB's entries in Cilium's own conntrack (cilium_ct4_global: the backend, the rev-NAT index) and
// the ClientIP affinity map (cilium_lb4_affinity). All start empty and grow; forward.ts runs the
// programs themselves.

import { BE_ADDR, BE_BYTES, BE_PORT, FE_ADDR, FE_AFFINITY, FE_BYTES, FE_COUNT, FE_FIRST, FE_PORTS, LB_NONE, N_POD_LEN, N_POD_NET, NONE } from "./abi";
import { arenaAlloc } from "./arena";
import { KT_BYTES, ktClear, ktFind, ktInit, mix } from "./keyed-table";
import { node, nodeCount } from "./state";

let feTable: usize = 0;
export let feCount: u32 = 0;
let beTable: usize = 0;
export let lbMode: u32 = LB_NONE;
let feSlots: usize = 0;
let feMask: u32 = 0;

@inline function feRec(f: u32): usize {
  return feTable + <usize>f * FE_BYTES;
}
@inline function beRec(b: u32): usize {
  return beTable + <usize>b * BE_BYTES;
}

/** Loads the frontends (FE_*) and backends (BE_*). False when a frontend's backends run past the table. */
export function lbLoad(fe: usize, feN: u32, be: usize, beN: u32, mode: u32): bool {
  feTable = fe;
  feCount = feN;
  beTable = be;
  lbMode = mode;
  let cap: u32 = 16;
  while (cap < feN * 2) cap <<= 1;
  feMask = cap - 1;
  feSlots = arenaAlloc(<usize>cap * 4);
  for (let f: u32 = 0; f < feN; f++) {
    const p = feRec(f);
    if (<u64>load<u32>(p, FE_FIRST) + <u64>load<u32>(p, FE_COUNT) > <u64>beN) return false;
    let s = mix(load<u32>(p, FE_ADDR), load<u32>(p, FE_PORTS)) & feMask;
    while (load<u32>(feSlots + <usize>s * 4) != 0) s = (s + 1) & feMask;
    store<u32>(feSlots + <usize>s * 4, f + 1);
  }
  tabInit();
  return true;
}

/** lb4_lookup_service: the frontend for addr and proto << 16 | port, or NONE. */
export function lbFind(addr: u32, ports: u32): u32 {
  if (feCount == 0) return NONE;
  let s = mix(addr, ports) & feMask;
  for (;;) {
    const f = load<u32>(feSlots + <usize>s * 4);
    if (f == 0) return NONE;
    const p = feRec(f - 1);
    if (load<u32>(p, FE_ADDR) == addr && load<u32>(p, FE_PORTS) == ports) return f - 1;
    s = (s + 1) & feMask;
  }
  return NONE;
}

export function feAddr(f: u32): u32 {
  return load<u32>(feRec(f), FE_ADDR);
}
export function fePort(f: u32): u32 {
  return load<u32>(feRec(f), FE_PORTS) & 0xffff;
}
export function feFirst(f: u32): u32 {
  return load<u32>(feRec(f), FE_FIRST);
}
export function feBackends(f: u32): u32 {
  return load<u32>(feRec(f), FE_COUNT);
}
export function feAffinity(f: u32): u32 {
  return load<u32>(feRec(f), FE_AFFINITY);
}
export function beAddr(b: u32): u32 {
  return load<u32>(beRec(b), BE_ADDR);
}
export function bePort(b: u32): u32 {
  return load<u32>(beRec(b), BE_PORT);
}

// ---- State: one growable open-addressing table of [k0..k4, v0, v1, v2] records ------------------
// k0 carries the kind in its top nibble and a node or namespace below; k0 == 0 marks a free slot.
export const K_SOCK: u32 = 0x10000000; // a connected socket: [netns, src, dst, sport << 16 | dport, proto] → backend + 1
export const K_REVSK: u32 = 0x20000000; // cilium_lb4_reverse_sk: [netns, backend, local addr, bport << 16 | local port, proto] → frontend + 1
export const K_CT: u32 = 0x30000000; // per-packet LB, original direction: [node, client, vip, ports, proto] → backend + 1, loopback
export const K_REVCT: u32 = 0x40000000; // per-packet LB, reply direction: [node, backend, client as sent, ports, proto] → frontend + 1, client + 0
export const K_AFFINITY: u32 = 0x50000000; // [node, frontend, client id, 0, 0] → backend + 1, last used

/** The state records: 5 key words, then 3 value words. */
const state: usize = memory.data(KT_BYTES, 8);

function tabInit(): void {
  ktInit(state, 32, 5, 256);
}

/** Forgets every socket, conntrack entry and affinity. */
export function lbReset(): void {
  ktClear(state);
}

/** The record keyed (k0 … k4); with `create`, a zeroed one is made when there is none. 0 if none. */
export function stateFind(k0: u32, k1: u32, k2: u32, k3: u32, k4: u32, create: bool): usize {
  return ktFind(state, k0, k1, k2, k3, k4, create);
}

/** Value word `i` (0-2) of a record. */
@inline export function stateGet(r: usize, i: u32): u32 {
  return load<u32>(r + 20 + <usize>i * 4);
}
@inline export function stateSet(r: usize, i: u32, v: u32): void {
  store<u32>(r + 20 + <usize>i * 4, v);
}

/** Records in use (for the host's diagnostics). */
export function stateCount(): u32 {
  return load<u32>(state, 8);
}

// ---- The ipcache's view of other nodes' pod CIDRs (tunnel endpoints) ----------------------------
// Every node's pod CIDR, keyed by its network address: a hash probe, not a scan over 5,000 nodes.
// (All nodes' CIDRs have one length, --node-cidr-mask-size / the operator's mask.)
let cidrSlots: usize = 0;
let cidrMask: u32 = 0;
let cidrLen: u32 = 0;

export function ipcacheLoad(): void {
  let cap: u32 = 16;
  while (cap < nodeCount * 2) cap <<= 1;
  cidrMask = cap - 1;
  cidrSlots = arenaAlloc(<usize>cap * 8);
  cidrLen = 0;
  for (let i: u32 = 0; i < nodeCount; i++) {
    const len = load<u32>(node(i), N_POD_LEN);
    if (len == 0) continue;
    cidrLen = len;
    const net = load<u32>(node(i), N_POD_NET);
    let s = mix(net, 0) & cidrMask;
    while (load<u32>(cidrSlots + <usize>s * 8, 4) != 0) s = (s + 1) & cidrMask;
    store<u32>(cidrSlots + <usize>s * 8, net);
    store<u32>(cidrSlots + <usize>s * 8, i + 1, 4);
  }
}

/** The node whose pod CIDR holds `addr`, or NONE. */
export function podCidrNode(addr: u32): u32 {
  if (cidrLen == 0) return NONE;
  const net = cidrLen >= 32 ? addr : addr & ~(0xffffffff >>> cidrLen);
  let s = mix(net, 0) & cidrMask;
  for (;;) {
    const v = load<u32>(cidrSlots + <usize>s * 8, 4);
    if (v == 0) return NONE;
    if (load<u32>(cidrSlots + <usize>s * 8) == net) return v - 1;
    s = (s + 1) & cidrMask;
  }
  return NONE;
}
