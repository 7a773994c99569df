// kube-proxy's nftables mode, compiled as its syncProxyRules writes the `ip kube-proxy` table
// (pkg/proxy/nftables/proxier.go, Kubernetes ≥ 1.31): the fixed chains, sets and maps, then
// per service port a `service-…` chain choosing an endpoint with `numgen random`, an
// `endpoint-…` chain per endpoint doing the DNAT, and the map elements that lead there. One
// verdict-map lookup replaces iptables' linear walk over every service.
//
// Each rule keeps the text `nft list ruleset` prints for it and a structured form the
// dataplane walks (the same walker as iptables, with maps, sets, goto and numgen added).

import { endpointsFor } from "./endpoints.js";
import { formatCidr, maskOf, parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel } from "../model/types.js";
import { base32Prefix, sha256Words } from "../util/sha256.js";
import {
  MASQ_MARK, PROTO_NUMBER, servicePortName,
  type MapVerdict, type RuleMatch, type RuleTarget, type Ruleset, type Table,
} from "./iptables.js";
import { RulesetBuilder } from "./ruleset-builder.js";

/** The table kube-proxy owns; nothing else writes to it. */
export const NFT_TABLE = "kube-proxy";

/** kube-proxy's hashAndTruncate: base32(sha256(name))[:8] + "-" + name (names here stay short of the 256-byte limit). */
export function nftHash(name: string): string {
  return base32Prefix(sha256Words(name), 8);
}

/** `ns/svc/proto/port` (port name, empty when unnamed): the base of a service port's chain names. */
export function servicePortChainBase(namespace: string, service: string, protocol: string, portName: string | undefined): string {
  return `${namespace}/${service}/${protocol.toLowerCase()}/${portName ?? ""}`;
}

export function nftServiceChain(base: string): string {
  return `service-${nftHash(base)}-${base}`;
}

/** The endpoint's `ip:port` becomes `ip/port` (":" is not allowed in a chain name). */
export function nftEndpointChain(base: string, ip: string, port: number): string {
  const name = `${base}__${ip}/${port}`;
  return `endpoint-${nftHash(name)}-${name}`;
}

/** How `nft list ruleset` prints a base chain's priority (named where nft has a name for it). */
function priorityText(hook: string, type: string, priority: number): string {
  if (type === "nat" && hook === "prerouting" && priority === -100) return "dstnat";
  if (type === "nat" && hook === "postrouting" && priority === 100) return "srcnat";
  if (type === "filter" && hook === "prerouting" && priority === -110) return "dstnat - 10";
  if (type === "filter" && priority === 0) return "filter";
  return String(priority);
}

export interface NftChainDecl {
  /** `type filter hook forward priority 0` for base chains. */
  base?: { type: "filter" | "nat"; hook: string; priority: number };
  comment?: string;
}

/** What the compiler adds to a chain beyond the common Ruleset fields: its nft declaration. */
export type NftRuleset = Ruleset & { backend: "nftables"; decls: NftChainDecl[] };

/** The nftables compiler's builder: chains also carry their nft declaration (hook, priority, comment). */
class Builder extends RulesetBuilder {
  decls: NftChainDecl[] = [];

  nftChain(name: string, table: Table, decl: NftChainDecl = {}): number {
    const before = this.chains.length;
    const id = this.chain(table, name, decl.base !== undefined);
    if (id === before) this.decls.push(decl);
    return id;
  }
}

const host = (ip: string) => ({ addr: parseIPv4(ip, "ip"), mask: 0xffffffff, invert: false });
const MAP_KEY = "ipv4_addr . inet_proto . inet_service : verdict";
const PORT_MAP_KEY = "inet_proto . inet_service : verdict";

