// The reference semantics of NetworkPolicy, independent of any dataplane: given the cluster
// and its policies, is a new connection from a source to a destination on protocol/port
// allowed, and by which policies and rules? The dataplane's enforcement (Calico's chains,
// Cilium's eBPF) is tested against this.
//
// Semantics (Kubernetes docs, "Network Policies", and the networking.k8s.io/v1 API reference):
// - A pod is isolated for a direction iff some policy of its own namespace selects it
//   (spec.podSelector) and lists that direction in policyTypes. Policies are additive: an
//   isolated pod accepts what the union of its selecting policies' rules allows; order never
//   matters.
// - A connection needs both sides: the source pod's egress (when the source is an isolated
//   pod) and the destination pod's ingress (when the destination is an isolated pod).
// - Only new connections are judged. Replies and later packets of an allowed connection are
//   allowed whatever the policies say about the reverse direction: every implementation
//   tracks connections (conntrack, or Cilium's CT map), and the dataplane does the same.
// - "A pod cannot block access to itself" (docs, Network Policies overview): a pod to itself
//   is always allowed (a packet to its own IP stays on the pod's loopback and never reaches
//   the host-side enforcement point; the upstream e2e tests' AllowLoopback expects it).
// - "Traffic to and from the node where a Pod is running is always allowed, regardless of the
//   IP address of the Pod or the node" (same place): a pod ↔ its own node's IP is allowed on
//   both sides (kubelet's probes depend on it).
//
// Choices where the spec leaves the behaviour to the implementation:
// - ipBlock against pod IPs: the docs say ipBlock "should be cluster-external IPs" but do not
//   define whether a pod's IP matches. Here it does: an ipBlock is matched against the
//   packet's address, whoever holds it — what Calico does (a CIDR match in its chains) and
//   what the upstream e2e tests "should allow egress access to server in CIDR block" expect
//   (a /32 of the server's pod IP). Cilium by default does not let CIDR rules select its
//   own endpoints or nodes: `{ semantics: "cilium" }` reads ipBlocks (and egress named ports,
//   which Cilium resolves against every pod's names) as Cilium does (docs/cilium-policy.md §4).
// - Host-network pods: the docs (section "NetworkPolicy and hostNetwork pods") leave it
//   undefined, with two allowed behaviours, and name the common one, taken here: the plugin
//   cannot tell a host-network pod's traffic from its node's, so (a) policies whose
//   spec.podSelector selects a host-network pod do not apply to it, (b) podSelector /
//   namespaceSelector peers never match it, and (c) its traffic is the node IP's traffic:
//   matched only by ipBlock, and always allowed to and from pods on that same node.
// - Addresses are the pod IPs after Service DNAT (kube-proxy translates before the policy
//   hook in every supported CNI), so a destination is always a pod or a plain IP, never a
//   ClusterIP. Resolving a Service to a backend is the caller's job.

import { K8sNetFlowError } from "../errors.js";
import type { ClusterModel, ClusterPod, Protocol } from "../model/types.js";
import { cidrContains, parseIPv4, type Cidr } from "../net/ipv4.js";
import { policyKey, selectorMatches, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type NetworkPolicyRule, type PolicyType } from "./types.js";

/** One end of a connection: a pod (object, or `namespace/name`, or `name` in default), or an address. */
export type EndpointRef = { pod: ClusterPod | string } | { ip: string };

export interface ConnectionQuery {
  from: EndpointRef;
  to: EndpointRef;
  /** Default TCP. */
  protocol?: Protocol;
  /** Destination port, 1–65535. */
  port: number;
}

/** A resolved end: an address that belongs to a pod (not host-network) is that pod. */
export type Endpoint = { kind: "pod"; pod: ClusterPod; ip: string } | { kind: "ip"; ip: string; node?: string };

/** Why one side decided as it did. */
export type SideReason =
  /** The pod is isolated in this direction and at least one rule allows the connection. */
  | "allowed-by-rule"
  /** No policy selects the pod for this direction: everything is allowed. */
  | "not-isolated"
  /** Isolated, and the isolating policies have rules, but none matches. */
  | "no-rule-matched"
  /** Isolated by policies that have no rule at all for this direction (default deny). */
  | "isolated-by-default"
  /** This side is not a pod (an address outside the pods): no policy of its own applies. */
  | "not-a-pod"
  /** A host-network pod: policies do not apply to it (see the file comment). */
  | "host-network"
  /** A pod talking to itself. */
  | "same-pod"
  /** A pod and its own node's address. */
  | "own-node";

