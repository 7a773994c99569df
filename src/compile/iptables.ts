// kube-proxy's iptables mode, compiled as kube-proxy's syncProxyRules writes it: the same
// chains, hashed names, rule order, matches and comments (see docs/kube-proxy-iptables.md).
// Each rule keeps both its `iptables-save` text and a structured form the dataplane walks.

import { endpointsFor } from "./endpoints.js";
import { maskOf, parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, ClusterService, Protocol } from "../model/types.js";
import { base32Prefix, sha256Words } from "../util/sha256.js";
import { iptablesRuleText, RulesetBuilder } from "./ruleset-builder.js";
import type { IpvsTable } from "./ipvs.js";
import type { CiliumLbTable } from "./cilium.js";

export type Table = "nat" | "filter";

export interface AddrMatch {
  addr: number;
  mask: number;
  invert: boolean;
}

export interface RuleMatch {
  src?: AddrMatch;
  dst?: AddrMatch;
  /** IP protocol number. */
  proto?: number;
  dport?: number;
  mark?: { value: number; mask: number; invert: boolean };
  /** xt_statistic's threshold: the kernel's 31-bit fixed-point probability. */
  probability?: number;
  recentCheck?: { list: number; seconds: number };
  recentSet?: { list: number };
  ctstate?: "NEW" | "ESTABLISHED" | "INVALID";
  dstLocal?: boolean;
  /** nftables: the destination is in this set (`ip daddr @set`), an index of `Ruleset.sets`. */
  daddrIn?: number;
  /**
   * nftables verdict-map lookup: the key (`ip daddr . meta l4proto . th dport`, or without the
   * address) is looked up in `Ruleset.sets[map]`; a hit applies the element's verdict (the
   * rule's own target is unused), a miss goes on to the next rule.
   */
  vmap?: number;
  /**
   * iptables `-m set --match-set NAME dims` (kube-proxy's IPVS mode): the packet's fields named by
   * `dims` form the key looked up in `Ruleset.sets[set]` — `dst` (hash:ip), `dst-port` (bitmap:port
   * with `dst`), `dst,dst` (hash:ip,port) or `dst,dst,src` (hash:ip,port,ip).
   */
  ipset?: { set: number; dims: IpsetDims };
  /** A second set match in the same rule (Calico: the peers' set and a named-port set). */
  ipset2?: { set: number; dims: IpsetDims };
  /**
   * `-i DEV` / `-o DEV`: an interface id of the compiled network, `workloads` for `cali+` (any
   * pod's veth end on the host), or `{ set }` for a narrower wildcard (`cali8+`): the interfaces
   * it covers, as members (SetElement.addr) of `Ruleset.sets[set]`.
   */
  iif?: number | "workloads" | { set: number };
  oif?: number | "workloads" | { set: number };
  /** `-m multiport --dports a,b:c`: inclusive port ranges (at most 15 ports, a range counting two). */
  dports?: Array<[number, number]>;
  /**
   * The rule's target is this node's entry of map `Ruleset.sets[nodeMap]` (keyed by node index):
   * Calico's jump to the dispatch chain of the node the packet is on. No entry: no match.
   */
  nodeMap?: number;
}

/** The `--match-set` directions the simulated ipsets are matched with. */
export type IpsetDims = "dst" | "dst-port" | "dst,dst" | "dst,dst,src" | "src";

export type RuleTarget =
  | { kind: "jump"; chain: number }
  | { kind: "return" }
  | { kind: "accept" }
  | { kind: "drop" }
  | { kind: "reject" }
  | { kind: "dnat"; addr: number; port: number }
  | { kind: "mark-set"; value: number; mask: number }
  | { kind: "masquerade" }
  /** nftables `goto`: like jump, but the chain's end returns to the caller's caller. */
  | { kind: "goto"; chain: number }
  /** nftables `numgen random mod count vmap { i : goto first+i }`: the chains are consecutive. */
  | { kind: "numgen"; first: number; count: number }
  | { kind: "none" };

