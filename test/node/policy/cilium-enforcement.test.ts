// Differential test of Cilium's enforcement (src/compile/cilium-policy.ts: per-endpoint policy
// maps; assembly/policy.ts and assembly/forward.ts: egress in bpf_lxc after any service
// translation, ingress before local delivery, identities from the ipcache, per-node conntrack)
// against the reference semantics read as Cilium reads them (src/policy/evaluate.ts with
// `{ semantics: "cilium" }`: ipBlocks never match pods or nodes, egress named ports resolve
// against every pod's names). Random policies over a small Cilium cluster, every ordered pair of
// pods traced on the ports the destination declares, and the trace's verdict and policy hops
// compared with the evaluator's. Also: Services (policies see the backend after translation, in
// both LB modes), external addresses (the egress verdict is taken before the packet leaves the
// simulated cluster), a node's host (allow-localhost), and explicit cases from
// docs/cilium-policy.md §4–§5.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/index.js";
import type { Hop, Trace } from "../../../src/engine/types.js";
import { loadModel } from "../../../src/model/load.js";
import type { ClusterModel, ClusterPod, Protocol } from "../../../src/model/types.js";
import { PolicyEvaluator, type PolicyVerdict, type SideVerdict } from "../../../src/policy/evaluate.js";
import type { IPBlock, NetworkPolicy } from "../../../src/policy/types.js";
import { NAMESPACES, named, policyArbitraries, policyObject } from "./arbitraries.js";

// ---- Generators (arbitraries.ts, with blocks around Cilium's per-node /24s) ----

const NODES = ["node-a", "node-b", "node-c"];

// Cilium's cluster-pool IPAM here gives node i the pod CIDR 10.244.i.0/24; the nodes are
// 192.168.1.10, .11, .12. Blocks covering pods and nodes (which Cilium's CIDR rules never
// select), the outside world, and excepts on both.
const BLOCKS: IPBlock[] = [
  { cidr: "10.244.0.0/16", except: [] },
  { cidr: "10.244.0.0/24", except: [] },
  { cidr: "10.244.0.0/16", except: ["10.244.1.0/24"] },
  { cidr: "192.168.1.0/24", except: [] },
  { cidr: "0.0.0.0/0", except: [] },
  { cidr: "0.0.0.0/0", except: ["8.8.8.0/24"] },
  { cidr: "8.8.8.0/24", except: ["8.8.8.8/32"] },
  { cidr: "8.8.0.0/16", except: [] },
  { cidr: "1.1.1.1/32", except: [] },
];

const { policy } = policyArbitraries({ blocks: BLOCKS, ports: [53, 80, 81, 8080, "http", "http", "metrics", "dns"], rangeStarts: [53, 79, 80], rangeEnds: [80, 81, 8080], peerWeights: [3, 1], peerLists: 2 });

// Container ports: named (TCP and UDP), unnamed, and names reused on other numbers. pod-0 and
// pod-1 always give `http` different numbers (80, 8080) and `metrics` different protocols, so
// an egress rule naming `http` allows 80 and 8080 to every selected peer under Cilium.
const FIXED_PORTS = [["http:80", "metrics:81"], ["http:8080", "metrics:81/UDP"]];
const PORT_SETS = [["http:80", "metrics:81"], ["http:8080", "metrics:80/UDP"], ["80", "dns:53/UDP"], ["web:81", "8080"], ["metrics:80", "dns:53"]];

const podSpec = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  node: fc.nat({ max: 2 }),
  labels: fc.record({ app: fc.constantFrom("a", "b"), tier: fc.constantFrom("a", "b") }, { requiredKeys: ["app"] }),
  ports: fc.constantFrom(...PORT_SETS),
});

const clusterSpec = fc.record({
  pods: fc.array(podSpec, { minLength: 6, maxLength: 6 }),
  nodes: fc.constantFrom(2, 3),
  mode: fc.constantFrom("vxlan", "native"),
  /** iptables: kube-proxy, and Cilium's per-packet LB in bpf_lxc; ebpf: the socket LB, no kube-proxy. */
  kubeProxy: fc.constantFrom("iptables", "ebpf"),
  /** The Service selects this pod's namespace and app label. */
  service: fc.nat({ max: 5 }),
});
type ClusterSpec = typeof clusterSpec extends fc.Arbitrary<infer T> ? T : never;

// ---- The cluster in the compact format, its policies as Kubernetes writes them ----

