// Compiled tables → the flat records assembly/ reads (layouts in abi.ts), written into Wasm
// memory in one go, and the descriptor configure() takes.

import type { CompiledNetwork } from "../compile/network.js";
import type { IpsetDims, Ruleset } from "../compile/iptables.js";
import { IPVS_SCHEDULER_CODE } from "../compile/ipvs.js";
import type { CiliumPolicyTable } from "../compile/cilium-policy.js";
import * as A from "./abi.js";

export interface Capacities {
  /** nf_conntrack_max for the whole cluster. */
  conntrack: number;
  /** xt_recent entries (ClientIP affinity). */
  recent: number;
  /** Hops one traced exchange may record. */
  trace: number;
}

export const DEFAULT_CAPACITIES: Capacities = { conntrack: 262144, recent: 65536, trace: 256 };

const IPSET_DIMS: Record<IpsetDims, number> = { dst: A.IPSET_DST, "dst-port": A.IPSET_DST_PORT, "dst,dst": A.IPSET_DST_DST, "dst,dst,src": A.IPSET_DST_DST_SRC, src: A.IPSET_SRC };

const KIND = { veth: A.IF_VETH, bridge: A.IF_BRIDGE, vxlan: A.IF_VXLAN, eth: A.IF_ETH, ipip: A.IF_IPIP } as const;

const BPF = { lxc: A.IFF_BPF_LXC, host: A.IFF_BPF_HOST, netdev: A.IFF_BPF_NETDEV, overlay: A.IFF_BPF_OVERLAY } as const;

const A_PROTO = { TCP: A.PROTO_TCP, UDP: A.PROTO_UDP, SCTP: A.PROTO_SCTP } as const;

function macWords(mac: string): [number, number] {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  return [(b[0]! << 8) | b[1]!, ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0];
}

/** A hex digit's value, or -1. */
function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
}

/**
 * Writes macWords(mac) at ifaces[hi] and ifaces[lo]: directly for the usual `aa:bb:cc:dd:ee:ff`
 * (two hex digits per byte), through macWords for anything else.
 */
function putMac(out: Uint32Array, hi: number, lo: number, mac: string): void {
  if (mac.length === 17) {
    let word = 0;
    let ok = true;
    for (let i = 0; i < 6; i++) {
      const d1 = hexDigit(mac.charCodeAt(i * 3));
      const d2 = hexDigit(mac.charCodeAt(i * 3 + 1));
      if (d1 < 0 || d2 < 0 || (i < 5 && mac.charCodeAt(i * 3 + 2) !== 58)) {
        ok = false;
        break;
      }
      const byte = (d1 << 4) | d2;
      if (i === 1) {
        out[hi] = word * 256 + byte;
        word = 0;
      } else word = word * 256 + byte;
    }
    if (ok) {
      out[lo] = word;
      return;
    }
  }
  const [h, l] = macWords(mac);
  out[hi] = h;
  out[lo] = l;
}

/** True when both route lists have the same prefixes, in the same order. */
function samePrefixes(a: ReadonlyArray<{ prefix: number; prefixLength: number }>, b: ReadonlyArray<{ prefix: number; prefixLength: number }>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k]!.prefix !== b[k]!.prefix || a[k]!.prefixLength !== b[k]!.prefixLength) return false;
  return true;
}

export interface Encoded {
  ifaces: Uint32Array;
  netns: Uint32Array;
  /** Route records of every namespace, back to back; netns[i] points into it by index. */
  routes: Uint32Array;
  routeOffsets: number[];
  /** The peer routes every node shares (PR_* records) and their MTU metric. */
  peerRoutes: Uint32Array;
  peerMtu: number;
  nodes: Uint32Array;
  rules: Uint32Array;
  chains: Uint32Array;
  hooks: Uint32Array;
  elements: Uint32Array;
  /** IPVS mode: virtual servers (VS_* records) and real servers (RS_*); empty otherwise. */
  virtualServers: Uint32Array;
  realServers: Uint32Array;
  /** Cilium: its load balancer's frontends (FE_*) and backends (BE_*), and where it translates (LB_*). */
  frontends: Uint32Array;
  backends: Uint32Array;
  lbMode: number;
  /** Cilium's policy maps: endpoint records (PEP_*) and their entries (PE_*); empty without policies. */
  policyEndpoints: Uint32Array;
  policyEntries: Uint32Array;
}

