// Properties over random clusters and random policies: policies combine as a union of allows
// per direction (adding one never removes an allowed connection, unless it isolates a pod
// that was not isolated), their order never matters, and a policy written back as a
// Kubernetes object reads back to itself.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClusterModel, Protocol } from "../../../src/model/types.js";
import { PolicyEvaluator, type EndpointRef, type SideVerdict } from "../../../src/policy/evaluate.js";
import { loadNetworkPolicies } from "../../../src/policy/read.js";
import type { IPBlock, NetworkPolicy } from "../../../src/policy/types.js";
import { NAMESPACES, named, policyArbitraries, policySpec } from "./arbitraries.js";
import { cluster } from "./helpers.js";

// Valid blocks around the pod network (node-a 10.244.0.0/24, node-b 10.244.1.0/24) and beyond.
const BLOCKS: IPBlock[] = [
  { cidr: "10.244.0.0/16", except: [] },
  { cidr: "10.244.0.0/16", except: ["10.244.1.0/24"] },
  { cidr: "10.244.0.0/24", except: ["10.244.0.4/30"] },
  { cidr: "0.0.0.0/0", except: ["10.244.0.0/24", "192.168.1.0/24"] },
  { cidr: "10.244.1.0/25", except: [] },
  { cidr: "8.8.8.8/32", except: [] },
];

const { policy } = policyArbitraries({ blocks: BLOCKS, ports: [80, 81, "http", "metrics"], rangeStarts: [79, 80], rangeEnds: [80, 81], peerLists: 2 });


// Pods on the pod network, spread over two nodes and three namespaces.
const podSpec = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  node: fc.constantFrom("node-a", "node-b"),
  labels: fc.record({ app: fc.constantFrom("a", "b"), tier: fc.constantFrom("a", "b") }, { requiredKeys: [] }),
  ports: fc.constantFrom(["http:80", "metrics:81"], ["http:81", "metrics:80/UDP"], []),
});

// With hostNetwork, the first pod is a host-network pod (it has its node's address).
const clusterSpec = fc.record({
  pods: fc.array(podSpec, { minLength: 2, maxLength: 5 }),
  hostNetwork: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});
type ClusterSpec = typeof clusterSpec extends fc.Arbitrary<infer T> ? T : never;

function buildCluster(spec: ClusterSpec): ClusterModel {
  return cluster({
    nodes: [{ name: "node-a" }, { name: "node-b" }],
    namespaces: [{ name: "ns1", labels: { team: "a" } }, { name: "ns2", labels: { team: "b" } }],
    pods: spec.pods.map((p, i) => ({ name: `pod-${i}`, ...p, hostNetwork: spec.hostNetwork && i === 0 })),
  });
}

const PROBES: Array<{ protocol: Protocol; port: number }> = [
  { protocol: "TCP", port: 80 },
  { protocol: "TCP", port: 81 },
  { protocol: "UDP", port: 80 },
];

function endpoints(m: ClusterModel): EndpointRef[] {
  return [...m.pods.map((p) => ({ pod: p })), { ip: "8.8.8.8" }, { ip: m.nodes[1]!.internalIP }];
}

/** Every verdict side of every connection and probe, in a fixed order. */
function sides(m: ClusterModel, ps: NetworkPolicy[]): SideVerdict[][] {
  const ev = new PolicyEvaluator(m, ps);
  const eps = endpoints(m);
  const out: SideVerdict[][] = [];
  for (const from of eps) for (const to of eps) for (const probe of PROBES) {
    const v = ev.evaluate({ from, to, ...probe });
    out.push([v.egress, v.ingress]);
  }
  return out;
}

const ruleSet = (s: SideVerdict) => s.allowedBy.map((r) => `${r.policy}#${r.rule}`).sort();

describe("policy properties", () => {
  it("adding a policy is a union of allows per direction; it only takes away by isolating a pod", () => {
    fc.assert(
      fc.property(clusterSpec, fc.array(policy, { maxLength: 5 }), policy, (spec, base, extra) => {
        const m = buildCluster(spec);
        const before = named(base);
        const added = named([extra], base.length);
        const P = sides(m, before);
        const Q = sides(m, added);
        const PQ = sides(m, [...before, ...added]);
        P.forEach((conn, i) => {
          conn.forEach((p, side) => {
            const q = Q[i]![side]!;
            const pq = PQ[i]![side]!;
            // Isolation per direction is the OR of the policies'.
            expect(pq.isolated).toBe(p.isolated || q.isolated);
            // The rules allowing it are the union of each set's.
            expect(ruleSet(pq)).toEqual([...ruleSet(p), ...ruleSet(q)].sort());
            // Nothing allowed is lost unless the new policy isolated the pod.
            if (p.isolated === pq.isolated && p.allowed) expect(pq.allowed).toBe(true);
            // An isolated side (not exempt) is allowed exactly when some rule allows it.
            if (pq.reason === "allowed-by-rule" || pq.reason === "no-rule-matched" || pq.reason === "isolated-by-default") {
              expect(pq.allowed).toBe(pq.allowedBy.length > 0);
            }
          });
          const [pe, pi] = conn;
          const [qe, qi] = PQ[i]!;
          if (pe!.isolated === qe!.isolated && pi!.isolated === qi!.isolated && pe!.allowed && pi!.allowed) {
            expect(qe!.allowed && qi!.allowed).toBe(true);
          }
        });
      }),
      { numRuns: 120, seed: 11 },
    );
  });

  it("the order of policies never matters", () => {
    fc.assert(
      fc.property(clusterSpec, fc.array(policy, { minLength: 2, maxLength: 5 }), (spec, ps) => {
        const m = buildCluster(spec);
        const list = named(ps);
        const forward = sides(m, list).map((c) => c.map((s) => [s.allowed, s.isolated, s.reason, ruleSet(s)]));
        const backward = sides(m, [...list].reverse()).map((c) => c.map((s) => [s.allowed, s.isolated, s.reason, ruleSet(s)]));
        expect(backward).toEqual(forward);
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  it("a policy written as a Kubernetes object reads back to itself", () => {
    fc.assert(
      fc.property(policy, (p) => {
        const [np] = named([p]);
        const object = {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: np!.name, namespace: np!.namespace },
          spec: policySpec(np!),
        };
        expect(loadNetworkPolicies([JSON.parse(JSON.stringify(object))]).policies).toEqual([np]);
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