export interface NfRule {
  id: number;
  chain: number;
  /** The line `iptables-save` prints, e.g. `-A KUBE-SVC-… -m comment …`. */
  text: string;
  match: RuleMatch;
  target: RuleTarget;
  /** The service port this rule belongs to (`ns/svc:port`), for statistics. */
  servicePort?: string;
  /** For a KUBE-SEP DNAT rule: the endpoint `ip:port`. */
  endpoint?: string;
  /**
   * The nodes (indexes) whose kube-proxy writes this rule, when not every node's does: IPVS mode
   * writes the KUBE-LOOP-BACK rule only where that set has members (endpoints on the node).
   */
  nodes?: number[];
  /** A NetworkPolicy verdict this rule gives (Calico's allow marks and policy drops): the trace names it. */
  policy?: RulePolicyVerdict;
}

/** What a verdict rule says, for the trace: which pod, which direction, which policy and rule. */
export interface RulePolicyVerdict {
  verdict: "allow" | "deny";
  direction: "ingress" | "egress";
  /** The pod whose policies decide (`namespace/name`); absent in chains pods share (the hop's interface names it). */
  pod?: string;
  /** `namespace/name` of the NetworkPolicy whose rule allowed it; absent for a profile's allow or a drop. */
  policy?: string;
  /** Index of that rule in the policy's `ingress` / `egress` list. */
  rule?: number;
  /** Why, in words (for a drop: the policies isolating the pod, none of which allows it). */
  reason: string;
}

export interface NfChain {
  id: number;
  name: string;
  table: Table;
  builtin: boolean;
  rules: number[];
  /** The nodes (indexes) that have this chain, when not all do (Calico's per-endpoint and dispatch chains). */
  nodes?: number[];
}

/** A verdict a map element gives (nftables). */
export type MapVerdict = { kind: "goto"; chain: number } | { kind: "jump"; chain: number } | { kind: "drop" } | { kind: "accept" };

/** One element of an nftables set or map. */
export interface SetElement {
  /** `ip daddr` part of the key (0 when the key has no address). */
  addr: number;
  /** IP protocol and port of a `inet_proto . inet_service` key part (0 when none). */
  proto: number;
  port: number;
  /** Maps only. */
  verdict?: MapVerdict;
  comment?: string;
  /** hash:ip,port,ip: the second address (kube-proxy's KUBE-LOOP-BACK: the endpoint again). */
  addr2?: number;
  /** The node whose kube-proxy adds this member (KUBE-LOOP-BACK holds each node's own endpoints). */
  node?: number;
}

/** An nftables named set or verdict map (kube-proxy's `service-ips`, `cluster-ips`, …). */
export interface NfSet {
  id: number;
  name: string;
  kind: "set" | "map";
  /** What the key is made of, as `nft` declares it. */
  type: string;
  /** Whether the key starts with an IPv4 address. */
  keyHasAddr: boolean;
  /** Whether the key has `inet_proto . inet_service`. */
  keyHasPort: boolean;
  comment?: string;
  /** Extra declaration lines (`flags …`, `timeout …`), as `nft -f` takes them. */
  flags?: string;
  timeout?: number;
  /**
   * The simulator's own lookup, no set of the kernel's: `by-node` a map keyed by node index
   * (RuleMatch.nodeMap), `interfaces` a set of interface ids (an `-i cali8+` wildcard).
   */
  internal?: "by-node" | "interfaces";
  elements: SetElement[];
}

export interface Ruleset {
  /** Which kube-proxy backend wrote it: iptables chains, or one nftables table. */
  backend: "iptables" | "nftables";
  chains: NfChain[];
  rules: NfRule[];
  hooks: {
    natPrerouting: number; natOutput: number; natPostrouting: number; filterInput: number; filterForward: number; filterOutput: number;
    /** nftables' filter chains at priority -110, before the DNAT (LoadBalancer source ranges). */
    filterPreroutingPreDnat?: number;
    filterOutputPreDnat?: number;
  };
  /** xt_recent lists or nftables affinity sets (one per endpoint of a ClientIP-affinity service). */
  recentLists: string[];
  /** nftables sets and maps; none in iptables mode; kube-proxy's ipsets in IPVS mode. */
  sets: NfSet[];
  /** IPVS mode: the virtual servers every node's kernel holds (src/compile/ipvs.ts). */
  ipvs?: IpvsTable;
  /** With Cilium: its load balancer's service table, looked up at the socket or per packet (src/compile/cilium.ts). */
  cilium?: CiliumLbTable;
}

