// Raw hop records (written by the Wasm dataplane, or by the reference) → Hop objects with the
// deciding table entry as the real tool prints it and a sentence for learners. Decoding
// happens only for what is shown; the numbers all come from the records.

import type { CompiledNetwork } from "../compile/network.js";
import { serviceChainName, type Ruleset } from "../compile/iptables.js";
import { routeAt } from "../compile/routes.js";
import { nftServiceChain } from "../compile/nftables.js";
import { formatIPv4 } from "../net/ipv4.js";
import { formatRoute } from "../outputs/ip-route.js";
import { ipvsDestLine, ipvsServiceLine } from "../outputs/ipvsadm.js";
import { ciliumServiceGet } from "../outputs/cilium.js";
import type { Hop, HopAction, HopComponent, HopPacket, HopPolicy, Verdict } from "../engine/types.js";
import type { RulePolicyVerdict } from "../compile/iptables.js";
import type { CiliumPolicyTable } from "../compile/cilium-policy.js";
import * as A from "./abi.js";

export interface DecodeContext {
  net: CompiledNetwork;
  rs: Ruleset;
  nodeNames: string[];
  /** Cilium's policy maps, when it enforces policies here. */
  policy?: CiliumPolicyTable;
}

/**
 * What decoding needs to name things, for the entries some hop records refer to only: the
 * worker collects it next to the records (tablesFor), the receiving side decodes with it.
 */
export interface TraceTables {
  nodes: Record<number, string>;
  netns: Record<number, { label: string; host: boolean; pod?: { namespace: string; name: string } }>;
  /** Route lines by `netns/index`, as `ip route` prints them. */
  routes: Record<string, string>;
  /** `pod`: the pod behind a host-side veth (`namespace/name`). */
  ifaces: Record<number, { name: string; mac: string; netns: number; addr?: number; pod?: string }>;
  /** Rules by id; `nft` when kube-proxy's nftables table holds them (else iptables). */
  rules: Record<number, { text: string; table: string; chain: string; servicePort?: string; nft?: true; policy?: RulePolicyVerdict }>;
  /**
   * IPVS mode: the virtual servers hops name (their `ipvsadm -Ln` line) and the real servers (as
   * `ip:port` and weight, with the virtual server they belong to), by index.
   */
  ipvs?: { vs: Record<number, { line: string; vip: string; scheduler: string; servicePort: string; timeout: number }>; rs: Record<number, { vs: number; addr: number; port: number; weight: number }> };
  /**
   * Cilium: the frontends hops name (`cilium-dbg service get ID`'s output, the ClusterIP, how many
   * backends), their backends by global index, the endpoints behind lxc veths by interface, the
   * nodes tunnels lead to, and whether ClusterIPs are translated at the socket or per packet.
   */
  cilium?: {
    socketLb: boolean;
    fe: Record<number, { id: number; text: string; vip: string; servicePort: string; count: number; first: number }>;
    be: Record<number, { fe: number; addr: string }>;
    eps: Record<number, { pod: string; ip: string; identity: number }>;
    tunnels: Record<number, { name: string; ip: string }>;
    /** The nodes' router addresses (cilium_host's): the pods' gateway. */
    routers: string[];
  };
  /** Cilium's policy-map entries hops name (by index), and the endpoints' enforcement (by `lxc/direction`). */
  ciliumPolicy?: {
    entries: Record<number, { policy?: string; rule?: number; reason: string }>;
    endpoints: Record<string, { isolatedBy: string[]; hasRules: boolean }>;
  };
}

const endpointIndex = new WeakMap<CiliumPolicyTable, Map<string, CiliumPolicyTable["endpoints"][number]>>();

/** An endpoint's policy map for a direction, by lxc (indexed once per table). */
function policyEndpoint(table: CiliumPolicyTable, lxc: number, direction: "ingress" | "egress") {
  let index = endpointIndex.get(table);
  if (!index) endpointIndex.set(table, (index = new Map(table.endpoints.map((e) => [`${e.lxc}/${e.direction}`, e]))));
  return index.get(`${lxc}/${direction}`);
}

