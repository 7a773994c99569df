// A corpus of bad inputs: each must be rejected with the right code and path, every problem
// of the input reported at once, hostile input handled without a crash.
import { describe, expect, it } from "vitest";
import { K8sNetFlowError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelProblem } from "../../../src/model/types.js";

function problemsOf(input: unknown): ModelProblem[] {
  try {
    loadModel(input);
  } catch (err) {
    expect(err).toBeInstanceOf(K8sNetFlowError);
    const e = err as K8sNetFlowError;
    return e.problems ?? [{ severity: "error", code: e.code as ModelProblem["code"], path: e.path, message: e.message }];
  }
  throw new Error("expected the input to be rejected");
}

const one = (nodes: unknown, more: Record<string, unknown> = {}) => ({ nodes, ...more });
const n1 = [{ name: "n1" }];

// [what, input, code, path, message]
const CORPUS: Array<[string, unknown, string, string, RegExp]> = [
  ["no nodes key at all", { pods: [{ name: "p" }] }, "not-found", "pods[0]", /no nodes to run it on/],
  ["node name with capitals", one([{ name: "Node_1" }]), "invalid-name", "nodes[0].name", /RFC 1123/],
  ["duplicate node", one([{ name: "a" }, { name: "a" }]), "duplicate", "nodes[1].name", /already defined by nodes\[0\]/],
  ["node on the gateway address", one([{ name: "a", ip: "192.168.1.1" }]), "out-of-range", "nodes[0].ip", /gateway/],
  ["bad octet", one([{ name: "a", ip: "10.0.0.300" }]), "invalid-address", "nodes[0].ip", /octet "300"/],
  ["podCIDR with host bits", one([{ name: "a", podCIDR: "10.244.0.1/24" }]), "invalid-address", "nodes[0].podCIDR", /did you mean 10\.244\.0\.0\/24/],
  ["podCIDR outside the cluster CIDR", one([{ name: "a", podCIDR: "10.245.0.0/24" }], { settings: { clusterCIDR: "10.244.0.0/16" } }), "out-of-range", "nodes[0].podCIDR", /inside the cluster CIDR/],
  ["two nodes, one podCIDR", one([{ name: "a", podCIDR: "10.244.0.0/24" }, { name: "b", podCIDR: "10.244.0.0/24" }]), "duplicate", "nodes[1].podCIDR", /already the podCIDR of node a/],
  ["pod on an unknown node", one(n1, { pods: [{ name: "p", node: "n2" }] }), "not-found", "pods[0].node", /no node named "n2"/],
  ["pod on the bridge gateway", one(n1, { pods: [{ name: "p", node: "n1", ip: "10.244.0.1" }] }), "out-of-range", "pods[0].ip", /cni0's gateway/],
  ["two pods, one IP", one(n1, { pods: [{ name: "p", ip: "10.244.0.7" }, { name: "q", ip: "10.244.0.7" }] }), "duplicate", "pods[1].ip", /already the IP of pod default\/p/],
  ["duplicate pod", one(n1, { pods: [{ name: "p" }, { name: "p" }] }), "duplicate", "pods[1].name", /already defined at pods\[0\]/],
  ["label value with a space", one(n1, { pods: [{ name: "p", labels: { app: "a b" } }] }), "invalid-label", "pods[0].labels.app", /not a valid label value/],
  ["numeric label value", one(n1, { pods: [{ name: "p", labels: { version: 1 } }] }), "type", "pods[0].labels.version", /quote it in YAML/],
  ["typo'd field in the compact format", one(n1, { pods: [{ name: "p", lables: { app: "x" } }] }), "unknown-field", "pods[0].lables", /unknown field "lables"/],
  ["service CIDR overlapping the pod network", one(n1, { settings: { serviceCIDR: "10.244.0.0/20" } }), "overlap", "settings.serviceCIDR", /overlaps clusterCIDR/],
  ["node mask bigger than the cluster", one(n1, { settings: { clusterCIDR: "10.0.0.0/16", nodeCIDRMaskSize: 12 } }), "out-of-range", "settings.nodeCIDRMaskSize", /larger than the whole cluster CIDR/],
  ["unknown kube-proxy mode", one(n1, { settings: { kubeProxy: { mode: "userspace" } } }), "invalid-value", "settings.kubeProxy.mode", /not one of iptables, ipvs, nftables, ebpf/],
  ["flannel has no ipip mode", one(n1, { settings: { cni: { plugin: "flannel", mode: "ipip" } } }), "invalid-value", "settings.cni.mode", /not a flannel mode/],
  ["service name starting with a digit", one(n1, { services: [{ name: "1svc", ports: [80] }] }), "invalid-name", "services[0].name", /RFC 1035/],
  ["service without ports", one(n1, { services: [{ name: "s", selector: { app: "x" } }] }), "required", "services[0].ports", /at least one port/],
  ["unnamed ports on a multi-port service", one(n1, { services: [{ name: "s", ports: [80, 443] }] }), "required", "services[0].ports[0].name", /must be named/],
  ["port out of range", one(n1, { services: [{ name: "s", ports: [{ port: 70000 }] }] }), "out-of-range", "services[0].ports[0].port", /1 to 65535/],
  ["bad port string", one(n1, { services: [{ name: "s", ports: ["80:8080:9090:1"] }] }), "invalid-port", "services[0].ports[0]", /not a service port/],
  ["ClusterIP outside the service CIDR", one(n1, { services: [{ name: "s", clusterIP: "10.0.0.1", ports: [80] }] }), "out-of-range", "services[0].clusterIP", /not in the service CIDR/],
  ["a user service on kube-dns's address", one(n1, { services: [{ name: "s", clusterIP: "10.96.0.10", ports: [80] }] }), "duplicate", "addons.kube-dns", /already the ClusterIP of default\/s/],
  ["two services, one ClusterIP", one(n1, { services: [{ name: "a", clusterIP: "10.96.0.50", ports: [80] }, { name: "b", clusterIP: "10.96.0.50", ports: [80] }] }), "duplicate", "services[1].clusterIP", /already the ClusterIP of default\/a/],
  ["ExternalName without a name", one(n1, { services: [{ name: "s", type: "ExternalName" }] }), "required", "services[0].externalName", /needs "externalName"/],
  ["NodePort out of range", { text: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 8080}]}\n---\nnodes: [{name: n1}]\n" }, "out-of-range", "services[0].spec.ports[0].nodePort", /node port range/],
  ["workload selector not matching its template", { text: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c}]}\n" }, "invalid-selector", "deployments[0].spec.selector.matchLabels.app", /does not match the template/],
  ["pod CIDR exhausted", one([{ name: "n1" }], { settings: { nodeCIDRMaskSize: 30 }, pods: [{ name: "a" }, { name: "b" }] }), "exhausted", "pods[1]", /node n1's podCIDR 10\.244\.0\.0\/30 has 1 pod addresses/],
  ["cluster CIDR exhausted", one(Array.from({ length: 5 }, (_, i) => ({ name: `n${i}` })), { settings: { clusterCIDR: "10.244.0.0/22" } }), "exhausted", "nodes[4]", /holds 4 node ranges of \/24; node n4 would be node 5 of 5/],
  ["no node matches nodeSelector", { text: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeSelector: {disk: ssd}, containers: [{name: c}]}\n---\nnodes: [{name: n1}]\n" }, "not-found", "pods[0].nodeSelector", /no node matches nodeSelector/],
  ["document without kind", { text: "apiVersion: v1\nmetadata: {name: x}\n" }, "unknown-kind", "documents[0]", /neither a Kubernetes object/],
  ["YAML syntax error", { text: "nodes: [ {name: a}\n" }, "parse", "documents[0]", /line \d+/],
  ["duplicate YAML keys", { text: "nodes: []\nnodes: []\n" }, "parse", "documents[0]", /unique/],
  ["unknown scenario", { scenario: "pod-to-mars" }, "not-found", "scenario", /built in: pod-to-pod/],
  ["a string instead of a cluster", "cluster", "invalid-input", "", /expected a cluster/],
  ["too many generated nodes", { generate: { nodes: 5001 } }, "out-of-range", "generate.nodes", /1 to 5000/],
  ["more pods than nodes can hold", { generate: { nodes: 2, pods: 300 } }, "out-of-range", "generate.pods", /at most 110 pods/],
];

describe("bad inputs are rejected with a code, a path and a reason", () => {
  it.each(CORPUS)("%s", (_what, input, code, path, message) => {
    const problems = problemsOf(input);
    expect(problems).toContainEqual(expect.objectContaining({ severity: "error", code, path, message: expect.stringMatching(message) }));
  });
});

describe("every problem at once", () => {
  it("reports all the errors of an input, not just the first", () => {
    const problems = problemsOf({
      nodes: [{ name: "A" }, { name: "b", ip: "1.2.3" }],
      pods: [{ name: "p", node: "zz" }, { name: "q", labels: { "bad key!": "x" } }],
      services: [{ name: "s", ports: [] }],
    });
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["nodes[0].name", "nodes[1].ip", "pods[1].labels[\"bad key!\"]"]));
  });

  it("names the document and line of each problem in YAML input", () => {
    const text = ["apiVersion: v1", "kind: Node", "metadata:", "  name: good", "---", "apiVersion: v1", "kind: Pod", "metadata:", "  name: p", "spec:", "  nodeName: missing", "  containers: [{name: c}]"].join("\n");
    const problems = problemsOf({ text });
    expect(problems).toContainEqual(expect.objectContaining({ code: "not-found", path: "pods[0].spec.nodeName", source: { document: 2, line: 11 } }));
  });

  it("the engine-level error carries the first problem's path and counts the rest", () => {
    try {
      loadModel({ nodes: [{ name: "A" }, { name: "B" }] });
    } catch (err) {
      const e = err as K8sNetFlowError;
      expect(e.path).toBe("nodes[0].name");
      expect(e.message).toMatch(/and 1 more problem\)$/);
      return;
    }
    throw new Error("expected a rejection");
  });
});

