// The loaded cluster: table addresses and sizes, checked once by configure() so that the
// forwarding loop can trust every index it follows. Also the lookups built at load time
// (IPv4 → interface, MAC → interface), the seeded PRNG, the simulated clock and counters.

import { arenaAlloc } from "./arena";
import {
  C_BYTES, C_COUNT, C_FIRST, H_COUNT, IF_ADDR, IF_BYTES, IF_FLAGS, IF_IPIP, IF_KIND, IF_MAC_HI, IF_MAC_LO, IF_MASTER, IF_NETNS, IF_PEER, IF_VETH, IFF_PROXY_ARP,
  N_BRIDGE, N_BYTES, N_CILIUM_HOST, N_ETH, N_HOST, N_VXLAN, NONE, NS_BYTES, NS_KIND, NS_NODE, NS_POD,
  R_ARG1, R_ARG2, R_BYTES, R_TARGET, T_GOTO, T_JUMP, T_NUMGEN,
} from "./abi";

export let ifaces: usize = 0;
export let ifaceCount: u32 = 0;
export let namespaces: usize = 0;
export let netnsCount: u32 = 0;
export let nodes: usize = 0;
export let nodeCount: u32 = 0;
export let rules: usize = 0;
export let ruleCount: u32 = 0;
export let chains: usize = 0;
export let chainCount: u32 = 0;
export let hooks: usize = 0; // H_COUNT chain ids (NONE: no such built-in chain)

// IPv4 → interface and MAC → interface, open addressing, capacity a power of two.
let ipKeys: usize = 0;
let ipVals: usize = 0;
let macKeysHi: usize = 0;
let macKeysLo: usize = 0;
let macVals: usize = 0;
let hashMask: u32 = 0;

// Per-rule [packets, bytes] (u64 each), for statistics and `iptables-save -c`; and per chain,
// the packets that fell off its end (a built-in chain's policy counters).
export let ruleHits: usize = 0;
export let chainHits: usize = 0;

// Configuration errors
export const E_OK: u32 = 0;
export const E_IFACE_REF: u32 = 1;
export const E_NETNS_REF: u32 = 2;
export const E_ROUTE: u32 = 3;
export const E_RULE_TARGET: u32 = 4;
export const E_CHAIN_RANGE: u32 = 5;
export const E_HOOK: u32 = 6;
export const E_NODE_REF: u32 = 7;
export const E_DUPLICATE_ADDR: u32 = 8;
export const E_OUT_OF_MEMORY: u32 = 9;

/** A table [ptr, ptr + count·size) must lie inside linear memory. */
export function inMemory(ptr: usize, count: u32, size: u32): bool {
  const end = <u64>ptr + <u64>count * <u64>size;
  return end <= (<u64>memory.size() << 16);
}

@inline export function iface(i: u32): usize {
  return ifaces + <usize>i * IF_BYTES;
}
@inline export function netns(i: u32): usize {
  return namespaces + <usize>i * NS_BYTES;
}
@inline export function node(i: u32): usize {
  return nodes + <usize>i * N_BYTES;
}
@inline export function rule(i: u32): usize {
  return rules + <usize>i * R_BYTES;
}
@inline export function chain(i: u32): usize {
  return chains + <usize>i * C_BYTES;
}

function ref(v: u32, count: u32): bool {
  return v == NONE || v < count;
}