/** A rule that allowed the connection. Indexes are 0-based positions in the spec. */
export interface RuleMatch {
  /** `namespace/name` of the policy. */
  policy: string;
  /** Index in spec.ingress or spec.egress. */
  rule: number;
  /** Index in the rule's from/to list; null when the rule has none (all peers). */
  peer: number | null;
  /** Index in the rule's ports list; null when the rule has none (all ports). */
  port: number | null;
}

export interface SideVerdict {
  direction: PolicyType;
  /** `namespace/name` of the pod whose policies decide this side, when it is a pod. */
  pod?: string;
  isolated: boolean;
  allowed: boolean;
  reason: SideReason;
  /** The policies that select the pod for this direction (`namespace/name`), in input order. */
  isolatedBy: string[];
  /** Every rule that allows the connection (the union: any one is enough). */
  allowedBy: RuleMatch[];
  /** One sentence: what decided, naming policies and rules. */
  message: string;
}

export interface PolicyVerdict {
  allowed: boolean;
  from: Endpoint;
  to: Endpoint;
  protocol: Protocol;
  port: number;
  /** The source pod's egress side. */
  egress: SideVerdict;
  /** The destination pod's ingress side. */
  ingress: SideVerdict;
  message: string;
}

interface CompiledPolicy {
  policy: NetworkPolicy;
  key: string;
  /** Parsed ipBlocks by rule and peer, IPv4 only (IPv6 blocks are null: they match nothing). */
  blocks: Map<NetworkPolicyPeer, { cidr: Cidr; except: Cidr[] } | null>;
}

function parseBlockPart(text: string): Cidr | null {
  if (text.includes(":")) return null;
  const slash = text.indexOf("/");
  const address = parseIPv4(text.slice(0, slash), "ipBlock");
  return { address, prefixLength: Number(text.slice(slash + 1)) };
}

function compile(policy: NetworkPolicy): CompiledPolicy {
  const blocks: CompiledPolicy["blocks"] = new Map();
  for (const rule of [...policy.ingress, ...policy.egress]) {
    if (rule.peers === "any") continue;
    for (const peer of rule.peers) {
      if (peer.kind !== "ipBlock") continue;
      const cidr = parseBlockPart(peer.ipBlock.cidr);
      blocks.set(peer, cidr ? { cidr, except: peer.ipBlock.except.flatMap((e) => parseBlockPart(e) ?? []) } : null);
    }
  }
  return { policy, key: policyKey(policy), blocks };
}

export function podKey(pod: Pick<ClusterPod, "namespace" | "name">): string {
  return `${pod.namespace}/${pod.name}`;
}

/** How an endpoint is printed: `namespace/name` for pods, the address otherwise. */
export function endpointLabel(e: Endpoint): string {
  return e.kind === "pod" ? podKey(e.pod) : e.ip;
}

export interface EvaluatorOptions {
  /**
   * `kubernetes` (default): the spec, with ipBlocks matching any address.
   * `calico`: the same, but a pod's traffic to its own node meets its egress policy (Felix's
   * cali-wl-to-host; only the node's traffic to its pods is never policed).
   * `cilium`: the same for the own node, and ipBlocks match only addresses that are neither
   * pods nor nodes, and an egress rule's named port means every number some pod gives that
   * name (Cilium's named-port map).
   */
  semantics?: "kubernetes" | "calico" | "cilium";
}

/**
 * Evaluates connections against one cluster and one set of policies; build it once and ask
 * many questions (the matrix asks pods² × ports).
 */
export class PolicyEvaluator {
  private readonly cilium: boolean;
  /** Calico and Cilium apply a pod's egress policy to its own node's address too (only its ingress from the node is exempt). */
  private readonly ownNodeEgressPoliced: boolean;
  /** Cilium: the numbers each `protocol/name` has on some pod. */
  private namedNumbers?: Map<string, Set<number>>;
  private readonly byNamespace = new Map<string, CompiledPolicy[]>();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly podsByKey = new Map<string, ClusterPod>();
  private readonly podsByIp = new Map<string, ClusterPod>();
  private readonly nodeIPs = new Map<string, string>();
  private readonly nodeIpOf = new Map<string, string>();
  private readonly ingressOf = new Map<ClusterPod, CompiledPolicy[]>();
  private readonly egressOf = new Map<ClusterPod, CompiledPolicy[]>();