export function compileNftables(model: ClusterModel): NftRuleset {
  const b = new Builder();
  const cluster = parseCidr(model.settings.clusterCIDR, "clusterCIDR");
  const serviceCIDR = parseCidr(model.settings.serviceCIDR, "serviceCIDR");

  // Sets and maps, in the order kube-proxy declares them.
  const clusterIPs = b.set({ name: "cluster-ips", kind: "set", type: "ipv4_addr", keyHasAddr: true, keyHasPort: false, comment: "Active ClusterIPs" });
  const nodePortIPs = b.set({ name: "nodeport-ips", kind: "set", type: "ipv4_addr", keyHasAddr: true, keyHasPort: false, comment: "IPs that accept NodePort traffic" });
  const firewallIPs = b.set({ name: "firewall-ips", kind: "map", type: MAP_KEY, keyHasAddr: true, keyHasPort: true, comment: "destinations that are subject to LoadBalancerSourceRanges" });
  const noEndpointNodePorts = b.set({ name: "no-endpoint-nodeports", kind: "map", type: PORT_MAP_KEY, keyHasAddr: false, keyHasPort: true, comment: "vmap to drop or reject packets to service nodeports with no endpoints" });
  const noEndpointServices = b.set({ name: "no-endpoint-services", kind: "map", type: MAP_KEY, keyHasAddr: true, keyHasPort: true, comment: "vmap to drop or reject packets to services with no endpoints" });
  const serviceIPs = b.set({ name: "service-ips", kind: "map", type: MAP_KEY, keyHasAddr: true, keyHasPort: true, comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic" });
  const serviceNodePorts = b.set({ name: "service-nodeports", kind: "map", type: PORT_MAP_KEY, keyHasAddr: false, keyHasPort: true, comment: "NodePort traffic" });
  // NodePorts are accepted on the nodes' own addresses.
  for (const n of model.nodes) b.element(nodePortIPs, { addr: parseIPv4(n.internalIP, "internalIP"), proto: 0, port: 0 });

  // The fixed chains.
  const clusterIPsCheck = b.nftChain("cluster-ips-check", "filter");
  const filterPreroutingPreDnat = b.nftChain("filter-prerouting-pre-dnat", "filter", { base: { type: "filter", hook: "prerouting", priority: -110 } });
  const filterOutputPreDnat = b.nftChain("filter-output-pre-dnat", "filter", { base: { type: "filter", hook: "output", priority: -110 } });
  const filterForward = b.nftChain("filter-forward", "filter", { base: { type: "filter", hook: "forward", priority: 0 } });
  const filterInput = b.nftChain("filter-input", "filter", { base: { type: "filter", hook: "input", priority: 0 } });
  const filterOutput = b.nftChain("filter-output", "filter", { base: { type: "filter", hook: "output", priority: 0 } });
  const firewallCheck = b.nftChain("firewall-check", "filter");
  const markForMasquerade = b.nftChain("mark-for-masquerade", "nat");
  const masquerading = b.nftChain("masquerading", "nat");
  const natOutput = b.nftChain("nat-output", "nat", { base: { type: "nat", hook: "output", priority: -100 } });
  const natPostrouting = b.nftChain("nat-postrouting", "nat", { base: { type: "nat", hook: "postrouting", priority: 100 } });
  const natPrerouting = b.nftChain("nat-prerouting", "nat", { base: { type: "nat", hook: "prerouting", priority: -100 } });
  const nodePortEndpointsCheck = b.nftChain("nodeport-endpoints-check", "filter");
  const rejectChain = b.nftChain("reject-chain", "filter", { comment: "helper for @no-endpoint-services / @no-endpoint-nodeports" });
  const services = b.nftChain("services", "nat");
  const serviceEndpointsCheck = b.nftChain("service-endpoints-check", "filter");

  const isNew: RuleMatch = { ctstate: "NEW" };
  const jump = (chain: number): RuleTarget => ({ kind: "jump", chain });
  const none: RuleTarget = { kind: "none" };
  b.rule(clusterIPsCheck, `ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`, { daddrIn: clusterIPs }, { kind: "reject" });
  b.rule(clusterIPsCheck, `ip daddr ${formatCidr(serviceCIDR)} drop comment "Drop traffic to unallocated ClusterIPs"`, { dst: { addr: serviceCIDR.address, mask: maskOf(serviceCIDR.prefixLength), invert: false } }, { kind: "drop" });
  b.rule(filterPreroutingPreDnat, "ct state new jump firewall-check", isNew, jump(firewallCheck));
  b.rule(filterForward, "ct state new jump service-endpoints-check", isNew, jump(serviceEndpointsCheck));
  b.rule(filterForward, "ct state new jump cluster-ips-check", isNew, jump(clusterIPsCheck));
  b.rule(filterInput, "ct state new jump nodeport-endpoints-check", isNew, jump(nodePortEndpointsCheck));
  b.rule(filterInput, "ct state new jump service-endpoints-check", isNew, jump(serviceEndpointsCheck));
  b.rule(filterOutput, "ct state new jump service-endpoints-check", isNew, jump(serviceEndpointsCheck));
  b.rule(filterOutput, "ct state new jump cluster-ips-check", isNew, jump(clusterIPsCheck));
  b.rule(filterOutputPreDnat, "ct state new jump firewall-check", isNew, jump(firewallCheck));
  b.rule(firewallCheck, "ip daddr . meta l4proto . th dport vmap @firewall-ips", { vmap: firewallIPs }, none);
  b.rule(markForMasquerade, `meta mark set meta mark | ${hex(MASQ_MARK)}`, {}, { kind: "mark-set", value: MASQ_MARK, mask: MASQ_MARK });
  b.rule(masquerading, `meta mark & ${hex(MASQ_MARK)} == ${hex(0)} return`, { mark: { value: 0, mask: MASQ_MARK, invert: false } }, { kind: "return" });
  b.rule(masquerading, `meta mark set meta mark ^ ${hex(MASQ_MARK)}`, {}, { kind: "mark-set", value: MASQ_MARK, mask: 0 });
  b.rule(masquerading, "masquerade fully-random", {}, { kind: "masquerade" });
  b.rule(natOutput, "jump services", {}, jump(services));
  b.rule(natPostrouting, "jump masquerading", {}, jump(masquerading));
  b.rule(natPrerouting, "jump services", {}, jump(services));
  b.rule(nodePortEndpointsCheck, "ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports", { daddrIn: nodePortIPs, vmap: noEndpointNodePorts }, none);
  b.rule(rejectChain, "reject", {}, { kind: "reject" });
  b.rule(services, "ip daddr . meta l4proto . th dport vmap @service-ips", { vmap: serviceIPs }, none);
  b.rule(services, "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports", { daddrIn: nodePortIPs, vmap: serviceNodePorts }, none);
  b.rule(serviceEndpointsCheck, "ip daddr . meta l4proto . th dport vmap @no-endpoint-services", { vmap: noEndpointServices }, none);

  // Service ports, in the same stable order as the iptables compiler.
  const ports = model.services
    .filter((s) => s.type !== "ExternalName" && s.clusterIP && s.clusterIP !== "None")
    .flatMap((svc) => svc.ports.map((port) => ({ svc, port, spn: servicePortName(svc, port.name) })))
    .sort((a, b) => (a.spn < b.spn ? -1 : a.spn > b.spn ? 1 : a.port.protocol.localeCompare(b.port.protocol)));
  const clusterText = formatCidr(cluster);
  // The addresses in @cluster-ips so far (each once, however many ports its service has).
  const inClusterIPs = new Set<number>();
  for (const { svc, port, spn } of ports) {
    const proto = port.protocol.toLowerCase();
    const protoNumber = PROTO_NUMBER[port.protocol];
    const clusterIP = svc.clusterIP!;
    const ip = parseIPv4(clusterIP, "clusterIP");
    const key = { addr: ip, proto: protoNumber, port: port.port };
    if (!inClusterIPs.has(ip)) {
      inClusterIPs.add(ip);
      b.element(clusterIPs, { addr: ip, proto: 0, port: 0 });
    }
    const endpoints = endpointsFor(svc, port.name, port.protocol, model);
    if (endpoints.length === 0) {
      b.element(noEndpointServices, { ...key, comment: spn, verdict: { kind: "goto", chain: rejectChain } });
      continue;
    }
    const base = servicePortChainBase(svc.namespace, svc.name, port.protocol, port.name);
    const svcChain = b.nftChain(nftServiceChain(base), "nat");
    // Endpoint chains are created together, so they are consecutive (numgen picks by offset).
    const epChains = endpoints.map((e) => b.nftChain(nftEndpointChain(base, e.ip, e.port), "nat"));
    const affinity = svc.sessionAffinity === "ClientIP" ? svc.sessionAffinityTimeout ?? 10800 : 0;
    const affinitySets = affinity ? endpoints.map((e) => {
      const name = `affinity-${b.chains[epChains[endpoints.indexOf(e)]!]!.name.slice("endpoint-".length)}`;
      b.set({ name, kind: "set", type: "ipv4_addr", keyHasAddr: true, keyHasPort: false, flags: "dynamic,timeout", timeout: affinity });
      b.recentLists.push(name);
      return b.recentLists.length - 1;
    }) : [];
    b.element(serviceIPs, { ...key, verdict: { kind: "goto", chain: svcChain } });
    // Traffic to the ClusterIP from outside the pod network is masqueraded.
    b.rule(svcChain, `ip daddr ${clusterIP} ip saddr != ${clusterText} jump mark-for-masquerade`, { dst: host(clusterIP), src: { addr: cluster.address, mask: maskOf(cluster.prefixLength), invert: true } }, jump(markForMasquerade), { servicePort: spn });
    endpoints.forEach((_, i) => {
      // ClientIP affinity: a client in an endpoint's set goes back to it.
      if (affinity) b.rule(svcChain, `ip saddr @${b.recentLists[affinitySets[i]!]} goto ${b.chains[epChains[i]!]!.name}`, { recentCheck: { list: affinitySets[i]!, seconds: affinity } }, { kind: "goto", chain: epChains[i]! }, { servicePort: spn });
    });
    const choices = epChains.map((c, i) => `${i} : goto ${b.chains[c]!.name}`).join(", ");
    b.rule(svcChain, `numgen random mod ${endpoints.length} vmap { ${choices} }`, {}, { kind: "numgen", first: epChains[0]!, count: endpoints.length }, { servicePort: spn });
    endpoints.forEach((e, i) => {
      const ep = epChains[i]!;
      // Hairpin: a pod reaching itself through the service must be masqueraded.
      b.rule(ep, `ip saddr ${e.ip} jump mark-for-masquerade`, { src: host(e.ip) }, jump(markForMasquerade), { servicePort: spn });
      if (affinity) b.rule(ep, `update @${b.recentLists[affinitySets[i]!]} { ip saddr }`, { recentSet: { list: affinitySets[i]! } }, none, { servicePort: spn });
      b.rule(ep, `meta l4proto ${proto} dnat to ${e.ip}:${e.port}`, { proto: protoNumber }, { kind: "dnat", addr: parseIPv4(e.ip, "ip"), port: e.port }, { servicePort: spn, endpoint: `${e.ip}:${e.port}` });
    });
  }

  return {
    backend: "nftables",
    ...b.numbered(),
    decls: b.decls,
    hooks: { natPrerouting, natOutput, natPostrouting, filterInput, filterForward, filterOutput, filterPreroutingPreDnat, filterOutputPreDnat },
    recentLists: b.recentLists,
    sets: b.sets,
  };
}

/** nft prints marks as 32-bit hex. */
function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}

export function mapVerdictText(v: MapVerdict, rs: Ruleset): string {
  return v.kind === "goto" ? `goto ${rs.chains[v.chain]!.name}` : v.kind;
}

export { priorityText };
