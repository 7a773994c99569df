// NetworkPolicy (networking.k8s.io/v1) after reading, validating and defaulting: every field
// the API server defaults is filled in, and every "empty means everything" of the API is
// spelled out, so the evaluator and the dataplane never re-derive the API's conventions.
// Plain data (structured-cloneable, JSON-safe), like the cluster model.

import type { Protocol } from "../model/types.js";

export type PolicyType = "Ingress" | "Egress";

export const POLICY_TYPES: readonly PolicyType[] = ["Ingress", "Egress"];

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export const SELECTOR_OPERATORS: readonly SelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** Non-empty for In / NotIn, empty for Exists / DoesNotExist (the API server enforces both). */
  values: string[];
}

/**
 * A metav1.LabelSelector: every `matchLabels` pair and every requirement must hold (AND).
 * Both lists empty (`{}`) selects everything in scope: all pods of the namespace, or all
 * namespaces.
 */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

/**
 * An ipBlock: addresses inside `cidr` and outside every `except` entry. Text as written,
 * except that host bits are cleared (`10.0.0.1/24` → `10.0.0.0/24`, which is how the API
 * server's sloppy CIDR parser reads it). IPv6 blocks are kept (they still make a `from`/`to`
 * list non-empty) but match no address of this IPv4-only simulator.
 */
export interface IPBlock {
  cidr: string;
  except: string[];
}

/**
 * One entry of a rule's `from` / `to` list.
 *
 * - `pods`: pods matching `podSelector` in the namespaces matching `namespaceSelector`. The
 *   API's three forms map to it: `podSelector` alone → `namespaceSelector: null` (the
 *   policy's own namespace); `namespaceSelector` alone → `podSelector` empty (every pod of
 *   those namespaces); both in one entry → both must match (AND).
 * - `ipBlock`: addresses (the API forbids combining it with a selector in one entry).
 */
export type NetworkPolicyPeer =
  | { kind: "pods"; podSelector: LabelSelector; namespaceSelector: LabelSelector | null }
  | { kind: "ipBlock"; ipBlock: IPBlock };

/**
 * One entry of a rule's `ports` list. `port` absent: every port of `protocol`. A number with
 * `endPort`: the range port..endPort inclusive. A string: a named port, resolved against the
 * container ports of the pod traffic goes *to* (ingress: the selected pod; egress: the peer).
 */
export interface NetworkPolicyPort {
  /** Defaulted to TCP, as the API server does. */
  protocol: Protocol;
  port?: number | string;
  /** Only with a numeric `port`, and ≥ it. */
  endPort?: number;
}

/**
 * An ingress or egress rule: traffic is allowed when it matches one of `peers` AND one of
 * `ports`. The API's absent and empty lists both mean "everything" for these two fields, so
 * both read as "any".
 */
export interface NetworkPolicyRule {
  /** `from` (ingress) or `to` (egress). */
  peers: NetworkPolicyPeer[] | "any";
  ports: NetworkPolicyPort[] | "any";
}

export interface NetworkPolicy {
  namespace: string;
  name: string;
  /** Empty selects every pod of `namespace`. */
  podSelector: LabelSelector;
  /**
   * The directions this policy isolates its pods in. When the spec gives none, the API
   * server defaults it: Ingress always, Egress only if `spec.egress` holds at least one
   * rule (`egress: []` does not count).
   */
  policyTypes: PolicyType[];
  /** Whether `policyTypes` was written in the spec (true) or defaulted (false). */
  policyTypesExplicit: boolean;
  /**
   * Rules allowing traffic to the selected pods; empty with Ingress in `policyTypes`
   * (absent `ingress`, or `ingress: []`) denies all ingress. Ignored when `policyTypes`
   * lacks Ingress, as in every implementation.
   */
  ingress: NetworkPolicyRule[];
  /** Same for traffic from the selected pods. */
  egress: NetworkPolicyRule[];
}

/** `namespace/name`, the way policies are named in verdicts and the CLI. */
export function policyKey(p: Pick<NetworkPolicy, "namespace" | "name">): string {
  return `${p.namespace}/${p.name}`;
}

/** A selector that selects everything (`{}`). */
export function emptySelector(): LabelSelector {
  return { matchLabels: {}, matchExpressions: [] };
}

/** True when `selector` is `{}`: it selects every object in its scope. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return selector.matchExpressions.length === 0 && Object.keys(selector.matchLabels).length === 0;
}

/** Whether `labels` satisfy `selector` (metav1.LabelSelectorAsSelector semantics). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const key in selector.matchLabels) {
    if (!Object.hasOwn(labels, key) || labels[key] !== selector.matchLabels[key]) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(labels, req.key);
    switch (req.operator) {
      case "In":
        if (!has || !req.values.includes(labels[req.key]!)) return false;
        break;
      // NotIn matches objects without the key too (labels.Selector's NotIn semantics).
      case "NotIn":
        if (has && req.values.includes(labels[req.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
