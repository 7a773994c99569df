// The engine's promises across hosts: the same results in a worker thread and in-thread,
// sharding that adds up exactly, progress, cancellation, and recovery from failures.
import { describe, expect, it } from "vitest";
import { engineFactory, rejection } from "./helpers.js";
import { createEngine, type SimulationResult } from "../../../src/index.js";

const engine = engineFactory();

// A cluster big enough that a simulation spans several chunks, with drops (a Service without
// endpoints is REJECTed) so that every counter is exercised.
const cluster = { generate: { seed: 7, nodes: 20, pods: 400, namespaces: 4, services: 60, endpointsPerService: { distribution: "zipf" as const, min: 0, max: 12 } } };

/** Everything a run computes, minus the one field that says how many workers ran it. */
const counted = (r: SimulationResult) => ({ ...r, workers: undefined });

describe("results are the same on every host", () => {
  it("traces, outputs and simulations: worker thread = in-thread, byte for byte", async () => {
    const [w, i] = await Promise.all([engine({ host: "worker" }), engine({ host: "inline" })]);
    expect(JSON.stringify(await w.load(cluster))).toBe(JSON.stringify(await i.load(cluster)));
    const summary = await i.load(cluster);
    const from = summary.pods.find((p) => p.namespace !== "kube-system")!;
    const svc = summary.services.find((s) => s.clusterIP && s.namespace !== "kube-system")!;
    const flow = { from: `${from.namespace}/${from.name}`, to: `${svc.name}.${svc.namespace}:${svc.ports[0]!.split("/")[0]}`, seed: 3 };
    expect(JSON.stringify(await w.trace(flow))).toBe(JSON.stringify(await i.trace(flow)));
    const show = { command: "iptables-save -t nat", node: summary.nodes[3]!.name };
    expect(JSON.stringify(await w.show(show))).toBe(JSON.stringify(await i.show(show)));
    const plan = { flows: 5000, packetsPerFlow: 4, seed: 11 };
    expect(JSON.stringify(await w.simulate(plan))).toBe(JSON.stringify(await i.simulate(plan)));
  });
});

