// The seeded generator, including once at Kubernetes' scalability limits.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/load.js";

describe("generator", () => {
  it("builds a cluster at the limits: 5,000 nodes, 150,000 pods, 10,000 services", () => {
    const { model, warnings } = loadModel({ generate: { nodes: 5000, pods: 150000, services: 10000, seed: 11 } });
    expect(warnings).toEqual([]);
    expect(model.nodes).toHaveLength(5000);
    expect(model.pods).toHaveLength(150000);
    // The 10,000 asked for, plus kubernetes and kube-dns.
    expect(model.services).toHaveLength(10002);
    // kubelet's default max-pods, and the spread.
    const perNode = new Map<string, number>();
    for (const p of model.pods) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    expect(Math.max(...perNode.values()) - Math.min(...perNode.values())).toBeLessThanOrEqual(1);
    expect(model.settings.clusterCIDR).toBe("10.128.0.0/11");
    expect(model.settings.nodeNetwork).toBe("192.168.0.0/16");
    expect(model.nodes.at(-1)).toMatchObject({ name: "node-5000", podCIDR: "10.147.135.0/24" });
  });

  it("gives each service the endpoints the distribution drew, within min and max", () => {
    const { model } = loadModel({ generate: { nodes: 20, pods: 1000, services: 100, seed: 3, endpointsPerService: { distribution: "zipf", min: 1, max: 20 } } });
    const counts = model.services.filter((s) => s.name.startsWith("svc-")).map((s) => model.endpointSlices.filter((e) => e.namespace === s.namespace && e.service === s.name).reduce((n, e) => n + e.endpoints.length, 0));
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(20);
    // Zipf: most services small, a few large.
    const small = counts.filter((c) => c <= 2).length;
    expect(small).toBeGreaterThan(counts.length / 2);
    expect(Math.max(...counts)).toBe(20);
  });

  it("refuses specs that cannot exist, saying why", () => {
    expect(() => loadModel({ generate: { nodes: 10, pods: 20, services: 50, endpointsPerService: { min: 1, max: 1 } } })).toThrow(/need 50 pods/);
    expect(() => loadModel({ generate: { nodes: 10, services: 20000 } })).toThrow(/0 to 10000/);
    expect(() => loadModel({ generate: { nodes: 100, namespaces: 1, services: 6000, pods: 11000, endpointsPerService: { min: 1, max: 1 } } })).toThrow(/at least 2 namespaces/);
    expect(() => loadModel({ generate: { nodes: 3, color: "red" } })).toThrow(/unknown field "color"/);
  });
});
