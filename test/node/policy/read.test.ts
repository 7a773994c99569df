// Reading NetworkPolicy objects: the API server's defaults, the normalized empty-vs-absent
// forms, and its validation errors, each with the path of the offending field.
import { describe, expect, it } from "vitest";
import { K8sNetFlowError } from "../../../src/errors.js";
import type { ModelProblem } from "../../../src/model/types.js";
import { loadNetworkPolicies } from "../../../src/policy/read.js";
import { policies } from "./helpers.js";

const wrap = (spec: string, meta = "metadata: { name: p }") => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n${meta}\nspec:\n${spec}\n`;

/** The problems of an input that must be refused. */
function errorsOf(yaml: string): ModelProblem[] {
  try {
    loadNetworkPolicies(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(K8sNetFlowError);
    return (err as K8sNetFlowError).problems!.filter((p) => p.severity === "error");
  }
  throw new Error("expected the input to be refused");
}

const brief = (ps: ModelProblem[]) => ps.map((p) => `${p.code} ${p.path}`);

describe("defaults and normal forms", () => {
  it("policyTypes as the API server defaults them", () => {
    const read = (spec: string) => policies(wrap(spec))[0]!;
    // No policyTypes: Ingress always.
    expect(read("  podSelector: {}")).toMatchObject({ policyTypes: ["Ingress"], policyTypesExplicit: false, ingress: [], egress: [] });
    // Egress added only when spec.egress has a rule.
    expect(read("  podSelector: {}\n  egress: [{}]").policyTypes).toEqual(["Ingress", "Egress"]);
    expect(read("  podSelector: {}\n  egress: []").policyTypes).toEqual(["Ingress"]);
    // policyTypes: [] is the same as absent.
    expect(read("  podSelector: {}\n  policyTypes: []\n  egress: [{}]")).toMatchObject({ policyTypes: ["Ingress", "Egress"], policyTypesExplicit: false });
    // Explicit lists are kept (ordered Ingress, Egress), even when they leave rules unused.
    expect(read("  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]")).toMatchObject({ policyTypes: ["Egress"], policyTypesExplicit: true, ingress: [{ peers: "any", ports: "any" }] });
    expect(read("  podSelector: {}\n  policyTypes: [Egress, Ingress]").policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("namespace defaults to default; absent and empty from/to/ports read as any", () => {
    const [p] = policies(
      wrap(`  podSelector: { matchLabels: { app: db } }
  ingress:
    - {}
    - from: []
      ports: []
    - from: [{ podSelector: { matchLabels: { role: fe } } }]
      ports: [{ port: 80 }, { protocol: UDP }, { port: http, protocol: SCTP }, { port: 1000, endPort: 2000 }]
    - from:
        - namespaceSelector: { matchLabels: { team: a } }
        - namespaceSelector: {}
          podSelector: { matchExpressions: [{ key: tier, operator: NotIn, values: [db, cache] }, { key: canary, operator: DoesNotExist }] }
        - ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16] }`),
    );
    expect(p!.namespace).toBe("default");
    expect(p!.podSelector).toEqual({ matchLabels: { app: "db" }, matchExpressions: [] });
    expect(p!.ingress[0]).toEqual({ peers: "any", ports: "any" });
    expect(p!.ingress[1]).toEqual({ peers: "any", ports: "any" });
    expect(p!.ingress[2]).toEqual({
      // A bare podSelector peer: the policy's own namespace (namespaceSelector null).
      peers: [{ kind: "pods", podSelector: { matchLabels: { role: "fe" }, matchExpressions: [] }, namespaceSelector: null }],
      ports: [
        { protocol: "TCP", port: 80 },
        { protocol: "UDP" },
        { protocol: "SCTP", port: "http" },
        { protocol: "TCP", port: 1000, endPort: 2000 },
      ],
    });
    expect(p!.ingress[3]!.peers).toEqual([
      // A bare namespaceSelector peer: every pod of those namespaces.
      { kind: "pods", podSelector: { matchLabels: {}, matchExpressions: [] }, namespaceSelector: { matchLabels: { team: "a" }, matchExpressions: [] } },
      {
        kind: "pods",
        podSelector: { matchLabels: {}, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db", "cache"] }, { key: "canary", operator: "DoesNotExist", values: [] }] },
        namespaceSelector: { matchLabels: {}, matchExpressions: [] },
      },
      { kind: "ipBlock", ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
    ]);
  });

  it("reads Lists and multi-document files, skipping other kinds and compact documents", () => {
    const { policies: ps } = loadNetworkPolicies(`
