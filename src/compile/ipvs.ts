// kube-proxy's IPVS mode, compiled as its syncProxyRules leaves a node (pkg/proxy/ipvs/proxier.go,
// Kubernetes ≥ 1.29): per Service port a virtual server ClusterIP:port with the scheduler given by
// --ipvs-scheduler and a Masq real server of weight 1 per endpoint; every ClusterIP bound to the
// dummy device kube-ipvs0 (so the packet is for the node, and IPVS translates it at LOCAL_IN);
// and the few iptables rules and ipsets IPVS mode still needs (masquerade marks, hairpin, the
// KUBE-IPVS-FILTER that rejects other ports of a ClusterIP), the same however many Services.
//
// The iptables rules keep the text `iptables-save` prints and a structured form the one
// netfilter walker runs (with `-m set` matches added); the virtual servers are a table of their
// own that the dataplane's IPVS step looks up (assembly/ipvs.ts, src/reference/ipvs.ts).

import { endpointsFor, slicesOf } from "./endpoints.js";
import { maskOf, parseCidr, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, IpvsScheduler, Protocol } from "../model/types.js";
import {
  MASQ_MARK, PROTO_NUMBER, servicePortName,
  type IpsetDims, type RuleMatch, type RuleTarget, type Ruleset,
} from "./iptables.js";
import { iptablesRuleText, RulesetBuilder } from "./ruleset-builder.js";

/** The dummy device kube-proxy binds every ClusterIP to (defaultDummyDevice). */
export const IPVS_DEVICE = "kube-ipvs0";

/** Scheduler numbers the dataplane switches on, in the order of IPVS_SCHEDULERS. */
export const IPVS_SCHEDULER_CODE: Record<IpvsScheduler, number> = { rr: 0, wrr: 1, lc: 2, wlc: 3, lblc: 4, lblcr: 5, sh: 6, dh: 7, sed: 8, nq: 9, mh: 10 };

/** include/uapi/linux/ip_vs.h: IP_VS_SVC_F_PERSISTENT, and IP_VS_SVC_F_SCHED2 (= IP_VS_SVC_F_SCHED_MH_PORT). */
export const IP_VS_SVC_F_PERSISTENT = 0x1;
export const IP_VS_SVC_F_SCHED2 = 0x10;

/** ip_vs_mh.c: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] with the default index 12. */
export const IP_VS_MH_TAB_SIZE = 4093;

export interface IpvsRealServer {
  addr: number;
  port: number;
  /** kube-proxy gives every real server weight 1 (syncEndpoint: `Weight: 1`). */
  weight: number;
  /** The node (index) whose pod this endpoint is, when it is one of the cluster's. */
  node?: number;
}

export interface IpvsVirtualServer {
  id: number;
  addr: number;
  port: number;
  protocol: Protocol;
  scheduler: IpvsScheduler;
  /** IP_VS_SVC_F_* as kube-proxy sets them: PERSISTENT for ClientIP affinity, SCHED2 (source port hashing) for mh. */
  flags: number;
  /** The persistence timeout in seconds (sessionAffinityConfig.clientIP.timeoutSeconds), 0 without affinity. */
  timeout: number;
  /** `ns/svc:port`, the Service port it stands for. */
  servicePort: string;
  /**
   * Real servers in the order the kernel's list holds them: __ip_vs_update_dest adds each new
   * one at the head (list_add_rcu), so the list is the reverse of the order kube-proxy added them.
   */
  dests: IpvsRealServer[];
  /** Global index of dests[0]: the real servers of all virtual servers are numbered in one row. */
  firstDest: number;
  /**
   * wrr's state after the destinations were added one by one (ip_vs_wrr_dest_changed): mw the
   * maximum weight less (di - 1), di the weights' gcd, cw the current weight it starts from.
   */
  wrr: { mw: number; di: number; cw: number };
}

