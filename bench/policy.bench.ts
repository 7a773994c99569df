// NetworkPolicy enforcement cost: a generated cluster (100 nodes, 3,000 pods, 300 Services in 10
// namespaces) with 0, 10, 100 and 1,000 NetworkPolicies, loaded into dist/engine.js (one worker
// per policy count) and driven by the engine's batch simulation, per CNI: flannel (policies read
// but not enforced: the baseline), Calico IP-in-IP with kube-proxy iptables (Felix's chains in
// the filter table, walked rule by rule per new connection), Cilium VXLAN with kube-proxy's eBPF
// replacement and with kube-proxy iptables (per-endpoint policy maps: a lookup per new
// connection). New connections/s and rules walked per new connection are medians over repeats
// that alternate between the policy counts, and every ratio is to the same CNI with no policy,
// measured in the same run. Load time is the engine's `load` (parse, validate, compile, encode,
// copy into Wasm); parsing and the Calico chain compile (every policy and endpoint chain with Felix's rule
// hashes) is also timed alone, in this process, from the same model.
//
// The policies, in the order they are added (every prefix is a consistent rollout, so every
// connection of the plan is allowed at every count and the verdict mix stays the same):
//  - per namespace, three: default-deny-ingress (podSelector {}, Ingress), allow-same-namespace
//    (from podSelector {}), allow-http-from-cluster (from namespaceSelector {}, TCP 8080);
//  - then port-specific allows on single Services' pods, cycling through four shapes: metrics
//    (TCP 9090) from namespaces labelled team=monitoring; TCP 8080 from another namespace's
//    clients; a TCP port range (50051-50060) from an ipBlock with an except; TCP 8080 from
//    another Service's pods in the same namespace.

import { compileKubeProxy } from "../src/compile/kube-proxy.js";
import { compileNetwork } from "../src/compile/network.js";
import { loadModel } from "../src/model/load.js";
import { toManifests } from "../src/model/to-manifests.js";
import type { ClusterModel } from "../src/model/types.js";
import { ciliumPolicy, policyRules } from "../src/policy/enforcement.js";
import { median } from "./stats.js";

export const POLICY_CLUSTER = { seed: 21, nodes: 100, pods: 3000, services: 300, namespaces: 10 } as const;
export const POLICY_COUNTS = [0, 10, 100, 1000] as const;
export const POLICY_PLAN = { flows: 20_000, packetsPerFlow: 1, pattern: "uniform", seed: 1 } as const;

export const POLICY_CNIS = [
  { id: "flannel", label: "flannel vxlan, kube-proxy iptables (not enforced)", settings: { cni: { plugin: "flannel" }, kubeProxy: { mode: "iptables" } } },
  { id: "calico", label: "Calico ipip, kube-proxy iptables", settings: { cni: { plugin: "calico", mode: "ipip" }, kubeProxy: { mode: "iptables" } } },
  { id: "cilium-ebpf", label: "Cilium vxlan, kube-proxy replacement (eBPF)", settings: { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "ebpf" } } },
  { id: "cilium-iptables", label: "Cilium vxlan, kube-proxy iptables", settings: { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "iptables" } } },
] as const;

type Obj = Record<string, unknown>;

const np = (namespace: string, name: string, spec: Obj): Obj => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace, name }, spec });

