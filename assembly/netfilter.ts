// iptables as the kernel runs it: from a built-in chain, rule by rule; a match jumps to a
// user chain (returning at its end or at RETURN), a terminal target ends the walk, falling
// off a built-in chain means its policy (ACCEPT). The cost of a new connection is the number
// of rules walked, which grows with the number of services, as on a real node.

import {
  C_COUNT, C_FIRST, M_CTSTATE_ESTABLISHED, M_CTSTATE_INVALID, M_CTSTATE_NEW, M_DPORT, M_DST, M_DST_INV, M_DST_LOCAL, M_MARK, M_MARK_INV, M_PROTO, M_RECENT_CHECK,
  M_RECENT_SET, M_SRC, M_SRC_INV, M_STATISTIC, NONE, P_DPORT, P_DST, P_LEN, P_MARK, P_PROTO, P_SRC, R_ARG1, R_ARG2, R_DPORT, R_DST,
  R_DST_MASK, R_FLAGS, R_MARK, R_MARK_MASK, R_PROBABILITY, R_PROTO, R_RECENT, R_SECONDS, R_SRC, R_SRC_MASK, R_TARGET,
  T_ACCEPT, T_DNAT, T_DROP, T_JUMP, T_MARK_SET, T_MARK_XOR, T_MASQUERADE, T_REJECT, T_RETURN,
  M_DADDR_SET, M_VMAP, MAP_NO_ADDR, MAP_BY_NODE, R_MAP, R_SET, SE_ADDR, SE_BYTES, SE_CHAIN, SE_PORTS, SE_SET, SE_VERDICT, T_GOTO, T_NUMGEN,
  IPSET_DST, IPSET_DST_DST, IPSET_DST_DST_SRC, IPSET_DST_PORT, IPSET_SRC, M_IPSET, M_NODES, R_IPSET, R_NODESET,
  IF_KIND, IF_NETNS, IF_VETH, IFACE_IN_SET, IFACE_WORKLOADS, M_IPSET2, R_IPSET2, R_SET2, M_IIF, M_MULTIPORT, M_OIF, M_VERDICT, NS_KIND, NS_POD, R_IIF, R_OIF, R_PORTS,
} from "./abi";
import { arenaAlloc } from "./arena";
import { chain, chainHits, hooks, iface, netns, now, random32, rule, ruleHits } from "./state";

export const NF_ACCEPT: u32 = 0;
export const NF_DROP: u32 = 1;
export const NF_REJECT: u32 = 2;

// Results of the last walk.
export let nfDnatAddr: u32 = 0; // 0: no DNAT
export let nfDnatPort: u32 = 0;
export let nfMasquerade: bool = false;
export let nfRule: u32 = NONE; // the rule that decided (DNAT, MASQUERADE, REJECT, DROP)
export let nfWalked: u32 = 0; // rules evaluated in this walk
export let nfTotalWalked: u64 = 0;
// NetworkPolicy verdict points (M_VERDICT rules) this walk hit, in order: the trace shows each.
export const NF_VERDICT_MAX: u32 = 4;
const verdicts: usize = memory.data(NF_VERDICT_MAX * 4, 4);
export let nfVerdictCount: u32 = 0;
export function nfVerdict(i: u32): u32 {
  return load<u32>(verdicts + <usize>i * 4);
}

// The node whose tables the next walks run: a rule kube-proxy writes on some nodes only (M_NODES)
// does not exist elsewhere. The forwarding loop says where it is before it walks.
let nfNode: u32 = 0;
export function nfAt(node: u32): void {
  nfNode = node;
}

/** A table lookup that stands in for rules (IPVS's virtual-server hash): counted as one. */
export function nfCountLookup(): void {
  nfTotalWalked++;
}

const M_CTSTATE_ANY: u32 = M_CTSTATE_NEW | M_CTSTATE_ESTABLISHED | M_CTSTATE_INVALID;
const M_RARE: u32 = M_MULTIPORT | M_IIF | M_OIF | M_DST_LOCAL | M_DADDR_SET | M_IPSET | M_IPSET2;

const STACK_DEPTH: u32 = 32;
let stack: usize = 0; // (chain, next rule) pairs

// Recent lists (ClientIP affinity): (list, source) → last seen.
let recentKeys: usize = 0; // list id + 1, 0 empty
let recentSrc: usize = 0;
let recentSeen: usize = 0;
let recentMask: u32 = 0;

export function nfInit(recentCapacity: u32): void {
  stack = arenaAlloc(<usize>STACK_DEPTH * 8);
  let cap: u32 = 16;
  while (cap < recentCapacity * 2) cap <<= 1;
  recentMask = cap - 1;
  recentKeys = arenaAlloc(<usize>cap * 4);
  recentSrc = arenaAlloc(<usize>cap * 4);
  recentSeen = arenaAlloc(<usize>cap * 4);
  nfTotalWalked = 0;
}