  constructor(
    readonly cluster: ClusterModel,
    readonly policies: readonly NetworkPolicy[],
    options: EvaluatorOptions = {},
  ) {
    this.cilium = options.semantics === "cilium";
    this.ownNodeEgressPoliced = options.semantics === "cilium" || options.semantics === "calico";
    for (const ns of cluster.namespaces) this.namespaceLabels.set(ns.name, ns.labels);
    for (const node of cluster.nodes) {
      this.nodeIPs.set(node.internalIP, node.name);
      this.nodeIpOf.set(node.name, node.internalIP);
    }
    for (const pod of cluster.pods) {
      this.podsByKey.set(podKey(pod), pod);
      if (!pod.hostNetwork) this.podsByIp.set(pod.ip, pod);
    }
    for (const policy of policies) {
      const list = this.byNamespace.get(policy.namespace) ?? [];
      list.push(compile(policy));
      this.byNamespace.set(policy.namespace, list);
    }
  }

  /** Finds a pod by object, `namespace/name` or `name` (namespace default). */
  pod(ref: ClusterPod | string, path = "pod"): ClusterPod {
    const key = typeof ref === "string" ? (ref.includes("/") ? ref : `default/${ref}`) : podKey(ref);
    const pod = this.podsByKey.get(key);
    if (!pod) throw new K8sNetFlowError("not-found", `no pod ${key} in the cluster`, path);
    return pod;
  }

  /** `path` names the field of the caller's input, for errors (`from`, `to`). */
  resolve(ref: EndpointRef, path = "endpoint"): Endpoint {
    if ("pod" in ref) {
      const pod = this.pod(ref.pod, path);
      return { kind: "pod", pod, ip: pod.ip };
    }
    parseIPv4(ref.ip, path);
    const pod = this.podsByIp.get(ref.ip);
    if (pod) return { kind: "pod", pod, ip: pod.ip };
    const node = this.nodeIPs.get(ref.ip);
    return { kind: "ip", ip: ref.ip, ...(node !== undefined ? { node } : {}) };
  }

  /**
   * The policies (`namespace/name`) isolating `pod` in `direction`. Empty for host-network
   * pods: the common implementation cannot attach policy to them (see the file comment).
   */
  isolatedBy(pod: ClusterPod, direction: PolicyType): string[] {
    return this.selecting(pod, direction).map((c) => c.key);
  }

  /** The policies isolating `pod` in `direction`, in input order (none for host-network pods). */
  policiesSelecting(pod: ClusterPod, direction: PolicyType): NetworkPolicy[] {
    return this.selecting(pod, direction).map((c) => c.policy);
  }

  /**
   * The pods `policy` applies to (spec.podSelector in its namespace), host-network pods left
   * out: what an enforcing dataplane attaches the policy's chains or programs to.
   */
  selectedPods(policy: NetworkPolicy): ClusterPod[] {
    return this.cluster.pods.filter((p) => !p.hostNetwork && p.namespace === policy.namespace && selectorMatches(policy.podSelector, p.labels));
  }

  /**
   * The pods a selector peer of `policy` matches, as an enforcing dataplane would put their
   * IPs in a set (Calico's ipsets, Cilium's identities). Empty for an ipBlock peer.
   */
  peerPods(policy: NetworkPolicy, peer: NetworkPolicyPeer): ClusterPod[] {
    if (peer.kind === "ipBlock") return [];
    // Compilers ask once per peer and selected pod: the answer is kept per peer.
    let found = this.peerCache.get(peer);
    if (!found) {
      const c = compile(policy);
      found = this.cluster.pods.filter((p) => this.matchPeer(c, peer, { kind: "pod", pod: p, ip: p.ip }));
      this.peerCache.set(peer, found);
    }
    return found;
  }
  private readonly peerCache = new Map<NetworkPolicyPeer, ClusterPod[]>();