/** The entries of the cluster's tables that `count` hop records refer to. */
export function tablesFor(raw: Uint32Array, count: number, ctx: DecodeContext): TraceTables {
  const t: TraceTables = { nodes: {}, netns: {}, routes: {}, ifaces: {}, rules: {} };
  const netns = (i: number) => {
    const ns = ctx.net.netns[i];
    if (ns && !t.netns[i]) t.netns[i] = { label: ns.label, host: ns.kind === "host", ...(ns.pod ? { pod: { namespace: ns.pod.namespace, name: ns.pod.name } } : {}) };
  };
  const iface = (i: number) => {
    const f = ctx.net.ifaces[i];
    if (!f || t.ifaces[i]) return;
    const behind = f.kind === "veth" && f.peer !== undefined ? ctx.net.netns[ctx.net.ifaces[f.peer]?.netns ?? -1]?.pod : undefined;
    t.ifaces[i] = { name: f.name, mac: f.mac, netns: f.netns, ...(f.addr !== undefined ? { addr: f.addr } : {}), ...(behind && ctx.net.netns[f.netns]?.kind === "host" ? { pod: `${behind.namespace}/${behind.name}` } : {}) };
    netns(f.netns);
  };
  const words = A.T_BYTES / 4;
  for (let h = 0; h < count; h++) {
    const at = (off: number) => raw[h * words + off / 4]!;
    const node = ctx.nodeNames[at(A.T_NODE)];
    if (node !== undefined) t.nodes[at(A.T_NODE)] = node;
    netns(at(A.T_NETNS));
    if (at(A.T_IN)) iface(at(A.T_IN) - 1);
    if (at(A.T_OUT)) iface(at(A.T_OUT) - 1);
    const arg = at(A.T_ARG);
    const decider = at(A.T_DECIDER);
    if (decider === A.D_ROUTE) {
      const ns = ctx.net.netns[at(A.T_NETNS)];
      const route = ns && routeAt(ns, arg);
      if (route) t.routes[`${at(A.T_NETNS)}/${arg}`] = formatRoute(route);
    } else if ((decider === A.D_IPVS || decider === A.D_IPVS_VS) && ctx.rs.ipvs) {
      const ipvs = (t.ipvs ??= { vs: {}, rs: {} });
      const vsOf = (v: number) => {
        const vs = ctx.rs.ipvs!.virtualServers[v];
        if (vs) ipvs.vs[v] = { line: ipvsServiceLine(vs), vip: `${formatIPv4(vs.addr)}:${vs.port}`, scheduler: vs.scheduler, servicePort: vs.servicePort, timeout: vs.timeout };
      };
      if (decider === A.D_IPVS_VS) vsOf(arg);
      else {
        const vs = ctx.rs.ipvs.virtualServers.find((v) => arg >= v.firstDest && arg < v.firstDest + v.dests.length);
        if (vs) {
          const d = vs.dests[arg - vs.firstDest]!;
          ipvs.rs[arg] = { vs: vs.id, addr: d.addr, port: d.port, weight: d.weight };
          vsOf(vs.id);
        }
      }
    } else if ((decider === A.D_LB || decider === A.D_LB_FE || decider === A.D_EP || decider === A.D_TUNNEL || (at(A.T_ACTION) === A.A_DELIVER && at(A.T_EXTRA))) && ctx.rs.cilium) {
      ciliumTables(t, ctx, decider, arg, at(A.T_ACTION) === A.A_DELIVER ? at(A.T_EXTRA) : 0);
    } else if (decider === A.D_POLICY && ctx.policy) {
      const pol = (t.ciliumPolicy ??= { entries: {}, endpoints: {} });
      const e = arg !== A.NONE ? ctx.policy.entries[arg] : undefined;
      if (e) pol.entries[arg] = { ...(e.policy ? { policy: e.policy } : {}), ...(e.rule !== undefined ? { rule: e.rule } : {}), reason: e.reason };
      const direction = at(A.T_OUT) ? "ingress" : "egress";
      const lxc = (direction === "ingress" ? at(A.T_OUT) : at(A.T_IN)) - 1;
      const ep = policyEndpoint(ctx.policy, lxc, direction);
      if (ep) pol.endpoints[`${lxc}/${direction}`] = { isolatedBy: ep.isolatedBy, hasRules: ep.hasRules };
    } else if (decider === A.D_RULE) {
      const rule = ctx.rs.rules[arg];
      if (rule) t.rules[arg] = { text: rule.text, table: ctx.rs.chains[rule.chain]!.table, chain: ctx.rs.chains[rule.chain]!.name, ...(rule.servicePort ? { servicePort: rule.servicePort } : {}), ...(ctx.rs.backend === "nftables" && !rule.policy ? { nft: true as const } : {}), ...(rule.policy ? { policy: rule.policy } : {}) };
    }
    // FDB deciders and veth transmissions name another interface by `arg`.
    if (decider === A.D_FDB || at(A.T_ACTION) === A.A_XMIT || decider === A.D_EP) iface(arg);
  }
  return t;
}

/** The Cilium entries a hop names (see TraceTables.cilium). */
function ciliumTables(t: TraceTables, ctx: DecodeContext, decider: number, arg: number, deliveredFe: number): void {
  const lb = ctx.rs.cilium!;
  const c = (t.cilium ??= { socketLb: lb.socketLb, fe: {}, be: {}, eps: {}, tunnels: {}, routers: ctx.net.nodes.map((n) => (n.ciliumHost === undefined ? "" : formatIPv4(ctx.net.ifaces[n.ciliumHost]!.addr!))) });
  const feOf = (f: number) => {
    const fe = lb.frontends[f];
    if (fe && !c.fe[f]) c.fe[f] = { id: fe.id, text: ciliumServiceGet(fe), vip: `${formatIPv4(fe.addr)}:${fe.port}`, servicePort: fe.servicePort, count: fe.backends.length, first: fe.firstBackend };
  };
  if (deliveredFe) feOf(deliveredFe - 1);
  if (decider === A.D_LB_FE) feOf(arg);
  else if (decider === A.D_LB) {
    const f = lb.frontends.findIndex((fe) => arg >= fe.firstBackend && arg < fe.firstBackend + fe.backends.length);
    if (f >= 0) {
      const be = lb.frontends[f]!.backends[arg - lb.frontends[f]!.firstBackend]!;
      c.be[arg] = { fe: f, addr: `${formatIPv4(be.addr)}:${be.port}` };
      feOf(f);
    }
  } else if (decider === A.D_EP) {
    const lxc = ctx.net.ifaces[arg];
    const pod = lxc?.peer === undefined ? undefined : ctx.net.ifaces[lxc.peer];
    if (lxc && pod) c.eps[arg] = { pod: ctx.net.netns[pod.netns]!.label, ip: formatIPv4(pod.addr ?? 0), identity: lxc.identity ?? 0 };
  } else if (decider === A.D_TUNNEL) {
    const n = ctx.net.nodes[arg];
    if (n) c.tunnels[arg] = { name: n.name, ip: formatIPv4(ctx.net.ifaces[n.eth]!.addr!) };
  }
}

const COMPONENTS: Record<number, HopComponent> = {
  [A.K_POD]: "pod",
  [A.K_VETH]: "veth",
  [A.K_BRIDGE]: "bridge",
  [A.K_NETFILTER]: "netfilter",
  [A.K_CONNTRACK]: "conntrack",
  [A.K_ROUTING]: "routing",
  [A.K_VXLAN]: "vxlan",
  // IP-in-IP is the IPv4 layer's own work (tunl0's xmit wraps and re-routes; protocol 4's
  // handler unwraps), not a separate device driver like VXLAN's UDP socket.
  [A.K_IPIP]: "routing",
  [A.K_UNDERLAY]: "underlay",
  [A.K_SOCKET]: "socket",
  // Cilium's tc programs do the routing for the packets they handle; its socket LB works at the socket.
  [A.K_BPF]: "routing",
  [A.K_SOCK_LB]: "socket",
  [A.K_POLICY]: "policy",
};