function clusterInput(spec: ClusterSpec, ps: NetworkPolicy[]) {
  const svcPod = spec.pods[spec.service]!;
  const nodes = NODES.slice(0, spec.nodes);
  return {
    nodes: nodes.map((name) => ({ name })),
    namespaces: [{ name: "ns1", labels: { team: "a" } }, { name: "ns2", labels: { team: "b" } }],
    pods: [
      ...spec.pods.map((p, i) => ({ name: `pod-${i}`, ...p, node: nodes[p.node % nodes.length]!, ports: FIXED_PORTS[i] ?? p.ports })),
      // The node itself (a host-network pod has its address and network namespace): labels a
      // selector could match, but no policy applies to it and no pod selector picks it.
      // (No app label: the Service, which selects on app, has pod backends only.)
      { name: "host-a", node: "node-a", hostNetwork: true, labels: { tier: "a" } },
      { name: "host-b", node: "node-b", hostNetwork: true, labels: { tier: "b" } },
    ],
    services: [{ name: "svc", namespace: svcPod.namespace, selector: { app: svcPod.labels.app }, ports: ["80"] }],
    networkPolicies: ps.map(policyObject),
    settings: { cni: { plugin: "cilium", mode: spec.mode }, kubeProxy: { mode: spec.kubeProxy }, coreDNSReplicas: 0 },
  };
}

// ---- Checking one trace against one verdict ----

/** Host → pod allows named by a rule rather than allow-localhost (see expectAllowHop). */
let hostNamedByRule = 0;

const key = (p: ClusterPod) => `${p.namespace}/${p.name}`;
const policyHops = (t: Trace) => t.hops.filter((h) => h.component === "policy");
const requestPolicyHops = (t: Trace) => policyHops(t).filter((h) => h.phase === "request");

/** The hop of one allowed side: a rule of an isolating policy, allow-localhost, or allow-all (not enforced). */
function expectAllowHop(side: SideVerdict, hop: Hop | undefined, node: string, what: string): void {
  expect(hop, `${what}: no allow hop for ${side.direction} (${side.message})`).toBeDefined();
  expect(hop!.policy!.verdict, what).toBe("allow");
  expect(hop!.action, what).toBe("allow");
  expect(hop!.node, what).toBe(node);
  if (side.reason === "allowed-by-rule") {
    const rules = side.allowedBy.map((r) => `${r.policy}#${r.rule}`);
    expect(rules, `${what}: ${side.direction} allowed by ${hop!.policy!.policy}#${hop!.policy!.rule} (${hop!.policy!.reason})`).toContain(`${hop!.policy!.policy}#${hop!.policy!.rule}`);
  } else if (side.reason === "own-node" && side.isolated) {
    // The node's host into an isolated pod: allow-localhost's reserved:host entry — or, when
    // one of the pod's rules also covers the host (an empty `from`), that rule: the simulated
    // map answers with its first matching entry, where Cilium prefers the more specific
    // (identity) entry (docs/cilium-policy.md §2a). Same verdict; only the name differs.
    if (hop!.policy!.policy === undefined) expect(hop!.policy!.reason, what).toContain("allow-localhost");
    else {
      expect(side.isolatedBy, what).toContain(hop!.policy!.policy);
      hostNamedByRule++;
    }
  } else {
    expect(side.isolated, `${what}: ${side.message}`).toBe(false);
    expect(hop!.policy!.policy, `${what}: ${hop!.policy!.reason}`).toBeUndefined();
  }
}

/**
 * The trace of a new connection from `src` (a pod, or a host-network pod: its node) to `dst` (a
 * pod, after translation when through a Service, or an address outside the cluster) against the
 * evaluator's verdict `v`.
 */
