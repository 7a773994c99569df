// Longest-prefix match written for clarity: the oracle the Wasm trie is tested against and
// the baseline benchmarks compare with. Not part of the shipped bundle.

import { maskOf } from "../net/ipv4.js";

/** Index of the longest prefix covering `dst` ([prefix, length] pairs), first one on ties; -1 if none. */
export function referenceLookup(records: Uint32Array, dst: number): number {
  let best = -1;
  let bestLength = -1;
  for (let i = 0; i * 2 < records.length; i++) {
    const prefix = records[i * 2]!;
    const length = records[i * 2 + 1]!;
    if (length > bestLength && ((dst & maskOf(length)) >>> 0) === prefix) {
      best = i;
      bestLength = length;
    }
  }
  return best;
}
