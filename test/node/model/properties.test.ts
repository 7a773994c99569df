// Properties over spaces of inputs: generated clusters always validate, IPAM never hands
// out an address twice, and manifests → model → manifests is lossless.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadModel } from "../../../src/model/load.js";
import { toManifests } from "../../../src/model/to-manifests.js";
import type { ClusterModel } from "../../../src/model/types.js";
import { cidrContains, parseCidr, parseIPv4 } from "../../../src/net/ipv4.js";

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
  nodes: fc.integer({ min: 1, max: 40 }),
  perNode: fc.integer({ min: 0, max: 8 }),
  services: fc.integer({ min: 0, max: 30 }),
  namespaces: fc.integer({ min: 1, max: 6 }),
  distribution: fc.constantFrom("uniform" as const, "zipf" as const),
});

// At most 20 services a node keeps every spec within kubelet's 110 pods a node.
type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;
const generate = (s: Spec) => {
  const services = Math.min(s.services, s.nodes * 20);
  return loadModel({ generate: { seed: s.seed, nodes: s.nodes, pods: s.nodes * s.perNode + services * 5 + 2, services, namespaces: s.namespaces, endpointsPerService: { distribution: s.distribution, min: 0, max: 5 } } });
};

function checkInvariants(m: ClusterModel): void {
  const cluster = parseCidr(m.settings.clusterCIDR, "c");
  const service = parseCidr(m.settings.serviceCIDR, "s");
  const podIPs = new Set<string>();
  for (const p of m.pods) {
    if (p.hostNetwork) continue;
    expect(podIPs.has(p.ip), `pod IP ${p.ip} handed out twice`).toBe(false);
    podIPs.add(p.ip);
    const node = m.nodes.find((n) => n.name === p.node)!;
    expect(cidrContains(parseCidr(node.podCIDR, "n"), parseIPv4(p.ip, "p"))).toBe(true);
  }
  const cidrs = new Set(m.nodes.map((n) => n.podCIDR));
  expect(cidrs.size).toBe(m.nodes.length);
  for (const c of cidrs) expect(cidrContains(cluster, parseCidr(c, "n").address)).toBe(true);
  const clusterIPs = m.services.flatMap((s) => (s.clusterIP && s.clusterIP !== "None" ? [s.clusterIP] : []));
  expect(new Set(clusterIPs).size).toBe(clusterIPs.length);
  for (const ip of clusterIPs) expect(cidrContains(service, parseIPv4(ip, "s"))).toBe(true);
  const names = m.pods.map((p) => `${p.namespace}/${p.name}`);
  expect(new Set(names).size).toBe(names.length);
  for (const s of m.endpointSlices) expect(s.endpoints.length).toBeLessThanOrEqual(100);
}

describe("model properties", () => {
  it("every generated cluster validates, with unique addresses inside their ranges", () => {
    fc.assert(fc.property(spec, (s) => checkInvariants(generate(s).model)), { numRuns: 60, seed: 7 });
  });

  it("the same seed gives the same model; another seed another", () => {
    fc.assert(
      fc.property(spec, (s) => {
        expect(JSON.stringify(generate(s).model)).toBe(JSON.stringify(generate(s).model));
      }),
      { numRuns: 20, seed: 8 },
    );
    const a = loadModel({ generate: { seed: 1, nodes: 10, pods: 200, services: 20 } }).model;
    const b = loadModel({ generate: { seed: 2, nodes: 10, pods: 200, services: 20 } }).model;
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  it("IPAM never hands out an address twice, whatever is fixed by hand", () => {
    const input = fc.record({
      nodes: fc.integer({ min: 1, max: 4 }),
      fixed: fc.array(fc.record({ node: fc.integer({ min: 0, max: 3 }), last: fc.integer({ min: 2, max: 40 }) }), { maxLength: 20 }),
      free: fc.integer({ min: 0, max: 40 }),
      services: fc.array(fc.option(fc.integer({ min: 2, max: 30 }), { nil: undefined }), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(input, ({ nodes, fixed, free, services }) => {
        const seenFixed = new Set<string>();
        const pods = fixed
          .filter((f) => f.node < nodes)
          .flatMap((f, i) => {
            const ip = `10.244.${f.node}.${f.last}`;
            if (seenFixed.has(ip)) return [];
            seenFixed.add(ip);
            return [{ name: `fixed-${i}`, node: `n${f.node}`, ip }];
          });
        const usedSvc = new Set<number>([1, 10]);
        const svcs = services.map((last, i) => {
          const fixedIP = last !== undefined && !usedSvc.has(last) ? (usedSvc.add(last), `10.96.0.${last}`) : undefined;
          return { name: `s${i}`, ports: [80], ...(fixedIP ? { clusterIP: fixedIP } : {}) };
        });
        const { model } = loadModel({
          nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}` })),
          pods: [...pods, ...Array.from({ length: free }, (_, i) => ({ name: `free-${i}` }))],
          services: svcs,
        });
        checkInvariants(model);
        for (const p of pods) expect(model.pods.find((x) => x.name === p.name)?.ip).toBe(p.ip);
      }),
      { numRuns: 150, seed: 9 },
    );
  });

  it("manifests → model → manifests round-trips (YAML, with the model's settings)", () => {
    fc.assert(
      fc.property(spec, (s) => {
        const { model } = generate({ ...s, nodes: Math.min(s.nodes, 8), perNode: Math.min(s.perNode, 6) });
        const text = toManifests(model).map((o) => stringify(o)).join("---\n");
        const back = loadModel({ text, settings: model.settings as unknown as Record<string, unknown> });
        expect(back.warnings).toEqual([]);
        expect({ ...back.model, name: model.name }).toEqual(model);
        expect(toManifests(back.model)).toEqual(toManifests(model));
      }),
      { numRuns: 25, seed: 10 },
    );
  });

  it("the seed scenarios round-trip too", () => {
    for (const scenario of ["pod-to-pod", "pod-to-service", "cross-namespace", "cross-node"]) {
      const { model } = loadModel({ scenario });
      const back = loadModel({ text: JSON.stringify({ apiVersion: "v1", kind: "List", items: toManifests(model) }), settings: model.settings as unknown as Record<string, unknown> });
      expect({ ...back.model, name: model.name }).toEqual(model);
    }
  });
});