describe("hostile input", () => {
  it("a YAML alias bomb is refused, not expanded", () => {
    const bomb = ["a: &a [x,x,x,x,x,x,x,x,x,x]", "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]", "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]", "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]", "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]", "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]"].join("\n");
    expect(problemsOf({ text: bomb })).toContainEqual(expect.objectContaining({ code: "too-large", message: expect.stringMatching(/alias/i) }));
  });

  it("deep nesting is an error, not a stack overflow", () => {
    const deep = `nodes: ${"[".repeat(50000)}${"]".repeat(50000)}`;
    expect(problemsOf({ text: deep }).length).toBeGreaterThan(0);
    const deepJson = `{"nodes": ${"[".repeat(200000)}${"]".repeat(200000)}}`;
    expect(problemsOf({ text: deepJson }).length).toBeGreaterThan(0);
  });

  it("__proto__ keys never reach a prototype", () => {
    const text = '{"nodes":[{"name":"n1"}],"pods":[{"name":"p","labels":{"__proto__":{"polluted":"yes"},"app":"x"}}],"__proto__":{"polluted":"yes"}}';
    const problems = problemsOf({ text });
    expect(problems).toContainEqual(expect.objectContaining({ path: "__proto__", code: "unknown-field" }));
    expect(problems).toContainEqual(expect.objectContaining({ path: "pods[0].labels.__proto__" }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("a huge input is refused with its size", () => {
    const huge = { text: `# ${"x".repeat(257 * 1024 * 1024)}` };
    expect(problemsOf(huge)).toContainEqual(expect.objectContaining({ code: "too-large", message: expect.stringMatching(/MiB/) }));
  });

  it("more pods than Kubernetes' limit is refused before any work", () => {
    const problems = problemsOf({ nodes: n1, deployments: [{ name: "x", replicas: 5000, labels: { app: "x" } }], pods: Array.from({ length: 146000 }, (_, i) => ({ name: `p${i}`, node: "n1", ip: "10.244.0.2" })) });
    expect(problems).toContainEqual(expect.objectContaining({ code: "too-large", path: "pods" }));
  });
});