// nftables sets and maps: every element of every set in one open-addressing table keyed by
// (set, address, proto << 16 | port); the value is the element's index + 1 (0: empty).
let elements: usize = 0;
let elementSlots: usize = 0;
let elementMask: u32 = 0;

@inline function elementHash(set: u32, addr: u32, ports: u32): u32 {
  let h = set * 0x9e3779b1 ^ addr;
  h = (h ^ (h >>> 15)) * 0x85ebca6b ^ ports;
  h = (h ^ (h >>> 13)) * 0xc2b2ae35;
  return h ^ (h >>> 16);
}

/**
 * Indexes the `count` element records at `elems` (SE_* layout). Returns false when a map
 * element's verdict names a chain that does not exist.
 */
export function nfSetsLoad(elems: usize, count: u32, chainCount: u32): bool {
  elements = elems;
  let cap: u32 = 16;
  while (cap < count * 2) cap <<= 1;
  elementMask = cap - 1;
  elementSlots = arenaAlloc(<usize>cap * 4);
  for (let i: u32 = 0; i < count; i++) {
    const e = elems + <usize>i * SE_BYTES;
    const v = load<u32>(e, SE_VERDICT);
    if ((v == T_GOTO || v == T_JUMP) && load<u32>(e, SE_CHAIN) >= chainCount) return false;
    let s = elementHash(load<u32>(e, SE_SET), load<u32>(e, SE_ADDR), load<u32>(e, SE_PORTS)) & elementMask;
    while (load<u32>(elementSlots + <usize>s * 4) != 0) s = (s + 1) & elementMask;
    store<u32>(elementSlots + <usize>s * 4, i + 1);
  }
  return true;
}

/** The element of `set` with this key, or 0. */
function elementFind(set: u32, addr: u32, ports: u32): usize {
  let s = elementHash(set, addr, ports) & elementMask;
  // The table is at most half full, so an empty slot ends every probe sequence.
  let v = load<u32>(elementSlots + <usize>s * 4);
  while (v != 0) {
    const e = elements + <usize>(v - 1) * SE_BYTES;
    if (load<u32>(e, SE_SET) == set && load<u32>(e, SE_ADDR) == addr && load<u32>(e, SE_PORTS) == ports) return e;
    s = (s + 1) & elementMask;
    v = load<u32>(elementSlots + <usize>s * 4);
  }
  return 0;
}

/**
 * xt_set: is the key the packet gives for `dims` in ipset `set`? hash:ip,port members are keyed
 * address . proto:port like a map's, hash:ip,port,ip members keep their second address in SE_CHAIN.
 */
function ipsetMatch(set: u32, dims: u32, src: u32, dst: u32, ports: u32): bool {
  if (dims == IPSET_DST) return elementFind(set, dst, 0) != 0;
  if (dims == IPSET_SRC) return elementFind(set, src, 0) != 0;
  if (dims == IPSET_DST_PORT) return elementFind(set, 0, ports & 0xffff) != 0;
  const e = elementFind(set, dst, ports);
  if (e == 0) return false;
  return dims != IPSET_DST_DST_SRC || load<u32>(e, SE_CHAIN) == src;
}

/** Forgets every xt_recent entry. */
export function recentClear(): void {
  memory.fill(recentKeys, 0, <usize>(recentMask + 1) * 4);
  nfTotalWalked = 0;
}

function recentSlot(list: u32, src: u32, create: bool): i32 {
  let s = ((src * 0x9e3779b1) ^ (list * 0x85ebca6b)) & recentMask;
  for (let probes: u32 = 0; probes <= recentMask; probes++) {
    const k = load<u32>(recentKeys + <usize>s * 4);
    if (k == 0) {
      if (!create) return -1;
      store<u32>(recentKeys + <usize>s * 4, list + 1);
      store<u32>(recentSrc + <usize>s * 4, src);
      return <i32>s;
    }
    if (k == list + 1 && load<u32>(recentSrc + <usize>s * 4) == src) return <i32>s;
    s = (s + 1) & recentMask;
  }
  return -1; // full: affinity is forgotten, as xt_recent evicts
}

/** The hook's chain id, or NONE when the ruleset has no such built-in chain. */
export function hookChain(hook: u32): u32 {
  return load<u32>(hooks + <usize>hook * 4);
}

/**
 * Walks built-in chain `start` for a packet. `isNew`: the packet starts a connection (for
 * `-m conntrack --ctstate NEW`); `dstLocal`: its destination is an address of this node
 * (`-m addrtype --dst-type LOCAL`).
 */
