import { describe, expect, it } from "vitest";
import { K8sNetFlowError } from "../../src/errors.js";
import { loadModel } from "../../src/model/load.js";
import { SCENARIOS } from "../../src/model/scenarios.js";

function errorOf(input: unknown): K8sNetFlowError {
  try {
    loadModel(input);
  } catch (err) {
    expect(err).toBeInstanceOf(K8sNetFlowError);
    return err as K8sNetFlowError;
  }
  throw new Error("expected loadModel to reject the input");
}

describe("built-in scenarios", () => {
  it.each(Object.keys(SCENARIOS))("%s loads with the seed's addresses", (name) => {
    const model = loadModel({ scenario: name });
    expect(model.settings.clusterCIDR).toBe("10.244.0.0/16");
    expect(model.settings.serviceCIDR).toBe("10.96.0.0/12");
    expect(model.nodes[0]).toEqual({ name: "worker-node-1", internalIP: "192.168.1.10", podCIDR: "10.244.0.0/24" });
    const flow = SCENARIOS[name]!.flow;
    expect(model.pods.map((p) => p.name)).toEqual(expect.arrayContaining([flow.from, flow.to]));
  });

  it("cross-node puts pod-b on worker-node-2 at 10.244.1.10", () => {
    const model = loadModel({ scenario: "cross-node" });
    expect(model.nodes[1]).toEqual({ name: "worker-node-2", internalIP: "192.168.1.11", podCIDR: "10.244.1.0/24" });
    expect(model.pods.find((p) => p.name === "pod-b")).toMatchObject({ node: "worker-node-2", ip: "10.244.1.10", labels: { app: "backend" } });
  });

  it("names the known scenarios when given an unknown one", () => {
    const err = errorOf({ scenario: "pod-to-nowhere" });
    expect(err.code).toBe("not-found");
    expect(err.path).toBe("scenario");
    expect(err.message).toMatch(/cross-node/);
  });
});

describe("defaults (IPAM)", () => {
  it("gives nodes the next /24 and IPs from .10, pods the lowest free address after the gateway", () => {
    const model = loadModel({
      nodes: [{ name: "a" }, { name: "b", podCIDR: "10.244.0.0/24" }, { name: "c" }],
      pods: [{ name: "p1", node: "a" }, { name: "p2", node: "b", ip: "10.244.0.2" }, { name: "p3", node: "b" }],
    });
    expect(model.nodes.map((n) => [n.internalIP, n.podCIDR])).toEqual([
      ["192.168.1.10", "10.244.1.0/24"],
      ["192.168.1.11", "10.244.0.0/24"],
      ["192.168.1.12", "10.244.2.0/24"],
    ]);
    expect(model.pods.map((p) => `${p.namespace}/${p.name}=${p.ip}`)).toEqual(["default/p1=10.244.1.2", "default/p2=10.244.0.2", "default/p3=10.244.0.3"]);
  });

  it("honours another cluster CIDR and node mask size", () => {
    const model = loadModel({ settings: { clusterCIDR: "172.16.0.0/16", nodeCIDRMaskSize: 26 }, nodes: [{ name: "a" }, { name: "b" }] });
    expect(model.nodes.map((n) => n.podCIDR)).toEqual(["172.16.0.0/26", "172.16.0.64/26"]);
  });

  it("reports a full pod CIDR instead of handing out a wrong address", () => {
    const pods = Array.from({ length: 254 }, (_, i) => ({ name: `p${i}`, node: "a" }));
    const err = errorOf({ settings: { nodeCIDRMaskSize: 24 }, nodes: [{ name: "a" }], pods });
    expect(err.path).toBe("pods[253]");
    expect(err.message).toMatch(/no free address/);
  });
});

describe("validation names the field and the reason", () => {
  it.each([
    [{ nodes: [] }, "nodes", /non-empty array/],
    [{ nodes: [{ name: "Node_1" }] }, "nodes[0].name", /not a valid name/],
    [{ nodes: [{ name: "a" }, { name: "a" }] }, "nodes[1].name", /already used by nodes\[0\]/],
    [{ nodes: [{ name: "a", internalIP: "192.168.1.1" }] }, "nodes[0].internalIP", /gateway/],
    [{ nodes: [{ name: "a", internalIP: "10.0.0.300" }] }, "nodes[0].internalIP", /octet "300"/],
    [{ nodes: [{ name: "a", podCIDR: "10.244.0.1/24" }] }, "nodes[0].podCIDR", /host bits set \(did you mean 10\.244\.0\.0\/24\?\)/],
    [{ nodes: [{ name: "a", podCIDR: "10.245.0.0/24" }] }, "nodes[0].podCIDR", /inside settings\.clusterCIDR/],
    [{ nodes: [{ name: "a", podCIDR: "10.244.0.0/24" }, { name: "b", podCIDR: "10.244.0.0/24" }] }, "nodes[1].podCIDR", /already assigned to nodes\[0\]/],
    [{ nodes: [{ name: "a" }], pods: [{ name: "p", node: "b" }] }, "pods[0].node", /no node named "b"/],
    [{ nodes: [{ name: "a" }], pods: [{ name: "p", node: "a", ip: "10.244.0.1" }] }, "pods[0].ip", /cni0's gateway/],
    [{ nodes: [{ name: "a" }], pods: [{ name: "p", node: "a" }, { name: "p", node: "a" }] }, "pods[1].name", /already defined/],
    [{ nodes: [{ name: "a" }], pods: [{ name: "p", node: "a", labels: { app: "a b" } }] }, "pods[0].labels.app", /not a valid label value/],
    [{ nodes: [{ name: "a" }], pods: [{ name: "p", node: "a", color: "red" }] }, "pods[0].color", /unknown field/],
    [{ nodes: [{ name: "a" }], settings: { serviceCIDR: "10.244.0.0/20" } }, "settings.serviceCIDR", /overlaps settings\.clusterCIDR/],
    [{ nodes: [{ name: "a" }], settings: { nodeCIDRMaskSize: 8 } }, "settings.nodeCIDRMaskSize", /from 16/],
    [{ nodes: [{ name: "a" }], settings: { kubeProxy: { mode: "ipvs" } } }, "settings.kubeProxy.mode", /not simulated yet/],
    [{ scenario: "cross-node", nodes: [] }, "nodes", /unknown field/],
    ["cluster", "", /expected an object/],
  ])("%j → %s", (input, path, message) => {
    const err = errorOf(input);
    expect(err.path).toBe(path);
    expect(err.message).toMatch(message);
  });

  it("marks settings that are valid Kubernetes but not simulated as unsupported, not invalid", () => {
    expect(errorOf({ nodes: [{ name: "a" }], settings: { cni: { plugin: "calico" } } }).code).toBe("unsupported");
  });
});
