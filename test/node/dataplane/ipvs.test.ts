// kube-proxy's IPVS mode in the dataplane: every scheduler checked against its kernel module's
// algorithm on sequences of new connections (the Wasm dataplane and the TypeScript reference
// agree on each), and both implementations compared hop for hop under every scheduler.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { IP_VS_MH_TAB_SIZE, wrrState, type IpvsVirtualServer } from "../../../src/compile/ipvs.js";
import { compileNetwork } from "../../../src/compile/network.js";
import type { Ruleset } from "../../../src/compile/iptables.js";
import * as A from "../../../src/dataplane/abi.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow, type LoadedCluster } from "../../../src/dataplane/forward.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { loadModel } from "../../../src/model/load.js";
import { IPVS_SCHEDULERS, type IpvsScheduler } from "../../../src/model/types.js";
import { formatIPv4, parseIPv4 } from "../../../src/net/ipv4.js";
import { hsiphash32, mhLookup } from "../../../src/reference/ipvs.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";

let wasm: Uint8Array;
beforeAll(() => {
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});

// One node: four clients and a web Service of three endpoints (10.244.0.6-.8), so that the
// kernel's list holds them as kube-proxy added them, last first: .8, .7, .6.
const CLUSTER = "nodes: [{name: a}]\npods:\n  - {name: c1, node: a}\n  - {name: c2, node: a}\n  - {name: c3, node: a}\n  - {name: c4, node: a}\n  - {name: web-1, node: a, labels: {app: web}, ports: ['8080']}\n  - {name: web-2, node: a, labels: {app: web}, ports: ['8080']}\n  - {name: web-3, node: a, labels: {app: web}, ports: ['8080']}\nservices:\n  - {name: web, selector: {app: web}, ports: ['80:8080']}\n";

interface Setup {
  dp: Dataplane;
  ref: ReferenceDataplane;
  cluster: LoadedCluster;
  vs: IpvsVirtualServer;
  rs: Ruleset;
}

async function setup(scheduler: IpvsScheduler, tweak?: (vs: IpvsVirtualServer) => void, text = CLUSTER): Promise<Setup> {
  const { model } = loadModel({ text, settings: { kubeProxy: { mode: "ipvs", ipvsScheduler: scheduler } } } as never);
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const vs = rs.ipvs!.virtualServers.find((v) => v.servicePort === "default/web")!;
  tweak?.(vs);
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
  const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
  return { dp, ref, vs, rs, cluster: { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } } };
}

/**
 * A new TCP connection from `from` to the web Service with source port `sport` (`complete`: the
 * client's ACK after SYN-ACK follows, so IPVS counts it active). Wasm and reference must agree;
 * returns the real server (its address's last byte) the dataplane chose.
 */
function connect(s: Setup, from: string, sport: number, complete = false, to?: string): number {
  const r = resolveFlow(s.cluster, { from, to: to ?? `${formatIPv4(s.vs.addr)}:${s.vs.port}` });
  if (isNamed(r)) throw new Error("not a name");
  const packet = packetFor(r, sport);
  const w = s.dp.exchange(packet, r.netns, true, true);
  const t = s.ref.exchange(packet, r.netns, true, true);
  expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
  expect(w.verdict).toBe(A.V_DELIVERED);
  if (complete) {
    const ack = { ...packet, flags: A.PF_ACK | A.PF_DF, len: 52 };
    s.dp.exchange(ack, r.netns, false, false);
    s.ref.exchange(ack, r.netns, false, false);
  }
  // The IPVS hop's record: decider D_IPVS, the packet after it addressed to the real server.
  const words = A.T_BYTES / 4;
  for (let h = 0; h < w.hopCount; h++) {
    if (w.hops[h * words + A.T_DECIDER / 4] === A.D_IPVS && w.hops[h * words + A.T_ACTION / 4] === A.A_DNAT) return w.hops[h * words + (A.T_PACKET + A.P_DST) / 4]! & 255;
  }
  throw new Error("no IPVS hop");
}

