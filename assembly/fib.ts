// Forwarding information base: longest-prefix match over IPv4 routes, like the kernel's
// `ip route get`. Each table (a node's main table, a pod's namespace table) is compiled by
// src/compile into route records; here they become a binary trie so a lookup costs at most
// 32 steps whatever the number of routes (a 5,000-node cluster gives each node ~5,000 routes).
//
// Route record (input, written by the host), `stride` bytes, starting with:
//   +0 u32 prefix (address as a host-order integer, host bits zero)
//   +4 u32 prefix length 0..32
// Trie node, 12 bytes:
//   +0 u32 child for bit 0 (address, 0 = none)
//   +4 u32 child for bit 1
//   +8 i32 index of the route ending here, -1 if none

import { arenaAlloc, arenaShrinkTo } from "./arena";

const NODE_BYTES: usize = 12;
const NO_ROUTE: i32 = -1;

@inline function newNode(at: usize): usize {
  store<u32>(at, 0, 0);
  store<u32>(at, 0, 4);
  store<i32>(at, NO_ROUTE, 8);
  return at;
}

/**
 * Builds the trie for `count` route records at `routes`. Returns the trie's root, or 0 when a
 * record is malformed (prefix length over 32, or host bits set): the host checks before
 * writing, so 0 means a bug there, not bad user input.
 * When two records have the same prefix the first one wins, as the compile step orders
 * them by metric the way the kernel prefers the lowest metric.
 */
export function fibBuild(routes: usize, count: u32, stride: u32): usize {
  // Worst case one node per bit of every route, plus the root.
  const capacity = (<usize>count) * 32 + 1;
  const pool = arenaAlloc(capacity * NODE_BYTES);
  const root = newNode(pool);
  let next = pool + NODE_BYTES;
  for (let i: u32 = 0; i < count; i++) {
    const rec = routes + (<usize>i) * stride;
    const prefix = load<u32>(rec, 0);
    const len = load<u32>(rec, 4);
    if (len > 32) return 0;
    if (len < 32 && (prefix << len) != 0) return 0;
    let node = root;
    for (let bit: u32 = 0; bit < len; bit++) {
      const side: usize = (prefix >>> (31 - bit)) & 1;
      let child = <usize>load<u32>(node + side * 4);
      if (child == 0) {
        child = newNode(next);
        next += NODE_BYTES;
        store<u32>(node + side * 4, <u32>child);
      }
      node = child;
    }
    if (load<i32>(node, 8) == NO_ROUTE) store<i32>(node, <i32>i, 8);
  }
  arenaShrinkTo(next);
  return root;
}

/** Index of the longest matching route for `dst`, or -1 (the kernel's "Network is unreachable"). */
export function fibLookup(root: usize, dst: u32): i32 {
  let best = load<i32>(root, 8);
  let node = root;
  for (let bit: u32 = 0; bit < 32; bit++) {
    const side: usize = (dst >>> (31 - bit)) & 1;
    const child = <usize>load<u32>(node + side * 4);
    if (child == 0) break;
    node = child;
    const here = load<i32>(node, 8);
    if (here != NO_ROUTE) best = here;
  }
  return best;
}

/** Looks up `count` u32 addresses at `dsts`, writing i32 route indexes to `out`: one call per batch, not per packet. */
export function fibLookupBatch(root: usize, dsts: usize, out: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    const off = (<usize>i) << 2;
    store<i32>(out + off, fibLookup(root, load<u32>(dsts + off)));
  }
}
