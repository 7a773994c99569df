// Route lookup: the Wasm trie (one batched call) against the TypeScript reference (a linear
// longest-prefix scan), on flannel-shaped node tables of growing size. Same process, same
// addresses; reports medians and the ratio.

import { Dataplane } from "../src/dataplane/dataplane.js";
import { referenceLookup } from "../src/reference/fib.js";
import { median, type BenchResult } from "./stats.js";

/** A node's table in a cluster of `nodes` nodes: default, underlay, one /24 per node (10.0.0.0/8 space). */
function nodeTable(nodes: number): Uint32Array {
  const out = new Uint32Array((nodes + 2) * 2);
  out.set([0, 0, 0xc0a80000, 16]);
  for (let i = 0; i < nodes; i++) out.set([(0x0a000000 + i * 256) >>> 0, 24], (i + 2) * 2);
  return out;
}

/** Destinations spread over the pod network, from a fixed-seed xorshift (no Math.random). */
function destinations(count: number, nodes: number, seed = 7): Uint32Array {
  let x = seed;
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = (0x0a000000 + ((x >>> 0) % (nodes * 256))) >>> 0;
  }
  return out;
}

export async function run(wasm: Uint8Array, { repeats = 9, lookups = 20000 } = {}): Promise<BenchResult[]> {
  const dp = await Dataplane.create(wasm);
  const results: BenchResult[] = [];
  for (const nodes of [10, 100, 1000, 5000]) {
    const records = nodeTable(nodes);
    const dsts = destinations(lookups, nodes);
    dp.reset();
    const fib = dp.buildFib(records);
    // Both must agree before either is timed.
    const wasmOut = dp.lookupBatch(fib, dsts);
    for (let i = 0; i < dsts.length; i += 97) {
      if (wasmOut[i] !== referenceLookup(records, dsts[i]!)) throw new Error(`disagreement at ${dsts[i]}`);
    }
    const wasm: number[] = [];
    const ref: number[] = [];
    const refOut = new Int32Array(dsts.length);
    for (let r = 0; r < repeats; r++) {
      // Alternate the two so machine noise hits both alike.
      let t = performance.now();
      dp.lookupBatch(fib, dsts);
      wasm.push(performance.now() - t);
      t = performance.now();
      for (let i = 0; i < dsts.length; i++) refOut[i] = referenceLookup(records, dsts[i]!);
      ref.push(performance.now() - t);
    }
    const w = median(wasm);
    const b = median(ref);
    results.push({
      name: `route lookup, ${nodes}-node cluster (${nodes + 2} routes)`,
      unit: "ns/lookup",
      subject: { label: "Wasm trie (batched)", median: (w * 1e6) / lookups },
      baseline: { label: "TS reference (linear scan)", median: (b * 1e6) / lookups },
      speedup: b / w,
      repeats,
    });
  }
  return results;
}