/** The first `count` policies of the rollout described at the top, as Kubernetes objects. */
export function networkPolicies(model: ClusterModel, count: number): Obj[] {
  const namespaces = [...new Set(model.services.filter((s) => s.name.startsWith("svc-")).map((s) => s.namespace))].sort();
  const services = model.services.filter((s) => s.name.startsWith("svc-"));
  const out: Obj[] = [];
  for (const ns of namespaces) {
    if (out.length + 3 > count) break;
    out.push(np(ns, "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] }));
    out.push(np(ns, "allow-same-namespace", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
    out.push(np(ns, "allow-http-from-cluster", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }] }));
  }
  const bundled = new Set(out.map((p) => (p.metadata as Obj).namespace));
  // Port-specific allows, only on pods of namespaces already isolated (a policy alone in a
  // namespace would isolate its pods and change the verdicts).
  const eligible = services.filter((s) => bundled.has(s.namespace));
  for (let k = 0; out.length < count && eligible.length; k++) {
    const s = eligible[k % eligible.length]!;
    const variant = Math.floor(k / eligible.length) % 4;
    const podSelector = { matchLabels: { app: s.name } };
    const other = namespaces[(namespaces.indexOf(s.namespace) + 1 + Math.floor(k / eligible.length)) % namespaces.length]!;
    const peer = eligible[(k * 7 + 1) % eligible.length]!;
    const rule =
      variant === 0
        ? { name: "metrics-from-monitoring", ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "monitoring" } } }], ports: [{ protocol: "TCP", port: 9090 }] }] }
        : variant === 1
          ? { name: `from-${other}-clients`, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": other } }, podSelector: { matchLabels: { app: "client" } } }], ports: [{ protocol: "TCP", port: 8080 }] }] }
          : variant === 2
            ? { name: "grpc-from-vpc", ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.96.0.0/12"] } }], ports: [{ protocol: "TCP", port: 50051, endPort: 50060 }] }] }
            : { name: `from-${peer.name}`, ingress: [{ from: [{ podSelector: { matchLabels: { app: peer.name } } }], ports: [{ protocol: "TCP", port: 8080 }] }] };
    out.push(np(s.namespace, `allow-${s.name}-${rule.name}`, { podSelector, ingress: rule.ingress }));
  }
  return out;
}

/** The generated cluster of one CNI, and its engine inputs with each policy count (a List of its objects, with its settings). */
export function inputs(settings: Obj): { model: ClusterModel; byCount: Map<number, { input: Obj; policies: number }> } {
  const { model } = loadModel({ generate: { ...POLICY_CLUSTER, settings } });
  const objects = toManifests(model);
  const byCount = new Map<number, { input: Obj; policies: number }>();
  for (const n of POLICY_COUNTS) {
    const policies = networkPolicies(model, n);
    byCount.set(n, { input: { text: JSON.stringify({ apiVersion: "v1", kind: "List", items: [...objects, ...policies] }), settings: model.settings }, policies: policies.length });
  }
  return { model, byCount };
}

function time<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const v = fn();
  return [performance.now() - t, v];
}

/** In this process, from the same input: where load time goes, and the Calico (Felix) chain compile alone. */
function loadBreakdown(input: Obj, repeats: number) {
  const parse: number[] = [];
  const network: number[] = [];
  const kubeProxy: number[] = [];
  const withPolicy: number[] = [];
  const cilium: number[] = [];
  let rules = 0;
  let policyRulesAdded = 0;
  for (let r = 0; r < repeats; r++) {
    const [tp, { model }] = time(() => loadModel(input));
    const [tn, net] = time(() => compileNetwork(model));
    const [tk, plain] = time(() => compileKubeProxy(model));
    const [tw, rs] = time(() => compileKubeProxy(model, policyRules(model, net)));
    const [tc] = time(() => ciliumPolicy(model, net));
    parse.push(tp);
    network.push(tn);
    kubeProxy.push(tk);
    withPolicy.push(tw);
    cilium.push(tc);
    rules = ruleCount(rs);
    policyRulesAdded = rules - ruleCount(plain);
  }
  return {
    parseMs: median(parse),
    compileNetworkMs: median(network),
    compileKubeProxyMs: median(kubeProxy),
    // Felix's chains: the ruleset compile with the Calico policy rules minus the same without.
    calicoChainsMs: Math.max(0, median(withPolicy) - median(kubeProxy)),
    ciliumPolicyMs: median(cilium),
    rules,
    policyRules: policyRulesAdded,
  };
}

function ruleCount(rs: unknown): number {
  const r = rs as { rules?: unknown[] };
  return Array.isArray(r.rules) ? r.rules.length : NaN;
}

export interface PolicyRow {
  cni: string;
  label: string;
  policies: number;
  connectionsPerSecond: number;
  /** connectionsPerSecond / the same CNI's with no policy, same run. */
  ratio: number;
  rulesPerNewConnection: number;
  rulesPerNewConnectionP99: number;
  /** rulesPerNewConnection / the same CNI's with no policy. */
  rulesRatio: number;
  delivered: number;
  dropped: number;
  drops: Record<string, number>;
  loadMs: number;
  loadRatio: number;
  breakdown: ReturnType<typeof loadBreakdown>;
  repeats: number;
  counters: Record<string, number>;
}

