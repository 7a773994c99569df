// Grow-only open-addressing tables of fixed-size records whose first `keyWords` words (3 or 5;
// the first never 0) are the key: IPVS's per-node scheduler state and Cilium's BPF-map state.
// A table doubles when half full; the old slots stay in the arena until the next load, so a
// lookup never allocates and an insert only rarely does.

import { arenaAlloc } from "./arena";

/** Bytes of a table's descriptor: slots, mask, count, record bytes, key words. */
export const KT_BYTES: u32 = 20;

@inline export function mix(a: u32, b: u32): u32 {
  let h = (a * 0x9e3779b1) ^ b;
  h = (h ^ (h >>> 15)) * 0x85ebca6b;
  h = (h ^ (h >>> 13)) * 0xc2b2ae35;
  return h ^ (h >>> 16);
}

@inline function hashOf(keyWords: u32, k0: u32, k1: u32, k2: u32, k3: u32, k4: u32): u32 {
  const h = mix(mix(k0, k1), k2);
  return keyWords == 3 ? h : mix(mix(h, k3), k4);
}

@inline function sameKey(r: usize, keyWords: u32, k0: u32, k1: u32, k2: u32, k3: u32, k4: u32): bool {
  if (load<u32>(r) != k0 || load<u32>(r, 4) != k1 || load<u32>(r, 8) != k2) return false;
  return keyWords == 3 || (load<u32>(r, 12) == k3 && load<u32>(r, 16) == k4);
}

export function ktInit(d: usize, recordBytes: u32, keyWords: u32, cap: u32): void {
  store<u32>(d, <u32>arenaAlloc(<usize>cap * recordBytes));
  store<u32>(d, cap - 1, 4);
  store<u32>(d, 0, 8);
  store<u32>(d, recordBytes, 12);
  store<u32>(d, keyWords, 16);
}

/** Empties the table (keeps its size). */
export function ktClear(d: usize): void {
  const slots = <usize>load<u32>(d);
  if (slots == 0) return;
  memory.fill(slots, 0, <usize>(load<u32>(d, 4) + 1) * load<u32>(d, 12));
  store<u32>(d, 0, 8);
}

/** The record with this key (words past `keyWords` ignored); with `create`, a zeroed one is made when there is none. 0 if none. */
export function ktFind(d: usize, k0: u32, k1: u32, k2: u32, k3: u32, k4: u32, create: bool): usize {
  let slots = <usize>load<u32>(d);
  if (slots == 0) return 0;
  let mask = load<u32>(d, 4);
  const bytes = <usize>load<u32>(d, 12);
  const kw = load<u32>(d, 16);
  let s = hashOf(kw, k0, k1, k2, k3, k4) & mask;
  for (;;) {
    const r = slots + <usize>s * bytes;
    if (load<u32>(r) == 0) break;
    if (sameKey(r, kw, k0, k1, k2, k3, k4)) return r;
    s = (s + 1) & mask;
  }
  if (!create) return 0;
  // At most half full: double and re-insert first.
  if ((load<u32>(d, 8) + 1) * 2 > mask + 1) {
    const cap = (mask + 1) * 2;
    const fresh = arenaAlloc(<usize>cap * bytes);
    for (let i: u32 = 0; i <= mask; i++) {
      const r = slots + <usize>i * bytes;
      if (load<u32>(r) == 0) continue;
      const h = kw == 3 ? hashOf(3, load<u32>(r), load<u32>(r, 4), load<u32>(r, 8), 0, 0) : hashOf(5, load<u32>(r), load<u32>(r, 4), load<u32>(r, 8), load<u32>(r, 12), load<u32>(r, 16));
      let j = h & (cap - 1);
      while (load<u32>(fresh + <usize>j * bytes) != 0) j = (j + 1) & (cap - 1);
      memory.copy(fresh + <usize>j * bytes, r, bytes);
    }
    slots = fresh;
    mask = cap - 1;
    store<u32>(d, <u32>slots);
    store<u32>(d, mask, 4);
    s = hashOf(kw, k0, k1, k2, k3, k4) & mask;
    while (load<u32>(slots + <usize>s * bytes) != 0) s = (s + 1) & mask;
  }
  const r = slots + <usize>s * bytes;
  store<u32>(r, k0);
  store<u32>(r, k1, 4);
  store<u32>(r, k2, 8);
  if (kw == 5) {
    store<u32>(r, k3, 12);
    store<u32>(r, k4, 16);
  }
  store<u32>(d, load<u32>(d, 8) + 1, 8);
  return r;
}
