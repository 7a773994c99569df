// Cilium's policy maps for a cluster's Kubernetes NetworkPolicies (docs/cilium-policy.md §4):
// for each endpoint and direction some policy selects it for, the entries its policy map holds —
// remote security identity (or any), protocol (or any), port range — plus, for ipBlock peers,
// the world identity limited to the block's prefixes (CIDR rules never select pods or nodes).
// Ingress-enforced endpoints also allow their own node's host (allow-localhost).

import type { ClusterModel, ClusterPod, Protocol } from "../model/types.js";
import { cidrContains, maskOf, parseCidr, type Cidr } from "../net/ipv4.js";
import { PolicyEvaluator } from "../policy/evaluate.js";
import { policyKey, type NetworkPolicyPeer, type NetworkPolicyPort } from "../policy/types.js";

const PROTO: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
export const IDENTITY_HOST = 1;
export const IDENTITY_WORLD = 2;

export interface CiliumPolicyEntry {
  /** Remote identity; 0 any. */
  identity: number;
  /** IP protocol; 0 any. */
  proto: number;
  lo: number;
  hi: number;
  /** With mask ≠ 0, the remote address must lie in net/mask (ipBlock). */
  net: number;
  mask: number;
  /** The NetworkPolicy and rule the entry comes from (none for allow-localhost). */
  policy?: string;
  rule?: number;
  reason: string;
}

export interface CiliumPolicyEndpoint {
  /** The endpoint's lxc (interface id). */
  lxc: number;
  pod: string;
  direction: "ingress" | "egress";
  /** The policies selecting the pod for this direction. */
  isolatedBy: string[];
  /** Whether they hold any rule for it (else: default deny). */
  hasRules: boolean;
  first: number;
  count: number;
}

export interface CiliumPolicyTable {
  endpoints: CiliumPolicyEndpoint[];
  entries: CiliumPolicyEntry[];
}

/** `cidr` less every `except` block, as disjoint prefixes. */
export function subtractPrefixes(cidr: Cidr, except: readonly Cidr[]): Cidr[] {
  let list = [cidr];
  for (const e of except) {
    const next: Cidr[] = [];
    const split = (p: Cidr): void => {
      if (cidrContains(e, p.address) && e.prefixLength <= p.prefixLength) return; // all of p is excepted
      if (!(cidrContains(p, e.address) && p.prefixLength < e.prefixLength)) {
        next.push(p); // disjoint
        return;
      }
      const len = p.prefixLength + 1;
      split({ address: p.address, prefixLength: len });
      split({ address: (p.address | (1 << (32 - len))) >>> 0, prefixLength: len });
    };
    list.forEach(split);
    list = next;
  }
  return list;
}

/**
 * The policy maps of every endpoint `model`'s policies select, or undefined when there are no
 * policies. `identities`: each pod's security identity; `lxcOf`: its lxc's interface id.
 */
