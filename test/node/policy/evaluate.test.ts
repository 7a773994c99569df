// The reference evaluator's explanations and its documented choices: which policy and rule
// allowed, why a denial happened, ipBlock against pod IPs, host-network pods, a pod's own
// node, and rules a policy carries for a direction it does not isolate.
import { describe, expect, it } from "vitest";
import { K8sNetFlowError } from "../../../src/errors.js";
import { evaluateConnection, PolicyEvaluator } from "../../../src/policy/evaluate.js";
import { describePolicy, renderVerdict } from "../../../src/policy/explain.js";
import { matrixRows, policyMatrix } from "../../../src/policy/matrix.js";
import { cluster, policies } from "./helpers.js";

describe("verdicts name policies and rules", () => {
  const m = cluster({ pods: [{ name: "db", labels: { app: "db" }, ports: ["5432"] }, { name: "api", labels: { app: "api" } }, { name: "web", labels: { app: "web" } }] });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all }
spec: { podSelector: {} }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }]
      ports: [{ port: 80 }]
    - from: [{ podSelector: { matchLabels: { app: web } } }, { podSelector: { matchLabels: { app: api } } }]
      ports: [{ port: 5432 }, { port: 6432 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db-admin }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: api } } }] }]
`);
  const ev = new PolicyEvaluator(m, p);

  it("an allow lists every rule that allows it, with peer and port indexes", () => {
    const v = ev.evaluate({ from: { pod: "api" }, to: { pod: "db" }, port: 5432 });
    expect(v.allowed).toBe(true);
    expect(v.egress).toMatchObject({ reason: "not-isolated", isolated: false, pod: "default/api" });
    expect(v.ingress).toMatchObject({
      reason: "allowed-by-rule",
      isolated: true,
      pod: "default/db",
      isolatedBy: ["default/deny-all", "default/db", "default/db-admin"],
      allowedBy: [
        { policy: "default/db", rule: 1, peer: 1, port: 0 },
        { policy: "default/db-admin", rule: 0, peer: 0, port: null },
      ],
    });
    expect(v.ingress.message).toBe("default/db ingress allowed by default/db ingress rule 1, default/db-admin ingress rule 0");
  });

  it("a denial says no rule matched, naming the isolating policies", () => {
    const v = ev.evaluate({ from: { pod: "web" }, to: { pod: "db" }, port: 6000 });
    expect(v.allowed).toBe(false);
    expect(v.ingress).toMatchObject({ reason: "no-rule-matched", allowedBy: [] });
    expect(v.message).toBe("default/web → default/db TCP/6000: denied (no ingress rule of default/deny-all, default/db, default/db-admin allows default/db from default/web on TCP/6000)");
  });

  it("a pod isolated only by rule-less policies is isolated by default", () => {
    const v = ev.evaluate({ from: { pod: "db" }, to: { pod: "web" }, port: 80 });
    expect(v.ingress).toMatchObject({ reason: "isolated-by-default", isolatedBy: ["default/deny-all"] });
    expect(v.ingress.message).toBe("default/web is isolated for ingress by default/deny-all, which allows no ingress at all");
  });

  it("an address that is a pod's IP is that pod; unknown pods and bad input are errors", () => {
    const db = m.pods.find((x) => x.name === "db")!;
    expect(ev.evaluate({ from: { pod: "default/api" }, to: { ip: db.ip }, port: 5432 }).to).toMatchObject({ kind: "pod", ip: db.ip });
    expect(() => ev.evaluate({ from: { pod: "nope" }, to: { pod: "db" }, port: 1 })).toThrow(K8sNetFlowError);
    expect(() => ev.evaluate({ from: { ip: "10.0.0.300" }, to: { pod: "db" }, port: 1 })).toThrow(/not an IPv4 address/);
    expect(() => ev.evaluate({ from: { pod: "api" }, to: { pod: "db" }, port: 0 })).toThrow(/out of range/);
  });
});

it("rules for a direction missing from an explicit policyTypes are ignored", () => {
  // policyTypes [Egress] with an ingress section: the API keeps the rules, nothing enforces
  // them, and the pod is not isolated for ingress.
  const m = cluster({ pods: [{ name: "a" }, { name: "b" }] });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: egress-only }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Egress]
  ingress: []
  egress: [{ to: [{ podSelector: {} }] }]
`);
  expect(matrixRows(policyMatrix(m, p))).toEqual(["..", ".."]);
  expect(evaluateConnection(m, p, { from: { pod: "a" }, to: { ip: "1.1.1.1" }, port: 443 }).egress.reason).toBe("no-rule-matched");
});