export interface IpvsTable {
  virtualServers: IpvsVirtualServer[];
  realServerCount: number;
  /** The addresses on kube-ipvs0 (every node's): the ClusterIPs, in the order kube-proxy binds them. */
  bound: number[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * ip_vs_wrr_init_svc, then ip_vs_wrr_dest_changed once per destination as kube-proxy adds them
 * (`added` in that order): the weights' gcd di, mw = max - (di - 1), and cw as the last change left it.
 */
export function wrrState(added: number[]): { mw: number; di: number; cw: number } {
  let mw = 0;
  let di = 1;
  let cw = 0;
  for (let k = 1; k <= added.length; k++) {
    const weights = added.slice(0, k);
    di = weights.filter((w) => w > 0).reduce((g, w) => (g > 0 ? gcd(w, g) : w), 0) || 1;
    mw = Math.max(0, ...weights) - (di - 1);
    if (cw > mw || !cw) cw = mw;
    else if (di > 1) cw = Math.floor(cw / di) * di + 1;
  }
  return { mw, di, cw };
}

/** The IPVS compiler's builder: iptables rules plus kube-proxy's ipsets. */
class Builder extends RulesetBuilder {
  constructor() {
    super(iptablesRuleText);
  }

  /** An ipset as kube-proxy creates it (pkg/proxy/ipvs/ipset: `ipset create NAME TYPE family inet hashsize 1024 maxelem 65536`). */
  ipset(name: string, type: "hash:ip,port" | "hash:ip,port,ip" | "hash:ip" | "bitmap:port" | "hash:ip,port,net"): number {
    return this.set({ name, kind: "set", type, keyHasAddr: type !== "bitmap:port", keyHasPort: type !== "hash:ip" });
  }
}

// iptables-save quotes every comment that is not a bare word.
const comment = (c: string) => `-m comment --comment "${c}"`;
const jump = (chain: number): RuleTarget => ({ kind: "jump", chain });

/** `extend` adds rules of others (a CNI's policy chains) before the ruleset is numbered. */
export function compileIpvs(model: ClusterModel, extend?: (b: RulesetBuilder) => void): Ruleset {
  const b = new Builder();
  const cluster = parseCidr(model.settings.clusterCIDR, "clusterCIDR");
  const scheduler = model.settings.kubeProxy.ipvsScheduler;
  const nodeIndex = new Map(model.nodes.map((n, i) => [n.name, i]));

  // Built-in chains, then kube-proxy's (iptablesChains) and the kubelet's, as in iptables mode.
  const natPrerouting = b.chain("nat", "PREROUTING", true);
  b.chain("nat", "INPUT", true);
  const natOutput = b.chain("nat", "OUTPUT", true);
  const natPostrouting = b.chain("nat", "POSTROUTING", true);
  b.chain("nat", "KUBE-KUBELET-CANARY");
  const natServices = b.chain("nat", "KUBE-SERVICES");
  const kubePostrouting = b.chain("nat", "KUBE-POSTROUTING");
  const natNodePort = b.chain("nat", "KUBE-NODE-PORT");
  const loadBalancer = b.chain("nat", "KUBE-LOAD-BALANCER");
  const markMasq = b.chain("nat", "KUBE-MARK-MASQ");

  const filterInput = b.chain("filter", "INPUT", true);
  const filterForward = b.chain("filter", "FORWARD", true);
  const filterOutput = b.chain("filter", "OUTPUT", true);
  const kubeFirewall = b.chain("filter", "KUBE-FIREWALL"); // kubelet's
  b.chain("filter", "KUBE-KUBELET-CANARY");
  const kubeForward = b.chain("filter", "KUBE-FORWARD");
  const filterNodePort = b.chain("filter", "KUBE-NODE-PORT");
  const proxyFirewall = b.chain("filter", "KUBE-PROXY-FIREWALL");
  const sourceRanges = b.chain("filter", "KUBE-SOURCE-RANGES-FIREWALL");
  const ipvsFilter = b.chain("filter", "KUBE-IPVS-FILTER");
  const ipvsOutFilter = b.chain("filter", "KUBE-IPVS-OUT-FILTER");

  // The ipsets the rules below name (ipsetInfo); the ones for NodePorts, external IPs and load
  // balancers stay empty, as nothing here has them.
  const loopBack = b.ipset("KUBE-LOOP-BACK", "hash:ip,port,ip");
  const clusterIPSet = b.ipset("KUBE-CLUSTER-IP", "hash:ip,port");
  const externalIPSet = b.ipset("KUBE-EXTERNAL-IP", "hash:ip,port");
  const externalIPLocalSet = b.ipset("KUBE-EXTERNAL-IP-LOCAL", "hash:ip,port");
  const loadBalancerSet = b.ipset("KUBE-LOAD-BALANCER", "hash:ip,port");
  const healthCheckSet = b.ipset("KUBE-HEALTH-CHECK-NODE-PORT", "bitmap:port");
  const ipvsIPs = b.ipset("KUBE-IPVS-IPS", "hash:ip");
  const set = (s: number, dims: IpsetDims): RuleMatch => ({ ipset: { set: s, dims } });
  const setText = (s: number, dims: IpsetDims) => `-m set --match-set ${b.sets[s]!.name} ${dims === "dst-port" ? "dst" : dims}`;

  // Virtual servers and set members, Service port by Service port in a stable order (kube-proxy's
  // follows Go map iteration).
  const ports = model.services
    .filter((s) => s.type !== "ExternalName" && s.clusterIP && s.clusterIP !== "None")
    .flatMap((svc) => svc.ports.map((port) => ({ svc, port, spn: servicePortName(svc, port.name) })))
    .sort((x, y) => (x.spn < y.spn ? -1 : x.spn > y.spn ? 1 : x.port.protocol.localeCompare(y.port.protocol)));
  const virtualServers: IpvsVirtualServer[] = [];
  const bound: number[] = [];
  const loopBackNodes = new Set<number>();
  const loopBackKeys = new Set<string>();
  let realServerCount = 0;
  for (const { svc, port, spn } of ports) {
    const vip = parseIPv4(svc.clusterIP!, "clusterIP");
    const proto = PROTO_NUMBER[port.protocol];
    const endpoints = endpointsFor(svc, port.name, port.protocol, model);
    // Which node each endpoint is on: EndpointSlice's nodeName (kube-proxy's IsLocal).
    const nodeOf = new Map<string, number>();
    for (const slice of slicesOf(model, svc)) {
      for (const e of slice.endpoints) for (const ip of e.addresses) if (e.nodeName !== undefined && nodeIndex.has(e.nodeName)) nodeOf.set(ip, nodeIndex.get(e.nodeName)!);
    }
    // Hairpin: each node's own endpoints, `ip,proto:port,ip` (the endpoint's address twice).
    for (const e of endpoints) {
      const node = nodeOf.get(e.ip);
      const key = `${e.ip},${port.protocol}:${e.port}`;
      if (node === undefined || loopBackKeys.has(key)) continue;
      loopBackKeys.add(key);
      const ip = parseIPv4(e.ip, "ip");
      b.element(loopBack, { addr: ip, proto, port: e.port, addr2: ip, node });
      loopBackNodes.add(node);
    }
    b.element(clusterIPSet, { addr: vip, proto, port: port.port });
    const affinity = svc.sessionAffinity === "ClientIP" ? svc.sessionAffinityTimeout ?? 10800 : 0;
    // kube-proxy adds the endpoints in its order; the kernel puts each new one at the head.
    const added: IpvsRealServer[] = endpoints.map((e) => ({ addr: parseIPv4(e.ip, "ip"), port: e.port, weight: 1, ...(nodeOf.has(e.ip) ? { node: nodeOf.get(e.ip)! } : {}) }));
    virtualServers.push({
      id: virtualServers.length,
      addr: vip,
      port: port.port,
      protocol: port.protocol,
      scheduler,
      flags: (affinity ? IP_VS_SVC_F_PERSISTENT : 0) | (scheduler === "mh" ? IP_VS_SVC_F_SCHED2 : 0),
      timeout: affinity,
      servicePort: spn,
      dests: [...added].reverse(),
      firstDest: realServerCount,
      wrr: wrrState(added.map((d) => d.weight)),
    });
    realServerCount += added.length;
    if (!bound.includes(vip)) bound.push(vip);
  }
  for (const ip of bound) b.element(ipvsIPs, { addr: ip, proto: 0, port: 0 });

  // Jumps from the built-in chains (iptablesJumpChain). kube-proxy prepends each, so a chain
  // lists them in the reverse of that order; the kubelet's KUBE-FIREWALL jumps, prepended
  // before kube-proxy started, come last.
  b.rule(natPrerouting, `${comment("kubernetes service portals")} -j KUBE-SERVICES`, {}, jump(natServices));
  b.rule(natOutput, `${comment("kubernetes service portals")} -j KUBE-SERVICES`, {}, jump(natServices));
  b.rule(natPostrouting, `${comment("kubernetes postrouting rules")} -j KUBE-POSTROUTING`, {}, jump(kubePostrouting));
  b.rule(filterInput, `${comment("kubernetes ipvs access filter")} -j KUBE-IPVS-FILTER`, {}, jump(ipvsFilter));
  b.rule(filterInput, `${comment("kube-proxy firewall rules")} -j KUBE-PROXY-FIREWALL`, {}, jump(proxyFirewall));
  b.rule(filterInput, `${comment("kubernetes health check rules")} -j KUBE-NODE-PORT`, {}, jump(filterNodePort));
  b.rule(filterInput, `-j KUBE-FIREWALL`, {}, jump(kubeFirewall));
  b.rule(filterForward, `${comment("kube-proxy firewall rules")} -j KUBE-PROXY-FIREWALL`, {}, jump(proxyFirewall));
  b.rule(filterForward, `${comment("kubernetes forwarding rules")} -j KUBE-FORWARD`, {}, jump(kubeForward));
  b.rule(filterOutput, `${comment("kubernetes ipvs access filter")} -j KUBE-IPVS-OUT-FILTER`, {}, jump(ipvsOutFilter));
  b.rule(filterOutput, `-j KUBE-FIREWALL`, {}, jump(kubeFirewall));
  // The kubelet's; loopback addresses never reach the simulated dataplane.
  b.rule(kubeFirewall, `! -s 127.0.0.0/8 -d 127.0.0.0/8 ${comment("block incoming localnet connections")} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`, { src: { addr: 0x7f000000, mask: 0xff000000, invert: true }, dst: { addr: 0x7f000000, mask: 0xff000000, invert: false } }, { kind: "drop" });

  // writeIptablesRules, in its order.
  b.rule(natServices, `-s 127.0.0.0/8 -j RETURN`, { src: { addr: 0x7f000000, mask: 0xff000000, invert: false } }, { kind: "return" });
  // Hairpin: a pod reaching itself through a Service is masqueraded. Only where the set has
  // members, i.e. on the nodes with endpoints of their own.
  if (loopBackNodes.size) {
    b.rule(
      kubePostrouting,
      `${comment("Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose")} ${setText(loopBack, "dst,dst,src")} -j MASQUERADE`,
      set(loopBack, "dst,dst,src"),
      { kind: "masquerade" },
      loopBackNodes.size < model.nodes.length ? { nodes: [...loopBackNodes].sort((x, y) => x - y) } : {},
    );
  }
  if (b.sets[clusterIPSet]!.elements.length) {
    // Traffic to a ClusterIP from outside the pod network (the local detector's `! -s clusterCIDR`) is masqueraded.
    b.rule(
      natServices,
      `! -s ${model.settings.clusterCIDR} ${comment("Kubernetes service cluster ip + port for masquerade purpose")} ${setText(clusterIPSet, "dst,dst")} -j KUBE-MARK-MASQ`,
      { ...set(clusterIPSet, "dst,dst"), src: { addr: cluster.address, mask: maskOf(cluster.prefixLength), invert: true } },
      jump(markMasq),
    );
  }
  b.rule(natServices, `-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT`, { dstLocal: true }, jump(natNodePort));
  b.rule(loadBalancer, `-j KUBE-MARK-MASQ`, {}, jump(markMasq));
  b.rule(sourceRanges, `-j DROP`, {}, { kind: "drop" });
  // acceptIPVSTraffic: whatever is for a virtual server leaves the nat chain here.
  if (b.sets[clusterIPSet]!.elements.length) b.rule(natServices, `${setText(clusterIPSet, "dst,dst")} -j ACCEPT`, set(clusterIPSet, "dst,dst"), { kind: "accept" });
  b.rule(kubeForward, `${comment("kubernetes forwarding rules")} -m mark --mark 0x4000/0x4000 -j ACCEPT`, { mark: { value: MASQ_MARK, mask: MASQ_MARK, invert: false } }, { kind: "accept" });
  b.rule(kubeForward, `${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, { ctstate: "ESTABLISHED" }, { kind: "accept" });
  b.rule(filterNodePort, `${comment("Kubernetes health check node port")} ${setText(healthCheckSet, "dst-port")} -j ACCEPT`, set(healthCheckSet, "dst-port"), { kind: "accept" });
  // KUBE-IPVS-FILTER (kubernetes#72236): a new connection to an address on kube-ipvs0 that no
  // virtual server serves is rejected (the node's own ports are not reachable through a ClusterIP).
  b.rule(ipvsFilter, `${setText(loadBalancerSet, "dst,dst")} -j RETURN`, set(loadBalancerSet, "dst,dst"), { kind: "return" });
  b.rule(ipvsFilter, `${setText(clusterIPSet, "dst,dst")} -j RETURN`, set(clusterIPSet, "dst,dst"), { kind: "return" });
  b.rule(ipvsFilter, `${setText(externalIPSet, "dst,dst")} -j RETURN`, set(externalIPSet, "dst,dst"), { kind: "return" });
  b.rule(ipvsFilter, `${setText(externalIPLocalSet, "dst,dst")} -j RETURN`, set(externalIPLocalSet, "dst,dst"), { kind: "return" });
  b.rule(ipvsFilter, `${setText(healthCheckSet, "dst-port")} -j RETURN`, set(healthCheckSet, "dst-port"), { kind: "return" });
  b.rule(ipvsFilter, `-m conntrack --ctstate NEW ${setText(ipvsIPs, "dst")} -j REJECT --reject-with icmp-port-unreachable`, { ctstate: "NEW", ...set(ipvsIPs, "dst") }, { kind: "reject" });
  // `--xor-mark` and `--or-mark` as iptables-save prints them.
  b.rule(kubePostrouting, `-m mark ! --mark 0x4000/0x4000 -j RETURN`, { mark: { value: MASQ_MARK, mask: MASQ_MARK, invert: true } }, { kind: "return" });
  b.rule(kubePostrouting, `-j MARK --set-xmark 0x4000/0x0`, {}, { kind: "mark-set", value: MASQ_MARK, mask: 0 });
  b.rule(kubePostrouting, `${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`, {}, { kind: "masquerade" });
  b.rule(markMasq, `-j MARK --set-xmark 0x4000/0x4000`, {}, { kind: "mark-set", value: MASQ_MARK, mask: MASQ_MARK });
  extend?.(b);

  return {
    backend: "iptables",
    ...b.numbered(),
    hooks: { natPrerouting, natOutput, natPostrouting, filterInput, filterForward, filterOutput },
    recentLists: [],
    sets: b.sets,
    ipvs: { virtualServers, realServerCount, bound },
  };
}