describe("simulate", () => {
  it("adds up: N sharded workers give exactly the counters of one, for the same seed", async () => {
    const one = await engine({ host: "worker" });
    const three = await engine({ host: "worker", workers: 3 });
    expect(three.workers).toBe(3);
    await Promise.all([one.load(cluster), three.load(cluster)]);
    for (const seed of [1, 99]) {
      const plan = { flows: 20_000, packetsPerFlow: 3, seed };
      const [a, b] = await Promise.all([one.simulate(plan), three.simulate(plan)]);
      expect(a.workers).toBe(1);
      expect(b.workers).toBe(3);
      expect(counted(b)).toEqual(counted(a));
      expect(a.flows).toBe(20_000);
      expect(a.packets).toBe(60_000);
      // Every connection went to one endpoint (a DNAT rule's hit), or to a Service without
      // endpoints, whose REJECT rule refuses each of its packets: nothing is lost or counted twice.
      const rejectedFlows = a.counters.rejected / plan.packetsPerFlow;
      expect(rejectedFlows).toBeGreaterThan(0);
      expect(a.endpoints.reduce((s, e) => s + e.connections, 0) + rejectedFlows).toBe(a.flows);
      // The statistics add up across shards too (compared above with everything else): one
      // rules count per new connection, connections on 20 nodes mostly cross-node, conntrack
      // sampled at the same points of the plan by every shard.
      expect(b.rulesPerNewConnection).toEqual(a.rulesPerNewConnection);
      expect(b.timeline).toEqual(a.timeline);
      expect(b.serviceUniformity).toEqual(a.serviceUniformity);
      expect(a.rulesPerNewConnection.count).toBe(a.flows);
      expect(a.locality.sameNode + a.locality.crossNode).toBe(a.flows - rejectedFlows);
      expect(a.locality.crossNode).toBeGreaterThan(a.locality.sameNode);
      expect(a.timeline.at(-1)!.flows).toBe(a.flows);
      expect(a.timeline.at(-1)!.conntrack).toBe(a.counters.ctLive);
      // Within the first two minutes nothing has left TIME_WAIT: occupancy only grows.
      for (let k = 1; k < a.timeline.length; k++) expect(a.timeline[k]!.conntrack).toBeGreaterThan(a.timeline[k - 1]!.conntrack);
      // Wall time differs, and stays out of the comparison (not enumerable).
      expect(a.timing!.seconds).toBeGreaterThan(0);
      expect(b.timing!.packetsPerSecond).toBeGreaterThan(0);
    }
  }, 60_000);

  it("a zipf pattern sends most connections to the first Services, and still adds up across shards", async () => {
    const one = await engine({ host: "inline" });
    const two = await engine({ host: "worker", workers: 2 });
    await Promise.all([one.load(cluster), two.load(cluster)]);
    const plan = { flows: 20_000, packetsPerFlow: 2, seed: 3, pattern: "zipf" as const };
    const [a, b] = await Promise.all([one.simulate(plan), two.simulate(plan)]);
    expect({ ...b, workers: 1 }).toEqual(a);
    expect(a.plan.pattern).toBe("zipf");
    const uniform = await one.simulate({ ...plan, pattern: "uniform" });
    // Connections per Service: under zipf the busiest Service takes a far larger share.
    const busiest = (r: typeof a) => {
      const per = new Map<string, number>();
      for (const e of r.endpoints) per.set(e.servicePort, (per.get(e.servicePort) ?? 0) + e.connections);
      return Math.max(...per.values()) / r.flows;
    };
    expect(busiest(a)).toBeGreaterThan(3 * busiest(uniform));
    expect(await rejection(one.simulate({ flows: 10, pattern: "pareto" as "zipf" }))).toMatchObject({ code: "invalid-input", path: "pattern" });
  });

  it("a different seed picks different flows; the same seed the same ones", async () => {
    const e = await engine({ host: "inline" });
    await e.load(cluster);
    const a = await e.simulate({ flows: 3000, seed: 1 });
    const again = await e.simulate({ flows: 3000, seed: 1 });
    const b = await e.simulate({ flows: 3000, seed: 2 });
    expect(again).toEqual(a);
    expect(b.endpoints).not.toEqual(a.endpoints);
  });

  // How often progress arrives and how soon a cancel lands are timings: bench/engine.bench.mjs
  // measures them (≥ 4 a second, < 100 ms). The tests check the behaviour, not the clock.
  it("reports progress while it runs, in order, ending at the total, never flooding the caller", async () => {
    const e = await engine({ host: "worker", workers: 2 });
    await e.load(cluster);
    const events: Array<{ at: number; done: number; total: number }> = [];
    await e.simulate({ flows: 1_500_000, packetsPerFlow: 2 }, { onProgress: (done, total) => events.push({ at: performance.now(), done, total }) });
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toMatchObject({ done: 1_500_000, total: 1_500_000 });
    expect(events.slice(0, -1).every((ev) => ev.done < 1_500_000)).toBe(true);
    for (let k = 1; k < events.length; k++) expect(events[k]!.done).toBeGreaterThanOrEqual(events[k - 1]!.done);
    // Two shards report every 200 ms each; the engine passes on at most one per 150 ms.
    for (let k = 1; k < events.length - 1; k++) expect(events[k]!.at - events[k - 1]!.at).toBeGreaterThanOrEqual(149);
  }, 60_000);

  it.each(["worker", "inline"] as const)("an AbortSignal stops it (%s) at the next chunk, and the engine stays usable", async (host) => {
    const e = await engine({ host, workers: host === "worker" ? 2 : 1 });
    await e.load(cluster);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = e.simulate({ flows: 200_000, packetsPerFlow: 1000 }, {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        controller.abort();
      },
    });
    const err = await rejection(run);
    expect(err.code).toBe("cancelled");
    // Stopped, not finished: at most one report was already on its way when the signal fired.
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(seen.every((d) => d < 200_000)).toBe(true);
    expect((await e.simulate({ flows: 100 })).flows).toBe(100);
    const aborted = new AbortController();
    aborted.abort();
    expect((await rejection(e.simulate({ flows: 10 }, { signal: aborted.signal }))).code).toBe("cancelled");
  }, 60_000);

  it("a cancel belongs to its run: a run started right after a cancelled one is never stopped by it", async () => {
    const e = await engine({ host: "worker", workers: 2 });
    await e.load(cluster);
    for (let round = 0; round < 5; round++) {
      const controller = new AbortController();
      const cancelled = e.simulate({ flows: 200_000, packetsPerFlow: 1000, seed: round }, { signal: controller.signal, onProgress: () => controller.abort() });
      expect((await rejection(cancelled)).code).toBe("cancelled");
      expect((await e.simulate({ flows: 2000, seed: round })).flows).toBe(2000);
    }
  }, 60_000);

  it("bad plans get clear errors naming the field", async () => {
    const e = await engine({ host: "worker" });
    await e.load(cluster);
    expect(await rejection(e.simulate({ flows: 0 }))).toMatchObject({ code: "invalid-input", path: "flows" });
    expect(await rejection(e.simulate({ flows: 10, seed: -1 }))).toMatchObject({ code: "invalid-input", path: "seed" });
    expect(await rejection(e.simulate({ flows: 10, packetsPerFlow: 1.5 }))).toMatchObject({ code: "invalid-input", path: "packetsPerFlow" });
    expect((await e.simulate({ flows: 10 })).flows).toBe(10);
  });

  it("refuses a plan whose live connections would not fit one worker's conntrack, instead of dropping them", async () => {
    const e = await engine({ host: "inline" });
    await e.load(cluster);
    // 4,000,001 connections in the same second, each held in TIME_WAIT: 8,000,002 entries and more.
    const err = await rejection(e.simulate({ flows: 4_000_001, connectionsPerSecond: 1_000_000_000 }));
    expect(err).toMatchObject({ code: "invalid-input", path: "connectionsPerSecond" });
    expect(err.message).toMatch(/a worker holds 8,000,000: use more workers or fewer connections per second/);
    // A plan that keeps many connections alive at once drops none as "table full".
    const big = await e.simulate({ flows: 100_000, packetsPerFlow: 1 });
    expect(big.counters.ctFull).toBe(0);
    expect(big.drops).toEqual({});
  }, 60_000);
});

