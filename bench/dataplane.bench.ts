// The dataplane, Wasm vs the TypeScript reference, on the same workload in one process:
// new connections/s and rules walked per new connection as the number of services grows, per
// kube-proxy mode (iptables walks KUBE-SERVICES rule by rule; nftables does one verdict-map
// lookup; IPVS one virtual-server hash lookup, counted as one, next to its few ipset-matching
// rules; ebpf, Cilium's kube-proxy replacement on a Cilium cluster, one service-map lookup at
// connect() in the socket LB), and established packets/s (conntrack hits, no rule walks).
// Medians over repeats; ratios from the same run.

import { compileKubeProxy } from "../src/compile/kube-proxy.js";
import { compileNetwork } from "../src/compile/network.js";
import { Dataplane, flowRecords } from "../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../src/dataplane/layout.js";
import * as A from "../src/dataplane/abi.js";
import { loadModel } from "../src/model/load.js";
import { parseIPv4 } from "../src/net/ipv4.js";
import { ReferenceDataplane } from "../src/reference/dataplane.js";
import { median, type BenchResult } from "./stats.js";

interface Setup {
  dp: Dataplane;
  ref: ReferenceDataplane;
  flows: Uint32Array;
  services: number;
}

type Mode = "iptables" | "nftables" | "ipvs" | "ebpf";

async function setup(wasm: Uint8Array, services: number, flowCount: number, mode: Mode): Promise<Setup> {
  const nodes = Math.max(2, Math.ceil(services / 20));
  const { model } = loadModel({ generate: { seed: 3, nodes, services, pods: services * 3 + nodes * 5, endpointsPerService: { min: 1, max: 3 }, settings: { kubeProxy: { mode }, ...(mode === "ebpf" ? { cni: { plugin: "cilium", mode: "vxlan" } } : {}) } } });
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs), { ...DEFAULT_CAPACITIES, conntrack: flowCount * 4 });
  const ref = new ReferenceDataplane(net, rs, flowCount * 4);
  // Clients (pods of the `client` deployments) to random services, as TCP connections.
  const clients = model.pods.filter((p) => p.labels.app === "client");
  const targets = model.services.filter((s) => s.name.startsWith("svc-"));
  let x = 12345;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const flows = new Uint32Array(flowCount * 8);
  for (let i = 0; i < flowCount; i++) {
    const c = clients[next() % clients.length]!;
    const s = targets[next() % targets.length]!;
    flows.set([net.podNetns.get(`${c.namespace}/${c.name}`)!, parseIPv4(c.ip, "ip"), parseIPv4(s.clusterIP!, "ip"), 1024 + (i % 64000), 80, A.PROTO_TCP, 60, i + 1], i * 8);
  }
  return { dp, ref, flows, services };
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** What the dataplane counted for one mode and size (the last repeat's seed): the same on every run. */
export interface SweepCounters {
  mode: Mode;
  services: number;
  counters: Record<string, number>;
}

export async function run(wasm: Uint8Array, { repeats = 5 } = {}): Promise<{ results: BenchResult[]; rulesPerConnection: Array<{ mode: Mode; services: number; wasm: number; reference: number }>; counters: SweepCounters[] }> {
  const results: BenchResult[] = [];
  const counters: SweepCounters[] = [];
  const rulesPerConnection: Array<{ mode: Mode; services: number; wasm: number; reference: number }> = [];
  for (const mode of ["iptables", "nftables", "ipvs", "ebpf"] as const) for (const services of [100, 1000, 10000]) {
    const flowCount = 4000;
    const s = await setup(wasm, services, flowCount, mode);
    const w: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < repeats; i++) {
      s.dp.resetState();
      s.ref.resetState();
      s.dp.setSeed(i + 1);
      s.ref.setSeed(i + 1);
      w.push(time(() => s.dp.runFlows(flowRecords(s.flows, 1))));
      r.push(time(() => s.ref.runFlows(flowRecords(s.flows, 1))));
    }
    const wc = s.dp.counters();
    const rc = s.ref.counters;
    if (wc.rulesWalked !== rc.rulesWalked) throw new Error(`Wasm and reference disagree: ${JSON.stringify(wc)} vs ${JSON.stringify(rc)}`);
    rulesPerConnection.push({ mode, services, wasm: wc.rulesWalked / flowCount, reference: rc.rulesWalked / flowCount });
    counters.push({ mode, services, counters: { ...wc } as unknown as Record<string, number> });
    const wm = median(w);
    const rm = median(r);
    results.push({
      name: `new connections (SYN + answer), ${mode}, ${services} services`,
      unit: "connections/s",
      subject: { label: "Wasm", median: flowCount / (wm / 1000) },
      baseline: { label: "TS reference", median: flowCount / (rm / 1000) },
      speedup: rm / wm,
      repeats,
    });
    if (services === 1000 && mode === "iptables") {
      // Established traffic: the connections exist; every packet is a conntrack hit.
      const packets = 50;
      const we: number[] = [];
      const re: number[] = [];
      for (let i = 0; i < repeats; i++) {
        we.push(time(() => s.dp.runFlows(flowRecords(s.flows, packets, A.RF_ESTABLISHED))));
        re.push(time(() => s.ref.runFlows(flowRecords(s.flows, packets, A.RF_ESTABLISHED))));
      }
      const n = flowCount * packets;
      results.push({
        name: `established packets, ${services} services, ${flowCount} connections × ${packets}`,
        unit: "packets/s",
        subject: { label: "Wasm", median: n / (median(we) / 1000) },
        baseline: { label: "TS reference", median: n / (median(re) / 1000) },
        speedup: median(re) / median(we),
        repeats,
      });
    }
  }
  return { results, rulesPerConnection, counters };
}