/** A built-in chain's policy decides (ACCEPT in every chain kube-proxy uses); counted as iptables-save -c shows it. */
@inline function policy(c: u32, bytes: u64): u32 {
  const h = chainHits + <usize>c * 16;
  store<u64>(h, load<u64>(h) + 1);
  store<u64>(h, load<u64>(h, 8) + bytes, 8);
  return NF_ACCEPT;
}

/** `-i`/`-o`: the device itself, or for `cali+` any pod's veth end on the host. */
function ifaceMatch(want: u32, dev: u32): bool {
  if (dev == NONE) return false;
  if (want != IFACE_WORKLOADS) return want & IFACE_IN_SET ? elementFind(want & ~IFACE_IN_SET, dev, 0) != 0 : dev == want;
  const f = iface(dev);
  return load<u32>(f, IF_KIND) == IF_VETH && load<u32>(netns(load<u32>(f, IF_NETNS)), NS_KIND) != NS_POD;
}

/** xt_multiport: the port lies in one of `count` ranges (elements from `first`: low in SE_ADDR, high in SE_PORTS). */
function multiportMatch(first: u32, count: u32, port: u32): bool {
  for (let k: u32 = 0; k < count; k++) {
    const e = elements + <usize>(first + k) * SE_BYTES;
    if (port >= load<u32>(e, SE_ADDR) && port <= load<u32>(e, SE_PORTS)) return true;
  }
  return false;
}

