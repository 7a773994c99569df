// Differential testing: the Wasm dataplane and the TypeScript reference must produce the same
// hop records (byte for byte), verdicts and counters for any cluster and any flow.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compileIptables } from "../../../src/compile/iptables.js";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow as resolveAny, type LoadedCluster } from "../../../src/dataplane/forward.js";
import * as A from "../../../src/dataplane/abi.js";
import { loadModel } from "../../../src/model/load.js";
import { IPVS_SCHEDULERS, type IpvsScheduler } from "../../../src/model/types.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";

let wasm: Uint8Array;

/** Targets here are pods and addresses, never DNS names (DNS has its own tests). */
function resolveFlow(c: LoadedCluster, flow: { from: string; to: string }) {
  const r = resolveAny(c, flow);
  if (isNamed(r)) throw new Error(`unexpected DNS name ${flow.to}`);
  return r;
}
beforeAll(() => {
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});

const clusterSpec = fc.record({
  seed: fc.integer({ min: 1, max: 1e6 }),
  nodes: fc.integer({ min: 1, max: 5 }),
  perNode: fc.integer({ min: 1, max: 6 }),
  services: fc.integer({ min: 0, max: 8 }),
  affinity: fc.boolean(),
  kubeProxy: fc.constantFrom("iptables" as const, "nftables" as const, "ipvs" as const),
  // Used in IPVS mode: every scheduler's state (rr's position, the connection counts of the
  // least-connection family, lblc's cache, templates) must evolve alike in Wasm and reference.
  ipvsScheduler: fc.constantFrom(...IPVS_SCHEDULERS),
});

async function setup(spec: { seed: number; nodes: number; perNode: number; services: number; affinity: boolean; kubeProxy?: "iptables" | "nftables" | "ipvs"; ipvsScheduler?: IpvsScheduler }) {
  const { model } = loadModel({ generate: { seed: spec.seed, nodes: spec.nodes, pods: spec.nodes * spec.perNode + spec.services * 3 + 2, services: spec.services, endpointsPerService: { min: 0, max: 3 } } });
  if (spec.affinity) for (const s of model.services) if (s.name.startsWith("svc-")) Object.assign(s, { sessionAffinity: "ClientIP", sessionAffinityTimeout: 10800 });
  model.settings.kubeProxy.mode = spec.kubeProxy ?? "iptables";
  model.settings.kubeProxy.ipvsScheduler = spec.ipvsScheduler ?? "rr";
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
  const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
  const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
  return { model, dp, ref, cluster };
}

/** Targets a client may use: every pod, every service port, and addresses nobody holds. */
function targets(c: LoadedCluster): string[] {
  const out: string[] = [];
  for (const s of c.model.services) if (s.clusterIP && s.clusterIP !== "None") for (const p of s.ports) out.push(`${s.clusterIP}:${p.port}`);
  out.push(...c.model.pods.map((p) => `${p.namespace}/${p.name}`));
  out.push("10.244.0.250:80", "10.96.200.1:80", "192.168.1.200:22", "8.8.8.8:53");
  return out;
}

describe("Wasm dataplane vs TypeScript reference", () => {
  it("agree hop for hop on random clusters and flows", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 12 }), async (spec, flows) => {
        const { model, dp, ref, cluster } = await setup(spec);
        const pods = model.pods;
        const all = targets(cluster);
        dp.resetState();
        ref.resetState();
        let previous: [number, number] | undefined;
        for (const [a0, b0, seed, fresh0, again] of flows) {
          // A client connecting again to the same target: conntrack and affinity state matter.
          const [a, b] = again && previous ? previous : [a0, b0];
          const fresh = fresh0 && !(again && previous);
          previous = [a, b];
          const from = pods[a % pods.length]!;
          const to = all[b % all.length]!;
          const r = resolveFlow(cluster, { from: `${from.namespace}/${from.name}`, to });
          // Half the flows start from a fresh state, half keep connections and affinities.
          if (fresh) {
            dp.resetState();
            ref.resetState();
          }
          dp.setSeed(seed);
          ref.setSeed(seed);
          const packet = packetFor(r, ephemeralPort(seed));
          const w = dp.exchange(packet, r.netns, true, true);
          const t = ref.exchange(packet, r.netns, true, true);
          expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
          expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
        }
      }),
      { numRuns: 40, seed: 20261126 },
    );
  });

  it("agree on batch counters, per-rule hits and drop reasons", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), async (spec, packets, seed) => {
        const { model, dp, ref, cluster } = await setup(spec);
        const all = targets(cluster);
        const words: number[] = [];
        model.pods.forEach((p, i) => {
          const r = resolveFlow(cluster, { from: `${p.namespace}/${p.name}`, to: all[(i * 7 + seed) % all.length]! });
          words.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i, r.dport, r.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919) >>> 0);
        });
        dp.resetState();
        ref.resetState();
        dp.setSeed(seed);
        ref.setSeed(seed);
        dp.runFlows(flowRecords(words, packets));
        ref.runFlows(flowRecords(words, packets));
        expect(dp.counters()).toEqual(ref.counters);
        for (let reason = 0; reason < 12; reason++) expect(dp.dropCount(reason)).toBe(ref.drops[reason]);
        expect(cluster.rs.rules.map((r) => dp.ruleHits(r.id))).toEqual(ref.ruleHits);
        expect(new Map([...dp.nodePairs()].sort())).toEqual(new Map([...ref.nodePairs].sort()));
        expect(dp.walksPerNewConnection()).toEqual([...ref.walksPerNewConnection].sort((a, b) => a[0] - b[0]));
        expect(dp.counters().sameNodeConnections + dp.counters().crossNodeConnections).toBeLessThanOrEqual(model.pods.length);
      }),
      { numRuns: 25, seed: 11 },
    );
  });
});

describe("resetState", () => {
  it("zeroes every counter, so runs after a reset compare with a fresh reference", async () => {
    const { model } = loadModel({ scenario: "pod-to-service" });
    const net = compileNetwork(model);
    const rs = compileIptables(model);
    const dp = await Dataplane.create(wasm);
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const flows = Uint32Array.of(net.podNetns.get("default/client")!, parseIPv4("10.244.0.10", "ip"), parseIPv4("10.96.0.20", "ip"), 40000, 80, A.PROTO_TCP, 60, 1);
    dp.runFlows(flowRecords(flows, 3));
    dp.resetState();
    expect(Object.values(dp.counters()).every((v) => v === 0)).toBe(true);
    expect(rs.rules.every((r) => dp.ruleHits(r.id) === 0)).toBe(true);
  });
});
