// The NetworkPolicy examples of the Kubernetes documentation (concepts/services-networking/
// network-policies: the test-network-policy example, the "Default policies" section, endPort)
// and the common recipes (allow same namespace, allow from a namespace by
// kubernetes.io/metadata.name, egress to DNS only, named ports), each with its truth table
// derived by hand from the spec in the comments. Grids: one string per source pod (row),
// one character per destination pod (column), `.` allowed, `X` denied; pods sorted
// `namespace/name`. The diagonal is always `.`: a pod cannot block access to itself.
import { describe, expect, it } from "vitest";
import { evaluateConnection } from "../../../src/policy/evaluate.js";
import { matrixRows, policyMatrix } from "../../../src/policy/matrix.js";
import { cluster, policies } from "./helpers.js";

describe("the documentation's example: test-network-policy", () => {
  // default/db is the protected pod; frontend is role=frontend in the policy's namespace;
  // myproject/mp is in a namespace labelled project=myproject; elsewhere/x has
  // role=frontend but in another namespace (a bare podSelector peer is same-namespace only).
  const m = cluster({
    namespaces: [{ name: "myproject", labels: { project: "myproject" } }, "elsewhere"],
    pods: [
      { name: "db", labels: { role: "db" }, ports: ["6379"] },
      { name: "frontend", labels: { role: "frontend" } },
      { name: "other" },
      { name: "mp", namespace: "myproject" },
      { name: "x", namespace: "elsewhere", labels: { role: "frontend" } },
    ],
  });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: test-network-policy, namespace: default }
spec:
  podSelector: { matchLabels: { role: db } }
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - ipBlock: { cidr: 172.17.0.0/16, except: [172.17.1.0/24] }
        - namespaceSelector: { matchLabels: { project: myproject } }
        - podSelector: { matchLabels: { role: frontend } }
      ports: [{ protocol: TCP, port: 6379 }]
  egress:
    - to: [{ ipBlock: { cidr: 10.0.0.0/24 } }]
      ports: [{ protocol: TCP, port: 5978 }]
`);
  const pods = ["default/db", "default/frontend", "default/other", "elsewhere/x", "myproject/mp"];

  it("TCP/6379: db accepts frontend and myproject's pods; db itself may send nowhere but 10.0.0.0/24:5978", () => {
    const t = policyMatrix(m, p, { pods, probes: [{ protocol: "TCP", port: 6379 }] });
    // to:          db  fe  oth x   mp
    // db (egress isolated; pod IPs are 10.244.x, not 10.0.0.0/24): only itself
    // frontend: ingress rule peer 2 (role=frontend, same namespace) → db allowed
    // other: no role → no peer matches → db denied
    // elsewhere/x: role=frontend, but the podSelector peer is default only → denied
    // myproject/mp: namespaceSelector peer → allowed
    expect(matrixRows(t)).toEqual([".XXXX", ".....", "X....", "X....", "....."]);
  });

  it("TCP/5978: no pod reaches db (ingress allows 6379 only) and db reaches no pod", () => {
    const t = policyMatrix(m, p, { pods, probes: [{ protocol: "TCP", port: 5978 }] });
    expect(matrixRows(t)).toEqual([".XXXX", "X....", "X....", "X....", "X...."]);
  });

  it("ipBlock with except, and the egress rule to 10.0.0.0/24:5978", () => {
    const ask = (from: object, to: object, port: number) => evaluateConnection(m, p, { from, to, port } as never).allowed;
    expect(ask({ ip: "172.17.0.5" }, { pod: "db" }, 6379)).toBe(true); // in 172.17.0.0/16
    expect(ask({ ip: "172.17.1.5" }, { pod: "db" }, 6379)).toBe(false); // in the except /24
    expect(ask({ ip: "172.17.2.0" }, { pod: "db" }, 6379)).toBe(true); // past the except
    expect(ask({ ip: "172.18.0.1" }, { pod: "db" }, 6379)).toBe(false); // outside the block
    expect(ask({ ip: "172.17.0.5" }, { pod: "db" }, 6380)).toBe(false); // wrong port
    expect(ask({ pod: "db" }, { ip: "10.0.0.7" }, 5978)).toBe(true);
    expect(ask({ pod: "db" }, { ip: "10.0.0.7" }, 5979)).toBe(false);
    expect(ask({ pod: "db" }, { ip: "10.0.1.7" }, 5978)).toBe(false);
    // Not isolated for egress: other may go anywhere.
    expect(ask({ pod: "other" }, { ip: "10.0.1.7" }, 1)).toBe(true);
  });
});

describe("the documentation's default policies", () => {
  // default/a and default/b in the namespace the policies live in; other/c outside it.
  const m = cluster({ namespaces: ["other"], pods: [{ name: "a" }, { name: "b" }, { name: "c", namespace: "other" }] });
  const grid = (yaml: string) => matrixRows(policyMatrix(m, policies(yaml)));
  const denyIngress = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny-ingress }
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;
  const denyEgress = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny-egress }
spec:
  podSelector: {}
  policyTypes: [Egress]
`;

  it("no policy: everything is allowed", () => {
    expect(grid("")).toEqual(["...", "...", "..."]);
  });

  it("default deny all ingress: nothing reaches a or b (except themselves); c is untouched", () => {
    // rows a, b, other/c; columns the same. a→c and b→c: c not isolated → allowed.
    expect(grid(denyIngress)).toEqual([".X.", "X..", "XX."]);
  });

  it("default allow all ingress wins over the default deny (policies are a union)", () => {
    const allowIngress = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-ingress }
spec:
  podSelector: {}
  ingress: [{}]
  policyTypes: [Ingress]
`;
    expect(grid(denyIngress + allowIngress)).toEqual(["...", "...", "..."]);
    expect(grid(allowIngress)).toEqual(["...", "...", "..."]);
  });

  it("default deny all egress: a and b send nowhere; c may still send to them", () => {
    expect(grid(denyEgress)).toEqual([".XX", "X.X", "..."]);
    const v = evaluateConnection(m, policies(denyEgress), { from: { pod: "a" }, to: { ip: "8.8.8.8" }, protocol: "UDP", port: 53 });
    expect(v.allowed).toBe(false);
    expect(v.egress).toMatchObject({ reason: "isolated-by-default", isolatedBy: ["default/default-deny-egress"] });
  });

  it("default allow all egress wins over the default deny", () => {
    const allowEgress = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-egress }
spec:
  podSelector: {}
  egress: [{}]
  policyTypes: [Egress]
`;
    expect(grid(denyEgress + allowEgress)).toEqual(["...", "...", "..."]);
  });

  it("default deny all ingress and all egress", () => {
    // a→b: a's egress denied (and b's ingress); a→c: a's egress denied; c→a: a's ingress denied.
    expect(
      grid(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny-all }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`),
    ).toEqual([".XX", "X.X", "XX."]);
  });

  it("allow all egress, deny all ingress (ingress: [] and an absent ingress mean the same)", () => {
    // a→c: egress open, c not isolated → allowed; a→b: b's ingress denied; c→a, c→b denied.
    const allowEgressDenyIngress = (ingress: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-egress-deny-ingress }
spec:
  podSelector: {}
  policyTypes: [Egress, Ingress]
  egress: [{}]
${ingress}`;
    expect(grid(allowEgressDenyIngress("  ingress: []"))).toEqual([".X.", "X..", "XX."]);
    expect(grid(allowEgressDenyIngress(""))).toEqual([".X.", "X..", "XX."]);
  });
});

