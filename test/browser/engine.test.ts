// The engine API in Chromium: simulations in module Workers (one or several), the same
// numbers as in the page's thread, progress, cancellation, and recovery from a crashed worker.
import { expect } from "@open-wc/testing";
import { createEngine, K8sNetFlowError, type Engine } from "../../src/index.js";

const cluster = { generate: { seed: 7, nodes: 20, pods: 400, namespaces: 4, services: 60, endpointsPerService: { distribution: "zipf" as const, min: 0, max: 12 } } };

async function rejection(p: Promise<unknown>): Promise<K8sNetFlowError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(K8sNetFlowError);
  return err as K8sNetFlowError;
}

describe("engine in the browser", () => {
  const engines: Engine[] = [];
  after(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
  });
  const make = async (options: Parameters<typeof createEngine>[0]) => {
    const e = await createEngine(options);
    engines.push(e);
    await e.load(cluster);
    return e;
  };

  it("simulates in two module Workers with exactly the counters of the page's thread", async () => {
    const [two, inline] = await Promise.all([make({ host: "worker", workers: 2 }), make({ host: "inline" })]);
    expect(two.host).to.equal("worker");
    expect(two.workers).to.equal(2);
    const plan = { flows: 20_000, packetsPerFlow: 3, seed: 9 };
    const [a, b] = await Promise.all([two.simulate(plan), inline.simulate(plan)]);
    expect(a.workers).to.equal(2);
    expect(JSON.stringify({ ...a, workers: 1 })).to.equal(JSON.stringify(b));
    expect(a.counters.delivered).to.be.greaterThan(0);
  });

  it("reports progress through one callback and stops on an AbortSignal, staying usable", async () => {
    const e = await make({ host: "worker" });
    const controller = new AbortController();
    const seen: number[] = [];
    let abortedAt = 0;
    const err = await rejection(
      e.simulate({ flows: 200_000, packetsPerFlow: 1000 }, {
        signal: controller.signal,
        onProgress: (done, total) => {
          expect(total).to.equal(200_000);
          seen.push(done);
          if (seen.length === 3) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }),
    );
    expect(err.code).to.equal("cancelled");
    expect(seen.length).to.be.within(3, 4); // at most one report was on its way when the signal fired
    expect(abortedAt).to.be.greaterThan(0); // the latency itself is measured in bench/engine.bench.mjs
    expect((await e.simulate({ flows: 1000 })).flows).to.equal(1000);
  });

  it("a crashed worker rejects its pending call and is replaced, with the cluster loaded again", async () => {
    const e = await make({ host: "worker" });
    const pending = e.simulate({ flows: 200_000, packetsPerFlow: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    await e.debug("crash").catch(() => {});
    expect((await rejection(pending)).code).to.equal("internal");
    const summary = await e.load({ scenario: "cross-node" });
    expect(summary.counts.nodes).to.equal(2);
    expect((await e.trace({ from: "pod-a", to: "pod-b" })).verdict).to.equal("delivered");
  });
});