export const MASQ_MARK = 0x4000;

export const PROTO_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** base32(sha256(input))[:16]: the suffix of KUBE-SVC-/KUBE-SEP- chain names. */
export function chainHash(input: string): string {
  return base32Prefix(sha256Words(input), 16);
}

/** `ns/svc:port` as kube-proxy's ServicePortName prints it (no `:` for an unnamed port). */
export function servicePortName(svc: Pick<ClusterService, "namespace" | "name">, portName: string | undefined): string {
  return `${svc.namespace}/${svc.name}${portName ? `:${portName}` : ""}`;
}

export function serviceChainName(spn: string, protocol: Protocol): string {
  return `KUBE-SVC-${chainHash(spn + protocol.toLowerCase())}`;
}

export function endpointChainName(spn: string, protocol: Protocol, endpoint: string): string {
  return `KUBE-SEP-${chainHash(spn + protocol.toLowerCase() + endpoint)}`;
}

/**
 * The probability kube-proxy writes for endpoint i of n (`%0.10f` of 1/(n-i)), as the
 * kernel stores it: lround(p · 2^31). iptables-save prints that back as `%.11f`.
 */
export function statisticThreshold(i: number, n: number): number {
  const written = Number((1 / (n - i)).toFixed(10));
  return Math.round(written * 0x80000000);
}

export function formatProbability(threshold: number): string {
  return (threshold / 0x80000000).toFixed(11);
}

const host = (ip: string): AddrMatch => ({ addr: parseIPv4(ip, "ip"), mask: 0xffffffff, invert: false });