describe("recipes", () => {
  it("allow traffic only from the same namespace (from: podSelector {})", () => {
    const m = cluster({ namespaces: ["other"], pods: [{ name: "a" }, { name: "b" }, { name: "c", namespace: "other" }] });
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-same-namespace, namespace: default }
spec:
  podSelector: {}
  ingress: [{ from: [{ podSelector: {} }] }]
`);
    // a and b accept each other; c (namespace other) reaches neither. c accepts everything.
    expect(matrixRows(policyMatrix(m, p))).toEqual(["...", "...", "XX."]);
  });

  it("allow from one namespace by its kubernetes.io/metadata.name label", () => {
    const m = cluster({
      namespaces: ["frontend", "backend"],
      pods: [{ name: "web", labels: { app: "web" } }, { name: "other" }, { name: "fe", namespace: "frontend" }, { name: "be", namespace: "backend" }],
    });
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-frontend }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: frontend } } }]
`);
    // Columns backend/be, default/other, default/web, frontend/fe. Only the web column
    // changes: fe may reach it; be and even default/other (same namespace, but the only
    // peer names namespace frontend) may not.
    expect(matrixRows(policyMatrix(m, p))).toEqual(["..X.", "..X.", "....", "...."]);
  });

  describe("namespaceSelector and podSelector: one entry (AND) versus two entries (OR)", () => {
    const m = cluster({
      namespaces: [{ name: "alice", labels: { user: "alice" } }],
      pods: [
        { name: "db", labels: { app: "db" } },
        { name: "client", labels: { role: "client" } },
        { name: "client", namespace: "alice", labels: { role: "client" } },
        { name: "other", namespace: "alice" },
      ],
    });
    const pods = ["alice/client", "alice/other", "default/client", "default/db"];
    const policy = (from: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress:
    - from:
${from}`;

    it("one entry with both: role=client pods in namespaces labelled user=alice", () => {
      const p = policies(policy(`        - namespaceSelector: { matchLabels: { user: alice } }
          podSelector: { matchLabels: { role: client } }`));
      // Column default/db: alice/client yes; alice/other no (no role); default/client no (namespace).
      expect(matrixRows(policyMatrix(m, p, { pods }))).toEqual(["....", "...X", "...X", "...."]);
    });

    it("two entries: role=client pods of the policy's namespace, or any pod of alice's namespaces", () => {
      const p = policies(policy(`        - namespaceSelector: { matchLabels: { user: alice } }
        - podSelector: { matchLabels: { role: client } }`));
      expect(matrixRows(policyMatrix(m, p, { pods }))).toEqual(["....", "....", "....", "...."]);
    });
  });

  it("egress to DNS only: UDP and TCP 53 to kube-system's kube-dns pods", () => {
    const m = cluster({ pods: [{ name: "a" }, { name: "b" }] }, 1);
    const dns = m.pods.find((p) => p.namespace === "kube-system")!;
    const pods = ["default/a", "default/b", `kube-system/${dns.name}`];
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: dns-only, namespace: default }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } }
          podSelector: { matchLabels: { k8s-app: kube-dns } }
      ports: [{ protocol: UDP, port: 53 }, { protocol: TCP, port: 53 }]
`);
    const t = policyMatrix(m, p, { pods, probes: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }, { protocol: "TCP", port: 9153 }, { protocol: "TCP", port: 80 }] });
    // UDP/53 and TCP/53: a and b reach CoreDNS but not each other; CoreDNS (not isolated) reaches all.
    expect(matrixRows(t, 0)).toEqual([".X.", "X..", "..."]);
    expect(matrixRows(t, 1)).toEqual([".X.", "X..", "..."]);
    // CoreDNS's metrics port and anything else: a and b send nowhere.
    expect(matrixRows(t, 2)).toEqual([".XX", "X.X", "..."]);
    expect(matrixRows(t, 3)).toEqual([".XX", "X.X", "..."]);
    // A resolver outside the cluster is not kube-system's kube-dns.
    expect(evaluateConnection(m, p, { from: { pod: "a" }, to: { ip: "8.8.8.8" }, protocol: "UDP", port: 53 }).allowed).toBe(false);
  });

  it("named ports resolve against each destination pod's own container ports", () => {
    // web1 serves http on 8080; web2 serves http on 9090 and metrics on 8080.
    const m = cluster({
      pods: [
        { name: "client" },
        { name: "web1", labels: { app: "web" }, ports: ["http:8080"] },
        { name: "web2", labels: { app: "web" }, ports: ["http:9090", "metrics:8080"] },
      ],
    });
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-http }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress: [{ ports: [{ port: http }] }]
`);
    const t = policyMatrix(m, p);
    expect(t.probes).toEqual([{ protocol: "TCP", port: 8080 }, { protocol: "TCP", port: 9090 }]);
    // TCP/8080: web1 is http there (allowed from anyone); web2's 8080 is metrics (denied).
    // Rows client, web1, web2: only the web2 column is denied (web2→web2 is itself).
    expect(matrixRows(t, 0)).toEqual(["..X", "..X", "..."]);
    // TCP/9090: web2's http (allowed); web1 has no port named http on 9090 (denied).
    // Only the web1 column is denied (web1→web1 is itself).
    expect(matrixRows(t, 1)).toEqual([".X.", "...", ".X."]);
  });

  it("endPort: the documentation's multi-port-egress (TCP 32000–32768 to 10.0.0.0/24)", () => {
    const m = cluster({ pods: [{ name: "db", labels: { role: "db" } }] });
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: multi-port-egress, namespace: default }
spec:
  podSelector: { matchLabels: { role: db } }
  policyTypes: [Egress]
  egress:
    - to: [{ ipBlock: { cidr: 10.0.0.0/24 } }]
      ports: [{ protocol: TCP, port: 32000, endPort: 32768 }]
`);
    const ask = (port: number, protocol: "TCP" | "UDP" = "TCP") => evaluateConnection(m, p, { from: { pod: "db" }, to: { ip: "10.0.0.9" }, protocol, port }).allowed;
    expect([31999, 32000, 32400, 32768, 32769].map((port) => ask(port))).toEqual([false, true, true, true, false]);
    expect(ask(32000, "UDP")).toBe(false);
  });

  it("endPort on ingress, as a matrix over the range's edges", () => {
    const m = cluster({ pods: [{ name: "client" }, { name: "db", labels: { role: "db" } }] });
    const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db-range }
spec:
  podSelector: { matchLabels: { role: db } }
  ingress: [{ ports: [{ port: 32000, endPort: 32768 }] }]
`);
    const probes = [31999, 32000, 32768, 32769].map((port) => ({ protocol: "TCP" as const, port }));
    const t = policyMatrix(m, p, { probes });
    // rows client, db; only client→db changes: denied below and above the range.
    expect(probes.map((_, i) => matrixRows(t, i)[0])).toEqual([".X", "..", "..", ".X"]);
  });
});