/** The connection counters both dataplanes hold for each real server of the web Service, [active, inactive] by address. */
function counters(s: Setup): Record<number, [number, number]> {
  const out: Record<number, [number, number]> = {};
  s.vs.dests.forEach((d, i) => {
    const w = s.dp.ipvsCounters(0, s.vs.firstDest + i);
    const r = s.ref.ipvs!.counts(0, s.vs.firstDest + i);
    expect(w).toEqual([r.active, r.inactive]);
    out[d.addr & 255] = w;
  });
  return out;
}

describe("IPVS schedulers, as the kernel's modules pick", () => {
  it("the kernel's list holds the real servers last-added first; ipvsadm would sort them", async () => {
    const s = await setup("rr");
    expect(s.vs.dests.map((d) => d.addr & 255)).toEqual([8, 7, 6]);
  });

  it("rr: from the list's head, each new connection to the next (ip_vs_rr_schedule)", async () => {
    const s = await setup("rr");
    const picks = Array.from({ length: 7 }, (_, i) => connect(s, `c${(i % 4) + 1}`, 40000 + i));
    expect(picks).toEqual([8, 7, 6, 8, 7, 6, 8]);
  });

  it("wrr: passes with a falling current weight; kube-proxy's one-by-one adds leave cw at 1, so a first round of all comes before 4:3:2", async () => {
    // Weights 4, 3, 2 on .8, .7, .6 (kube-proxy itself writes weight 1): ip_vs_wrr_dest_changed
    // ran once per add, in the order .6 (2), .7 (3), .8 (4).
    const s = await setup("wrr", (vs) => {
      [4, 3, 2].forEach((w, i) => (vs.dests[i]!.weight = w));
      vs.wrr = wrrState([...vs.dests].reverse().map((d) => d.weight));
    });
    expect(s.vs.wrr).toEqual({ mw: 4, di: 1, cw: 1 });
    const picks = Array.from({ length: 12 }, (_, i) => connect(s, "c1", 40000 + i));
    expect(picks).toEqual([8, 7, 6, 8, 8, 7, 8, 7, 6, 8, 7, 6]);
    // A full cycle (cw 4, 3, 2, 1) gives each its weight.
    const cycle = picks.slice(3);
    expect([8, 7, 6].map((a) => cycle.filter((p) => p === a).length)).toEqual([4, 3, 2]);
  });

  it("lc: the least (ActiveConn << 8) + InActConn; an established connection weighs 256 half-open ones", async () => {
    const s = await setup("lc");
    expect(connect(s, "c1", 40001, true)).toBe(8); // all idle: the first in the list; then ESTABLISHED (active)
    expect(connect(s, "c2", 40002)).toBe(7); // .8 costs 256, .7 and .6 nothing: the first of those
    expect(connect(s, "c3", 40003)).toBe(6);
    expect(counters(s)).toEqual({ 8: [1, 0], 7: [0, 1], 6: [0, 1] });
    // .8: 256, .7: 1, .6: 1 — the first least, .7; then .6 (1 against .7's 2); then .7 and .6 alternate.
    expect([40004, 40005, 40006, 40007].map((p) => connect(s, "c4", p))).toEqual([7, 6, 7, 6]);
    expect(counters(s)).toEqual({ 8: [1, 0], 7: [0, 3], 6: [0, 3] });
  });

  it("wlc, sed and nq with weights: overhead / weight; sed counts the new connection, nq takes an idle server first", async () => {
    const weights = (vs: IpvsVirtualServer) => [1, 1, 3].forEach((w, i) => (vs.dests[i]!.weight = w));
    // wlc: one each while .6 (weight 3) is idle, then .6 until it holds three times the others' load.
    const wlc = await setup("wlc", weights);
    expect([1, 2, 3, 4, 5].map((i) => connect(wlc, "c1", 41000 + i, true))).toEqual([8, 7, 6, 6, 6]);
    // sed: (active + 1) / weight — .6 at once (1/3 < 1/1), and again (2/3 < 1).
    const sed = await setup("sed", weights);
    expect([1, 2, 3, 4, 5].map((i) => connect(sed, "c1", 41000 + i, true))).toEqual([6, 6, 8, 7, 6]);
    // nq: an idle server (no active connection) wins outright, in list order; then as sed.
    const nq = await setup("nq", weights);
    expect([1, 2, 3, 4, 5].map((i) => connect(nq, "c1", 41000 + i, true))).toEqual([8, 7, 6, 6, 6]);
  });

  it("sh: hash_32 of the source address picks one of 256 buckets filled round the list: the same client, the same server", async () => {
    const s = await setup("sh");
    for (const client of ["c1", "c2", "c3", "c4"]) {
      const ip = parseIPv4(s.cluster.model.pods.find((p) => p.name === client)!.ip, "ip");
      const expected = s.vs.dests[(Math.imul(ip, 0x61c88647) >>> 24) % 3]!.addr & 255;
      expect([1, 2, 3, 4].map((i) => connect(s, client, 42000 + i))).toEqual([expected, expected, expected, expected]);
    }
  });

  it("dh: the destination address's bucket: every client of a ClusterIP reaches the same server", async () => {
    const s = await setup("dh");
    const expected = s.vs.dests[(Math.imul(s.vs.addr, 2654435761) & 255) % 3]!.addr & 255;
    expect(["c1", "c2", "c3", "c4"].map((c, i) => connect(s, c, 43000 + i))).toEqual([expected, expected, expected, expected]);
  });

  it("mh: Maglev's table; kube-proxy's mh-port flag hashes the source port too, so one client's connections spread", async () => {
    const s = await setup("mh");
    const table = mhLookup(s.vs);
    const ip = parseIPv4(s.cluster.model.pods.find((p) => p.name === "c1")!.ip, "ip");
    const picks = Array.from({ length: 12 }, (_, i) => connect(s, "c1", 44000 + i));
    expect(picks).toEqual(picks.map((_, i) => s.vs.dests[table[hsiphash32((44000 + i + ip) >>> 0, 2654435761n) % IP_VS_MH_TAB_SIZE]!]!.addr & 255));
    expect(new Set(picks).size).toBeGreaterThan(1);
    // The same source address and port: the same server, connection after connection (a new one
    // each time: the earlier ones' conntrack entries are gone after a reset, the table is not).
    s.dp.resetState();
    s.ref.resetState();
    expect(connect(s, "c1", 44003)).toBe(picks[3]);
  });

  it("mh without the port flag: stable per source address", async () => {
    const s = await setup("mh", (vs) => (vs.flags &= ~0x10));
    const first = connect(s, "c2", 45000);
    expect([1, 2, 3, 4, 5].map((i) => connect(s, "c2", 45000 + i))).toEqual([first, first, first, first, first]);
  });

  it("Maglev: each server gets a near-equal share of the 4093 positions, and taking one away moves only its own", async () => {
    const s = await setup("mh");
    const table = mhLookup(s.vs);
    const shares = [0, 1, 2].map((d) => table.filter((x) => x === d).length);
    expect(shares.reduce((a, b) => a + b)).toBe(IP_VS_MH_TAB_SIZE);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    const without = mhLookup({ ...s.vs, dests: s.vs.dests.slice(1) });
    let moved = 0;
    table.forEach((d, i) => {
      if (d !== 0 && s.vs.dests[d]!.addr !== s.vs.dests.slice(1)[without[i]!]!.addr) moved++;
    });
    // Maglev is consistent only up to a few percent of positions (NSDI '16, 5.3).
    expect(moved / IP_VS_MH_TAB_SIZE).toBeLessThan(0.1);
  });

  it("lblc: the cached server keeps the destination while it is not overloaded (ActiveConn > weight while another is below half of its own)", async () => {
    const s = await setup("lblc");
    expect(connect(s, "c1", 46001, true)).toBe(8); // wlc over all: the first; cached
    expect(connect(s, "c2", 46002, true)).toBe(8); // 1 active is not more than weight 1
    expect(connect(s, "c3", 46003, true)).toBe(7); // 2 > 1 and .7 has none: wlc picks .7, cached
    expect(connect(s, "c4", 46004, true)).toBe(7);
  });

  it("lblcr: the set grows with the server picked when its least-loaded member is overloaded", async () => {
    const s = await setup("lblcr");
    expect([1, 2, 3, 4, 5].map((i) => connect(s, "c1", 47000 + i, true))).toEqual([8, 8, 7, 7, 6]);
  });

  it("persistence (ClientIP affinity): the client's template sends every connection to its first server; ipvsadm says persistent 10800", async () => {
    const text = CLUSTER.replace("{name: web, selector: {app: web},", "{name: web, selector: {app: web}, sessionAffinity: ClientIP,");
    const s = await setup("rr", undefined, text);
    expect(s.vs.timeout).toBe(10800);
    const c1 = [1, 2, 3, 4].map((i) => connect(s, "c1", 48000 + i));
    expect(new Set(c1).size).toBe(1);
    // Another client gets the next server in rr order (templates don't move the rr position).
    expect(connect(s, "c2", 48100)).not.toBe(c1[0]);
    // After the timeout the template is gone: the scheduler decides again.
    s.dp.setTime(10800);
    s.ref.setTime(10800);
    expect(connect(s, "c1", 48200)).toBe(6);
  });

  it("a Service without endpoints: a virtual server without real servers, ICMP port unreachable from the ClusterIP", async () => {
    const text = `${CLUSTER}  - {name: empty, selector: {app: nothing}, ports: [80]}\n`;
    const s = await setup("rr", undefined, text);
    const vs = s.rs.ipvs!.virtualServers.find((v) => v.servicePort === "default/empty")!;
    expect(vs.dests).toEqual([]);
    const r = resolveFlow(s.cluster, { from: "c1", to: `${formatIPv4(vs.addr)}:80` });
    if (isNamed(r)) throw new Error("not a name");
    const w = s.dp.exchange(packetFor(r, 40000), r.netns, true, true);
    const t = s.ref.exchange(packetFor(r, 40000), r.netns, true, true);
    expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
    expect(w.verdict).toBe(A.V_REJECTED);
    const words = A.T_BYTES / 4;
    const error = Array.from({ length: w.hopCount }, (_, h) => h).find((h) => w.hops[h * words + A.T_PHASE / 4] === A.PH_ERROR)!;
    expect(formatIPv4(w.hops[error * words + (A.T_PACKET + A.P_SRC) / 4]!)).toBe(formatIPv4(vs.addr));
  });
});