  /** Selections are cached per pod: the matrix asks for each pod 2 × pods × ports times. */
  private selecting(pod: ClusterPod, direction: PolicyType): CompiledPolicy[] {
    const cache = direction === "Ingress" ? this.ingressOf : this.egressOf;
    let found = cache.get(pod);
    if (!found) {
      found = pod.hostNetwork ? [] : (this.byNamespace.get(pod.namespace) ?? []).filter((c) => c.policy.policyTypes.includes(direction) && selectorMatches(c.policy.podSelector, pod.labels));
      cache.set(pod, found);
    }
    return found;
  }

  /**
   * Decides a new connection. Its replies (and the rest of its packets) are allowed when it
   * is: policies judge connections, not packets.
   */
  evaluate(query: ConnectionQuery): PolicyVerdict {
    const from = this.resolve(query.from, "from");
    const to = this.resolve(query.to, "to");
    const protocol = query.protocol ?? "TCP";
    const port = query.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new K8sNetFlowError("invalid-input", `port ${port} is out of range (1 to 65535)`, "port");
    const egress = this.side("Egress", from, to, protocol, port);
    const ingress = this.side("Ingress", from, to, protocol, port);
    const allowed = egress.allowed && ingress.allowed;
    const what = `${endpointLabel(from)} → ${endpointLabel(to)} ${protocol}/${port}`;
    const message = allowed ? `${what}: allowed (${egress.message}; ${ingress.message})` : `${what}: denied (${[egress, ingress].filter((s) => !s.allowed).map((s) => s.message).join("; ")})`;
    return { allowed, from, to, protocol, port, egress, ingress, message };
  }

  /** The verdict of one side: the source's egress or the destination's ingress. */
  private side(direction: PolicyType, from: Endpoint, to: Endpoint, protocol: Protocol, port: number): SideVerdict {
    const self = direction === "Egress" ? from : to;
    const peer = direction === "Egress" ? to : from;
    const dir = direction.toLowerCase();
    const open = (reason: SideReason, message: string, pod?: string): SideVerdict => ({ direction, ...(pod ? { pod } : {}), isolated: false, allowed: true, reason, isolatedBy: [], allowedBy: [], message });
    if (self.kind !== "pod") return open("not-a-pod", `${self.ip} is not a pod: no ${dir} policy applies`);
    const pod = self.pod;
    const key = podKey(pod);
    if (pod.hostNetwork) return open("host-network", `${key} is a host-network pod: policies do not apply to it`, key);
    const selecting = this.selecting(pod, direction);
    const isolatedBy = selecting.map((c) => c.key);
    // Exempt whatever the policies say; still report whether the pod is isolated.
    const exempt = (reason: SideReason, message: string): SideVerdict => ({ ...open(reason, message, key), isolated: selecting.length > 0, isolatedBy });
    if (peer.kind === "pod" && peer.pod === pod) return exempt("same-pod", `${key} to itself is always allowed`);
    if (peer.ip === this.nodeIpOf.get(pod.node) && !(direction === "Egress" && this.ownNodeEgressPoliced)) return exempt("own-node", `${key} and its own node ${pod.node} (${peer.ip}) may always talk`);
    if (selecting.length === 0) return open("not-isolated", `${key} is not isolated for ${dir} (no policy selects it for ${direction})`, key);

    const allowedBy: RuleMatch[] = [];
    let rules = 0;
    for (const c of selecting) {
      const list = direction === "Ingress" ? c.policy.ingress : c.policy.egress;
      rules += list.length;
      list.forEach((rule, index) => {
        const m = this.matchRule(c, rule, peer, to, protocol, port);
        if (m) allowedBy.push({ policy: c.key, rule: index, ...m });
      });
    }
    const base = { direction, pod: key, isolated: true, isolatedBy, allowedBy };
    if (allowedBy.length) {
      const names = allowedBy.map((m) => `${m.policy} ${dir} rule ${m.rule}`).join(", ");
      return { ...base, allowed: true, reason: "allowed-by-rule", message: `${key} ${dir} allowed by ${names}` };
    }
    if (rules === 0) {
      return { ...base, allowed: false, reason: "isolated-by-default", message: `${key} is isolated for ${dir} by ${isolatedBy.join(", ")}, which allow${isolatedBy.length === 1 ? "s" : ""} no ${dir} at all` };
    }
    const other = direction === "Ingress" ? "from" : "to";
    return { ...base, allowed: false, reason: "no-rule-matched", message: `no ${dir} rule of ${isolatedBy.join(", ")} allows ${key} ${other} ${endpointLabel(peer)} on ${protocol}/${port}` };
  }