/** `extend` adds rules of others (a CNI's policy chains) before the ruleset is numbered. */
export function compileIptables(model: ClusterModel, extend?: (b: RulesetBuilder) => void): Ruleset {
  const b = new RulesetBuilder(iptablesRuleText);
  const cluster = parseCidr(model.settings.clusterCIDR, "clusterCIDR");
  const clusterText = model.settings.clusterCIDR;
  // iptables-save quotes every comment that is not a bare word; all of kube-proxy's contain "/" or spaces.
  const comment = (c: string) => `-m comment --comment "${c}"`;

  // Built-in chains and kube-proxy's fixed chains, created in the order iptables-save lists them.
  const natPrerouting = b.chain("nat", "PREROUTING", true);
  b.chain("nat", "INPUT", true);
  const natOutput = b.chain("nat", "OUTPUT", true);
  const natPostrouting = b.chain("nat", "POSTROUTING", true);
  b.chain("nat", "KUBE-KUBELET-CANARY");
  b.chain("nat", "KUBE-PROXY-CANARY");
  const markMasq = b.chain("nat", "KUBE-MARK-MASQ");
  const nodePorts = b.chain("nat", "KUBE-NODEPORTS");
  const kubePostrouting = b.chain("nat", "KUBE-POSTROUTING");
  const natServices = b.chain("nat", "KUBE-SERVICES");

  const filterInput = b.chain("filter", "INPUT", true);
  const filterForward = b.chain("filter", "FORWARD", true);
  const filterOutput = b.chain("filter", "OUTPUT", true);
  const externalServices = b.chain("filter", "KUBE-EXTERNAL-SERVICES");
  const kubeFirewall = b.chain("filter", "KUBE-FIREWALL"); // kubelet's
  b.chain("filter", "KUBE-KUBELET-CANARY");
  b.chain("filter", "KUBE-PROXY-CANARY");
  const kubeForward = b.chain("filter", "KUBE-FORWARD");
  const filterNodePorts = b.chain("filter", "KUBE-NODEPORTS");
  const proxyFirewall = b.chain("filter", "KUBE-PROXY-FIREWALL");
  const filterServices = b.chain("filter", "KUBE-SERVICES");

  // Jumps from the built-in chains.
  b.rule(natPrerouting, `${comment("kubernetes service portals")} -j KUBE-SERVICES`, {}, { kind: "jump", chain: natServices });
  b.rule(natOutput, `${comment("kubernetes service portals")} -j KUBE-SERVICES`, {}, { kind: "jump", chain: natServices });
  b.rule(natPostrouting, `${comment("kubernetes postrouting rules")} -j KUBE-POSTROUTING`, {}, { kind: "jump", chain: kubePostrouting });
  b.rule(markMasq, `-j MARK --set-xmark 0x4000/0x4000`, {}, { kind: "mark-set", value: MASQ_MARK, mask: MASQ_MARK });
  b.rule(kubePostrouting, `-m mark ! --mark 0x4000/0x4000 -j RETURN`, { mark: { value: MASQ_MARK, mask: MASQ_MARK, invert: true } }, { kind: "return" });
  b.rule(kubePostrouting, `-j MARK --set-xmark 0x4000/0x0`, {}, { kind: "mark-set", value: MASQ_MARK, mask: 0 });
  b.rule(kubePostrouting, `${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`, {}, { kind: "masquerade" });

  const newOnly: RuleMatch = { ctstate: "NEW" };
  b.rule(filterInput, `-m conntrack --ctstate NEW ${comment("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL`, newOnly, { kind: "jump", chain: proxyFirewall });
  b.rule(filterInput, `${comment("kubernetes health check service ports")} -j KUBE-NODEPORTS`, {}, { kind: "jump", chain: filterNodePorts });
  b.rule(filterInput, `-m conntrack --ctstate NEW ${comment("kubernetes externally-visible service portals")} -j KUBE-EXTERNAL-SERVICES`, newOnly, { kind: "jump", chain: externalServices });
  b.rule(filterInput, `-j KUBE-FIREWALL`, {}, { kind: "jump", chain: kubeFirewall });
  b.rule(filterForward, `-m conntrack --ctstate NEW ${comment("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL`, newOnly, { kind: "jump", chain: proxyFirewall });
  b.rule(filterForward, `${comment("kubernetes forwarding rules")} -j KUBE-FORWARD`, {}, { kind: "jump", chain: kubeForward });
  b.rule(filterForward, `-m conntrack --ctstate NEW ${comment("kubernetes service portals")} -j KUBE-SERVICES`, newOnly, { kind: "jump", chain: filterServices });
  b.rule(filterForward, `-m conntrack --ctstate NEW ${comment("kubernetes externally-visible service portals")} -j KUBE-EXTERNAL-SERVICES`, newOnly, { kind: "jump", chain: externalServices });
  b.rule(filterOutput, `-m conntrack --ctstate NEW ${comment("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL`, newOnly, { kind: "jump", chain: proxyFirewall });
  b.rule(filterOutput, `-m conntrack --ctstate NEW ${comment("kubernetes service portals")} -j KUBE-SERVICES`, newOnly, { kind: "jump", chain: filterServices });
  b.rule(filterOutput, `-j KUBE-FIREWALL`, {}, { kind: "jump", chain: kubeFirewall });
  // Loopback addresses never reach the simulated dataplane, so the conntrack exception is moot.
  b.rule(kubeFirewall, `! -s 127.0.0.0/8 -d 127.0.0.0/8 ${comment("block incoming localnet connections")} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`, { src: { addr: 0x7f000000, mask: 0xff000000, invert: true }, dst: { addr: 0x7f000000, mask: 0xff000000, invert: false } }, { kind: "drop" });
  b.rule(kubeForward, `-m conntrack --ctstate INVALID -j DROP`, { ctstate: "INVALID" }, { kind: "drop" });
  b.rule(kubeForward, `${comment("kubernetes forwarding rules")} -m mark --mark 0x4000/0x4000 -j ACCEPT`, { mark: { value: MASQ_MARK, mask: MASQ_MARK, invert: false } }, { kind: "accept" });
  b.rule(kubeForward, `${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, { ctstate: "ESTABLISHED" }, { kind: "accept" });

  // Services, in a stable order (kube-proxy's own order follows Go map iteration).
  const ports = model.services
    .filter((s) => s.type !== "ExternalName" && s.clusterIP && s.clusterIP !== "None")
    .flatMap((svc) => svc.ports.map((port) => ({ svc, port, spn: servicePortName(svc, port.name) })))
    .sort((a, b) => (a.spn < b.spn ? -1 : a.spn > b.spn ? 1 : a.port.protocol.localeCompare(b.port.protocol)));

  for (const { svc, port, spn } of ports) {
    const proto = port.protocol.toLowerCase();
    const protoNumber = PROTO_NUMBER[port.protocol];
    const clusterIP = svc.clusterIP!;
    const endpoints = endpointsFor(svc, port.name, port.protocol, model);
    const dstMatch = `-d ${clusterIP}/32 -p ${proto}`;
    const svcMatch: RuleMatch = { dst: host(clusterIP), proto: protoNumber, dport: port.port };
    if (endpoints.length === 0) {
      b.rule(filterServices, `${dstMatch} ${comment(`${spn} has no endpoints`)} -m ${proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`, svcMatch, { kind: "reject" }, { servicePort: spn });
      continue;
    }
    const svcChain = b.chain("nat", serviceChainName(spn, port.protocol));
    b.rule(natServices, `${dstMatch} ${comment(`${spn} cluster IP`)} -m ${proto} --dport ${port.port} -j ${b.chains[svcChain]!.name}`, svcMatch, { kind: "jump", chain: svcChain }, { servicePort: spn });
    // Traffic to the ClusterIP from outside the pod network is masqueraded.
    b.rule(
      svcChain,
      `! -s ${clusterText} ${dstMatch} ${comment(`${spn} cluster IP`)} -m ${proto} --dport ${port.port} -j KUBE-MARK-MASQ`,
      { ...svcMatch, src: { addr: cluster.address, mask: maskOf(cluster.prefixLength), invert: true } },
      { kind: "jump", chain: markMasq },
      { servicePort: spn },
    );
    const sepChains = endpoints.map((e) => b.chain("nat", endpointChainName(spn, port.protocol, `${e.ip}:${e.port}`)));
    const affinity = svc.sessionAffinity === "ClientIP" ? svc.sessionAffinityTimeout ?? 10800 : 0;
    if (affinity) {
      // ClientIP affinity: a client seen recently goes back to the same endpoint.
      endpoints.forEach((e, i) => {
        const name = b.chains[sepChains[i]!]!.name;
        b.rule(svcChain, `${comment(`${spn} -> ${e.ip}:${e.port}`)} -m recent --rcheck --seconds ${affinity} --reap --name ${name} --mask 255.255.255.255 --rsource -j ${name}`, { recentCheck: { list: b.recent(name), seconds: affinity } }, { kind: "jump", chain: sepChains[i]! }, { servicePort: spn });
      });
    }
    endpoints.forEach((e, i) => {
      const name = b.chains[sepChains[i]!]!.name;
      const last = i === endpoints.length - 1;
      // Endpoint i of n matches with probability 1/(n-i), the last always: uniform overall.
      const threshold = last ? undefined : statisticThreshold(i, endpoints.length);
      const stat = threshold === undefined ? "" : ` -m statistic --mode random --probability ${formatProbability(threshold)}`;
      b.rule(svcChain, `${comment(`${spn} -> ${e.ip}:${e.port}`)}${stat} -j ${name}`, threshold === undefined ? {} : { probability: threshold }, { kind: "jump", chain: sepChains[i]! }, { servicePort: spn });
    });
    endpoints.forEach((e, i) => {
      const sep = sepChains[i]!;
      const name = b.chains[sep]!.name;
      // Hairpin: a pod reaching itself through the service must be masqueraded.
      b.rule(sep, `-s ${e.ip}/32 ${comment(spn)} -j KUBE-MARK-MASQ`, { src: host(e.ip) }, { kind: "jump", chain: markMasq }, { servicePort: spn });
      const recent = affinity ? ` -m recent --set --name ${name} --mask 255.255.255.255 --rsource` : "";
      b.rule(
        sep,
        `-p ${proto} ${comment(spn)}${recent} -m ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`,
        { proto: protoNumber, ...(affinity ? { recentSet: { list: b.recent(name) } } : {}) },
        { kind: "dnat", addr: parseIPv4(e.ip, "ip"), port: e.port },
        { servicePort: spn, endpoint: `${e.ip}:${e.port}` },
      );
    });
  }
  b.rule(natServices, `${comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`, { dstLocal: true }, { kind: "jump", chain: nodePorts });
  extend?.(b);

  return {
    backend: "iptables",
    ...b.numbered(),
    hooks: { natPrerouting, natOutput, natPostrouting, filterInput, filterForward, filterOutput },
    recentLists: b.recentLists,
    sets: b.sets, // none of kube-proxy's in this mode; a CNI's ipsets (Calico's) when extended
  };
}