/** Cilium's programs, by the PROG_* code in a hop's extra word. */
const PROGRAMS: Record<number, string> = {
  [A.PROG_FROM_CONTAINER]: "cil_from_container",
  [A.PROG_FROM_OVERLAY]: "cil_from_overlay",
  [A.PROG_FROM_NETDEV]: "cil_from_netdev",
  [A.PROG_FROM_HOST]: "cil_from_host",
  [A.PROG_SOCK_CONNECT]: "cil_sock4_connect",
  [A.PROG_SOCK_SENDMSG]: "cil_sock4_sendmsg",
  [A.PROG_SOCK_RECVMSG]: "cil_sock4_recvmsg",
};

const ACTIONS: Record<number, HopAction> = {
  [A.A_ROUTE]: "route",
  [A.A_XMIT]: "xmit",
  [A.A_BRIDGE]: "bridge",
  [A.A_DNAT]: "dnat",
  [A.A_SNAT]: "snat",
  [A.A_UNNAT]: "unnat",
  [A.A_CT_HIT]: "conntrack",
  [A.A_ENCAP]: "encap",
  [A.A_WIRE]: "wire",
  [A.A_DECAP]: "decap",
  [A.A_DELIVER]: "deliver",
  [A.A_DROP]: "drop",
  [A.A_REJECT]: "reject",
  [A.A_REDIRECT]: "redirect",
  [A.A_TO_STACK]: "to-stack",
  [A.A_SOCK_LB]: "socket-lb",
  [A.A_ALLOW]: "allow",
};

export const DROP_REASONS: Record<number, string> = {
  [A.X_NO_ROUTE]: "no route (Network is unreachable)",
  [A.X_NO_NEIGHBOUR]: "no neighbour answers ARP (No route to host)",
  [A.X_TTL]: "TTL expired",
  [A.X_FRAG_NEEDED]: "too big for the path MTU with DF set (Frag needed)",
  [A.X_REJECTED]: "rejected",
  [A.X_RULE_DROP]: "dropped by a netfilter rule",
  [A.X_CT_FULL]: "conntrack table full",
  [A.X_NO_SOCKET]: "nothing listens on the port",
  [A.X_LOOP]: "forwarding loop",
  [A.X_LEAVES_CLUSTER]: "leaves the simulated cluster",
  [A.X_NO_FDB]: "no forwarding-database entry for the destination MAC",
  [A.X_BLACKHOLE]: "discarded by a blackhole route (no pod holds this address of the block)",
  [A.X_NO_BACKEND]: "the Service has no backend: the socket call fails with EHOSTUNREACH (No route to host)",
  [A.X_NO_ENDPOINT]: "no endpoint holds this address of the node's pod CIDR",
  [A.X_NODE_DOWN]: "the next hop's node is down: nothing receives the frame",
  [A.X_POLICY_DENIED]: "denied by NetworkPolicy",
  [A.X_NO_CONNECTION]: "no socket for this reply: it comes from another address than the one the client connected to (TCP answers with a reset, UDP with ICMP port unreachable)",
};

export const VERDICTS: Record<number, Verdict> = { [A.V_DELIVERED]: "delivered", [A.V_DROPPED]: "dropped", [A.V_REJECTED]: "rejected" };

const PROTOCOLS: Record<number, HopPacket["protocol"]> = { [A.PROTO_TCP]: "tcp", [A.PROTO_UDP]: "udp", [A.PROTO_SCTP]: "sctp", [A.PROTO_ICMP]: "icmp" };