  private matchRule(c: CompiledPolicy, rule: NetworkPolicyRule, peer: Endpoint, dest: Endpoint, protocol: Protocol, port: number): { peer: number | null; port: number | null } | undefined {
    let peerIndex: number | null = null;
    if (rule.peers !== "any") {
      peerIndex = rule.peers.findIndex((p) => this.matchPeer(c, p, peer));
      if (peerIndex < 0) return undefined;
    }
    let portIndex: number | null = null;
    if (rule.ports !== "any") {
      portIndex = rule.ports.findIndex((p) => (this.cilium && dest === peer && typeof p.port === "string" ? this.namedAnywhere(p, protocol, port) : matchPort(p, dest, protocol, port)));
      if (portIndex < 0) return undefined;
    }
    return { peer: peerIndex, port: portIndex };
  }

  private matchPeer(c: CompiledPolicy, peer: NetworkPolicyPeer, e: Endpoint): boolean {
    if (peer.kind === "ipBlock") {
      const block = c.blocks.get(peer);
      if (!block) return false;
      // Cilium: pods and nodes carry their own identities, which CIDR rules never select.
      if (this.cilium && (e.kind === "pod" || e.node !== undefined)) return false;
      const address = parseIPv4(e.ip, "ip");
      return cidrContains(block.cidr, address) && !block.except.some((x) => cidrContains(x, address));
    }
    // Selectors see pods only; a host-network pod is its node's address (file comment).
    if (e.kind !== "pod" || e.pod.hostNetwork) return false;
    const pod = e.pod;
    if (peer.namespaceSelector === null) {
      if (pod.namespace !== c.policy.namespace) return false;
    } else {
      // The API server labels every namespace with kubernetes.io/metadata.name; a namespace
      // the model does not list still carries it.
      const labels = this.namespaceLabels.get(pod.namespace) ?? { "kubernetes.io/metadata.name": pod.namespace };
      if (!selectorMatches(peer.namespaceSelector, labels)) return false;
    }
    return selectorMatches(peer.podSelector, pod.labels);
  }

  /** Cilium's egress named port: a number some pod gives the name (the cluster-wide named-port map). */
  private namedAnywhere(p: NetworkPolicyPort, protocol: Protocol, port: number): boolean {
    if (p.protocol !== protocol) return false;
    if (!this.namedNumbers) {
      this.namedNumbers = new Map();
      for (const pod of this.cluster.pods) {
        if (pod.hostNetwork) continue;
        for (const cp of pod.ports) {
          if (!cp.name) continue;
          const key = `${cp.protocol}/${cp.name}`;
          if (!this.namedNumbers.has(key)) this.namedNumbers.set(key, new Set());
          this.namedNumbers.get(key)!.add(cp.containerPort);
        }
      }
    }
    return this.namedNumbers.get(`${protocol}/${String(p.port)}`)?.has(port) ?? false;
  }
}

/**
 * A port entry against a connection. Named ports resolve against the destination pod's
 * container ports (name and protocol must both match), whichever direction the rule is for:
 * the name always means "the port the destination serves under that name". A destination
 * that is not a pod (or is a host-network pod) has no names, so a named port never matches it.
 */
function matchPort(p: NetworkPolicyPort, dest: Endpoint, protocol: Protocol, port: number): boolean {
  if (p.protocol !== protocol) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === "number") return port >= p.port && port <= (p.endPort ?? p.port);
  if (dest.kind !== "pod" || dest.pod.hostNetwork) return false;
  return dest.pod.ports.some((cp) => cp.name === p.port && cp.protocol === protocol && cp.containerPort === port);
}

/** One-shot form of PolicyEvaluator.evaluate. */
export function evaluateConnection(cluster: ClusterModel, policies: readonly NetworkPolicy[], query: ConnectionQuery): PolicyVerdict {
  return new PolicyEvaluator(cluster, policies).evaluate(query);
}