describe("hsiphash, as 64-bit kernels compute it (SipHash-1-3)", () => {
  // CPython 3.11 hashes bytes with SipHash-1-3, under the key 0 when PYTHONHASHSEED=0: an
  // independent implementation of the same rounds.
  const python = spawnSync("python3", ["-c", "import sys"]).status === 0;
  it.skipIf(!python)("agrees with CPython's siphash13 on 4-byte inputs", () => {
    const values = [0, 1, 0x04030201, 0xdeadbeef, 0xffffffff, 0x0a60000a];
    const r = spawnSync("python3", ["-c", `import struct\nfor v in ${JSON.stringify(values)}: print(hash(struct.pack('<I', v)) & 0xffffffff)`], { encoding: "utf8", env: { ...process.env, PYTHONHASHSEED: "0" } });
    expect(r.stdout.trim().split("\n").map(Number)).toEqual(values.map((v) => hsiphash32(v, 0n)));
  });
});

describe("Wasm dataplane vs TypeScript reference in IPVS mode", () => {
  it.each(IPVS_SCHEDULERS.map((s) => [s]))("agree hop for hop and on every counter under %s", async (scheduler) => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ seed: fc.integer({ min: 1, max: 1e6 }), nodes: fc.integer({ min: 1, max: 4 }), services: fc.integer({ min: 1, max: 6 }), affinity: fc.boolean() }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.boolean()), { minLength: 1, maxLength: 14 }),
        async (spec, flows) => {
          const { model } = loadModel({ generate: { seed: spec.seed, nodes: spec.nodes, pods: spec.nodes * 3 + spec.services * 3 + 2, services: spec.services, endpointsPerService: { min: 0, max: 4 } } });
          if (spec.affinity) for (const s of model.services) if (s.name.startsWith("svc-")) Object.assign(s, { sessionAffinity: "ClientIP", sessionAffinityTimeout: 60 });
          model.settings.kubeProxy = { mode: "ipvs", ipvsScheduler: scheduler };
          const net = compileNetwork(model);
          const rs = compileKubeProxy(model);
          const dp = await Dataplane.create(wasm);
          dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
          const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
          const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
          // Clients to Service ports (most flows), pods, and a ClusterIP port no Service has.
          const targets = [...model.services.filter((s) => s.clusterIP && s.clusterIP !== "None").flatMap((s) => s.ports.map((p) => `${s.clusterIP}:${p.port}`)), ...model.pods.slice(0, 3).map((p) => `${p.namespace}/${p.name}`), `${model.services[0]!.clusterIP}:1`];
          let clock = 0;
          for (const [a, b, seed, complete] of flows) {
            const from = model.pods[a % model.pods.length]!;
            const r = resolveFlow(cluster, { from: `${from.namespace}/${from.name}`, to: targets[b % targets.length]! });
            if (isNamed(r)) throw new Error("not a name");
            dp.setSeed(seed);
            ref.setSeed(seed);
            clock += seed % 40; // affinity templates (60 s) expire now and then
            dp.setTime(clock);
            ref.setTime(clock);
            const packet = packetFor(r, ephemeralPort(seed));
            const w = dp.exchange(packet, r.netns, true, true);
            const t = ref.exchange(packet, r.netns, true, true);
            expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
            expect([w.verdict, w.replyVerdict]).toEqual([t.verdict, t.replyVerdict]);
            if (complete && r.protocol === "TCP" && w.verdict === A.V_DELIVERED) {
              const ack = { ...packet, flags: A.PF_ACK | A.PF_DF, len: 52 };
              expect(Array.from(dp.exchange(ack, r.netns, false, true).hops)).toEqual(Array.from(ref.exchange(ack, r.netns, false, true).hops));
            }
          }
          for (let node = 0; node < model.nodes.length; node++) {
            for (let i = 0; i < rs.ipvs!.realServerCount; i++) {
              const c = ref.ipvs!.counts(node, i);
              expect(dp.ipvsCounters(node, i)).toEqual([c.active, c.inactive]);
            }
          }
          expect(rs.ipvs!.virtualServers.flatMap((v) => v.dests.map((_, i) => dp.ipvsScheduled(v.firstDest + i)))).toEqual(ref.ipvs!.scheduled);
          expect(dp.counters()).toMatchObject({ rulesWalked: ref.counters.rulesWalked });
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });

  it("agree on batch counters, rule hits and scheduled connections", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...IPVS_SCHEDULERS), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 }), async (scheduler, packets, seed) => {
        const { model } = loadModel({ generate: { seed: seed % 1000, nodes: 3, pods: 30, services: 5, settings: { kubeProxy: { mode: "ipvs", ipvsScheduler: scheduler } } } });
        const net = compileNetwork(model);
        const rs = compileKubeProxy(model);
        const dp = await Dataplane.create(wasm);
        dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
        const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
        const vips = rs.ipvs!.virtualServers;
        const words: number[] = [];
        model.pods.filter((p) => !p.hostNetwork).forEach((p, i) => {
          const v = vips[(i * 7 + seed) % vips.length]!;
          words.push(net.podNetns.get(`${p.namespace}/${p.name}`)!, parseIPv4(p.ip, "ip"), v.addr, 32768 + i, v.port, v.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919) >>> 0);
        });
        dp.runFlows(flowRecords(words, packets));
        ref.runFlows(flowRecords(words, packets));
        expect(dp.counters()).toEqual(ref.counters);
        expect(rs.rules.map((r) => dp.ruleHits(r.id))).toEqual(ref.ruleHits);
        expect(vips.flatMap((v) => v.dests.map((_, i) => dp.ipvsScheduled(v.firstDest + i)))).toEqual(ref.ipvs!.scheduled);
      }),
      { numRuns: 22, seed: 3 },
    );
  });
});
