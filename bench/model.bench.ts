// Generating and validating a cluster at Kubernetes' scalability limits (5,000 nodes,
// 150,000 pods, 10,000 services). Reported as median time over repeated runs, against a
// baseline measured in the same process: one structuredClone of the model it produced (a
// machine-speed yardstick, so the ratio travels between machines better than milliseconds).

import { loadModel } from "../src/model/load.js";
import { median, type BenchResult } from "./stats.js";

export const LIMITS_SPEC = { nodes: 5000, pods: 150000, services: 10000, seed: 11 };

export function run({ repeats = 5 } = {}): BenchResult[] {
  const load: number[] = [];
  const clone: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    const { model } = loadModel({ generate: LIMITS_SPEC });
    load.push(performance.now() - t);
    t = performance.now();
    structuredClone(model);
    clone.push(performance.now() - t);
  }
  const l = median(load);
  const c = median(clone);
  return [
    {
      name: "generate + validate 5,000 nodes / 150,000 pods / 10,000 services",
      unit: "ms",
      subject: { label: "loadModel({ generate })", median: l },
      baseline: { label: "structuredClone(model)", median: c },
      speedup: c / l,
      repeats,
    },
  ];
}

/** Peak memory of one load in a fresh process (run by bench/run.mjs in a child). */
export function peak(): { rssBeforeMB: number; peakRssMB: number; heapModelMB: number } {
  const before = process.resourceUsage().maxRSS / 1024;
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const { model } = loadModel({ generate: LIMITS_SPEC });
  (globalThis as { gc?: () => void }).gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  if (model.pods.length !== LIMITS_SPEC.pods) throw new Error("unexpected model");
  return { rssBeforeMB: before, peakRssMB: process.resourceUsage().maxRSS / 1024, heapModelMB: (heap1 - heap0) / 1e6 };
}
