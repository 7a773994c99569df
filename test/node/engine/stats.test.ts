// Statistics of a simulation run, on cases small enough to check by hand, and the chi-square
// p-value against scipy.stats.chi2.sf.
import { describe, expect, it } from "vitest";
import { engineFactory } from "./helpers.js";
import { chiSquareSurvival, chiSquareUniform, distribution, gammaQ, WALK_BUCKET_EDGES } from "../../../src/engine/stats.js";

const engine = engineFactory();

describe("chi-square p-values", () => {
  // scipy.stats.chi2.sf(x, df), scipy 1.17.
  const table: Array<[number, number, number]> = [
    [3.841458820694124, 1, 0.05],
    [13.815510557964274, 2, 0.001],
    [13.8, 2, 0.0010077854290485102],
    [1, 1, 0.31731050786291115],
    [2.5, 3, 0.4752910833430205],
    [3, 3, 0.3916251762710877],
    [18.307038053275146, 10, 0.05],
    [124.34211340400407, 100, 0.05],
    [1074.6794112234, 1000, 0.05000008261082716],
    [10233.7489, 10000, 0.04999999833243739],
    [100000, 99000, 0.012503086996302763],
    [30, 1, 4.3204630578274955e-8],
    [1e-6, 1, 0.9992021155721779],
    [500, 10, 4.4147360999137545e-101],
  ];
  it.each(table)("χ² = %d with %d degrees of freedom: p = %d", (x, df, p) => {
    expect(Math.abs(chiSquareSurvival(x, df) - p) / p).toBeLessThan(1e-9);
  });

  it("edges: Q(a, 0) = 1, Q(a, ∞) = 0, even df in closed form (Q(k, x) = e^-x Σ x^i / i!)", () => {
    expect(gammaQ(3, 0)).toBe(1);
    expect(gammaQ(3, Infinity)).toBe(0);
    expect(chiSquareSurvival(5, 0)).toBe(1);
    for (const [k, x] of [[1, 0.3], [4, 2], [7, 12.5], [20, 19]] as const) {
      let term = 1;
      let sum = 1;
      for (let i = 1; i < k; i++) sum += term *= x / i;
      expect(gammaQ(k, x)).toBeCloseTo(Math.exp(-x) * sum, 13);
    }
  });

  it("Pearson's statistic against equal shares", () => {
    // 17, 23, 21 of 61: Σ(o − e)² / e = (Σo² − T²/k) / (T/k) = (1259 − 3721/3) / (61/3) = 56/61.
    const t = chiSquareUniform([17, 23, 21]);
    expect(t.chiSquare).toBeCloseTo(56 / 61, 12);
    expect(t.df).toBe(2);
    expect(t.pValue).toBeCloseTo(Math.exp(-28 / 61), 12);
    expect(chiSquareUniform([5])).toEqual({ chiSquare: 0, df: 0, pValue: 1 });
    expect(chiSquareUniform([0, 0])).toEqual({ chiSquare: 0, df: 1, pValue: 1 });
  });
});

describe("distributions from exact counts", () => {
  it("fixed buckets, exact min, median, p99, max and mean", () => {
    const d = distribution([[0, 1], [3, 1], [5, 97], [70, 1]]);
    expect(d.edges).toEqual([...WALK_BUCKET_EDGES]);
    expect(d.count).toBe(100);
    expect(d.counts.reduce((s, c) => s + c, 0)).toBe(100);
    expect(d.counts[0]).toBe(1); // [0, 1)
    expect(d.counts[2]).toBe(1); // [2, 5)
    expect(d.counts[3]).toBe(97); // [5, 10)
    expect(d.counts[6]).toBe(1); // [50, 100)
    expect(d).toMatchObject({ min: 0, median: 5, p99: 5, max: 70, mean: (3 + 485 + 70) / 100 });
    expect(distribution([[60000, 2]]).counts.at(-1)).toBe(2);
    expect(distribution([])).toMatchObject({ count: 0, min: 0, median: 0, p99: 0, max: 0, mean: 0 });
  });
});