export function compileCiliumPolicy(model: ClusterModel, identities: ReadonlyMap<string, number>, lxcOf: (pod: ClusterPod) => number): CiliumPolicyTable | undefined {
  const policies = model.networkPolicies;
  if (!policies.length) return undefined;
  const evaluator = new PolicyEvaluator(model, policies);
  const table: CiliumPolicyTable = { endpoints: [], entries: [] };
  // Egress named ports resolve against every endpoint's ports (the named-port map is cluster-wide).
  const namedNumbers = new Map<string, Set<number>>();
  for (const pod of model.pods) {
    if (pod.hostNetwork) continue;
    for (const cp of pod.ports) {
      if (!cp.name) continue;
      const key = `${cp.protocol}/${cp.name}`;
      if (!namedNumbers.has(key)) namedNumbers.set(key, new Set());
      namedNumbers.get(key)!.add(cp.containerPort);
    }
  }
  // A peer's identities, once: every pod a policy selects shares its rules.
  const peerIdentities = new Map<NetworkPolicyPeer, number[]>();
  for (const pod of model.pods) {
    if (pod.hostNetwork) continue;
    const key = `${pod.namespace}/${pod.name}`;
    for (const direction of ["ingress", "egress"] as const) {
      const type = direction === "ingress" ? "Ingress" : "Egress";
      const selecting = evaluator.policiesSelecting(pod, type);
      if (!selecting.length) continue;
      const first = table.entries.length;
      const add = (e: Omit<CiliumPolicyEntry, "net" | "mask"> & Partial<Pick<CiliumPolicyEntry, "net" | "mask">>) => table.entries.push({ net: 0, mask: 0, ...e });
      // allow-localhost (always, in Kubernetes mode): the node's own host may reach its pods.
      // First, as the L3-only host entry is what Cilium's lookup reports for the host.
      if (direction === "ingress") add({ identity: IDENTITY_HOST, proto: 0, lo: 0, hi: 65535, reason: "the pod's own node (reserved:host) is always allowed in (allow-localhost)" });
      let hasRules = false;
      for (const p of selecting) {
        const rules = direction === "ingress" ? p.ingress : p.egress;
        rules.forEach((rule, index) => {
          hasRules = true;
          const tag = { policy: policyKey(p), rule: index, reason: `allowed by ${policyKey(p)}, ${direction} rule ${index}` };
          const ports = portEntries(rule.ports, direction, pod, namedNumbers);
          const peers: Array<NetworkPolicyPeer | undefined> = rule.peers === "any" ? [undefined] : rule.peers;
          for (const peer of peers) {
            if (!peer) {
              for (const pe of ports) add({ identity: 0, ...pe, ...tag });
            } else if (peer.kind === "pods") {
              let ids = peerIdentities.get(peer);
              if (!ids) peerIdentities.set(peer, (ids = [...new Set(evaluator.peerPods(p, peer).filter((x) => !x.hostNetwork).map((x) => identities.get(`${x.namespace}/${x.name}`)!))].sort((a, b) => a - b)));
              for (const id of ids) for (const pe of ports) add({ identity: id, ...pe, ...tag });
            } else if (!peer.ipBlock.cidr.includes(":")) {
              const blocks = subtractPrefixes(parseCidr(peer.ipBlock.cidr, "cidr"), peer.ipBlock.except.filter((x) => !x.includes(":")).map((x) => parseCidr(x, "except")));
              for (const b of blocks) for (const pe of ports) add({ identity: IDENTITY_WORLD, net: b.address, mask: maskOf(b.prefixLength), ...pe, ...tag });
            }
          }
        });
      }
      table.endpoints.push({ lxc: lxcOf(pod), pod: key, direction, isolatedBy: selecting.map(policyKey), hasRules, first, count: table.entries.length - first });
    }
  }
  return table;
}

/** A rule's ports as policy-map keys: protocol and range; named ports resolved as Cilium does. */
function portEntries(ports: NetworkPolicyPort[] | "any", direction: "ingress" | "egress", pod: ClusterPod, namedNumbers: ReadonlyMap<string, ReadonlySet<number>>): Array<{ proto: number; lo: number; hi: number }> {
  if (ports === "any") return [{ proto: 0, lo: 0, hi: 65535 }];
  const out: Array<{ proto: number; lo: number; hi: number }> = [];
  for (const p of ports) {
    const proto = PROTO[p.protocol];
    if (p.port === undefined) out.push({ proto, lo: 0, hi: 65535 });
    else if (typeof p.port === "number") out.push({ proto, lo: p.port, hi: p.endPort ?? p.port });
    else if (direction === "ingress") {
      // Ingress: the endpoint's own container port of that name.
      for (const cp of pod.ports) if (cp.name === p.port && cp.protocol === p.protocol) out.push({ proto, lo: cp.containerPort, hi: cp.containerPort });
    } else {
      for (const n of namedNumbers.get(`${p.protocol}/${p.port}`) ?? []) out.push({ proto, lo: n, hi: n });
    }
  }
  return out;
}