it("ipBlock matches pod IPs too (the choice this reference makes, as Calico does)", () => {
  // node-a's pods are 10.244.0.x, node-b's 10.244.1.x; the except removes node-b's range.
  const m = cluster({
    nodes: [{ name: "node-a" }, { name: "node-b" }],
    pods: [
      { name: "server", node: "node-a", labels: { app: "server" } },
      { name: "near", node: "node-a" },
      { name: "far", node: "node-b" },
    ],
  });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: server }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress: [{ from: [{ ipBlock: { cidr: 10.244.0.0/16, except: [10.244.1.0/24] } }] }]
`);
  // Rows/columns default/far, default/near, default/server.
  expect(matrixRows(policyMatrix(m, p))).toEqual(["..X", "...", "..."]);
});

describe("host-network pods (the common implementation: they are their node's address)", () => {
  const m = cluster({
    nodes: [{ name: "node-a" }, { name: "node-b" }],
    pods: [
      { name: "db", node: "node-a", labels: { app: "db" } },
      { name: "agent-a", node: "node-a", hostNetwork: true, labels: { role: "agent" } },
      { name: "agent-b", node: "node-b", hostNetwork: true, labels: { role: "agent" } },
      { name: "client", node: "node-b", labels: { role: "agent" } },
    ],
  });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db-from-agents }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress: [{ from: [{ podSelector: { matchLabels: { role: agent } } }] }]
`);
  const ev = new PolicyEvaluator(m, p);

  it("policies selecting a host-network pod do not apply to it", () => {
    const v = ev.evaluate({ from: { pod: "agent-b" }, to: { ip: "1.1.1.1" }, port: 443 });
    expect(v.allowed).toBe(true);
    expect(v.egress).toMatchObject({ reason: "host-network", isolated: false });
    expect(ev.isolatedBy(m.pods.find((x) => x.name === "agent-b")!, "Ingress")).toEqual([]);
  });

  it("podSelector peers do not match a host-network pod: its traffic is its node's", () => {
    // agent-b (node-b) is role=agent but host-network: the rule does not see it.
    const v = ev.evaluate({ from: { pod: "agent-b" }, to: { pod: "db" }, port: 5432 });
    expect(v.allowed).toBe(false);
    expect(v.ingress.reason).toBe("no-rule-matched");
    // client is role=agent on the pod network: allowed by the ingress rule, but its own
    // egress is isolated by deny-all.
    expect(ev.evaluate({ from: { pod: "client" }, to: { pod: "db" }, port: 5432 }).egress.reason).toBe("isolated-by-default");
  });

  it("a pod's own node (and host-network pods on it) may always reach it, and it them", () => {
    const v = ev.evaluate({ from: { pod: "agent-a" }, to: { pod: "db" }, port: 5432 });
    expect(v.allowed).toBe(true);
    expect(v.ingress).toMatchObject({ reason: "own-node", isolated: true, isolatedBy: ["default/deny-all", "default/db-from-agents"] });
    const nodeA = m.nodes.find((n) => n.name === "node-a")!.internalIP;
    expect(ev.evaluate({ from: { ip: nodeA }, to: { pod: "db" }, port: 10250 }).allowed).toBe(true);
    expect(ev.evaluate({ from: { pod: "db" }, to: { ip: nodeA }, port: 10250 }).egress.reason).toBe("own-node");
    // The other node is just an address: db's egress is isolated.
    const nodeB = m.nodes.find((n) => n.name === "node-b")!.internalIP;
    expect(ev.evaluate({ from: { pod: "db" }, to: { ip: nodeB }, port: 10250 }).allowed).toBe(false);
  });
});

describe("explanations and selections for the CLI and the dataplane", () => {
  const m = cluster({ namespaces: [{ name: "ops", labels: { team: "ops" } }], pods: [{ name: "db", labels: { app: "db" } }, { name: "web", labels: { app: "web" } }, { name: "mon", namespace: "ops", labels: { app: "mon" } }] });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db }
spec:
  podSelector: { matchExpressions: [{ key: app, operator: In, values: [db] }] }
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }, { namespaceSelector: { matchLabels: { team: ops } } }]
      ports: [{ port: 5432 }]
`);
  const ev = new PolicyEvaluator(m, p);

  it("renders a verdict side by side, naming rules with their peer and port entries", () => {
    expect(renderVerdict(ev.evaluate({ from: { pod: "ops/mon" }, to: { pod: "db" }, port: 5432 }))).toBe(
      [
        "ops/mon → default/db TCP/5432: allowed",
        "  egress  ops/mon: allowed: not isolated",
        "  ingress default/db: allowed by rule",
        "    isolated by default/db",
        "    allowed by default/db ingress[0] (from[1], ports[0])",
        "",
      ].join("\n"),
    );
    expect(renderVerdict(ev.evaluate({ from: { pod: "db" }, to: { pod: "web" }, port: 80 }))).toBe(
      ["default/db → default/web TCP/80: DENIED", "  egress  default/db: DENIED: isolated by default", "    isolated by default/db", "  ingress default/web: allowed: not isolated", ""].join("\n"),
    );
    expect(describePolicy(p[0]!)).toBe("default/db: pods app In (db) of default; ingress: 1 rule; egress: deny all");
  });

  it("lists the pods a policy applies to and the pods each peer selects", () => {
    const policy = p[0]!;
    expect(ev.selectedPods(policy).map((x) => x.name)).toEqual(["db"]);
    const peers = policy.ingress[0]!.peers;
    if (peers === "any") throw new Error("expected peers");
    expect(peers.map((peer) => ev.peerPods(policy, peer).map((x) => `${x.namespace}/${x.name}`))).toEqual([["default/web"], ["ops/mon"]]);
  });
});
