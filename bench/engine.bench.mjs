// The engine as users get it (dist/engine.js): a simulation plan sharded over 1, 2, … N worker
// threads (N = the machine's cores), alternating so all see the same machine load; and how soon
// an AbortSignal stops a running simulation. Needs `npm run build`.
/** The cluster and plan of the worker-scaling run (their seeds go into the results' meta). */
export const ENGINE_CLUSTER = { generate: { seed: 5, nodes: 200, pods: 6000, services: 1000, endpointsPerService: { min: 1, max: 8 } } };
export const ENGINE_PLAN = { flows: 300_000, packetsPerFlow: 10, seed: 1 };

/** `median` comes from bench/stats.ts, bundled by run.mjs. */
export async function run({ createEngine, median }, { repeats = 5, maxWorkers = 2 } = {}) {
  const plan = ENGINE_PLAN;
  const counts = Array.from({ length: Math.max(2, maxWorkers) }, (_, i) => i + 1);
  const engines = {};
  for (const n of counts) engines[n] = await createEngine({ host: "worker", workers: n });
  await Promise.all(Object.values(engines).map((e) => e.load(ENGINE_CLUSTER)));
  const times = Object.fromEntries(counts.map((n) => [n, []]));
  const progressPerSecond = [];
  const counters = {};
  // Warm-up: JIT, Wasm tier-up.
  for (const n of counts) await engines[n].simulate({ ...plan, flows: 50_000 });
  for (let r = 0; r < repeats; r++) {
    for (const n of counts) {
      const t = performance.now();
      let events = 0;
      const result = await engines[n].simulate(plan, { onProgress: () => events++ });
      times[n].push(performance.now() - t);
      progressPerSecond.push(events / ((performance.now() - t) / 1000));
      counters[n] = result.counters;
    }
  }
  for (const n of counts) if (JSON.stringify(counters[n]) !== JSON.stringify(counters[1])) throw new Error(`the counters of ${n} workers differ from the single worker's`);
  const cancel = [];
  for (let r = 0; r < repeats; r++) {
    const controller = new AbortController();
    let at = 0;
    const running = engines[2].simulate({ flows: 2_000_000, packetsPerFlow: 100, seed: r }, { signal: controller.signal, onProgress: () => at || ((at = performance.now()), controller.abort()) });
    const error = await running.then(() => undefined, (e) => e);
    if (!at || error?.code !== "cancelled") throw new Error(`the run was not cancelled: ${error?.message ?? "it finished"}`);
    cancel.push(performance.now() - at);
  }
  await Promise.all(Object.values(engines).map((e) => e.dispose()));
  const packets = plan.flows * plan.packetsPerFlow;
  const rate = (n) => packets / (median(times[n]) / 1000);
  const name = `simulate ${plan.flows.toLocaleString("en")} connections × ${plan.packetsPerFlow} packets, 1,000 services, 6,000 pods`;
  return {
    results: counts.slice(1).map((n) => ({ name, unit: "packets/s", subject: { label: `${n} workers`, median: rate(n) }, baseline: { label: "1 worker", median: rate(1) }, speedup: median(times[1]) / median(times[n]), repeats })),
    workerScaling: counts.map((n) => ({ workers: n, packetsPerSecond: rate(n), ms: median(times[n]), speedup: median(times[1]) / median(times[n]), repeats })),
    counters: counters[1],
    cancelMs: { median: median(cancel), max: Math.max(...cancel) },
    progressPerSecond: { median: median(progressPerSecond), min: Math.min(...progressPerSecond) },
  };
}