describe("failures", () => {
  it("a Wasm trap rejects the call as internal; the next call works on the same cluster", async () => {
    for (const host of ["worker", "inline"] as const) {
      const e = await engine({ host });
      await e.load({ scenario: "pod-to-service" });
      expect((await rejection(e.debug("trap"))).code).toBe("internal");
      expect((await e.trace({ from: "client", to: "backend-svc:80" })).verdict).toBe("delivered");
    }
  });

  it("a crashed worker rejects pending calls; the engine restarts itself with the last cluster", async () => {
    const e = await engine({ host: "worker" });
    await e.load({ scenario: "pod-to-service" });
    const pending = e.simulate({ flows: 200_000, packetsPerFlow: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    await e.debug("crash").catch(() => {});
    const err = await rejection(pending);
    expect(err.code).toBe("internal");
    expect(err.message).toMatch(/worker/);
    expect((await e.trace({ from: "client", to: "backend-svc:80" })).verdict).toBe("delivered");
  }, 30_000);

  it("errors keep their code and path across the worker boundary", async () => {
    const e = await engine({ host: "worker" });
    const err = await rejection(e.load({ nodes: [{ name: "n1", podCIDR: "10.244.0.0/33" }] }));
    expect(err.code).toBe("invalid-input");
    expect(err.problems?.[0]?.path).toBe("nodes[0].podCIDR");
    await e.load({ scenario: "pod-to-pod" });
    expect(await rejection(e.trace({ from: "nobody", to: "pod-b" }))).toMatchObject({ code: "not-found", path: "from" });
  });

  it("disposing twice is harmless; calls after dispose reject clearly", async () => {
    const e = await createEngine({ host: "worker", workers: 2 });
    await e.load({ scenario: "pod-to-pod" });
    await e.dispose();
    await e.dispose();
    expect(await rejection(e.trace({ from: "pod-a", to: "pod-b" }))).toMatchObject({ code: "disposed" });
    expect(await rejection(e.simulate({ flows: 1 }))).toMatchObject({ code: "disposed" });
  });

  it("rejects bad engine options", async () => {
    expect(await rejection(createEngine({ workers: 0 }))).toMatchObject({ code: "invalid-input", path: "workers" });
    expect(await rejection(createEngine({ host: "inline", workers: 2 }))).toMatchObject({ code: "invalid-input", path: "workers" });
  });
});
