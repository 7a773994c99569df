// NetworkPolicies in the cluster model: read from manifests like every other kind, with their
// problems' paths, and kept in ClusterModel.networkPolicies.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/load.js";
import { K8sNetFlowError } from "../../../src/errors.js";

const cluster = `
apiVersion: v1
kind: Node
metadata: { name: n1 }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web } }
spec: { nodeName: n1, containers: [{ name: c, ports: [{ containerPort: 8080, name: http }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-frontend, namespace: shop }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: frontend } } }]
      ports: [{ port: http }]
`;

describe("NetworkPolicy in the model", () => {
  it("is read from manifests into networkPolicies, its namespace known", () => {
    const { model, warnings } = loadModel({ text: cluster });
    expect(warnings.filter((w) => w.code === "unknown-kind")).toEqual([]);
    expect(model.networkPolicies).toHaveLength(1);
    expect(model.networkPolicies[0]).toMatchObject({ namespace: "shop", name: "web-from-frontend", policyTypes: ["Ingress"] });
    expect(model.namespaces.some((n) => n.name === "shop")).toBe(true);
  });

  it("reports a bad policy with its path, document and line, and a duplicate name", () => {
    const bad = `${cluster}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-frontend, namespace: shop }
spec:
  podSelector: {}
  ingress:
    - from: [{ ipBlock: { cidr: 10.0.0.0/33 } }]
`;
    let err: unknown;
    try {
      loadModel({ text: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(K8sNetFlowError);
    const problems = (err as K8sNetFlowError).problems!;
    expect(problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        [expect.any(String), "networkpolicies[1].spec.ingress[0].from[0].ipBlock.cidr"],
        ["duplicate", "networkpolicies[1].metadata.name"],
      ]),
    );
    expect(problems.find((p) => p.path.endsWith("ipBlock.cidr"))!.source).toEqual({ document: 4, line: 26 }); // lines count from the start of the text
  });

  it("a cluster without policies has none", () => {
    expect(loadModel({ scenario: "pod-to-service" }).model.networkPolicies).toEqual([]);
  });
});

describe("NetworkPolicy at load", () => {
  it("under flannel the engine says the policies are not enforced (as in a real cluster), rather than ignoring them silently; under Calico they are enforced", async () => {
    const { createEngine } = await import("../../../src/index.js");
    const e = await createEngine({ host: "inline" });
    try {
      const summary = await e.load({ text: cluster });
      expect(summary.warnings.find((w) => w.path === "networkpolicies")).toMatchObject({ code: "not-enforced", message: expect.stringMatching(/1 NetworkPolicy object\(s\) read and checked, but not enforced: flannel does not enforce NetworkPolicy/) });
      const calico = await e.load({ text: cluster, settings: { cni: { plugin: "calico", mode: "ipip" } } });
      expect(calico.warnings.find((w) => w.path === "networkpolicies")).toBeUndefined();
    } finally {
      await e.dispose();
    }
  });
});

describe("NetworkPolicy in the compact format", () => {
  it("networkPolicies: [{ name, namespace, spec }] with the spec as Kubernetes writes it", () => {
    const { model } = loadModel({
      text: `nodes: [{ name: n1 }]
pods: [{ name: web, labels: { app: web } }, { name: client }]
networkPolicies:
  - name: web-only-from-client
    spec:
      podSelector: { matchLabels: { app: web } }
      ingress: [{ from: [{ podSelector: { matchLabels: { app: nope } } }] }]
`,
    });
    expect(model.networkPolicies).toHaveLength(1);
    expect(model.networkPolicies[0]).toMatchObject({ name: "web-only-from-client", namespace: "default", policyTypes: ["Ingress"] });
  });

  it("an error in the spec names its place in the compact document", () => {
    let err: unknown;
    try {
      loadModel({ text: `nodes: [{ name: n1 }]\nnetworkPolicies: [{ name: p, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 70 }] }] } }]\n` });
    } catch (e) {
      err = e;
    }
    expect((err as K8sNetFlowError).problems!.map((p) => p.path)).toContain("networkPolicies[0].spec.ingress[0].ports[0].endPort");
  });
});