/** Cilium's policy maps as the dataplane reads them (assembly/policy.ts). */
export function encodePolicy(table: CiliumPolicyTable | undefined): Pick<Encoded, "policyEndpoints" | "policyEntries"> {
  const w = (bytes: number) => bytes / 4;
  const eps = table?.endpoints ?? [];
  const entries = table?.entries ?? [];
  const policyEndpoints = new Uint32Array(eps.length * w(A.PEP_BYTES));
  eps.forEach((e, i) => {
    const o = i * w(A.PEP_BYTES);
    policyEndpoints[o + w(A.PEP_LXC)] = e.lxc;
    policyEndpoints[o + w(A.PEP_DIR)] = e.direction === "egress" ? A.POL_EGRESS : A.POL_INGRESS;
    policyEndpoints[o + w(A.PEP_ENFORCED)] = 1;
    policyEndpoints[o + w(A.PEP_FIRST)] = e.first;
    policyEndpoints[o + w(A.PEP_COUNT)] = e.count;
  });
  const policyEntries = new Uint32Array(entries.length * w(A.PE_BYTES));
  entries.forEach((e, i) => {
    const o = i * w(A.PE_BYTES);
    policyEntries[o + w(A.PE_IDENTITY)] = e.identity;
    policyEntries[o + w(A.PE_PROTO)] = e.proto;
    policyEntries[o + w(A.PE_LO)] = e.lo;
    policyEntries[o + w(A.PE_HI)] = e.hi;
    policyEntries[o + w(A.PE_NET)] = e.net;
    policyEntries[o + w(A.PE_MASK)] = e.mask;
  });
  return { policyEndpoints, policyEntries };
}

