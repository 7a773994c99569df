// kube-proxy's random endpoint choice, measured over many connections: rule i of n matches
// with probability 1/(n-i), so each endpoint gets 1/n of the connections.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileIptables } from "../../../src/compile/iptables.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import * as A from "../../../src/dataplane/abi.js";
import { loadModel } from "../../../src/model/load.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";

/** Upper tail of the chi-square distribution with k degrees of freedom (series for the regularized gamma). */
function chiSquarePValue(x: number, k: number): number {
  const s = k / 2;
  const z = x / 2;
  // P(s, z) by its series; p-value = 1 - P.
  let sum = 1 / s;
  let term = 1 / s;
  for (let n = 1; n < 1000; n++) {
    term *= z / (s + n);
    sum += term;
    if (term < sum * 1e-15) break;
  }
  const lnGamma = (v: number): number => {
    // Lanczos approximation.
    const g = 7;
    const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
    let a = c[0]!;
    const t = v + g - 0.5;
    for (let i = 1; i < 9; i++) a += c[i]! / (v + i - 1);
    return 0.5 * Math.log(2 * Math.PI) + (v - 0.5) * Math.log(t) - t + Math.log(a);
  };
  const lower = Math.exp(s * Math.log(z) - z - lnGamma(s)) * sum;
  return Math.max(0, 1 - lower);
}

describe("endpoint selection", () => {
  it("spreads 50,000 connections uniformly over 5 endpoints (chi-square), through the 1/(n-i) cascade", async () => {
    const { model } = loadModel({ nodes: [{ name: "n1" }, { name: "n2" }], pods: [{ name: "client" }], deployments: [{ name: "api", replicas: 5, labels: { app: "api" }, ports: ["8080"] }], services: [{ name: "api", clusterIP: "10.96.0.50", selector: { app: "api" }, ports: ["80:8080"] }] });
    const net = compileNetwork(model);
    const rs = compileIptables(model);
    const dp = await Dataplane.create(readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url)));
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    dp.setSeed(2026);
    const client = model.pods.find((p) => p.name === "client")!;
    const netns = net.podNetns.get("default/client")!;
    const N = 50000;
    const flows = new Uint32Array(N * 8);
    // Distinct 5-tuples: each is a new connection, with its own PRNG seed.
    for (let i = 0; i < N; i++) flows.set([netns, parseIPv4(client.ip, "ip"), parseIPv4("10.96.0.50", "ip"), 1024 + (i % 60000), 80, A.PROTO_TCP, 60, (2026 + i * 0x9e3779b1) >>> 0], i * 8);
    dp.runFlows(flowRecords(flows, 1));
    const dnat = rs.rules.filter((r) => r.target.kind === "dnat" && r.servicePort === "default/api");
    const hits = dnat.map((r) => dp.ruleHits(r.id));
    expect(hits.reduce((a, b) => a + b, 0)).toBe(N);
    const expected = N / hits.length;
    const chi2 = hits.reduce((s, h) => s + (h - expected) ** 2 / expected, 0);
    const p = chiSquarePValue(chi2, hits.length - 1);
    // A fixed seed makes this deterministic; a fair split gives p well above 0.001.
    expect(p).toBeGreaterThan(0.001);
    // The cascade: the first statistic rule fires ~1/5 of the time, the next ~1/4 of the rest, ...
    const svcChain = rs.chains.find((c) => c.name.startsWith("KUBE-SVC-") && rs.rules[c.rules[0]!]!.servicePort === "default/api")!;
    const stat = svcChain.rules.map((id) => rs.rules[id]!).filter((r) => r.match.probability !== undefined);
    expect(stat).toHaveLength(4);
    let remaining = N;
    stat.forEach((r, i) => {
      const rate = dp.ruleHits(r.id) / remaining;
      expect(Math.abs(rate - 1 / (5 - i))).toBeLessThan(0.02);
      remaining -= dp.ruleHits(r.id);
    });
  });

  it("the p-value helper is right on known values", () => {
    expect(chiSquarePValue(3.841, 1)).toBeCloseTo(0.05, 3);
    expect(chiSquarePValue(9.488, 4)).toBeCloseTo(0.05, 3);
    expect(chiSquarePValue(0.297, 4)).toBeCloseTo(0.99, 2);
  });
});