function check(t: Trace, v: PolicyVerdict, src: ClusterPod, dst: ClusterPod | undefined, what: string, { active = true } = {}): void {
  const hops = requestPolicyHops(t);
  if (!active) {
    // No policy selects any endpoint: no policy map is loaded, nothing is looked up.
    expect(policyHops(t), what).toEqual([]);
    expect(v.allowed, `${what}: ${v.message}`).toBe(true);
    expect(t.verdict, what).toBe(dst ? "delivered" : "dropped");
    if (dst) expect(t.replyVerdict, what).toBe("delivered");
    return;
  }
  const egressHops = hops.filter((h) => h.policy!.direction === "egress");
  const ingressHops = hops.filter((h) => h.policy!.direction === "ingress");
  for (const h of egressHops) expect(h.policy!.pod, what).toBe(key(src));
  if (dst) for (const h of ingressHops) expect(h.policy!.pod, what).toBe(key(dst));
  else expect(ingressHops, what).toEqual([]);
  expect(hops.every((h) => h.policy!.enforcer === "cilium"), what).toBe(true);
  // The node's own traffic has no endpoint, hence no egress policy.
  if (src.hostNetwork) expect(egressHops, what).toEqual([]);
  // Replies (and ICMP errors) are found in the policy conntrack: no lookup, no hop.
  expect(policyHops(t).filter((h) => h.phase !== "request"), what).toEqual([]);

  const denies = hops.filter((h) => h.policy!.verdict === "deny");
  if (!v.allowed) {
    expect(t.verdict, `${what}: ${v.message}`).toBe("dropped");
    expect(denies, `${what}: ${v.message}`).toHaveLength(1);
    const deny = denies[0]!;
    expect(deny.action, what).toBe("drop");
    expect(deny.reason, what).toMatch(/^Policy denied/);
    expect(t.hops[t.hops.length - 1], `${what}: the deny ends the trace`).toBe(deny);
    // Egress first, in the source's bpf_lxc; then ingress, before delivery on the destination's node.
    if (!v.egress.allowed) {
      expect(deny.policy!.direction, `${what}: ${v.message}`).toBe("egress");
      expect(deny.policy!.pod, what).toBe(key(src));
      expect(deny.node, what).toBe(src.node);
      expect(ingressHops, what).toEqual([]);
    } else {
      expect(deny.policy!.direction, `${what}: ${v.message}`).toBe("ingress");
      expect(deny.policy!.pod, what).toBe(key(dst!));
      expect(deny.node, what).toBe(dst!.node);
      if (!src.hostNetwork) {
        expect(egressHops, what).toHaveLength(1);
        expectAllowHop(v.egress, egressHops[0], src.node, what);
      }
    }
    return;
  }
  expect(denies, `${what}: ${v.message} — but ${denies.map((d) => d.policy!.reason).join("; ")}`).toEqual([]);
  if (!src.hostNetwork) {
    expect(egressHops, `${what}: one egress verdict`).toHaveLength(1);
    expectAllowHop(v.egress, egressHops[0], src.node, what);
  }
  if (dst) {
    expect(t.verdict, `${what}: ${v.message}`).toBe("delivered");
    expect(t.replyVerdict, `${what}: the reply passes by conntrack`).toBe("delivered");
    expect(ingressHops, `${what}: one ingress verdict`).toHaveLength(1);
    expectAllowHop(v.ingress, ingressHops[0], dst.node, what);
  } else {
    // Allowed out of the cluster: the packet leaves the simulation after the egress verdict.
    expect(t.verdict, what).toBe("dropped");
    expect(t.hops[t.hops.length - 1]!.reason, what).toBe("leaves the simulated cluster");
  }
}

// ---- The tests ----

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(async () => {
  await engine?.dispose();
});

const EXTERNAL: Array<{ ip: string; protocol: Protocol; port: number }> = [
  { ip: "8.8.8.8", protocol: "TCP", port: 80 },
  { ip: "1.1.1.1", protocol: "UDP", port: 53 },
];

const cilium = (model: ClusterModel) => new PolicyEvaluator(model, model.networkPolicies, { semantics: "cilium" });

/** The backend a Service trace was translated to: kube-proxy-less socket LB or per-packet LB. */
const translated = (t: Trace) => t.hops.find((h) => h.phase === "request" && (h.action === "dnat" || h.action === "socket-lb"));

describe("Cilium's enforcement against the reference semantics (Cilium's reading)", () => {
  it("pod → pod, node → pod, pod → Service, pod → outside: same verdicts, and the deciding hops name the evaluator's rules", async () => {
    let traces = 0;
    let denied = 0;
    let activeRuns = 0;
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.array(policy, { minLength: 1, maxLength: 4 }), async (spec, ps) => {
        const policies = named(ps);
        const input = clusterInput(spec, policies);
        const model: ClusterModel = loadModel(input).model;
        const ev = cilium(model);
        await engine.load(input as never);
        const pods = model.pods.filter((p) => !p.hostNetwork);
        const hosts = model.pods.filter((p) => p.hostNetwork);
        const byIp = new Map(pods.map((p) => [p.ip, p]));
        const setting = `${spec.mode}/${spec.kubeProxy}`;
        // Whether some policy selects some endpoint (else Cilium loads no policy map at all).
        const active = pods.some((p) => ev.isolatedBy(p, "Ingress").length + ev.isolatedBy(p, "Egress").length > 0);
        if (active) activeRuns++;
        const one = async (src: ClusterPod, dst: ClusterPod, protocol: Protocol, port: number) => {
          const t = await engine.trace({ from: key(src), to: `${key(dst)}:${port}`, protocol });
          const v = ev.evaluate({ from: { pod: src }, to: { pod: dst }, protocol, port });
          check(t, v, src, dst, `${setting} ${key(src)} → ${key(dst)} ${protocol}/${port}`, { active });
          traces++;
          if (!v.allowed) denied++;
        };
        for (const dst of pods) {
          for (const cp of dst.ports) {
            for (const src of pods) if (src !== dst) await one(src, dst, cp.protocol, cp.containerPort);
            // The node's host (its host-network pod): allow-localhost on its own node only.
            for (const host of hosts) await one(host, dst, cp.protocol, cp.containerPort);
          }
        }
        const svc = model.services.find((s) => s.name === "svc")!;
        for (const src of pods) {
          // The Service: policies see the backend the LB picked, on its port (after translation).
          const t = await engine.trace({ from: key(src), to: `${svc.clusterIP}:80`, seed: 1 });
          const lb = translated(t);
          expect(lb, `${setting} ${key(src)} → svc: translated`).toBeDefined();
          const backend = byIp.get(lb!.packet.dst)!;
          expect(backend, `${setting} ${key(src)} → svc: backend ${lb!.packet.dst}`).toBeDefined();
          const v = ev.evaluate({ from: { pod: src }, to: { pod: backend }, protocol: "TCP", port: lb!.packet.dport! });
          const what = `${setting} ${key(src)} → svc ${svc.clusterIP}:80 (${key(backend)})`;
          // A pod reaching itself through its Service (hairpin): see the explicit tests below.
          if (backend !== src) check(t, v, src, backend, what, { active });
          traces++;
          // Outside the cluster: the egress verdict is taken before the packet leaves.
          for (const x of EXTERNAL) {
            const t = await engine.trace({ from: key(src), to: `${x.ip}:${x.port}`, protocol: x.protocol });
            const v = ev.evaluate({ from: { pod: src }, to: { ip: x.ip }, protocol: x.protocol, port: x.port });
            check(t, v, src, undefined, `${setting} ${key(src)} → ${x.ip} ${x.protocol}/${x.port}`, { active });
            traces++;
            if (!v.allowed) denied++;
          }
        }
      }),
      { numRuns: 80, seed: 20251127 },
    );
    expect(traces).toBeGreaterThan(2000);
    expect(denied).toBeGreaterThan(200);
  }, 120_000);
});

