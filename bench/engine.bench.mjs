// The engine as users get it (dist/engine.js): a simulation plan sharded over 1 and 2 worker
// threads, alternating so both see the same machine load; and how soon an AbortSignal stops
// a running simulation. Needs `npm run build`.
/** `median` comes from bench/stats.ts, bundled by run.mjs. */
export async function run({ createEngine, median }, { repeats = 5, flows = 300_000 } = {}) {
  const cluster = { generate: { seed: 5, nodes: 200, pods: 6000, services: 1000, endpointsPerService: { min: 1, max: 8 } } };
  const plan = { flows, packetsPerFlow: 10, seed: 1 };
  const engines = { 1: await createEngine({ host: "worker", workers: 1 }), 2: await createEngine({ host: "worker", workers: 2 }) };
  await Promise.all(Object.values(engines).map((e) => e.load(cluster)));
  const times = { 1: [], 2: [] };
  const progressPerSecond = [];
  const counters = {};
  await engines[1].simulate({ ...plan, flows: 50_000 }); // warm-up: JIT, Wasm tier-up
  await engines[2].simulate({ ...plan, flows: 50_000 });
  for (let r = 0; r < repeats; r++) {
    for (const n of [1, 2]) {
      const t = performance.now();
      let events = 0;
      const result = await engines[n].simulate(plan, { onProgress: () => events++ });
      times[n].push(performance.now() - t);
      progressPerSecond.push(events / ((performance.now() - t) / 1000));
      counters[n] = JSON.stringify(result.counters);
    }
  }
  if (counters[1] !== counters[2]) throw new Error("sharded counters differ from the single worker's");
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
  const rate = (n) => (flows * plan.packetsPerFlow) / (median(times[n]) / 1000);
  return {
    results: [{ name: `simulate ${flows.toLocaleString("en")} connections × 10 packets, 1,000 services, 6,000 pods`, unit: "packets/s", subject: { label: "2 workers", median: rate(2) }, baseline: { label: "1 worker", median: rate(1) }, speedup: median(times[1]) / median(times[2]), repeats }],
    cancelMs: { median: median(cancel), max: Math.max(...cancel) },
    progressPerSecond: { median: median(progressPerSecond), min: Math.min(...progressPerSecond) },
  };
}