export function nfWalk(start: u32, pkt: usize, isNew: bool, dstLocal: bool, inIf: u32 = NONE, outIf: u32 = NONE): u32 {
  nfVerdictCount = 0;
  nfDnatAddr = 0;
  nfDnatPort = 0;
  nfMasquerade = false;
  nfRule = NONE;
  nfWalked = 0;
  if (start == NONE) return NF_ACCEPT;
  const src = load<u32>(pkt, P_SRC);
  const dst = load<u32>(pkt, P_DST);
  const proto = load<u32>(pkt, P_PROTO);
  const dport = load<u32>(pkt, P_DPORT);
  const bytes = <u64>load<u32>(pkt, P_LEN);
  let depth: u32 = 0;
  let c = start;
  let i: u32 = 0;
  for (;;) {
    const ch = chain(c);
    if (i >= load<u32>(ch, C_COUNT)) {
      // End of a user chain returns to the caller; end of a built-in chain is its policy.
      if (depth == 0) return policy(start, bytes);
      depth--;
      c = load<u32>(stack + <usize>depth * 8);
      i = load<u32>(stack + <usize>depth * 8 + 4);
      continue;
    }
    const id = load<u32>(ch, C_FIRST) + i;
    const r = rule(id);
    i++;
    const f = load<u32>(r, R_FLAGS);
    // Not written on this node: nothing to evaluate.
    if ((f & M_NODES) && elementFind(load<u32>(r, R_NODESET), nfNode, 0) == 0) continue;
    nfWalked++;
    nfTotalWalked++;
    if (f & M_SRC) {
      const hit = (src & load<u32>(r, R_SRC_MASK)) == load<u32>(r, R_SRC);
      if (hit == ((f & M_SRC_INV) != 0)) continue;
    }
    if (f & M_DST) {
      const hit = (dst & load<u32>(r, R_DST_MASK)) == load<u32>(r, R_DST);
      if (hit == ((f & M_DST_INV) != 0)) continue;
    }
    if ((f & M_PROTO) && proto != load<u32>(r, R_PROTO)) continue;
    if ((f & M_DPORT) && dport != load<u32>(r, R_DPORT)) continue;
    if (f & M_MARK) {
      const hit = (load<u32>(pkt, P_MARK) & load<u32>(r, R_MARK_MASK)) == load<u32>(r, R_MARK);
      if (hit == ((f & M_MARK_INV) != 0)) continue;
    }
    if (f & M_CTSTATE_ANY) {
      if ((f & M_CTSTATE_NEW) && !isNew) continue;
      if ((f & M_CTSTATE_ESTABLISHED) && isNew) continue;
      if (f & M_CTSTATE_INVALID) continue; // the simulator never makes invalid packets
    }
    // Matches most rules lack (one test for all of them: kube-proxy's rules are walked by the
    // thousand, and each test costs every rule). All are pure: the statistic draw comes after.
    if (f & M_RARE) {
      if ((f & M_MULTIPORT) && !multiportMatch(load<u32>(r, R_PORTS), load<u32>(r, R_DPORT), dport)) continue;
      if ((f & M_IIF) && !ifaceMatch(load<u32>(r, R_IIF), inIf)) continue;
      if ((f & M_OIF) && !ifaceMatch(load<u32>(r, R_OIF), outIf)) continue;
      if ((f & M_DST_LOCAL) && !dstLocal) continue;
      if ((f & M_DADDR_SET) && elementFind(load<u32>(r, R_SET), dst, 0) == 0) continue;
      if ((f & M_IPSET) && !ipsetMatch(load<u32>(r, R_SET), load<u32>(r, R_IPSET), src, dst, (proto << 16) | dport)) continue;
      if ((f & M_IPSET2) && !ipsetMatch(load<u32>(r, R_SET2), load<u32>(r, R_IPSET2), src, dst, (proto << 16) | dport)) continue;
    }
    // A verdict map: a miss goes on to the next rule, a hit's verdict is this rule's target.
    let target = load<u32>(r, R_TARGET);
    let arg1 = load<u32>(r, R_ARG1);
    if (f & M_VMAP) {
      const map = load<u32>(r, R_MAP);
      const e = map & MAP_BY_NODE ? elementFind(map & ~MAP_BY_NODE, nfNode, 0) : elementFind(map & ~MAP_NO_ADDR, map & MAP_NO_ADDR ? 0 : dst, (proto << 16) | dport);
      if (e == 0) continue;
      target = load<u32>(e, SE_VERDICT);
      arg1 = load<u32>(e, SE_CHAIN);
    }
    if (f & M_RECENT_CHECK) {
      // --rcheck --seconds N --reap: seen from this source within N seconds.
      const s = recentSlot(load<u32>(r, R_RECENT), src, false);
      if (s < 0) continue;
      const seen = load<u32>(recentSeen + <usize>s * 4);
      if (now - seen > load<u32>(r, R_SECONDS)) continue;
    }
    if (f & M_STATISTIC) {
      // xt_statistic: (prandom_u32() & 0x7FFFFFFF) < probability (31-bit fixed point).
      if ((random32() & 0x7fffffff) >= load<u32>(r, R_PROBABILITY)) continue;
    }
    if (f & M_RECENT_SET) {
      const s = recentSlot(load<u32>(r, R_RECENT), src, true);
      if (s >= 0) store<u32>(recentSeen + <usize>s * 4, now);
    }
    if ((f & M_VERDICT) && nfVerdictCount < NF_VERDICT_MAX) {
      store<u32>(verdicts + <usize>nfVerdictCount * 4, id);
      nfVerdictCount++;
    }
    const hits = ruleHits + <usize>id * 16;
    store<u64>(hits, load<u64>(hits) + 1);
    store<u64>(hits, load<u64>(hits, 8) + bytes, 8);
    switch (target) {
      case T_JUMP: {
        if (depth >= STACK_DEPTH) return NF_DROP; // the kernel refuses such rulesets; never here
        store<u32>(stack + <usize>depth * 8, c);
        store<u32>(stack + <usize>depth * 8 + 4, i);
        depth++;
        c = arg1;
        i = 0;
        break;
      }
      case T_GOTO:
        // Like a jump, but the end of that chain returns to whoever called this one.
        c = arg1;
        i = 0;
        break;
      case T_NUMGEN:
        // nft_ng_random_eval: reciprocal_scale(get_random_u32(), modulus).
        c = arg1 + <u32>((<u64>random32() * <u64>load<u32>(r, R_ARG2)) >>> 32);
        i = 0;
        break;
      case T_RETURN: {
        if (depth == 0) {
          // RETURN from a built-in chain applies its policy, and counts there too.
          return policy(start, bytes);
        }
        depth--;
        c = load<u32>(stack + <usize>depth * 8);
        i = load<u32>(stack + <usize>depth * 8 + 4);
        break;
      }
      case T_ACCEPT:
        return NF_ACCEPT;
      case T_DNAT:
        nfDnatAddr = arg1;
        nfDnatPort = load<u32>(r, R_ARG2);
        nfRule = id;
        return NF_ACCEPT;
      case T_MARK_SET: {
        const mask = load<u32>(r, R_ARG2);
        store<u32>(pkt, (load<u32>(pkt, P_MARK) & ~mask) ^ arg1, P_MARK);
        break; // MARK is not terminal
      }
      case T_MARK_XOR:
        store<u32>(pkt, load<u32>(pkt, P_MARK) ^ arg1, P_MARK);
        break;
      case T_MASQUERADE:
        nfMasquerade = true;
        nfRule = id;
        return NF_ACCEPT;
      case T_REJECT:
        nfRule = id;
        return NF_REJECT;
      case T_DROP:
        nfRule = id;
        return NF_DROP;
      default:
        break; // no target: the rule only counts
    }
  }
  return NF_ACCEPT;
}