function hashU32(x: u32): u32 {
  x ^= x >>> 16;
  x = x * 0x7feb352d;
  x ^= x >>> 15;
  x = x * 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

/**
 * Takes the tables the host wrote (a descriptor of u32 words, see src/dataplane/layout.ts)
 * and checks every cross-reference once. Returns E_OK or the first error found; the
 * dataplane is unusable until a configure() succeeds.
 */
export function configure(desc: usize): u32 {
  ifaces = <usize>load<u32>(desc, 0);
  ifaceCount = load<u32>(desc, 4);
  namespaces = <usize>load<u32>(desc, 8);
  netnsCount = load<u32>(desc, 12);
  nodes = <usize>load<u32>(desc, 16);
  nodeCount = load<u32>(desc, 20);
  if (!inMemory(ifaces, ifaceCount, IF_BYTES) || !inMemory(namespaces, netnsCount, NS_BYTES) || !inMemory(nodes, nodeCount, N_BYTES)) return E_OUT_OF_MEMORY;

  for (let i: u32 = 0; i < ifaceCount; i++) {
    const f = iface(i);
    if (load<u32>(f, IF_NETNS) >= netnsCount) return E_NETNS_REF;
    if (!ref(load<u32>(f, IF_PEER), ifaceCount) || !ref(load<u32>(f, IF_MASTER), ifaceCount)) return E_IFACE_REF;
    if (load<u32>(f, IF_KIND) == IF_VETH && load<u32>(f, IF_PEER) == NONE) return E_IFACE_REF;
  }
  for (let i: u32 = 0; i < netnsCount; i++) {
    const n = netns(i);
    if (load<u32>(n, NS_NODE) >= nodeCount) return E_NODE_REF;
    // Routes are checked and their tries built by routing.ts routesLoad.
  }
  for (let i: u32 = 0; i < nodeCount; i++) {
    const n = node(i);
    const host = load<u32>(n, N_HOST);
    if (host >= netnsCount || load<u32>(netns(host), NS_KIND) == NS_POD) return E_NODE_REF;
    if (load<u32>(n, N_ETH) >= ifaceCount) return E_NODE_REF;
    if (!ref(load<u32>(n, N_VXLAN), ifaceCount) || !ref(load<u32>(n, N_BRIDGE), ifaceCount) || !ref(load<u32>(n, N_CILIUM_HOST), ifaceCount)) return E_NODE_REF;
  }
  const err = rulesConfigure(<usize>load<u32>(desc, 24), load<u32>(desc, 28), <usize>load<u32>(desc, 32), load<u32>(desc, 36), <usize>load<u32>(desc, 40));
  if (err != E_OK) return err;

  // Lookups, sized for a load factor of at most one half.
  let cap: u32 = 16;
  while (cap < ifaceCount * 2) cap <<= 1;
  hashMask = cap - 1;
  ipKeys = arenaAlloc(<usize>cap * 4);
  ipVals = arenaAlloc(<usize>cap * 4);
  macKeysHi = arenaAlloc(<usize>cap * 4);
  macKeysLo = arenaAlloc(<usize>cap * 4);
  macVals = arenaAlloc(<usize>cap * 4);
  for (let i: u32 = 0; i < ifaceCount; i++) {
    const f = iface(i);
    const addr = load<u32>(f, IF_ADDR);
    if (addr != 0) {
      let s = hashU32(addr) & hashMask;
      while (load<u32>(ipKeys + <usize>s * 4) != 0) {
        if (load<u32>(ipKeys + <usize>s * 4) == addr) return E_DUPLICATE_ADDR;
        s = (s + 1) & hashMask;
      }
      store<u32>(ipKeys + <usize>s * 4, addr);
      store<u32>(ipVals + <usize>s * 4, i);
    }
    // Only MACs on shared segments are looked up (bridge FDB, VTEPs, the underlay). Calico's host
    // veths all carry ee:ee:ee:ee:ee:ee, seen only by the pod at the other end; tunl0 has none.
    if (load<u32>(f, IF_KIND) == IF_IPIP || (load<u32>(f, IF_FLAGS) & IFF_PROXY_ARP) != 0) continue;
    const hi = load<u32>(f, IF_MAC_HI);
    const lo = load<u32>(f, IF_MAC_LO);
    let m = hashU32(lo ^ (hi * 0x9e3779b1)) & hashMask;
    // A MAC slot is empty when its value is 0 (stored as interface + 1).
    while (load<u32>(macVals + <usize>m * 4) != 0) {
      if (load<u32>(macKeysLo + <usize>m * 4) == lo && load<u32>(macKeysHi + <usize>m * 4) == hi) return E_DUPLICATE_ADDR;
      m = (m + 1) & hashMask;
    }
    store<u32>(macKeysHi + <usize>m * 4, hi);
    store<u32>(macKeysLo + <usize>m * 4, lo);
    store<u32>(macVals + <usize>m * 4, i + 1);
  }
  return E_OK;
}

/**
 * The netfilter tables alone: rules, chains and the hooks' chains, checked, with fresh hit
 * counters. At load, and when kube-proxy re-syncs during a simulation (the connections stay).
 * Nothing changes unless all of it is consistent.
 */
export function rulesConfigure(newRules: usize, newRuleCount: u32, newChains: usize, newChainCount: u32, newHooks: usize): u32 {
  if (!inMemory(newRules, newRuleCount, R_BYTES) || !inMemory(newChains, newChainCount, C_BYTES) || !inMemory(newHooks, H_COUNT, 4)) return E_OUT_OF_MEMORY;
  for (let i: u32 = 0; i < newChainCount; i++) {
    const c = newChains + <usize>i * C_BYTES;
    if (<u64>load<u32>(c, C_FIRST) + <u64>load<u32>(c, C_COUNT) > <u64>newRuleCount) return E_CHAIN_RANGE;
  }
  for (let i: u32 = 0; i < newRuleCount; i++) {
    const r = newRules + <usize>i * R_BYTES;
    const target = load<u32>(r, R_TARGET);
    if ((target == T_JUMP || target == T_GOTO) && load<u32>(r, R_ARG1) >= newChainCount) return E_RULE_TARGET;
    if (target == T_NUMGEN && (load<u32>(r, R_ARG2) == 0 || <u64>load<u32>(r, R_ARG1) + <u64>load<u32>(r, R_ARG2) > <u64>newChainCount)) return E_RULE_TARGET;
  }
  for (let h: u32 = 0; h < H_COUNT; h++) {
    const c = load<u32>(newHooks + <usize>h * 4);
    if (!ref(c, newChainCount)) return E_HOOK;
  }
  rules = newRules;
  ruleCount = newRuleCount;
  chains = newChains;
  chainCount = newChainCount;
  hooks = newHooks;
  ruleHits = arenaAlloc(<usize>ruleCount * 16 + 16);
  chainHits = arenaAlloc(<usize>chainCount * 16 + 16);
  return E_OK;
}

/** The interface holding `addr`, or NONE. */
export function ifaceByAddr(addr: u32): u32 {
  if (addr == 0) return NONE;
  let s = hashU32(addr) & hashMask;
  for (;;) {
    const k = load<u32>(ipKeys + <usize>s * 4);
    if (k == 0) return NONE;
    if (k == addr) return load<u32>(ipVals + <usize>s * 4);
    s = (s + 1) & hashMask;
  }
  return NONE;
}

/** The interface whose MAC is hi:lo, or NONE. */
export function ifaceByMac(hi: u32, lo: u32): u32 {
  let m = hashU32(lo ^ (hi * 0x9e3779b1)) & hashMask;
  for (;;) {
    const v = load<u32>(macVals + <usize>m * 4);
    if (v == 0) return NONE;
    if (load<u32>(macKeysLo + <usize>m * 4) == lo && load<u32>(macKeysHi + <usize>m * 4) == hi) return v - 1;
    m = (m + 1) & hashMask;
  }
  return NONE;
}

// ---- Seeded PRNG and simulated clock: passed in, never read from the outside world ----------
let rng: u32 = 0x9e3779b9;
/** The seed itself, which also stands in for the kernel's socket cookies (Cilium's UDP socket LB). */
export let seedValue: u32 = 0;

/** Seeds the PRNG. The seed is mixed first (murmur3's finaliser) so that small, similar seeds
 * still give unrelated sequences: xorshift's first outputs follow its state closely. */
export function setSeed(seed: u32): void {
  seedValue = seed;
  let x = seed ^ 0x9e3779b9;
  x ^= x >>> 16;
  x *= 0x85ebca6b;
  x ^= x >>> 13;
  x *= 0xc2b2ae35;
  x ^= x >>> 16;
  rng = x == 0 ? 0x9e3779b9 : x;
}

/** xorshift32: the random source of iptables' statistic match and masquerade's ports. */
export function random32(): u32 {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x;
}

export let now: u32 = 0; // seconds of simulated time

/** The simulated clock, in seconds. */
export function getTime(): u32 {
  return now;
}

export function setTime(seconds: u32): void {
  now = seconds;
}

export function macHiOf(i: u32): u32 {
  return load<u32>(iface(i), IF_MAC_HI);
}
export function macLoOf(i: u32): u32 {
  return load<u32>(iface(i), IF_MAC_LO);
}