nodes: [{ name: n }]
---
apiVersion: v1
kind: Pod
metadata: { name: x }
---
apiVersion: v1
kind: List
items:
  - { apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: { name: a, namespace: shop }, spec: { podSelector: {} } }
  - { apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: { name: b, namespace: shop }, spec: { podSelector: {} } }
`);
    expect(ps.map((p) => `${p.namespace}/${p.name}`)).toEqual(["shop/a", "shop/b"]);
    // Already-parsed objects work too.
    expect(loadNetworkPolicies([{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "c" }, spec: { podSelector: {} } }]).policies[0]!.name).toBe("c");
  });

  it("warns about what the API server accepts but should be looked at", () => {
    const { policies: ps, warnings } = loadNetworkPolicies(
      wrap(`  ingress:
    - from: [{ ipBlock: { cidr: 10.0.0.1/8, except: [10.1.2.3/16] } }, { ipBlock: { cidr: "2001:db8::/32" } }]
  colour: blue`, "metadata: { name: p, namespace: shop }"),
    );
    expect(warnings.map((w) => `${w.code} ${w.path}`)).toEqual([
      "required networkpolicies[0].spec.podSelector",
      "invalid-value networkpolicies[0].spec.ingress[0].from[0].ipBlock.cidr",
      "invalid-value networkpolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
      "unsupported networkpolicies[0].spec.ingress[0].from[1].ipBlock.cidr",
      "unknown-field networkpolicies[0].spec.colour",
    ]);
    // Host bits are cleared, as the API server's parser reads the CIDR.
    expect(ps[0]!.ingress[0]!.peers).toEqual([
      { kind: "ipBlock", ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
      { kind: "ipBlock", ipBlock: { cidr: "2001:db8::/32", except: [] } },
    ]);
    expect(ps[0]!.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
  });
});

describe("validation errors, with paths", () => {
  it("ipBlock: a valid CIDR, except entries strictly inside it, never combined with a selector", () => {
    const errors = errorsOf(
      wrap(`  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
        - ipBlock: { cidr: 10.0.0.300/8 }
        - ipBlock: { cidr: 10.0.0.0 }
        - ipBlock: { cidr: 10.0.0.0/8, except: [11.0.0.0/16, 10.0.0.0/8, 10.0.0.0/4, nonsense] }
        - ipBlock: { cidr: "" }
        - ipBlock: { cidr: 10.0.0.0/8 }
          podSelector: {}
        - {}`),
    );
    expect(brief(errors)).toEqual([
      "invalid-address networkpolicies[0].spec.ingress[0].from[1].ipBlock.cidr",
      "invalid-address networkpolicies[0].spec.ingress[0].from[2].ipBlock.cidr",
      "invalid-address networkpolicies[0].spec.ingress[0].from[3].ipBlock.except[0]",
      "invalid-address networkpolicies[0].spec.ingress[0].from[3].ipBlock.except[1]",
      "invalid-address networkpolicies[0].spec.ingress[0].from[3].ipBlock.except[2]",
      "invalid-address networkpolicies[0].spec.ingress[0].from[3].ipBlock.except[3]",
      "required networkpolicies[0].spec.ingress[0].from[4].ipBlock.cidr",
      "invalid-value networkpolicies[0].spec.ingress[0].from[5]",
      "required networkpolicies[0].spec.ingress[0].from[6]",
    ]);
    expect(errors[3]!.message).toMatch(/strict subset/);
  });

  it("ports: protocol TCP/UDP/SCTP, port 1–65535 or an IANA_SVC_NAME, endPort only with a numeric port and ≥ it", () => {
    const errors = errorsOf(
      wrap(`  podSelector: {}
  egress:
    - ports:
        - { protocol: ICMP, port: 1 }
        - { port: 0 }
        - { port: 70000 }
        - { port: HTTP_port }
        - { port: "80" }
        - { port: a--b }
        - { port: http, endPort: 90 }
        - { endPort: 90 }
        - { port: 100, endPort: 99 }
        - { port: 100, endPort: 65536 }
        - { port: [80] }`),
    );
    expect(brief(errors)).toEqual([
      "invalid-value networkpolicies[0].spec.egress[0].ports[0].protocol",
      "out-of-range networkpolicies[0].spec.egress[0].ports[1].port",
      "out-of-range networkpolicies[0].spec.egress[0].ports[2].port",
      "invalid-port networkpolicies[0].spec.egress[0].ports[3].port",
      "invalid-port networkpolicies[0].spec.egress[0].ports[4].port",
      "invalid-port networkpolicies[0].spec.egress[0].ports[5].port",
      "invalid-port networkpolicies[0].spec.egress[0].ports[6].endPort",
      "invalid-port networkpolicies[0].spec.egress[0].ports[7].endPort",
      "invalid-port networkpolicies[0].spec.egress[0].ports[8].endPort",
      "out-of-range networkpolicies[0].spec.egress[0].ports[9].endPort",
      "type networkpolicies[0].spec.egress[0].ports[10].port",
    ]);
  });

  it("selectors: label keys and values, operators, and values required or forbidden by the operator", () => {
    const errors = errorsOf(
      wrap(`  podSelector:
    matchLabels: { "bad key!": x, app: "no spaces" }
    matchExpressions:
      - { key: tier, operator: Equals, values: [a] }
      - { key: tier, operator: In }
      - { key: tier, operator: NotIn, values: [] }
      - { key: tier, operator: Exists, values: [a] }
      - { key: tier, operator: In, values: [1] }
      - { key: "-tier", operator: DoesNotExist }
      - { operator: Exists }
  ingress:
    - from: [{ namespaceSelector: { matchExpressions: [{ key: team, operator: In, values: ["a b"] }] } }]`),
    );
    expect(brief(errors)).toEqual([
      // Same line: ordered by path.
      "invalid-label networkpolicies[0].spec.podSelector.matchLabels.app",
      "invalid-label networkpolicies[0].spec.podSelector.matchLabels[\"bad key!\"]",
      "invalid-selector networkpolicies[0].spec.podSelector.matchExpressions[0].operator",
      "invalid-selector networkpolicies[0].spec.podSelector.matchExpressions[1].values",
      "invalid-selector networkpolicies[0].spec.podSelector.matchExpressions[2].values",
      "invalid-selector networkpolicies[0].spec.podSelector.matchExpressions[3].values",
      "type networkpolicies[0].spec.podSelector.matchExpressions[4].values[0]",
      "invalid-label networkpolicies[0].spec.podSelector.matchExpressions[5].key",
      "required networkpolicies[0].spec.podSelector.matchExpressions[6].key",
      "invalid-label networkpolicies[0].spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values[0]",
    ]);
  });

  it("policyTypes, metadata, spec, duplicates", () => {
    expect(brief(errorsOf(wrap("  podSelector: {}\n  policyTypes: [Ingress, Foo]")))).toEqual(["invalid-value networkpolicies[0].spec.policyTypes[1]"]);
    expect(brief(errorsOf(wrap("  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]")))).toEqual(["invalid-value networkpolicies[0].spec.policyTypes"]);
    expect(brief(errorsOf(wrap("  podSelector: {}", "metadata: { name: Bad_Name, namespace: Shop }")))).toEqual([
      "invalid-name networkpolicies[0].metadata.name",
      "invalid-name networkpolicies[0].metadata.namespace",
    ]);
    expect(brief(errorsOf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: p }\n"))).toEqual(["required networkpolicies[0].spec"]);
    expect(brief(errorsOf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec: { podSelector: {} }\n"))).toEqual(["required networkpolicies[0].metadata"]);
    const twice = wrap("  podSelector: {}");
    expect(brief(errorsOf(`${twice}---\n${twice}`))).toEqual(["duplicate networkpolicies[1].metadata.name"]);
    expect(brief(errorsOf(wrap("  podSelector: {}\n  ingress: [{ from: {} }]")))).toEqual(["type networkpolicies[0].spec.ingress[0].from"]);
  });

  it("problems in text carry their document and line", () => {
    const errors = errorsOf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ok }
spec: { podSelector: {} }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: p }
spec:
  podSelector: {}
  ingress:
    - from:
        - ipBlock:
            cidr: 10.0.0.0/33
`);
    expect(errors).toEqual([
      expect.objectContaining({ path: "networkpolicies[1].spec.ingress[0].from[0].ipBlock.cidr", source: { document: 2, line: 14 }, message: expect.stringMatching(/prefix length "33"/) }),
    ]);
  });
});