// ---- Cilium, explicitly (docs/cilium-policy.md §1, §4, §5) ----

const SETTINGS = { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "iptables" }, coreDNSReplicas: 0 };

async function traceIn(compact: Record<string, unknown>, q: { from: string; to: string; protocol?: "TCP" | "UDP"; seed?: number }): Promise<Trace> {
  await engine.load({ ...compact, settings: { ...SETTINGS, ...(compact.settings as object) } } as never);
  return engine.trace(q);
}

/** The policy hops of a trace's request, as `direction verdict pod [policy#rule]`. */
const verdicts = (t: Trace) => requestPolicyHops(t).map((h) => `${h.policy!.direction} ${h.policy!.verdict} ${h.policy!.pod}${h.policy!.policy ? ` ${h.policy!.policy}#${h.policy!.rule}` : ""} @${h.node}`);

const TWO_NODES = [{ name: "node-a" }, { name: "node-b" }];
const WEB_DB = {
  nodes: TWO_NODES,
  pods: [
    { name: "web", node: "node-a", labels: { app: "web" }, ports: ["http:80"] },
    { name: "db", node: "node-b", labels: { app: "db" }, ports: ["pg:5432"] },
    { name: "other", node: "node-b", labels: { app: "other" }, ports: ["http:80"] },
    { name: "host-a", node: "node-a", hostNetwork: true },
    { name: "host-b", node: "node-b", hostNetwork: true },
  ],
};

function modelOf(compact: Record<string, unknown>): ClusterModel {
  return loadModel({ ...compact, settings: { ...SETTINGS, ...(compact.settings as object) } }).model;
}

const perPacketInput = (policies: unknown[], pods: unknown[]) => ({
  nodes: TWO_NODES,
  pods,
  services: [{ name: "web", selector: { app: "web" }, ports: ["80"] }],
  networkPolicies: policies,
  settings: { ...SETTINGS, kubeProxy: { mode: "iptables" } },
});

describe("Cilium, explicitly", () => {
  it("an ipBlock covering a pod's IP does not select that pod (Kubernetes' reading would allow it)", async () => {
    const m = modelOf(WEB_DB);
    const db = m.pods.find((p) => p.name === "db")!;
    const web = m.pods.find((p) => p.name === "web")!;
    // web may reach db's /32 (and the pod network) by egress; db accepts web's /32 by ingress.
    const egress = { name: "web-to-db-ip", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${db.ip}/32` } }, { ipBlock: { cidr: "10.244.0.0/16" } }] }] } };
    const ingress = { name: "db-from-web-ip", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: `${web.ip}/32` } }] }] } };
    for (const [np, direction, node] of [[egress, "egress", "node-a"], [ingress, "ingress", "node-b"]] as const) {
      const input = { ...WEB_DB, networkPolicies: [np] };
      const model = modelOf(input);
      const q = { from: { pod: "default/web" }, to: { pod: "default/db" }, port: 5432 };
      expect(new PolicyEvaluator(model, model.networkPolicies).evaluate(q).allowed, np.name).toBe(true);
      const v = cilium(model).evaluate(q);
      expect(v.allowed, np.name).toBe(false);
      const t = await traceIn(input, { from: "web", to: "db:5432" });
      expect(t.verdict, np.name).toBe("dropped");
      const hops = requestPolicyHops(t);
      expect(hops.at(-1)!.policy, np.name).toMatchObject({ enforcer: "cilium", verdict: "deny", direction, pod: direction === "egress" ? "default/web" : "default/db" });
      expect(hops.at(-1)!.node, np.name).toBe(node);
      check(t, v, web, db, np.name);
    }
    // The same blocks do select an address outside the cluster, which has the world identity.
    const outside = { ...WEB_DB, networkPolicies: [{ ...egress, spec: { ...egress.spec, egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] } }] };
    const t = await traceIn(outside, { from: "web", to: "8.8.8.8:443" });
    expect(verdicts(t)).toEqual(["egress allow default/web default/web-to-db-ip#0 @node-a"]);
    expect((await traceIn(outside, { from: "web", to: "db:5432" })).verdict).toBe("dropped");
  });

  it("an egress ipBlock to an address outside the cluster: the verdict is taken in bpf_lxc, before the packet leaves", async () => {
    const input = {
      ...WEB_DB,
      networkPolicies: [{ name: "dns-out", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "8.8.0.0/16", except: ["8.8.4.0/24"] } }], ports: [{ protocol: "UDP", port: 53 }] }] } }],
    };
    const model = modelOf(input);
    const web = model.pods.find((p) => p.name === "web")!;
    const ev = cilium(model);
    // Allowed: the egress allow hop on web's node, then the packet leaves the simulated cluster.
    const ok = await traceIn(input, { from: "web", to: "8.8.8.8:53", protocol: "UDP" });
    expect(verdicts(ok)).toEqual(["egress allow default/web default/dns-out#0 @node-a"]);
    expect(ok.hops.at(-1)!.reason).toBe("leaves the simulated cluster");
    expect(ok.hops.findIndex((h) => h.component === "policy")).toBeLessThan(ok.hops.length - 1);
    check(ok, ev.evaluate({ from: { pod: web }, to: { ip: "8.8.8.8" }, protocol: "UDP", port: 53 }), web, undefined, "8.8.8.8 UDP/53");
    // Denied: the except, the wrong port, the wrong protocol, another block.
    for (const [to, protocol] of [["8.8.4.4:53", "UDP"], ["8.8.8.8:80", "UDP"], ["8.8.8.8:53", "TCP"], ["1.1.1.1:53", "UDP"]] as const) {
      const t = await traceIn(input, { from: "web", to, protocol });
      expect(t.verdict, to).toBe("dropped");
      expect(verdicts(t), to).toEqual(["egress deny default/web @node-a"]);
      expect(t.hops.at(-1)!.reason, to).toMatch(/^Policy denied/);
      const [ip, port] = to.split(":");
      check(t, ev.evaluate({ from: { pod: web }, to: { ip: ip! }, protocol, port: Number(port) }), web, undefined, `${to} ${protocol}`);
    }
  });

  for (const kubeProxy of ["iptables", "ebpf"] as const) {
    it(`a Service's ClusterIP (${kubeProxy === "iptables" ? "per-packet LB in bpf_lxc" : "socket LB"}): policies see the backend after translation`, async () => {
      const base = {
        ...WEB_DB,
        services: [{ name: "db", selector: { app: "db" }, ports: [{ port: 5432, targetPort: "pg" }] }],
        settings: { ...SETTINGS, kubeProxy: { mode: kubeProxy } },
      };
      const clusterIP = modelOf(base).services.find((s) => s.name === "db")!.clusterIP;
      const egressTo = (to: unknown) => ({ name: "web-out", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [{ to, ports: [{ port: 5432 }] }] } });
      const dbIn = { name: "db-in", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "pg" }] }] } };
      const cases: Array<{ name: string; policies: unknown[]; from: string; allowed: boolean; hops: string[] }> = [
        // Egress to the backend pod by selector: allowed though the packet was sent to the ClusterIP.
        { name: "egress podSelector", policies: [egressTo([{ podSelector: { matchLabels: { app: "db" } } }])], from: "web", allowed: true, hops: ["egress allow default/web default/web-out#0 @node-a", "ingress allow default/db @node-b"] },
        // An ipBlock of the ClusterIP (or the Service range) never matches: the backend is a pod.
        { name: "egress ipBlock of the ClusterIP", policies: [egressTo([{ ipBlock: { cidr: `${clusterIP}/32` } }, { ipBlock: { cidr: "10.96.0.0/12" } }])], from: "web", allowed: false, hops: ["egress deny default/web @node-a"] },
        // Ingress at the backend: the client's identity, the backend's port (a named targetPort).
        { name: "ingress from web", policies: [dbIn], from: "web", allowed: true, hops: ["egress allow default/web @node-a", "ingress allow default/db default/db-in#0 @node-b"] },
        { name: "ingress from other", policies: [dbIn], from: "other", allowed: false, hops: ["egress allow default/other @node-b", "ingress deny default/db @node-b"] },
      ];
      for (const c of cases) {
        const input = { ...base, networkPolicies: c.policies };
        const model = modelOf(input);
        const t = await traceIn(input, { from: c.from, to: `${clusterIP}:5432` });
        const lb = translated(t)!;
        expect(lb.action, c.name).toBe(kubeProxy === "iptables" ? "dnat" : "socket-lb");
        const db = model.pods.find((p) => p.name === "db")!;
        expect(lb.packet.dst, c.name).toBe(db.ip);
        // Every policy hop sees the backend's address, never the ClusterIP.
        for (const h of requestPolicyHops(t)) expect(h.packet.dst, c.name).toBe(db.ip);
        expect(verdicts(t), c.name).toEqual(c.hops);
        const src = model.pods.find((p) => p.name === c.from)!;
        const v = cilium(model).evaluate({ from: { pod: src }, to: { pod: db }, port: 5432 });
        expect(v.allowed, c.name).toBe(c.allowed);
        check(t, v, src, db, `${kubeProxy} ${c.name}`);
      }
    });
  }

  it("host → pod: the pod's own node is allowed in by allow-localhost; another node's host is not", async () => {
    const deny = { name: "deny-in", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] } };
    const input = { ...WEB_DB, networkPolicies: [deny] };
    const model = modelOf(input);
    const web = model.pods.find((p) => p.name === "web")!;
    const ev = cilium(model);
    for (const mode of ["vxlan", "native"] as const) {
      const settings = { ...SETTINGS, cni: { plugin: "cilium", mode } };
      // node-a's host (a host-network pod shares its address and network namespace).
      const local = await traceIn({ ...input, settings }, { from: "host-a", to: "web:80" });
      expect(local.verdict, mode).toBe("delivered");
      expect(local.replyVerdict, mode).toBe("delivered");
      const [hop] = requestPolicyHops(local);
      expect(verdicts(local), mode).toEqual(["ingress allow default/web @node-a"]);
      expect(hop!.policy!.reason, mode).toContain("reserved:host");
      check(local, ev.evaluate({ from: { pod: "default/host-a" }, to: { pod: web }, port: 80 }), model.pods.find((p) => p.name === "host-a")!, web, `${mode} host-a`);
      // node-b's host is remote-node to web: denied by the default deny.
      const remote = await traceIn({ ...input, settings }, { from: "host-b", to: "web:80" });
      expect(verdicts(remote), mode).toEqual(["ingress deny default/web @node-a"]);
      check(remote, ev.evaluate({ from: { pod: "default/host-b" }, to: { pod: web }, port: 80 }), model.pods.find((p) => p.name === "host-b")!, web, `${mode} host-b`);
    }
  });

  it("default deny ingress and default deny egress", async () => {
    const denyIn = { name: "deny-in", spec: { podSelector: {}, policyTypes: ["Ingress"] } };
    const denyOut = { name: "deny-out", spec: { podSelector: {}, policyTypes: ["Egress"] } };
    for (const [np, expected] of [
      [denyIn, ["egress allow default/web @node-a", "ingress deny default/db @node-b"]],
      [denyOut, ["egress deny default/web @node-a"]],
    ] as const) {
      const input = { ...WEB_DB, networkPolicies: [np] };
      const model = modelOf(input);
      const web = model.pods.find((p) => p.name === "web")!;
      const db = model.pods.find((p) => p.name === "db")!;
      const t = await traceIn(input, { from: "web", to: "db:5432" });
      expect(t.verdict, np.name).toBe("dropped");
      expect(verdicts(t), np.name).toEqual(expected);
      expect(requestPolicyHops(t).at(-1)!.policy!.reason, np.name).toContain("default deny");
      const v = cilium(model).evaluate({ from: { pod: web }, to: { pod: db }, port: 5432 });
      expect(v.allowed).toBe(false);
      expect((np === denyIn ? v.ingress : v.egress).reason).toBe("isolated-by-default");
      check(t, v, web, db, np.name);
      // Same node too (egress in web's bpf_lxc, ingress before local delivery).
      const same = await traceIn(input, { from: "other", to: "db:5432" });
      expect(same.verdict, np.name).toBe("dropped");
      check(same, cilium(model).evaluate({ from: { pod: "default/other" }, to: { pod: db }, port: 5432 }), model.pods.find((p) => p.name === "other")!, db, `${np.name} same node`);
    }
    // Both: a rule on each side opens exactly web → db:5432, and the reply comes back by conntrack.
    const open = [
      denyIn,
      denyOut,
      { name: "web-out", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ port: 5432 }] }] } },
      { name: "db-in", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "pg" }] }] } },
    ];
    const t = await traceIn({ ...WEB_DB, networkPolicies: open }, { from: "web", to: "db:5432" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(verdicts(t)).toEqual(["egress allow default/web default/web-out#0 @node-a", "ingress allow default/db default/db-in#0 @node-b"]);
    expect(policyHops(t).filter((h) => h.phase === "reply")).toEqual([]);
  });

  it("egress named ports resolve against every pod's names (the cluster-wide named-port map); ingress against the destination's", async () => {
    // `http` is 80 on web and 8080 on api; db listens on 8080 under another name.
    const input = {
      nodes: TWO_NODES,
      pods: [
        { name: "web", node: "node-a", labels: { app: "web" }, ports: ["http:80"] },
        { name: "api", node: "node-b", labels: { app: "api" }, ports: ["http:8080"] },
        { name: "db", node: "node-b", labels: { app: "db" }, ports: ["admin:8080"] },
        { name: "client", node: "node-a", labels: { app: "client" } },
      ],
      networkPolicies: [
        { name: "client-out", spec: { podSelector: { matchLabels: { app: "client" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "http" }] }] } },
        { name: "db-in", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: "http" }] }] } },
      ],
    };
    const model = modelOf(input);
    const client = model.pods.find((p) => p.name === "client")!;
    const db = model.pods.find((p) => p.name === "db")!;
    // client → db:8080: egress allowed (8080 is `http` on api), ingress denied (db has no `http`).
    const t = await traceIn(input, { from: "client", to: "db:8080" });
    expect(verdicts(t)).toEqual(["egress allow default/client default/client-out#0 @node-a", "ingress deny default/db @node-b"]);
    const v = cilium(model).evaluate({ from: { pod: client }, to: { pod: db }, port: 8080 });
    expect(v.egress.allowed).toBe(true);
    expect(v.ingress.allowed).toBe(false);
    // Kubernetes' reading resolves the egress name against the destination: denied on egress.
    expect(new PolicyEvaluator(model, model.networkPolicies).evaluate({ from: { pod: client }, to: { pod: db }, port: 8080 }).egress.allowed).toBe(false);
    check(t, v, client, db, "client → db:8080");
    // client → web:8080 is not `http` anywhere on web's side but is in the map: egress allows it.
    const w = await traceIn(input, { from: "client", to: "web:8080" });
    expect(verdicts(w)).toEqual(["egress allow default/client default/client-out#0 @node-a", "ingress allow default/web @node-a"]);
    // client → db:81: no pod calls 81 `http`.
    expect(verdicts(await traceIn(input, { from: "client", to: "db:81" }))).toEqual(["egress deny default/client @node-a"]);
  });

  it("a pod reaching itself through its Service with the socket LB: the connection never leaves the pod's socket path, nothing is policed", async () => {
    const input = {
      nodes: TWO_NODES,
      pods: [{ name: "web", node: "node-a", labels: { app: "web" }, ports: ["http:80"] }],
      services: [{ name: "web", selector: { app: "web" }, ports: ["80"] }],
      networkPolicies: [{ name: "deny-all", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }],
      settings: { ...SETTINGS, kubeProxy: { mode: "ebpf" } },
    };
    const model = modelOf(input);
    const clusterIP = model.services.find((s) => s.name === "web")!.clusterIP;
    const t = await traceIn(input, { from: "web", to: `${clusterIP}:80` });
    expect(new PolicyEvaluator(model, model.networkPolicies, { semantics: "cilium" }).evaluate({ from: { pod: "web" }, to: { pod: "web" }, port: 80 }).egress.reason).toBe("same-pod");
    expect(t.hops.map((h) => `${h.component} ${h.action}`)).toEqual(["socket socket-lb", "pod deliver", "pod deliver"]);
    expect(policyHops(t)).toEqual([]);
    expect(t.verdict).toBe("delivered");
  });

  it("a pod → its own node: Cilium polices it as egress to reserved:host, and so does the evaluator under Cilium's semantics", async () => {
    // docs/cilium-policy.md §5: allow-localhost adds an *ingress* entry for reserved:host only;
    // a pod's egress to its node's address is looked up like any other (remote identity host),
    // and CIDR rules never select nodes, so only a rule with an empty `to` lets it out. The
    // evaluator keeps the Kubernetes docs' own-node exemption for ingress only under `cilium`.
    const nodeIP = "192.168.1.10";
    const denyOut = { name: "deny-out", spec: { podSelector: {}, policyTypes: ["Egress"] } };
    const toNodeBlock = { name: "to-node", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${nodeIP}/32` } }] }] } };
    const toAny = { name: "to-any", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 10250 }] }] } };
    const answers: string[] = [];
    for (const policies of [[denyOut], [denyOut, toNodeBlock], [denyOut, toAny]]) {
      const input = { ...WEB_DB, networkPolicies: policies };
      const model = modelOf(input);
      expect(model.nodes[0]!.internalIP).toBe(nodeIP);
      const v = cilium(model).evaluate({ from: { pod: "default/web" }, to: { ip: nodeIP }, port: 10250 });
      const t = await traceIn(input, { from: "web", to: `${nodeIP}:10250` });
      expect(t.verdict === "delivered").toBe(v.allowed);
      answers.push(`${policies.map((p) => p.name).join("+")}: ${t.verdict} ${verdicts(t).join(", ")}`);
    }
    expect(answers).toEqual([
      "deny-out: dropped egress deny default/web @node-a",
      "deny-out+to-node: dropped egress deny default/web @node-a",
      "deny-out+to-any: delivered egress allow default/web default/to-any#0 @node-a",
    ]);
  });

  it("per-packet LB, backend on the client's node: the reply is a CT_REPLY of the connection, whatever the client's ingress policy", async () => {
    // §1: the backend's reply finds the connection in CT (CT_REPLY) before lb4_rev_nat, skips
    // policy and marks the packet (policy_mark_skip) for the client's ingress. Looked up after
    // the reverse NAT instead (source = the ClusterIP), it would be a new connection from world,
    // dropped by the client's default deny (found by the property above).
    const input = perPacketInput(
      [{ name: "client-deny-in", spec: { podSelector: { matchLabels: { app: "client" } }, policyTypes: ["Ingress"] } }],
      [
        { name: "web", node: "node-a", labels: { app: "web" }, ports: ["http:80"] },
        { name: "client", node: "node-a", labels: { app: "client" } },
      ],
    );
    const clusterIP = modelOf(input).services.find((s) => s.name === "web")!.clusterIP;
    const t = await traceIn(input, { from: "client", to: `${clusterIP}:80` });
    expect(verdicts(t)).toEqual(["egress allow default/client @node-a", "ingress allow default/web @node-a"]);
    expect(t.verdict).toBe("delivered");
    expect(policyHops(t).filter((h) => h.phase === "reply")).toEqual([]);
    expect(t.replyVerdict).toBe("delivered");
  });
});

// ---- Known gaps of the simulated Cilium, found by the property above. Each asserts what real
// Cilium does (docs/cilium-policy.md); found by the property above, fixed since, kept as regressions.

describe("Cilium, cases once wrong", () => {
  it("hairpin with per-packet LB: a pod reaching itself through its Service skips policy both ways (ct_state loopback, CT_REPLY)", async () => {
    // §1: "Hairpin (pod → its own Service → itself, ct_state_new.loopback) skips policy", and
    // ipv4_policy step 3; its reply is a CT_REPLY. The simulation lets the request (SNATed to
    // 169.254.42.1) through, but the reply, reverse-NATed to ClusterIP → pod and not in the
    // policy conntrack (the skipped request was not remembered), is looked up as a new
    // connection from world and dropped by the pod's default-deny ingress.
    const input = perPacketInput([{ name: "deny-in", spec: { podSelector: {}, policyTypes: ["Ingress"] } }], [{ name: "web", node: "node-a", labels: { app: "web" }, ports: ["http:80"] }]);
    const clusterIP = modelOf(input).services.find((s) => s.name === "web")!.clusterIP;
    const t = await traceIn(input, { from: "web", to: `${clusterIP}:80` });
    expect(t.verdict).toBe("delivered");
    expect(requestPolicyHops(t)).toEqual([]);
    expect(policyHops(t).filter((h) => h.phase === "reply")).toEqual([]);
    expect(t.replyVerdict).toBe("delivered");
  });

  it("host → an isolated pod whose rule admits everyone: the verdict names allow-localhost's identity entry, which Cilium prefers to the wildcard", async () => {
    // §2/§2a: an identity entry (reserved:host/ANY/ANY) wins over the all-wildcard one
    // (ANY/ANY/ANY) — by precedence in 1.16, on the tie in 1.17+. The simulated map answers
    // with its first matching entry, the rule's. Same verdict (allowed); only the name differs.
    const input = { ...WEB_DB, networkPolicies: [{ name: "all-in", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{}] } }] };
    const t = await traceIn(input, { from: "host-a", to: "web:80" });
    expect(t.verdict).toBe("delivered");
    expect(requestPolicyHops(t)[0]!.policy!.reason).toContain("allow-localhost");
  });
});