function mac(hi: number, lo: number): string {
  return [(hi >>> 8) & 255, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function packetOf(w: Uint32Array, base: number): HopPacket {
  const at = (off: number) => w[base + off / 4]!;
  const proto = at(A.P_PROTO);
  const flags: string[] = [];
  const f = at(A.P_FLAGS);
  if (f & A.PF_SYN) flags.push("SYN");
  if (f & A.PF_ACK) flags.push("ACK");
  if (f & A.PF_RST) flags.push("RST");
  if (f & A.PF_DF) flags.push("DF");
  const p: HopPacket = {
    src: formatIPv4(at(A.P_SRC)),
    dst: formatIPv4(at(A.P_DST)),
    protocol: PROTOCOLS[proto] ?? "tcp",
    ttl: at(A.P_TTL),
    length: at(A.P_LEN),
    srcMac: mac(at(A.P_SMAC_HI), at(A.P_SMAC_LO)),
    dstMac: mac(at(A.P_DMAC_HI), at(A.P_DMAC_LO)),
    flags,
  };
  if (proto === A.PROTO_ICMP) {
    const icmp = at(A.P_ICMP);
    p.icmp = { type: (icmp >>> 8) & 255, code: icmp & 255, ...(icmp >>> 16 ? { mtu: icmp >>> 16 } : {}) };
  }
  else {
    p.sport = at(A.P_SPORT);
    p.dport = at(A.P_DPORT);
  }
  if (f & A.PF_ENCAP) {
    const src = formatIPv4(at(A.P_OUTER_SRC));
    const dst = formatIPv4(at(A.P_OUTER_DST));
    // No outer UDP port: IP-in-IP, one outer IPv4 header (protocol 4) of 20 bytes.
    p.outer = at(A.P_OUTER_DPORT) === 0
      ? { protocol: "ipip", src, dst, ttl: at(A.P_OUTER_TTL), length: at(A.P_LEN) + IPIP_OVERHEAD }
      : { protocol: "udp", src, dst, sport: at(A.P_OUTER_SPORT), dport: at(A.P_OUTER_DPORT), vni: at(A.P_VNI), ttl: at(A.P_OUTER_TTL), length: at(A.P_LEN) + VXLAN_OVERHEAD };
  }
  return p;
}

/** Outer IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14: the outer IP packet is the inner one + 50. */
const VXLAN_OVERHEAD = 50;
const IPIP_OVERHEAD = 20;

const hostPort = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

export function decodeHops(raw: Uint32Array, count: number, t: TraceTables): Hop[] {
  const hops: Hop[] = [];
  const words = A.T_BYTES / 4;
  for (let i = 0; i < count; i++) {
    const b = i * words;
    const at = (off: number) => raw[b + off / 4]!;
    const ns = t.netns[at(A.T_NETNS)]!;
    const node = t.nodes[at(A.T_NODE)] ?? `node ${at(A.T_NODE)}`;
    const inIf = at(A.T_IN) ? t.ifaces[at(A.T_IN) - 1] : undefined;
    const outIf = at(A.T_OUT) ? t.ifaces[at(A.T_OUT) - 1] : undefined;
    const action = ACTIONS[at(A.T_ACTION)] ?? "drop";
    const component = COMPONENTS[at(A.T_COMPONENT)] ?? "routing";
    const packet = packetOf(raw, b + A.T_PACKET / 4);
    const phase = at(A.T_PHASE) === A.PH_REPLY ? "reply" : at(A.T_PHASE) === A.PH_ERROR ? "error" : "request";
    const hop: Hop = { seq: i, phase, node, netns: ns.label, component, action, packet, text: "" };
    if (inIf) hop.inIface = inIf.name;
    if (outIf) hop.outIface = outIf.name;
    const decider = at(A.T_DECIDER);
    const arg = at(A.T_ARG);
    if (decider === A.D_ROUTE) {
      const route = t.routes[`${at(A.T_NETNS)}/${arg}`];
      if (route !== undefined) {
        hop.rule = route;
        hop.ruleSource = ns.host ? "ip route show" : `kubectl exec ${ns.pod!.namespace === "default" ? "" : `-n ${ns.pod!.namespace} `}${ns.pod!.name} -- ip route`;
      }
    } else if (decider === A.D_RULE) {
      const rule = t.rules[arg];
      if (rule) {
        hop.rule = rule.text;
        hop.ruleSource = rule.nft ? `nft list chain ip kube-proxy ${rule.chain}` : `iptables-save -t ${rule.table}`;
      }
    } else if (decider === A.D_FDB && (action === "bridge" || action === "encap")) {
      const target = t.ifaces[arg];
      if (target) {
        hop.rule = action === "bridge" ? `${target.mac} dev ${outIf?.name ?? "?"} master cni0` : `${target.mac} dst ${packet.outer?.dst ?? "?"} self permanent`;
        hop.ruleSource = action === "bridge" ? "bridge fdb show br cni0" : `bridge fdb show dev ${outIf?.name ?? "flannel.1"}`;
      }
    } else if (decider === A.D_CONNTRACK) hop.ruleSource = "conntrack -L";
    else if (decider === A.D_IPVS || decider === A.D_IPVS_VS) {
      // The deciding entry as `ipvsadm -Ln` lists it right after the hop (the real server's counters in the reason word).
      const rs = decider === A.D_IPVS ? t.ipvs?.rs[arg] : undefined;
      const vs = t.ipvs?.vs[rs ? rs.vs : arg];
      if (vs) {
        hop.rule = rs ? `${vs.line}\n${ipvsDestLine(rs, at(A.T_REASON) >>> 16, at(A.T_REASON) & 0xffff)}` : vs.line;
        hop.ruleSource = "ipvsadm -Ln";
      }
    }
    if (action === "drop" || action === "reject") hop.reason = DROP_REASONS[at(A.T_REASON)] ?? "dropped";
    if (at(A.T_COMPONENT) === A.K_POLICY && decider === A.D_POLICY) {
      hop.policy = ciliumVerdict(t, action === "drop", at(A.T_OUT) ? at(A.T_OUT) - 1 : at(A.T_IN) - 1, at(A.T_OUT) ? "ingress" : "egress", arg, at(A.T_EXTRA));
      if (action === "drop") hop.reason = "Policy denied (Cilium drop reason 133)";
      hop.text = policySentence(hop, hop.policy);
      hops.push(hop);
      continue;
    }
    if (at(A.T_COMPONENT) === A.K_POLICY && decider === A.D_RULE && t.rules[arg]?.policy) {
      const v = t.rules[arg]!.policy!;
      // Chains pods share (policies, profiles) leave the pod to the interface: the sender's veth for egress, the receiver's for ingress.
      const via = v.direction === "egress" ? (at(A.T_IN) ? t.ifaces[at(A.T_IN) - 1] : undefined) : (at(A.T_OUT) ? t.ifaces[at(A.T_OUT) - 1] : undefined);
      hop.policy = { enforcer: "calico", ...v, pod: v.pod ?? via?.pod ?? "?" };
      hop.text = policySentence(hop, hop.policy);
      hops.push(hop);
      continue;
    }
    if (decider === A.D_IPVS || decider === A.D_IPVS_VS) {
      hop.text = ipvsSentence(hop, t, at(A.T_EXTRA), arg, decider === A.D_IPVS_VS);
      hops.push(hop);
      continue;
    }
    const kind = at(A.T_COMPONENT);
    if (kind === A.K_BPF || kind === A.K_SOCK_LB || decider === A.D_TUNNEL) {
      const program = PROGRAMS[at(A.T_EXTRA) & 255] ?? (kind === A.K_SOCK_LB ? socketProgram(packet) : undefined);
      if (program) hop.program = program;
      const fe = decider === A.D_LB ? t.cilium?.fe[t.cilium.be[arg]?.fe ?? -1] : decider === A.D_LB_FE ? t.cilium?.fe[arg] : undefined;
      if (fe) {
        hop.rule = fe.text.replace(/\n$/, "");
        hop.ruleSource = `cilium-dbg service get ${fe.id}`;
      }
      hop.text = ciliumSentence(hop, t, at(A.T_EXTRA), arg, decider);
      hops.push(hop);
      continue;
    }
    hop.text = sentence(hop, t, at(A.T_EXTRA), arg, at(A.T_IN) ? at(A.T_IN) - 1 : undefined);
    hops.push(hop);
  }
  return hops;
}

const RESERVED_IDENTITIES: Record<number, string> = { 1: "reserved:host", 2: "reserved:world", 6: "reserved:remote-node" };

/** A Cilium policy-map verdict: the entry that allowed (or the endpoint's enforcement that denied). */
function ciliumVerdict(t: TraceTables, denied: boolean, lxc: number, direction: "ingress" | "egress", entry: number, remote: number): HopPolicy {
  const pod = t.ifaces[lxc]?.pod ?? "?";
  const peer = RESERVED_IDENTITIES[remote] ?? `identity ${remote}`;
  const e = entry !== A.NONE ? t.ciliumPolicy?.entries[entry] : undefined;
  const ep = t.ciliumPolicy?.endpoints[`${lxc}/${direction}`];
  if (!denied && e) return { enforcer: "cilium", verdict: "allow", direction, pod, ...(e.policy ? { policy: e.policy } : {}), ...(e.rule !== undefined ? { rule: e.rule } : {}), reason: `${e.reason} (peer ${peer})` };
  if (!denied) return { enforcer: "cilium", verdict: "allow", direction, pod, reason: `no NetworkPolicy selects the pod for ${direction}, so its policy map allows everything that way` };
  const by = ep?.isolatedBy ?? [];
  const reason = ep && !ep.hasRules
    ? `isolated for ${direction} by ${by.join(", ")}, which allow${by.length === 1 ? "s" : ""} no ${direction} at all (default deny)`
    : `isolated for ${direction} by ${by.join(", ")}, and no entry of its policy map covers the peer (${peer}) on this protocol and port`;
  return { enforcer: "cilium", verdict: "deny", direction, pod, reason };
}

/** A NetworkPolicy verdict where the CNI enforces it. */
function policySentence(h: Hop, v: HopPolicy): string {
  const p = h.packet;
  const flow = `${p.src}${p.sport !== undefined ? `:${p.sport}` : ""} → ${p.dst}${p.dport !== undefined ? `:${p.dport}` : ""}/${p.protocol.toUpperCase()}`;
  const at = v.enforcer === "calico"
    ? `Calico's ${v.direction === "egress" ? `cali-fw-${h.inIface ?? "?"}` : `cali-tw-${h.outIface ?? "?"}`} chain on ${h.node}`
    : `Cilium's policy map for ${v.pod} on ${h.node}`;
  const side = `${v.direction} of ${v.pod}`;
  if (v.verdict === "deny") return `${at} drops ${flow}: ${side} — ${v.reason}.`;
  return `${at} lets ${flow} through (${side}): ${v.reason}.`;
}

/** The sentences of IPVS's hops (kube-proxy's IPVS mode). */
function ipvsSentence(h: Hop, t: TraceTables, extra: number, arg: number, noDest: boolean): string {
  const p = h.packet;
  const rs = noDest ? undefined : t.ipvs?.rs[arg];
  const vs = t.ipvs?.vs[noDest ? arg : rs?.vs ?? -1];
  const vip = vs?.vip ?? "the virtual server";
  const dest = rs ? `${formatIPv4(rs.addr)}:${rs.port}` : "its real server";
  const walked = extra & 0x7fffffff;
  const rules = `${walked - 1} rules and 1 virtual-server lookup evaluated, however many Services there are`;
  switch (h.action) {
    case "dnat":
      return `IPVS on ${h.node}: virtual server ${vip} (${vs?.scheduler ?? "?"}) → real server ${dest}. The ClusterIP is an address of kube-ipvs0, so the packet came up to ${h.node} itself; IPVS, hooked into INPUT after the filter table, ${extra & 0x80000000 ? `took the client's persistence template (persistent ${vs?.timeout}) for this new connection` : `scheduled this new connection with ${vs?.scheduler ?? "its scheduler"}`} and rewrote the destination (Masq) to ${hostPort(p.dst, p.dport)} (${rules}). conntrack records the translation (net.ipv4.vs.conntrack=1).`;
    case "conntrack":
      return `IPVS on ${h.node}: the connection to ${vip} already has its real server, so this packet goes to ${dest} too, nothing scheduled.`;
    case "unnat":
      return `IPVS on ${h.node} recognises the reply of its connection to ${vip} and puts the virtual server's address back as the source: now ${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)}.`;
    case "reject":
      return `IPVS on ${h.node}: virtual server ${vip} (${vs?.scheduler ?? "?"}) has no real server (the Service has no ready endpoints), so IPVS answers with ICMP port unreachable from ${vip.split(":")[0]} and drops the packet; the client's connect() fails at once with "Connection refused" (${rules}).`;
    default:
      return "";
  }
}

/** A socket-LB hop without a program code (a failed call): connect() for TCP and connected UDP, else sendmsg(). */
function socketProgram(p: HopPacket): string {
  return p.protocol === "tcp" ? "cil_sock4_connect" : "cil_sock4_sendmsg";
}

/** Where a Cilium program is attached, as a reader would look for it (`tc filter show dev lxc… ingress`). */
const HOOKS: Record<string, string> = {
  cil_from_container: "tc ingress",
  cil_from_overlay: "tc ingress",
  cil_from_netdev: "tc ingress",
  cil_from_host: "tc egress",
};

/** The sentences of Cilium's eBPF hops: its socket LB, its tc programs, its tunnel. */
function ciliumSentence(h: Hop, t: TraceTables, extra: number, arg: number, decider: number): string {
  const p = h.packet;
  const c = t.cilium;
  const prog = h.program ?? "the eBPF program";
  const at = h.inIface ? ` on ${h.inIface} (${HOOKS[prog] ?? "tc"})` : "";
  const be = decider === A.D_LB ? c?.be[arg] : undefined;
  const fe = decider === A.D_LB ? c?.fe[be?.fe ?? -1] : decider === A.D_LB_FE ? c?.fe[arg] : undefined;
  const vip = fe?.vip ?? "the Service";
  const frontend = fe ? `${vip}/${p.protocol.toUpperCase()} is a frontend in the service map (cilium_lb4_services_v2: ${fe.servicePort}, ${fe.count} backend${fe.count === 1 ? "" : "s"})` : "the address is a frontend";
  const slot = be && fe ? `slot ${arg - fe.first + 1} of ${fe.count}` : "a slot";
  const why = extra & A.PROG_AFFINITY ? `the ClientIP affinity map (cilium_lb4_affinity) still names ${slot}` : "";
  switch (h.action) {
    case "socket-lb": {
      if (h.program === "cil_sock4_recvmsg") {
        return `recvmsg() (${prog}, the cgroup eBPF program at recvmsg): the datagram came from the backend, but cilium_lb4_reverse_sk holds this socket's translation, so the application reads ${hostPort(p.src, p.sport)} — the address it sent to — as the source. The packet itself was never rewritten.`;
      }
      const call = h.program === "cil_sock4_sendmsg" ? "sendmsg()" : "connect()";
      const pick = why || (p.protocol === "tcp" ? `a random number (prandom) picked ${slot}` : `the socket's cookie picked ${slot}, so this socket always gets the same backend`);
      return `Socket LB (${prog}, the cgroup eBPF program at ${call}): the application ${call === "connect()" ? "connects" : "sends"} to ${vip}, and ${frontend}; ${pick}: the socket ${call === "connect()" ? "is connected" : "sends"} to ${hostPort(p.dst, p.dport)} instead. No packet ever carries ${vip.split(":")[0]}: the first one already leaves for the backend, with nothing left for a DNAT or a conntrack NAT entry (1 service lookup, however many Services there are). cilium_lb4_reverse_sk remembers the translation for recvmsg() and getpeername().`;
    }
    case "drop":
      if (decider === A.D_LB_FE) return `${h.program === "cil_sock4_sendmsg" ? "sendmsg()" : "connect()"} to ${vip} fails at once with "No route to host" (EHOSTUNREACH): ${frontend.replace(/, \d+ backends?\)$/, ", no backend)")}, so ${prog} refuses the call and no packet is sent.`;
      return `Dropped by ${prog}${at}: ${h.reason}.`;
    case "dnat":
      return `${prog}${at}: per-packet LB (no kube-proxy replacement, so bpf_lxc translates pod traffic itself): ${frontend}; ${why || `a random number picked ${slot}`}: the destination becomes ${hostPort(p.dst, p.dport)}${extra & A.PROG_LOOPBACK ? `, and since that is the client itself, the source becomes the service loopback address ${p.src}` : ""}, in eBPF, with the rev-NAT index kept in Cilium's own conntrack (cilium_ct4_global). kube-proxy's rules never see this packet (1 service lookup).`;
    case "conntrack":
      return `${prog}${at}: Cilium's conntrack (cilium_ct4_global) knows this connection: to ${hostPort(p.dst, p.dport)} again, no service lookup.`;
    case "unnat":
      return `${prog}${at}: a reply of a connection Cilium's load balancer translated; its conntrack entry's rev-NAT index gives the frontend back (lb4_rev_nat): now ${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)}, the addresses the client used.`;
    case "reject":
      return `${prog}${at}: ${frontend.replace(/, \d+ backends?\)$/, ", no backend)")}: Cilium answers itself with ICMP port unreachable from ${vip.split(":")[0]}, sent straight back out ${h.inIface ?? "the lxc"} (service-no-backend-response=reject); the client's connect() fails at once with "Connection refused".`;
    case "redirect": {
      const ep = c?.eps[arg];
      const who = ep ? `local endpoint ${ep.pod} (identity ${ep.identity})` : "a local endpoint";
      return `${prog}${at}: ${p.dst} is ${who}, so ipv4_local_delivery takes it: TTL now ${p.ttl}, frame ${p.srcMac} → ${p.dstMac}; the endpoint's policy program allows it (no NetworkPolicy selects it) and bpf_redirect() sends it out ${h.outIface}. No bridge, no routing table, no netfilter on the way.`;
    }
    case "to-stack":
      return `${prog}${at}: ${p.dst} is no endpoint of this node and no pod CIDR Cilium tunnels to, so pass_to_stack hands it to ${h.node}'s own stack (TTL now ${p.ttl}, destination MAC ${p.dstMac}, ${h.inIface}'s): from here the kernel routes it, netfilter included.`;
    case "encap": {
      const peer = c?.tunnels[arg];
      return `${prog}${at}: ${p.dst} is in ${peer ? `${peer.name}'s` : "another node's"} pod CIDR, so the ipcache names tunnel endpoint ${peer?.ip ?? p.outer?.dst}; encap_and_redirect sets the tunnel key — VNI ${p.outer?.vni}, the source's security identity, TTL 64 — and bpf_redirect()s to cilium_vxlan, whose flow-based transmit adds outer ${p.outer?.src} → ${p.outer?.dst}, UDP ${p.outer?.sport} → ${p.outer?.dport}: 50 bytes, the inner TTL untouched (${p.ttl}).`;
    }
    default:
      return "";
  }
}

function sentence(h: Hop, t: TraceTables, extra: number, arg: number, inId: number | undefined): string {
  const p = h.packet;
  const where = h.netns === "host" ? h.node : h.netns;
  switch (h.action) {
    case "route": {
      const route = h.rule ? `"${h.rule}"` : "a route";
      const via = h.rule?.match(/via (\S+)/)?.[1];
      // A route on a node to a network via a gateway on its NIC, other than the default
      // route: flannel host-gw's route to a peer node's pod CIDR, via that node's own IP.
      // Calico IP-in-IP: BIRD's route for a peer node's block sends it into tunl0, the far end
      // being the gateway, the peer node's own IP.
      if (h.component === "routing" && via && h.outIface === "tunl0") {
        const what = h.inIface === undefined ? `sends ${p.icmp ? "an ICMP error" : "a packet"} to ${p.dst}` : `routes ${p.dst} (TTL now ${p.ttl})`;
        return `${h.node} ${what}: ${route} sends it into tunl0 towards ${via}, the node that owns ${h.rule!.split(" ")[0]} (a route BIRD learned over BGP); tunl0 has no link layer, it wraps the packet in IP-in-IP.`;
      }
      if (h.component === "routing" && via && h.outIface === "eth0" && !h.rule!.startsWith("default")) {
        const what = h.inIface === undefined ? `sends ${p.icmp ? "an ICMP error" : "a packet"} to ${p.dst}` : `routes ${p.dst} (TTL now ${p.ttl})`;
        return `${h.node} ${what}: ${route} sends it out eth0 to the next hop ${via}, the node that owns ${h.rule!.split(" ")[0]} — plain IP routing on the node network, no encapsulation.`;
      }
      // Cilium's pods: the gateway is cilium_host's router address; the lxc's eBPF program answers ARP for it.
      if (h.component === "pod" && via && t.cilium?.routers.includes(via)) {
        return `${where} sends ${hostPort(p.dst, p.dport)}: the route lookup matches ${route}, so it leaves by ${h.outIface} towards ${via}, cilium_host's address on the node; cil_from_container's ARP responder on the other end of the veth answered for it with the lxc's MAC ${p.dstMac}.`;
      }
      // Calico's pods: the gateway 169.254.1.1 is nobody's address; the host end of the veth
      // answers ARP for it (proxy_arp) with its MAC.
      if (h.component === "pod" && via === "169.254.1.1") {
        return `${where} sends ${hostPort(p.dst, p.dport)}: the route lookup matches ${route}, so it leaves by ${h.outIface} towards 169.254.1.1, an address no interface holds: the node's end of the veth answers ARP for it by proxy, so the frame goes to ${p.dstMac}.`;
      }
      return h.component === "pod"
        ? `${where} sends ${hostPort(p.dst, p.dport)}: the route lookup matches ${route}, so it leaves by ${h.outIface}${via ? ` towards the gateway ${via}` : " straight to the destination"}.`
        : h.inIface === undefined
          ? `${h.node} sends ${p.icmp ? "an ICMP error" : "a packet"} to ${p.dst}: ${route} sends it out ${h.outIface}${via ? ` to ${via}` : ""}.`
          : `${h.node} routes ${p.dst} (TTL now ${p.ttl}): ${route} sends it out ${h.outIface}${via ? ` to ${via}` : ""}.`;
    }
    case "xmit": {
      const peer = t.ifaces[arg];
      const peerNs = peer ? t.netns[peer.netns]! : undefined;
      const other = peer ? `${peer.name} in ${peerNs!.host ? h.node : peerNs!.label}` : "the other end";
      return `Through the veth pair: out of ${h.outIface} in ${where}, in at ${other}.`;
    }
    case "bridge":
      // extra 1: br_netfilter's bridged DNAT. PREROUTING (in the bridge path) rewrote the
      // destination and the route to it leads back out the bridge the frame came in on, so the
      // node does not route it (br_nf_pre_routing_finish): only its destination MAC changes.
      if (extra === 1) {
        const what = h.phase === "reply" ? `the reply's destination, restored by conntrack to ${p.dst},` : `the DNAT'd destination ${p.dst}`;
        const port = h.outIface === h.inIface ? `${h.outIface}, the port it came in on: hairpin mode sends it back out there` : h.outIface;
        return `br_netfilter: ${what} is on this bridge (its route leads back out cni0), so the frame stays bridged: its destination MAC becomes ${p.dstMac}, ${p.dst}'s, which cni0's FDB has behind port ${port}. No routing: TTL stays ${p.ttl}.`;
      }
      return `cni0 forwards the frame by its FDB: ${p.dstMac} is behind port ${h.outIface}. Layer 2 only: no routing, TTL stays ${p.ttl}.`;
    case "dnat": {
      const rule = t.rules[arg];
      if (rule?.nft) {
        // endpoint-HASH-ns/svc/proto/port__ip/port: its service chain hashes the part before "__".
        const base = rule.chain.slice("endpoint-".length + 9).split("__")[0]!;
        return `kube-proxy's nftables rules on ${h.node} pick an endpoint for this new connection: nat-prerouting → services, where one lookup in the service-ips map finds ${nftServiceChain(base)}; its numgen random chose ${rule.chain}, whose rule DNATs the destination to ${hostPort(p.dst, p.dport)} (${extra} rules evaluated, however many Services there are). conntrack remembers the translation.`;
      }
      const svcChain = rule?.servicePort ? serviceChainName(rule.servicePort, (p.protocol.toUpperCase() as "TCP" | "UDP" | "SCTP")) : "KUBE-SVC-…";
      const sep = rule ? rule.chain : "KUBE-SEP-…";
      return `kube-proxy's rules on ${h.node} pick an endpoint for this new connection: KUBE-SERVICES → ${svcChain} → ${sep}; DNAT rewrites the destination to ${hostPort(p.dst, p.dport)} (${extra} rules evaluated). conntrack remembers the translation.`;
    }
    case "snat":
      if (t.rules[arg]?.nft) return `nat-postrouting → masquerading: the packet carries kube-proxy's mark 0x4000, so masquerade fully-random rewrites its source to ${hostPort(p.src, p.sport)} (${h.outIface}'s address).`;
      return `POSTROUTING: the packet carries kube-proxy's masquerade mark 0x4000, so MASQUERADE rewrites its source to ${hostPort(p.src, p.sport)} (${h.outIface}'s address).`;
    case "unnat":
      return `conntrack on ${h.node} recognises the reply of a translated connection and restores the addresses the client used: now ${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)}.`;
    case "conntrack":
      return `conntrack on ${h.node}: an established connection gets the same translation as its first packet (${hostPort(p.dst, p.dport)}) without walking any rule.`;
    case "encap":
      if (p.outer!.protocol === "ipip") return `tunl0 wraps the packet in an outer IPv4 header, protocol 4 (IP-in-IP): ${p.outer!.src} → ${p.outer!.dst}, TTL ${p.outer!.ttl} inherited from the inner packet; 20 bytes added.`;
      return `${h.outIface ?? "flannel.1"} encapsulates: outer ${p.outer!.src} → ${p.outer!.dst}, UDP ${p.outer!.sport} → ${p.outer!.dport}, VXLAN VNI ${p.outer!.vni}; 50 bytes added (the FDB maps the peer VTEP's MAC to ${p.outer!.dst}).`;
    case "wire": {
      if (p.outer) return `The outer packet crosses the node network from ${h.node}'s ${h.outIface} (${p.outer.src}) to ${p.outer.dst}.`;
      // Not encapsulated (host-gw, or traffic to a node's own address): the frame goes from
      // this node's NIC to the next hop's NIC by its MAC, the IP packet inside unchanged.
      const from = inId === undefined ? undefined : t.ifaces[inId]?.addr;
      const to = t.ifaces[arg]?.addr;
      return `The packet itself crosses the node network, not encapsulated (still ${p.src} → ${p.dst}, TTL ${p.ttl}): from ${h.node}'s ${h.inIface ?? "eth0"}${from === undefined ? "" : ` (${formatIPv4(from)})`} to the next hop${to === undefined ? "" : ` ${formatIPv4(to)}`}, in a frame addressed to its eth0's MAC ${p.dstMac}.`;
    }
    case "decap":
      if (h.outIface === "tunl0") return `${h.node} receives an IP protocol 4 packet for its address on ${h.inIface}: the ipip module strips the outer header and the inner packet (${p.src} → ${p.dst}, TTL ${p.ttl}) appears on tunl0.`;
      if (h.outIface === "cilium_vxlan") return `${h.node} receives the UDP datagram for port 8472 on ${h.inIface} (cil_from_netdev lets the node's own traffic through): the flow-based cilium_vxlan strips the outer headers, keeping them as the packet's tunnel key (the VNI carries the sender's security identity), and the inner packet (${p.src} → ${p.dst}, TTL ${p.ttl}) appears on cilium_vxlan.`;
      return `${h.node} receives the UDP datagram for port ${h.outIface === "vxlan.calico" ? 4789 : 8472} on ${h.inIface}: the VXLAN device strips the outer headers and the inner packet (${p.src} → ${p.dst}, TTL ${p.ttl}) appears on ${h.outIface ?? "flannel.1"}.`;
    case "deliver":
      // Cilium's socket LB: a TCP reply to a socket it connected to a backend.
      if (extra && t.cilium?.fe[extra - 1]) {
        return `Delivered to ${where} on ${hostPort(p.dst, p.dport)} with TTL ${p.ttl}, from ${hostPort(p.src, p.sport)}: the socket is connected to that backend, and getpeername() (cil_sock4_getpeername, through cilium_lb4_reverse_sk) still answers ${t.cilium.fe[extra - 1]!.vip}, the address the application connected to.`;
      }
      return h.component === "socket"
        ? `Delivered on ${h.node} itself (${hostPort(p.dst, p.dport)}).`
        : `Delivered to ${where} on ${hostPort(p.dst, p.dport)} with TTL ${p.ttl}${!p.icmp ? "" : p.icmp.code === 4 ? `: ICMP destination unreachable (fragmentation needed, next-hop MTU ${p.icmp.mtu}) — the sender's kernel lowers its path MTU towards that destination to ${p.icmp.mtu} and sends smaller packets` : `: ICMP destination unreachable (port unreachable) — the application sees "Connection refused"`}.`;
    case "reject":
      if (h.ruleSource?.startsWith("nft ")) {
        const why = h.ruleSource.endsWith(" reject-chain")
          ? "filter-forward → service-endpoints-check: the no-endpoint-services map lists this address and port (the service has no ready endpoints) and sends it to reject-chain"
          : "filter-forward → cluster-ips-check: the address is a ClusterIP, but no Service port matches";
        return `${why}: reject. ${h.node} answers with ICMP port unreachable; the client's connect() fails at once with "Connection refused" (${extra} rules evaluated).`;
      }
      if (h.rule?.startsWith("-A KUBE-IPVS-FILTER ")) return `filter INPUT → KUBE-IPVS-FILTER: ${p.dst} is on kube-ipvs0, but no virtual server serves port ${p.dport}/${p.protocol}: REJECT. ${h.node} answers with ICMP port unreachable from ${p.dst} itself; the client's connect() fails at once with "Connection refused" (${extra} rules evaluated).`;
      return `filter ${h.rule?.includes("has no endpoints") ? "KUBE-SERVICES: the service has no ready endpoints" : "rules"}: REJECT. ${h.node} answers with ICMP port unreachable; the client's connect() fails at once with "Connection refused" (${extra} rules evaluated).`;
    case "drop":
      return `Dropped ${h.netns === "host" ? `on ${h.node}` : `in ${where} (${h.node})`}: ${h.reason}.`;
    default:
      return "";
  }
}