export function encode(net: CompiledNetwork, rs: Ruleset, policy?: CiliumPolicyTable): Encoded {
  const w = (bytes: number) => bytes / 4;
  const ifaces = new Uint32Array(net.ifaces.length * w(A.IF_BYTES));
  net.ifaces.forEach((f, i) => {
    const o = i * w(A.IF_BYTES);
    ifaces[o + w(A.IF_NETNS)] = f.netns;
    ifaces[o + w(A.IF_KIND)] = KIND[f.kind];
    ifaces[o + w(A.IF_PEER)] = f.peer ?? A.NONE;
    ifaces[o + w(A.IF_MASTER)] = f.master ?? A.NONE;
    putMac(ifaces, o + w(A.IF_MAC_HI), o + w(A.IF_MAC_LO), f.mac);
    ifaces[o + w(A.IF_ADDR)] = f.addr ?? 0;
    ifaces[o + w(A.IF_MTU)] = f.mtu;
    ifaces[o + w(A.IF_SEGMENT)] = f.segment;
    ifaces[o + w(A.IF_VNI)] = f.vni ?? 0;
    ifaces[o + w(A.IF_PORT)] = f.port ?? 0;
    ifaces[o + w(A.IF_FLAGS)] = (f.proxyArp ? A.IFF_PROXY_ARP : 0) | (f.bpf ? BPF[f.bpf] : 0);
    // A Cilium endpoint's security identity rides in the VNI field: it is what its packets' VNI will be.
    if (f.identity !== undefined) ifaces[o + w(A.IF_VNI)] = f.identity;
  });
  const routeCount = net.netns.reduce((n, ns) => n + ns.routes.length, 0);
  const routes = new Uint32Array(routeCount * w(A.RT_BYTES));
  const routeOffsets: number[] = [];
  let r = 0;
  const netns = new Uint32Array(net.netns.length * w(A.NS_BYTES));
  // Namespaces with the same prefixes (a node's pods) share one trie: NS_FIB hints at the first.
  const firstWithPrefixes = new Map<string, number>();
  let prev: CompiledNetwork["netns"][number] | undefined;
  let prevFirst = 0;
  net.netns.forEach((ns, i) => {
    const o = i * w(A.NS_BYTES);
    netns[o + w(A.NS_KIND)] = ns.kind === "host" ? A.NS_HOST : A.NS_POD;
    netns[o + w(A.NS_NODE)] = ns.node;
    netns[o + w(A.NS_ROUTE_COUNT)] = ns.routes.length;
    netns[o + w(A.NS_PEER_OIF)] = ns.peers?.oif ?? A.NONE;
    netns[o + w(A.NS_PEER_GW)] = ns.peers?.gateway ?? A.NONE;
    // A node's pods come one after another with the same prefixes: the previous namespace's
    // answer holds without building the key.
    let first: number | undefined;
    if (prev && samePrefixes(prev.routes, ns.routes)) first = prevFirst;
    else {
      let prefixes = "";
      for (let k = 0; k < ns.routes.length; k++) prefixes += `${k ? " " : ""}${ns.routes[k]!.prefix}/${ns.routes[k]!.prefixLength}`;
      first = firstWithPrefixes.get(prefixes);
      if (first === undefined) firstWithPrefixes.set(prefixes, i);
    }
    prev = ns;
    prevFirst = first ?? i;
    if (first !== undefined) netns[o + w(A.NS_FIB)] = first + 1;
    routeOffsets.push(r);
    for (const route of ns.routes) {
      const ro = r * w(A.RT_BYTES);
      routes[ro + w(A.RT_PREFIX)] = route.prefix;
      routes[ro + w(A.RT_LEN)] = route.prefixLength;
      routes[ro + w(A.RT_OIF)] = route.oif;
      routes[ro + w(A.RT_GATEWAY)] = route.via ?? 0;
      routes[ro + w(A.RT_MTU)] = route.mtu ?? 0;
      r++;
    }
  });
  const entries = net.peerRoutes?.entries ?? [];
  const peerRoutes = new Uint32Array(entries.length * w(A.PR_BYTES));
  entries.forEach((e, i) => {
    const o = i * w(A.PR_BYTES);
    peerRoutes[o + w(A.PR_PREFIX)] = e.prefix;
    peerRoutes[o + w(A.PR_LEN)] = e.prefixLength;
    peerRoutes[o + w(A.PR_NODE)] = e.node;
    peerRoutes[o + w(A.PR_GATEWAY)] = e.gateway ?? A.NONE;
  });
  const peerMtu = net.peerRoutes?.route.mtu ?? 0;
  const nodes = new Uint32Array(net.nodes.length * w(A.N_BYTES));
  net.nodes.forEach((n, i) => {
    const o = i * w(A.N_BYTES);
    nodes[o + w(A.N_HOST)] = n.host;
    nodes[o + w(A.N_ETH)] = n.eth;
    nodes[o + w(A.N_VXLAN)] = n.vxlan ?? A.NONE; // host-gw: no overlay device
    nodes[o + w(A.N_BRIDGE)] = n.bridge ?? A.NONE; // Calico: no bridge
    nodes[o + w(A.N_CILIUM_HOST)] = n.ciliumHost ?? A.NONE;
    nodes[o + w(A.N_POD_NET)] = n.podCIDR?.address ?? 0;
    nodes[o + w(A.N_POD_LEN)] = n.podCIDR?.prefixLength ?? 0;
    nodes[o + w(A.N_FLAGS)] = n.bridgeNfOff ? A.NFL_BR_NETFILTER_OFF : 0;
  });
  return { ifaces, netns, routes, routeOffsets, peerRoutes, peerMtu, nodes, ...encodeRules(rs), ...encodePolicy(policy) };
}

/** The tables kube-proxy's rules make (netfilter rules and chains, set elements, IPVS, Cilium's LB): all a re-sync replaces. */
export type EncodedRules = Pick<Encoded, "rules" | "chains" | "hooks" | "elements" | "virtualServers" | "realServers" | "frontends" | "backends" | "lbMode">;