interface EngineLike {
  load(input: unknown): Promise<unknown>;
  simulate(plan: unknown): Promise<{ flows: number; counters: Record<string, number>; drops: Record<string, number>; rulesPerNewConnection: { mean: number; p99: number } }>;
  dispose(): Promise<void>;
}

export async function run({ createEngine }: { createEngine: (o: { host: "worker"; workers: number }) => Promise<EngineLike> }, { repeats = 5, loadRepeats = 5, breakdownRepeats = 1, log = (_: string) => {} } = {}): Promise<{ rows: PolicyRow[] }> {
  const rows: PolicyRow[] = [];
  for (const cni of POLICY_CNIS) {
    const { byCount } = inputs(cni.settings as unknown as Obj);
    const engines = new Map<number, EngineLike>();
    const loadMs = new Map<number, number[]>(POLICY_COUNTS.map((n) => [n, []]));
    const runMs = new Map<number, number[]>(POLICY_COUNTS.map((n) => [n, []]));
    const results = new Map<number, Awaited<ReturnType<EngineLike["simulate"]>>>();
    try {
      for (const n of POLICY_COUNTS) engines.set(n, await createEngine({ host: "worker", workers: 1 }));
      // Loads, alternating between the counts; the first round warms up (JIT) and is not timed.
      for (let r = 0; r <= loadRepeats; r++) {
        for (const n of POLICY_COUNTS) {
          const t = performance.now();
          await engines.get(n)!.load(byCount.get(n)!.input);
          if (r > 0) loadMs.get(n)!.push(performance.now() - t);
        }
      }
      // Warm-up simulation, then the timed repeats, alternating between the counts.
      for (const n of POLICY_COUNTS) await engines.get(n)!.simulate({ ...POLICY_PLAN, flows: 2000 });
      for (let r = 0; r < repeats; r++) {
        for (const n of POLICY_COUNTS) {
          const t = performance.now();
          const result = await engines.get(n)!.simulate(POLICY_PLAN);
          runMs.get(n)!.push(performance.now() - t);
          const prev = results.get(n);
          if (prev && JSON.stringify(prev.counters) !== JSON.stringify(result.counters)) throw new Error(`${cni.id}, ${n} policies: the same plan counted differently on a second run`);
          results.set(n, result);
        }
      }
    } finally {
      await Promise.all([...engines.values()].map((e) => e.dispose()));
    }
    const base = { cps: POLICY_PLAN.flows / (median(runMs.get(0)!) / 1000), rules: results.get(0)!.rulesPerNewConnection.mean, load: median(loadMs.get(0)!) };
    for (const n of POLICY_COUNTS) {
      const res = results.get(n)!;
      const cps = POLICY_PLAN.flows / (median(runMs.get(n)!) / 1000);
      // One in-process pass per count keeps the suite short (Calico at 1,000 policies takes
      // seconds a pass); the engine load times above are the medians.
      const breakdown = loadBreakdown(byCount.get(n)!.input, breakdownRepeats);
      const row: PolicyRow = {
        cni: cni.id,
        label: cni.label,
        policies: byCount.get(n)!.policies,
        connectionsPerSecond: cps,
        ratio: cps / base.cps,
        rulesPerNewConnection: res.rulesPerNewConnection.mean,
        rulesPerNewConnectionP99: res.rulesPerNewConnection.p99,
        rulesRatio: base.rules > 0 ? res.rulesPerNewConnection.mean / base.rules : NaN,
        delivered: res.counters.delivered!,
        dropped: res.counters.dropped!,
        drops: res.drops,
        loadMs: median(loadMs.get(n)!),
        loadRatio: median(loadMs.get(n)!) / base.load,
        breakdown,
        repeats,
        counters: res.counters,
      };
      rows.push(row);
      log(`${cni.id} ${n}: ${Math.round(cps)} conn/s (${row.ratio.toFixed(2)}×), ${row.rulesPerNewConnection.toFixed(1)} rules/conn, load ${row.loadMs.toFixed(0)} ms, Calico chains ${breakdown.calicoChainsMs.toFixed(0)} ms`);
    }
  }
  return { rows };
}
