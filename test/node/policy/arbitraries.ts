// What the policy property tests share: fast-check arbitraries for label selectors, peers,
// ports, rules and whole policies over the namespaces default, ns1 and ns2 (each test gives the
// ipBlocks and port numbers that suit its cluster), and the policies written back as Kubernetes
// writes them.
import fc from "fast-check";
import type { Protocol } from "../../../src/model/types.js";
import type { IPBlock, LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, PolicyType } from "../../../src/policy/types.js";

export const NAMESPACES = ["default", "ns1", "ns2"];

const requirement = (keys: string[], values: string[]) =>
  fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom("In" as const, "NotIn" as const), values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }) }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const), values: fc.constant([] as string[]) }),
  );

export const selector = (keys: string[], values: string[]): fc.Arbitrary<LabelSelector> =>
  fc.record({
    matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 1 }).map((d) => ({ ...d })),
    matchExpressions: fc.array(requirement(keys, values), { maxLength: 1 }),
  });

export const podSel = selector(["app", "tier"], ["a", "b"]);
export const nsSel = selector(["team", "kubernetes.io/metadata.name"], ["a", "b", "ns1", "ns2", "default"]);

export interface PolicySpace {
  blocks: IPBlock[];
  /** Port values of single-port entries (numbers and names). */
  ports: Array<number | string>;
  /** `port` and `endPort` values of range entries. */
  rangeStarts: number[];
  rangeEnds: number[];
  /** Relative weights of selector peers and ipBlock peers (default 1 : 1). */
  peerWeights?: [number, number];
  /** How many of the rule's peer choices are lists rather than "any" (default 1). */
  peerLists?: number;
}

export function policyArbitraries(space: PolicySpace) {
  const peer: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
    { weight: space.peerWeights?.[0] ?? 1, arbitrary: fc.record({ kind: fc.constant("pods" as const), podSelector: podSel, namespaceSelector: fc.option(nsSel, { nil: null }) }) },
    { weight: space.peerWeights?.[1] ?? 1, arbitrary: fc.record({ kind: fc.constant("ipBlock" as const), ipBlock: fc.constantFrom(...space.blocks) }) },
  );
  const port: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
    fc.record({ protocol: fc.constantFrom<Protocol>("TCP", "UDP") }),
    fc.record({ protocol: fc.constantFrom<Protocol>("TCP", "UDP"), port: fc.constantFrom(...space.ports) }),
    fc.record({ protocol: fc.constantFrom<Protocol>("TCP", "UDP"), port: fc.constantFrom(...space.rangeStarts), endPort: fc.constantFrom(...space.rangeEnds) }),
  );
  const lists = Array.from({ length: space.peerLists ?? 1 }, () => fc.array(peer, { minLength: 1, maxLength: 2 }));
  const rule: fc.Arbitrary<NetworkPolicyRule> = fc.record({
    peers: fc.oneof(fc.constant("any" as const), ...lists),
    ports: fc.oneof(fc.constant("any" as const), fc.array(port, { minLength: 1, maxLength: 2 })),
  });
  const policy: fc.Arbitrary<Omit<NetworkPolicy, "name">> = fc.record({
    namespace: fc.constantFrom(...NAMESPACES),
    podSelector: podSel,
    policyTypes: fc.constantFrom<PolicyType[]>(["Ingress"], ["Egress"], ["Ingress", "Egress"]),
    policyTypesExplicit: fc.constant(true),
    ingress: fc.array(rule, { maxLength: 2 }),
    egress: fc.array(rule, { maxLength: 2 }),
  });
  return { peer, port, rule, policy };
}

/** Generated policies named p0, p1, … (from `from` on). */
export const named = (ps: Array<Omit<NetworkPolicy, "name">>, from = 0): NetworkPolicy[] => ps.map((p, i) => ({ ...p, name: `p${from + i}` }));

const selectorObject = (s: LabelSelector) => ({ matchLabels: s.matchLabels, matchExpressions: s.matchExpressions.map((e) => (e.values.length ? e : { key: e.key, operator: e.operator })) });
const ruleObject = (r: NetworkPolicyRule, key: "from" | "to") => ({
  ...(r.peers === "any" ? {} : { [key]: r.peers.map((p) => (p.kind === "ipBlock" ? { ipBlock: p.ipBlock } : { podSelector: selectorObject(p.podSelector), ...(p.namespaceSelector ? { namespaceSelector: selectorObject(p.namespaceSelector) } : {}) })) }),
  ...(r.ports === "any" ? {} : { ports: r.ports }),
});

/** A policy's spec as Kubernetes writes it (an absent list for "any"). */
export const policySpec = (p: NetworkPolicy) => ({ podSelector: selectorObject(p.podSelector), policyTypes: p.policyTypes, ingress: p.ingress.map((r) => ruleObject(r, "from")), egress: p.egress.map((r) => ruleObject(r, "to")) });

/** A policy as the compact format's `networkPolicies` entry. */
export const policyObject = (p: NetworkPolicy) => ({ name: p.name, namespace: p.namespace, spec: policySpec(p) });
