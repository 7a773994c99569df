// The macro scenario: a cluster at Kubernetes' scalability limits (5,000 nodes, 150,000 pods,
// 10,000 Services) loaded into the engine's workers (dist/engine.js), then as many connections of
// the uniform plan as the workers hold, in nftables mode. Run by bench/run.mjs in a fresh child
// process, so its peak memory (process RSS, worker threads included, sampled every 10 ms) is
// this scenario's alone. Needs `npm run build`.
export const MACRO_CLUSTER = { generate: { seed: 11, nodes: 5000, pods: 150000, services: 10000, settings: { kubeProxy: { mode: "nftables" } } } };
export const MACRO_PLAN = { flows: 10_000_000, packetsPerFlow: 10, pattern: "uniform", seed: 11 };
export const MACRO_WORKERS = 2;

/** `flows`: the plan's flows, at most what the workers hold; `median` from bench/stats.ts. */
export async function run({ createEngine, median }, { flows, repeats = 3 } = {}) {
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const plan = { ...MACRO_PLAN, flows };
  const load = [];
  const runMs = [];
  let counters;
  let counts;
  let error;
  try {
    for (let r = 0; r < repeats; r++) {
      const engine = await createEngine({ host: "worker", workers: MACRO_WORKERS });
      try {
        let t = performance.now();
        const summary = await engine.load(MACRO_CLUSTER);
        load.push(performance.now() - t);
        counts = summary.counts;
        t = performance.now();
        const result = await engine.simulate(plan);
        runMs.push(performance.now() - t);
        const c = JSON.stringify(result.counters);
        if (counters && JSON.stringify(counters) !== c) throw new Error("the same plan counted differently on a second run");
        counters = result.counters;
      } finally {
        await engine.dispose();
      }
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    clearInterval(sample);
  }
  const packets = plan.flows * plan.packetsPerFlow;
  return {
    workers: MACRO_WORKERS,
    mode: "nftables",
    flowsRequested: MACRO_PLAN.flows,
    flows: plan.flows,
    packetsPerFlow: plan.packetsPerFlow,
    repeats,
    ...(counts ? { counts } : {}),
    ...(load.length ? { loadMs: median(load) } : {}),
    ...(runMs.length ? { runMs: median(runMs), packetsPerSecond: packets / (median(runMs) / 1000) } : {}),
    peakRssMB: Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1e6,
    ...(counters ? { counters } : {}),
    ...(error ? { error } : {}),
  };
}