describe("simulation statistics, checked by hand", () => {
  // One node, a client and a Service of three endpoints (and CoreDNS, which every cluster has).
  const text = "nodes: [{name: a}]\ndeployments:\n  - {name: client, replicas: 1, labels: {app: client}}\n  - {name: web, replicas: 3, labels: {app: web}}\nservices:\n  - {name: web, selector: {app: web}, ports: [80]}\n";

  it.each(["iptables", "nftables", "ipvs"] as const)("one node, %s: counts, chi-square, all same-node, one rules count per new connection, conntrack growing", async (mode) => {
    const e = await engine({ host: "inline" });
    await e.load({ text, settings: { kubeProxy: { mode } } } as never);
    const r = await e.simulate({ flows: 300, packetsPerFlow: 2, seed: 3 });
    const web = r.endpoints.filter((x) => x.servicePort === "default/web").map((x) => x.connections);
    expect(web).toHaveLength(3);
    const total = web.reduce((s, c) => s + c, 0);
    const sq = web.reduce((s, c) => s + c * c, 0);
    const chi2 = (sq - (total * total) / 3) / (total / 3);
    const test = r.serviceUniformity.find((u) => u.servicePort === "default/web")!;
    expect(test).toMatchObject({ endpoints: 3, connections: total, df: 2 });
    expect(test.chiSquare).toBeCloseTo(chi2, 10);
    // Two degrees of freedom: P(χ² ≥ x) = e^(−x/2).
    expect(test.pValue).toBeCloseTo(Math.exp(-chi2 / 2), 10);
    // Every Service port with connections is tested, and the tests add up to every connection.
    expect(r.serviceUniformity.reduce((s, u) => s + u.connections, 0)).toBe(r.flows);
    // One node: every connection stays on it.
    expect(r.locality).toEqual({ sameNode: 300, crossNode: 0, sameNodeShare: 1 });
    expect(r.counters.encapBytes).toBe(0);
    // Each flow opens one new connection: the histogram counts each once.
    const d = r.rulesPerNewConnection;
    expect(d.count).toBe(300);
    expect(d.counts.reduce((s, c) => s + c, 0)).toBe(300);
    expect(d.min).toBeLessThanOrEqual(d.median);
    expect(d.median).toBeLessThanOrEqual(d.p99);
    expect(d.p99).toBeLessThanOrEqual(d.max);
    expect(d.min).toBeGreaterThan(0);
    // All 300 connections start in the first simulated second (10,000 a second) and close into
    // TIME_WAIT, held two minutes: occupancy never falls, one entry per connection on one node.
    const tl = r.timeline;
    expect(tl).toHaveLength(40);
    expect(tl[0]!.flows).toBe(8);
    expect(tl.at(-1)).toMatchObject({ flows: 300, seconds: 0.03, conntrack: r.counters.ctLive });
    expect(tl.map((p) => p.conntrack)).toEqual(tl.map((p) => p.flows));
    expect(tl.reduce((s, p) => s + p.newConnections, 0)).toBe(300);
    // Wall time: present, but not part of the result's JSON.
    expect(r.timing!.seconds).toBeGreaterThan(0);
    expect(r.timing!.packetsPerSecond).toBeCloseTo(r.packets / r.timing!.seconds, 6);
    expect(r.timing!.connectionsPerSecond).toBeCloseTo(r.flows / r.timing!.seconds, 6);
    expect(JSON.stringify(r)).not.toContain("timing");
  });

  it("iptables walks more rules per new connection as Services grow; nftables' maps stay flat", async () => {
    const e = await engine({ host: "inline" });
    const run = async (mode: string, services: number) => {
      await e.load({ generate: { seed: 2, nodes: 12, pods: 1200, services, settings: { kubeProxy: { mode } } } } as never);
      return (await e.simulate({ flows: 500, packetsPerFlow: 1, seed: 4 })).rulesPerNewConnection;
    };
    const [i10, i200, n10, n200] = [await run("iptables", 10), await run("iptables", 200), await run("nftables", 10), await run("nftables", 200)];
    expect(i200.median).toBeGreaterThan(5 * i10.median);
    expect(n200.median).toBeLessThan(2 * n10.median);
    for (const d of [i10, i200, n10, n200]) expect(d.count).toBe(500);
  });
});