export function encodeRules(rs: Ruleset): EncodedRules {
  const w = (bytes: number) => bytes / 4;
  // compileIptables numbers rules chain by chain: a chain is a contiguous range of ids.
  const rules = new Uint32Array(rs.rules.length * w(A.R_BYTES));
  // Rules kube-proxy writes on some nodes only name a set of node indexes, kept after rs.sets.
  const nodeSets = new Map<string, { id: number; nodes: number[] }>();
  // Multiport ranges live after every set's elements: [low, high] pairs, a rule's consecutive.
  const portRanges: number[] = [];
  const firstPortElement = rs.sets.reduce((n, set) => n + set.elements.length, 0);
  rs.rules.forEach((rule, i) => {
    const o = i * w(A.R_BYTES);
    const m = rule.match;
    let flags = 0;
    if (m.src) {
      flags |= A.M_SRC | (m.src.invert ? A.M_SRC_INV : 0);
      rules[o + w(A.R_SRC)] = (m.src.addr & m.src.mask) >>> 0;
      rules[o + w(A.R_SRC_MASK)] = m.src.mask;
    }
    if (m.dst) {
      flags |= A.M_DST | (m.dst.invert ? A.M_DST_INV : 0);
      rules[o + w(A.R_DST)] = (m.dst.addr & m.dst.mask) >>> 0;
      rules[o + w(A.R_DST_MASK)] = m.dst.mask;
    }
    if (m.proto !== undefined) {
      flags |= A.M_PROTO;
      rules[o + w(A.R_PROTO)] = m.proto;
    }
    if (m.dport !== undefined) {
      flags |= A.M_DPORT;
      rules[o + w(A.R_DPORT)] = m.dport;
    }
    if (m.mark) {
      flags |= A.M_MARK | (m.mark.invert ? A.M_MARK_INV : 0);
      rules[o + w(A.R_MARK)] = m.mark.value;
      rules[o + w(A.R_MARK_MASK)] = m.mark.mask;
    }
    if (m.probability !== undefined) {
      flags |= A.M_STATISTIC;
      rules[o + w(A.R_PROBABILITY)] = m.probability;
    }
    if (m.recentCheck) {
      flags |= A.M_RECENT_CHECK;
      rules[o + w(A.R_RECENT)] = m.recentCheck.list;
      rules[o + w(A.R_SECONDS)] = m.recentCheck.seconds;
    }
    if (m.recentSet) {
      flags |= A.M_RECENT_SET;
      rules[o + w(A.R_RECENT)] = m.recentSet.list;
    }
    if (m.ctstate === "NEW") flags |= A.M_CTSTATE_NEW;
    if (m.ctstate === "ESTABLISHED") flags |= A.M_CTSTATE_ESTABLISHED;
    if (m.ctstate === "INVALID") flags |= A.M_CTSTATE_INVALID;
    if (m.dstLocal) flags |= A.M_DST_LOCAL;
    if (m.daddrIn !== undefined) {
      flags |= A.M_DADDR_SET;
      rules[o + w(A.R_SET)] = m.daddrIn;
    }
    if (m.vmap !== undefined) {
      flags |= A.M_VMAP;
      rules[o + w(A.R_MAP)] = (m.vmap | (rs.sets[m.vmap]!.keyHasAddr ? 0 : A.MAP_NO_ADDR)) >>> 0;
    }
    if (m.nodeMap !== undefined) {
      flags |= A.M_VMAP;
      rules[o + w(A.R_MAP)] = (m.nodeMap | A.MAP_BY_NODE) >>> 0;
    }
    if (m.ipset) {
      flags |= A.M_IPSET;
      rules[o + w(A.R_SET)] = m.ipset.set;
      rules[o + w(A.R_IPSET)] = IPSET_DIMS[m.ipset.dims];
    }
    if (m.ipset2) {
      flags |= A.M_IPSET2;
      rules[o + w(A.R_SET2)] = m.ipset2.set;
      rules[o + w(A.R_IPSET2)] = IPSET_DIMS[m.ipset2.dims];
    }
    const wantIface = (x: number | "workloads" | { set: number }) => (x === "workloads" ? A.IFACE_WORKLOADS : typeof x === "number" ? x : (A.IFACE_IN_SET | x.set) >>> 0);
    if (m.iif !== undefined) {
      flags |= A.M_IIF;
      rules[o + w(A.R_IIF)] = wantIface(m.iif);
    }
    if (m.oif !== undefined) {
      flags |= A.M_OIF;
      rules[o + w(A.R_OIF)] = wantIface(m.oif);
    }
    if (m.dports) {
      flags |= A.M_MULTIPORT;
      rules[o + w(A.R_PORTS)] = firstPortElement + portRanges.length / 2;
      rules[o + w(A.R_DPORT)] = m.dports.length;
      for (const [lo, hi] of m.dports) portRanges.push(lo, hi);
    }
    if (rule.policy) flags |= A.M_VERDICT;
    if (rule.nodes) {
      const key = rule.nodes.join(",");
      if (!nodeSets.has(key)) nodeSets.set(key, { id: rs.sets.length + nodeSets.size, nodes: rule.nodes });
      flags |= A.M_NODES;
      rules[o + w(A.R_NODESET)] = nodeSets.get(key)!.id;
    }
    rules[o + w(A.R_FLAGS)] = flags;
    const t = rule.target;
    switch (t.kind) {
      case "jump":
        rules[o + w(A.R_TARGET)] = A.T_JUMP;
        rules[o + w(A.R_ARG1)] = t.chain;
        break;
      case "return":
        rules[o + w(A.R_TARGET)] = A.T_RETURN;
        break;
      case "accept":
        rules[o + w(A.R_TARGET)] = A.T_ACCEPT;
        break;
      case "drop":
        rules[o + w(A.R_TARGET)] = A.T_DROP;
        break;
      case "reject":
        rules[o + w(A.R_TARGET)] = A.T_REJECT;
        break;
      case "dnat":
        rules[o + w(A.R_TARGET)] = A.T_DNAT;
        rules[o + w(A.R_ARG1)] = t.addr;
        rules[o + w(A.R_ARG2)] = t.port;
        break;
      case "mark-set":
        rules[o + w(A.R_TARGET)] = A.T_MARK_SET;
        rules[o + w(A.R_ARG1)] = t.value;
        rules[o + w(A.R_ARG2)] = t.mask;
        break;
      case "masquerade":
        rules[o + w(A.R_TARGET)] = A.T_MASQUERADE;
        break;
      case "goto":
        rules[o + w(A.R_TARGET)] = A.T_GOTO;
        rules[o + w(A.R_ARG1)] = t.chain;
        break;
      case "numgen":
        rules[o + w(A.R_TARGET)] = A.T_NUMGEN;
        rules[o + w(A.R_ARG1)] = t.first;
        rules[o + w(A.R_ARG2)] = t.count;
        break;
      case "none":
        rules[o + w(A.R_TARGET)] = A.T_NONE;
        break;
    }
  });
  // nftables set and map elements, all sets in one table (SE_* records).
  const elementCount = firstPortElement + portRanges.length / 2 + [...nodeSets.values()].reduce((n, s) => n + s.nodes.length, 0);
  const elements = new Uint32Array(elementCount * w(A.SE_BYTES));
  let e = 0;
  for (const set of rs.sets) {
    for (const el of set.elements) {
      const o = e++ * w(A.SE_BYTES);
      elements[o + w(A.SE_SET)] = set.id;
      elements[o + w(A.SE_ADDR)] = set.keyHasAddr ? el.addr : 0;
      elements[o + w(A.SE_PORTS)] = set.keyHasPort ? ((el.proto << 16) | el.port) >>> 0 : 0;
      const v = el.verdict;
      elements[o + w(A.SE_VERDICT)] = !v ? A.T_NONE : v.kind === "goto" ? A.T_GOTO : v.kind === "jump" ? A.T_JUMP : v.kind === "drop" ? A.T_DROP : A.T_ACCEPT;
      elements[o + w(A.SE_CHAIN)] = v?.kind === "goto" || v?.kind === "jump" ? v.chain : el.addr2 ?? 0;
    }
  }
  for (let k = 0; k < portRanges.length; k += 2) {
    const o = e++ * w(A.SE_BYTES);
    elements[o + w(A.SE_SET)] = A.NONE; // in no set: a multiport rule reads it by index
    elements[o + w(A.SE_ADDR)] = portRanges[k]!;
    elements[o + w(A.SE_PORTS)] = portRanges[k + 1]!;
  }
  const chains = new Uint32Array(rs.chains.length * w(A.C_BYTES));
  rs.chains.forEach((c, i) => {
    chains[i * 2 + w(A.C_FIRST)] = c.rules[0] ?? 0;
    chains[i * 2 + w(A.C_COUNT)] = c.rules.length;
  });
  const hooks = new Uint32Array(A.H_COUNT);
  hooks[A.H_NAT_PREROUTING] = rs.hooks.natPrerouting;
  hooks[A.H_NAT_OUTPUT] = rs.hooks.natOutput;
  hooks[A.H_NAT_POSTROUTING] = rs.hooks.natPostrouting;
  hooks[A.H_FILTER_INPUT] = rs.hooks.filterInput;
  hooks[A.H_FILTER_FORWARD] = rs.hooks.filterForward;
  hooks[A.H_FILTER_OUTPUT] = rs.hooks.filterOutput;
  hooks[A.H_FILTER_PREROUTING_PRE] = rs.hooks.filterPreroutingPreDnat ?? A.NONE;
  hooks[A.H_FILTER_OUTPUT_PRE] = rs.hooks.filterOutputPreDnat ?? A.NONE;
  for (const { id, nodes: members } of nodeSets.values()) {
    for (const node of members) {
      const o = e++ * w(A.SE_BYTES);
      elements[o + w(A.SE_SET)] = id;
      elements[o + w(A.SE_ADDR)] = node;
    }
  }
  // IPVS: the virtual servers, their real servers numbered in one row.
  const vs = rs.ipvs?.virtualServers ?? [];
  const virtualServers = new Uint32Array(vs.length * w(A.VS_BYTES));
  const realServers = new Uint32Array((rs.ipvs?.realServerCount ?? 0) * w(A.RS_BYTES));
  vs.forEach((v, i) => {
    const o = i * w(A.VS_BYTES);
    virtualServers[o + w(A.VS_ADDR)] = v.addr;
    virtualServers[o + w(A.VS_PORTS)] = ((A_PROTO[v.protocol] << 16) | v.port) >>> 0;
    virtualServers[o + w(A.VS_SCHED)] = IPVS_SCHEDULER_CODE[v.scheduler];
    virtualServers[o + w(A.VS_FLAGS)] = v.flags;
    virtualServers[o + w(A.VS_TIMEOUT)] = v.timeout;
    virtualServers[o + w(A.VS_FIRST)] = v.firstDest;
    virtualServers[o + w(A.VS_COUNT)] = v.dests.length;
    virtualServers[o + w(A.VS_WRR_MW)] = v.wrr.mw;
    virtualServers[o + w(A.VS_WRR_DI)] = v.wrr.di;
    virtualServers[o + w(A.VS_WRR_CW)] = v.wrr.cw;
    v.dests.forEach((d, k) => {
      const r = (v.firstDest + k) * w(A.RS_BYTES);
      realServers[r + w(A.RS_ADDR)] = d.addr;
      realServers[r + w(A.RS_PORT)] = d.port;
      realServers[r + w(A.RS_WEIGHT)] = d.weight;
    });
  });
  // Cilium's service table: frontends in ID order, their backends numbered in one row.
  const lb = rs.cilium;
  const frontends = new Uint32Array((lb?.frontends.length ?? 0) * w(A.FE_BYTES));
  const backends = new Uint32Array((lb?.backendCount ?? 0) * w(A.BE_BYTES));
  lb?.frontends.forEach((fe, i) => {
    const o = i * w(A.FE_BYTES);
    frontends[o + w(A.FE_ADDR)] = fe.addr;
    frontends[o + w(A.FE_PORTS)] = ((A_PROTO[fe.protocol] << 16) | fe.port) >>> 0;
    frontends[o + w(A.FE_FIRST)] = fe.firstBackend;
    frontends[o + w(A.FE_COUNT)] = fe.backends.length;
    frontends[o + w(A.FE_AFFINITY)] = fe.affinityTimeout;
    fe.backends.forEach((be, k) => {
      const b = (fe.firstBackend + k) * w(A.BE_BYTES);
      backends[b + w(A.BE_ADDR)] = be.addr;
      backends[b + w(A.BE_PORT)] = be.port;
    });
  });
  const lbMode = !lb ? A.LB_NONE : lb.socketLb ? A.LB_SOCKET : A.LB_PER_PACKET;
  return { rules, chains, hooks, elements, virtualServers, realServers, frontends, backends, lbMode };
}
