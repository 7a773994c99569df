// The dataplane's semantics written for clarity: objects, Maps and plain control flow over
// the compiled tables, no linear memory. It is the oracle of the differential tests (it
// must produce the same hop records and counters as assembly/ for any cluster and flow) and
// the baseline of the benchmarks. Not part of the shipped bundle.

import type { IpsetDims, Ruleset, NfRule, SetElement } from "../compile/iptables.js";
import type { CompiledNetwork, Iface } from "../compile/network.js";
import type { CiliumPolicyTable } from "../compile/cilium-policy.js";
import { routeAt } from "../compile/routes.js";
import { maskOf } from "../net/ipv4.js";
import * as A from "../dataplane/abi.js";
import type { PacketSpec, RawExchange } from "../dataplane/packet.js";
import { referenceLookup } from "./fib.js";
import { ReferenceIpvs } from "./ipvs.js";

interface Packet {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  proto: number;
  ttl: number;
  len: number;
  flags: number;
  mark: number;
  smac: [number, number];
  dmac: [number, number];
  outer: { src: number; dst: number; sport: number; dport: number; vni: number; ttl: number };
  icmp: number;
}

interface Connection {
  index: number;
  orig: [number, number, number]; // src, dst, sport << 16 | dport
  reply: [number, number, number];
  key: number; // proto | node << 8
  dnat: boolean;
  snat: boolean;
  seenReply: boolean;
  tcp: "" | "SYN_SENT" | "SYN_RECV" | "ESTABLISHED" | "FIN_WAIT" | "CLOSE_WAIT" | "LAST_ACK" | "TIME_WAIT";
  expires: number;
  /** IPVS translated it: the real server it is bound to, and whether IPVS counts it as active. */
  ipvs?: { rs: number; active: boolean };
}

const TIMEOUT = { tcpEstablished: 432000, tcpSynSent: 120, tcpSynRecv: 60, tcpFinWait: 120, tcpCloseWait: 60, tcpLastAck: 30, tcpTimeWait: 120, udp: 30, icmp: 30 };
const VXLAN_OVERHEAD = 50;
const IPIP_OVERHEAD = 20;
const MAX_STEPS = 64;
/** Cilium: LOCAL_NODE_ID (the host's packets, encapsulated) and the service loopback address 169.254.42.1. */
const IDENTITY_LOCAL_NODE = 6;
const SERVICE_LOOPBACK = 0xa9fe2a01;
const PROTO_OF = { TCP: A.PROTO_TCP, UDP: A.PROTO_UDP, SCTP: A.PROTO_SCTP } as const;
type BpfResult = "pass" | Iface | number;

function macWords(mac: string): [number, number] {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  return [(b[0]! << 8) | b[1]!, ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0];
}

export class ReferenceDataplane {
  private rng = 0x9e3779b9;
  private now = 0;
  private readonly byAddr = new Map<number, Iface>();
  private readonly byMac = new Map<string, Iface>();
  private readonly routeRecords: Uint32Array[];
  private conns: Connection[] = [];
  private readonly tuples = new Map<string, { conn: Connection; dir: 0 | 1 }>();
  private liveConns = 0;
  private readonly recent = new Map<string, number>();
  private hops: number[][] = [];
  private tracing = false;
  private phase = A.PH_REQUEST;
  readonly ruleHits: number[];
  counters = { delivered: 0, dropped: 0, rejected: 0, bytes: 0, encapBytes: 0, rulesWalked: 0, ctHits: 0, ctMisses: 0, ctInserts: 0, ctFull: 0, ctLive: 0, sameNodeConnections: 0, crossNodeConnections: 0, failedLookups: 0 };
  private lookupAnswered = true;
  /** New connections by the rules (or lookups) their first packet and answer walked, as assembly/index.ts walkHistogram (capped at 65535). */
  readonly walksPerNewConnection = new Map<number, number>();
  readonly drops = new Array<number>(A.X_REASONS).fill(0);
  /** Delivered packets per "origin node>delivery node". */
  readonly nodePairs = new Map<string, number>();
  // Where the last forward ended
  private endNetns = 0;
  /** Where the last exchange's request ended (before its answer moved endNetns). */
  private requestEnd = 0;
  private rejectAddr = 0;
  /** Next-hop MTU of a forwarded packet dropped as too big (0: none), as assembly/forward.ts fragMtu. */
  private fragMtu = 0;
  /** Where the last forward's packet left its socket for (after socket LB, before any NAT), as assembly/forward.ts sentDst/sentDport. */
  private sent = { dst: 0, dport: 0 };
  /** The client socket an answer is for: delivered in `ns`, a TCP or UDP packet must come from src:sport (assembly/forward.ts expectReply). */
  private expect: { ns: number; src: number; sport: number } | undefined;
  /** The IP-in-IP packet being sent: outer destination and the route that chose it. */
  private tunnel = { dst: 0, route: 0 };

  /** IPVS mode: the virtual servers and every node's scheduler state. */
  readonly ipvs: ReferenceIpvs | undefined;
  /** The IPVS connections the last conntrack lookup found (original direction, reply), and the nat walk's length. */
  private ipvsConn: Connection | undefined;
  private ipvsReplyConn: Connection | undefined;
  private natWalked = 0;
  /** The node whose tables the walks run (rules kube-proxy writes on some nodes only). */
  private walkNode = 0;

  // ---- Cilium: its service table, where it translates, and its programs' state (assembly/cilium.ts)
  private readonly lbMode: number;
  private readonly frontendByKey = new Map<string, number>();
  /** Sockets, reverse socket entries, per-packet LB conntrack, affinity: "kind/k0/…/k4" → values. */
  private readonly lbState = new Map<string, number[]>();
  /** The seed last set: the stand-in for the kernel's socket cookies. */
  private seedValue = 0;
  /** Where an eBPF program sends its own answer back (Cilium's reject), as assembly/forward.ts rejectIf. */
  private rejectIf: Iface | undefined;
  /** Every node's pod CIDR network → node, as the ipcache tunnels them. */
  private readonly podCidrNode = new Map<number, number>();
  private podCidrLen = 0;
  /** Cilium's policy maps: each enforced endpoint's entries by "lxc/direction" (assembly/policy.ts). */
  private readonly policyMaps = new Map<string, { first: number; count: number }>();
  /** Whether Cilium enforces any policy: only then are connections tracked for it. */
  private readonly policyActive: boolean;

  constructor(
    private readonly net: CompiledNetwork,
    private readonly rs: Ruleset,
    private readonly conntrackMax = 262144,
    private readonly policy?: CiliumPolicyTable,
  ) {
    this.ipvs = rs.ipvs ? new ReferenceIpvs(rs.ipvs) : undefined;
    for (const f of net.ifaces) {
      if (f.addr !== undefined && f.addr !== 0) this.byAddr.set(f.addr, f);
      // Calico's host veths (all ee:ee:ee:ee:ee:ee) and tunl0 are never looked up by MAC.
      if (f.kind !== "ipip" && !f.proxyArp) this.byMac.set(f.mac, f);
    }
    this.routeRecords = net.netns.map((ns) => Uint32Array.from(ns.routes.flatMap((r) => [r.prefix, r.prefixLength])));
    this.ruleHits = new Array<number>(rs.rules.length).fill(0);
    this.lbMode = !rs.cilium ? A.LB_NONE : rs.cilium.socketLb ? A.LB_SOCKET : A.LB_PER_PACKET;
    rs.cilium?.frontends.forEach((fe, i) => this.frontendByKey.set(`${fe.addr}/${PROTO_OF[fe.protocol]}/${fe.port}`, i));
    net.nodes.forEach((n, i) => {
      if (!n.podCIDR) return;
      this.podCidrLen = n.podCIDR.prefixLength;
      this.podCidrNode.set(n.podCIDR.address, i);
    });
    for (const e of policy?.endpoints ?? []) {
      const key = `${e.lxc}/${e.direction === "egress" ? A.POL_EGRESS : A.POL_INGRESS}`;
      if (!this.policyMaps.has(key)) this.policyMaps.set(key, { first: e.first, count: e.count });
    }
    this.policyActive = (policy?.endpoints.length ?? 0) > 0;
  }

  // ---- The seeded PRNG and clock: the same algorithms as assembly/state.ts ----------------
  setSeed(seed: number): void {
    this.seedValue = seed >>> 0;
    let x = (seed ^ 0x9e3779b9) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b) >>> 0;
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x ^= x >>> 16;
    this.rng = x === 0 ? 0x9e3779b9 : x >>> 0;
  }

  private random32(): number {
    let x = this.rng;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  setTime(seconds: number): void {
    this.now = seconds >>> 0;
  }

  resetState(): void {
    this.conns = [];
    this.tuples.clear();
    this.liveConns = 0;
    this.recent.clear();
    for (const k of Object.keys(this.counters) as Array<keyof typeof this.counters>) this.counters[k] = 0;
    this.drops.fill(0);
    this.ruleHits.fill(0);
    this.nodePairs.clear();
    this.walksPerNewConnection.clear();
    this.ipvs?.reset();
    this.lbState.clear();
  }

  // ---- Tracing ----------------------------------------------------------------------------
  private hop(node: number, ns: number, component: number, action: number, reason: number, inIf: number | undefined, outIf: number | undefined, decider: number, arg: number, extra: number, p: Packet): void {
    if (!this.tracing) return;
    const w = new Array<number>(A.T_BYTES / 4).fill(0);
    w[A.T_SEQ / 4] = this.hops.length;
    w[A.T_NODE / 4] = node;
    w[A.T_NETNS / 4] = ns;
    w[A.T_COMPONENT / 4] = component;
    w[A.T_ACTION / 4] = action;
    w[A.T_REASON / 4] = reason;
    w[A.T_IN / 4] = inIf === undefined ? 0 : inIf + 1;
    w[A.T_OUT / 4] = outIf === undefined ? 0 : outIf + 1;
    w[A.T_DECIDER / 4] = decider;
    w[A.T_ARG / 4] = arg >>> 0;
    w[A.T_PHASE / 4] = this.phase;
    w[A.T_EXTRA / 4] = extra;
    const b = A.T_PACKET / 4;
    w[b + A.P_SRC / 4] = p.src;
    w[b + A.P_DST / 4] = p.dst;
    w[b + A.P_SPORT / 4] = p.sport;
    w[b + A.P_DPORT / 4] = p.dport;
    w[b + A.P_PROTO / 4] = p.proto;
    w[b + A.P_TTL / 4] = p.ttl;
    w[b + A.P_LEN / 4] = p.len;
    w[b + A.P_FLAGS / 4] = p.flags;
    w[b + A.P_MARK / 4] = p.mark;
    w[b + A.P_SMAC_HI / 4] = p.smac[0];
    w[b + A.P_SMAC_LO / 4] = p.smac[1];
    w[b + A.P_DMAC_HI / 4] = p.dmac[0];
    w[b + A.P_DMAC_LO / 4] = p.dmac[1];
    w[b + A.P_OUTER_SRC / 4] = p.outer.src;
    w[b + A.P_OUTER_DST / 4] = p.outer.dst;
    w[b + A.P_OUTER_SPORT / 4] = p.outer.sport;
    w[b + A.P_OUTER_DPORT / 4] = p.outer.dport;
    w[b + A.P_VNI / 4] = p.outer.vni;
    w[b + A.P_OUTER_TTL / 4] = p.outer.ttl;
    w[b + A.P_ICMP / 4] = p.icmp;
    this.hops.push(w);
  }

  // ---- Exchanges ----------------------------------------------------------------------------
  exchange(spec: PacketSpec, from: number, reply: boolean, trace: boolean): RawExchange {
    this.tracing = trace;
    this.hops = [];
    this.phase = A.PH_REQUEST;
    const replyLen = spec.replyLen ?? 0; // the answer's length (FlowQuery.replySize), as in assembly/index.ts
    const { replyLen: _answer, ...fields } = spec;
    const p: Packet = { ...fields, mark: 0, smac: [0, 0], dmac: [0, 0], outer: { src: 0, dst: 0, sport: 0, dport: 0, vni: 0, ttl: 0 }, icmp: 0 };
    const verdict = this.forward(p, from);
    this.requestEnd = this.endNetns;
    let replyVerdict = 0;
    if (verdict === A.V_DELIVERED && reply) {
      [p.src, p.dst] = [p.dst, p.src];
      [p.sport, p.dport] = [p.dport, p.sport];
      p.ttl = 64;
      p.mark = 0;
      p.flags = (p.flags & A.PF_DF) | A.PF_ACK | (p.flags & (A.PF_SYN | A.PF_FIN));
      if (replyLen !== 0) p.len = replyLen;
      this.phase = A.PH_REPLY;
      // The client's socket takes an answer from the address and port it sent to.
      this.expect = { ns: from, src: this.sent.dst, sport: this.sent.dport };
      try {
        replyVerdict = this.forward(p, this.endNetns);
      } finally {
        this.expect = undefined;
      }
      // An answer too big for a hop back: that node's fragmentation needed goes to the answering pod.
      if (replyVerdict === A.V_DROPPED && this.fragMtu !== 0) {
        const icmp: Packet = { src: this.errorSource(this.endNetns, p.src), dst: p.src, sport: 0, dport: 0, proto: A.PROTO_ICMP, ttl: 64, len: 28 + Math.min(p.len, 548), flags: 0, mark: 0, smac: [0, 0], dmac: [0, 0], outer: { src: 0, dst: 0, sport: 0, dport: 0, vni: 0, ttl: 0 }, icmp: ((this.fragMtu << 16) | (3 << 8) | 4) >>> 0 };
        this.phase = A.PH_ERROR;
        this.forward(icmp, this.endNetns);
      }
    } else if (verdict === A.V_REJECTED && reply) {
      const icmp: Packet = { src: this.rejectAddr, dst: p.src, sport: 0, dport: 0, proto: A.PROTO_ICMP, ttl: 64, len: 56, flags: 0, mark: 0, smac: [0, 0], dmac: [0, 0], outer: { src: 0, dst: 0, sport: 0, dport: 0, vni: 0, ttl: 0 }, icmp: (3 << 8) | 3 };
      this.phase = A.PH_ERROR;
      replyVerdict = this.forward(icmp, this.endNetns, this.rejectIf);
    } else if (verdict === A.V_DROPPED && reply && this.fragMtu !== 0) {
      // ICMP fragmentation needed with the next-hop MTU, quoting up to 576 bytes in all.
      const icmp: Packet = { src: this.errorSource(this.endNetns, p.src), dst: p.src, sport: 0, dport: 0, proto: A.PROTO_ICMP, ttl: 64, len: 28 + Math.min(p.len, 548), flags: 0, mark: 0, smac: [0, 0], dmac: [0, 0], outer: { src: 0, dst: 0, sport: 0, dport: 0, vni: 0, ttl: 0 }, icmp: ((this.fragMtu << 16) | (3 << 8) | 4) >>> 0 };
      this.phase = A.PH_ERROR;
      replyVerdict = this.forward(icmp, this.endNetns);
    }
    return { verdict, replyVerdict, hops: Uint32Array.from(this.hops.flat()), hopCount: this.hops.length };
  }

  /** Batch mode, as assembly/index.ts runFlows: FL_* records. */
  runFlows(flows: Uint32Array): void {
    const W = A.FL_BYTES / 4;
    for (let i = 0; i < flows.length; i += W) {
      const word = (at: number) => flows[i + at / 4]!;
      this.setSeed(word(A.FL_SEED));
      this.setTime(word(A.FL_TIME));
      const from = word(A.FL_FROM);
      const established = (word(A.FL_FLAGS) & A.RF_ESTABLISHED) !== 0;
      // As assembly/index.ts: a lookup stops at its first unanswered query, and its connection is not made.
      const flowFlags = word(A.FL_FLAGS);
      if (flowFlags & A.RF_LOOKUP_START) this.lookupAnswered = true;
      if (flowFlags & A.RF_QUERY && !this.lookupAnswered) continue;
      if (flowFlags & A.RF_AFTER_LOOKUP && !this.lookupAnswered) {
        this.counters.failedLookups++;
        continue;
      }
      const packet = (flags: number): PacketSpec => ({ src: word(A.FL_SRC), dst: word(A.FL_DST), sport: word(A.FL_SPORT), dport: word(A.FL_DPORT), proto: word(A.FL_PROTO), len: word(A.FL_LEN), ttl: 64, flags: flags | A.PF_DF | (word(A.FL_FLAGS) & A.RF_CONNECTED ? A.PF_CONNECTED : 0) });
      let open = true;
      for (let k = 0; k < word(A.FL_PACKETS); k++) {
        const first = k === 0 && !established;
        if (!first) {
          this.exchange(packet(A.PF_ACK), from, false, false);
          continue;
        }
        const walked = this.counters.rulesWalked;
        const { verdict, replyVerdict } = this.exchange(packet(A.PF_SYN), from, true, false);
        if (flowFlags & A.RF_QUERY && (verdict !== A.V_DELIVERED || replyVerdict !== A.V_DELIVERED)) this.lookupAnswered = false;
        const n = Math.min(this.counters.rulesWalked - walked, 65535);
        this.walksPerNewConnection.set(n, (this.walksPerNewConnection.get(n) ?? 0) + 1);
        if (verdict === A.V_DELIVERED) {
          if (this.nodeOf(this.requestEnd) === this.nodeOf(from)) this.counters.sameNodeConnections++;
          else this.counters.crossNodeConnections++;
        } else open = false;
      }
      if (open && (word(A.FL_FLAGS) & A.RF_CLOSE) !== 0 && word(A.FL_PROTO) === A.PROTO_TCP) {
        this.exchange(packet(A.PF_FIN | A.PF_ACK), from, true, false);
        this.exchange(packet(A.PF_ACK), from, false, false);
      }
    }
    this.counters.ctLive = this.liveConns;
  }

  // ---- The forwarding loop ---------------------------------------------------------------------
  private nodeOf(ns: number): number {
    return this.net.netns[ns]!.node;
  }

  private isLocal(ns: number, addr: number): boolean {
    const f = this.byAddr.get(addr);
    if (f !== undefined) return f.netns === ns;
    // IPVS mode: the ClusterIPs on kube-ipvs0 are every node's own.
    return this.ipvs !== undefined && this.net.netns[ns]!.kind === "host" && this.ipvs.isBound(addr);
  }

  private drop(ns: number, component: number, reason: number, inIf: number | undefined, outIf: number | undefined, decider: number, arg: number, p: Packet, extra = 0): number {
    this.counters.dropped++;
    this.drops[reason] = this.drops[reason]! + 1;
    this.endNetns = ns;
    this.pending = undefined;
    this.hop(this.nodeOf(ns), ns, component, A.A_DROP, reason, inIf, outIf, decider, arg, extra, p);
    return A.V_DROPPED;
  }

  private segmentOf(f: Iface): number {
    if (f.kind === "veth") {
      if (f.master !== undefined) return this.net.ifaces[f.master]!.segment;
      const peer = this.net.ifaces[f.peer!]!;
      if (peer.master !== undefined) return this.net.ifaces[peer.master]!.segment;
    }
    return f.segment;
  }

  private neighbour(oif: Iface, ip: number): Iface | undefined {
    const t = this.byAddr.get(ip);
    if (t && this.segmentOf(t) === this.segmentOf(oif)) return t;
    // Proxy ARP: the far end of a veth answers for what its namespace routes out another interface.
    const peer = oif.kind === "veth" ? this.net.ifaces[oif.peer!]! : undefined;
    // Cilium: cil_from_container's ARP responder answers the pod for any address but its own.
    if (peer?.bpf === "lxc") return ip === oif.addr ? undefined : peer;
    if (!peer?.proxyArp) return undefined;
    const r = this.route(peer.netns, ip);
    const out = r < 0 ? A.NONE : routeAt(this.net.netns[peer.netns]!, r)!.oif;
    return out !== A.NONE && out !== peer.id ? peer : undefined;
  }

  /**
   * The namespace's route to `dst`: the longest prefix among its own routes and, on a node, the
   * shared routes to the other nodes' pod networks (its own node's entries are not its routes).
   */
  private route(ns: number, dst: number): number {
    const netns = this.net.netns[ns]!;
    let best = referenceLookup(this.routeRecords[ns]!, dst);
    const peers = netns.peers;
    if (!peers) return best;
    let bestLength = best < 0 ? -1 : netns.routes[best]!.prefixLength;
    peers.shared.entries.forEach((e, i) => {
      if (e.node !== peers.node && e.prefixLength > bestLength && ((dst & maskOf(e.prefixLength)) >>> 0) === e.prefix) {
        best = netns.routes.length + i;
        bestLength = e.prefixLength;
      }
    });
    return best;
  }

  /** As assembly/forward.ts errorSource: the route's interface address, else the node's eth0's. */
  private errorSource(ns: number, to: number): number {
    const netns = this.net.netns[ns]!;
    const route = this.route(ns, to);
    if (route < 0) return 0;
    const oif = routeAt(netns, route)!.oif;
    const addr = oif === A.NONE ? 0 : (this.net.ifaces[oif]!.addr ?? 0);
    if (addr !== 0 || netns.kind === "pod") return addr;
    return this.net.ifaces[this.net.nodes[netns.node]!.eth]!.addr!;
  }

  /** The frame a route builds: the outgoing interface's MAC, the next hop's (unresolved: zeros). */
  private setMacs(p: Packet, from: Iface, to: Iface | undefined): void {
    p.smac = macWords(from.mac);
    p.dmac = to ? macWords(to.mac) : [0, 0];
  }

  private ifaceByDmac(p: Packet): Iface | undefined {
    const mac = [p.dmac[0] >>> 8, p.dmac[0] & 255, p.dmac[1] >>> 24, (p.dmac[1] >>> 16) & 255, (p.dmac[1] >>> 8) & 255, p.dmac[1] & 255].map((x) => x.toString(16).padStart(2, "0")).join(":");
    return this.byMac.get(mac);
  }

  forward(p: Packet, from: number, startIf?: Iface): number {
    const origin = this.nodeOf(from);
    type State = "originate" | "input" | "xmit" | "rx" | "ipvs";
    let state: State = "originate";
    let ns = from;
    let cur: Iface | undefined;
    let inIf: number | undefined;
    this.pending = undefined;
    this.fragMtu = 0;
    this.ipvsConn = undefined;
    this.ipvsReplyConn = undefined;
    this.rejectIf = undefined;
    // A new packet has no Ethernet header until it is routed: nothing left from the one before.
    p.smac = [0, 0];
    p.dmac = [0, 0];
    if (startIf) {
      // An eBPF program's own answer, back out the device the request came in on.
      this.setMacs(p, startIf, this.net.ifaces[startIf.peer!]);
      cur = startIf;
      state = "xmit";
    }
    for (let step = 0; step < MAX_STEPS; step++) {
      if (state === "originate" || state === "input" || state === "ipvs") {
        const n = this.nodeOf(ns);
        this.walkNode = n;
        const netns = this.net.netns[ns]!;
        const host = netns.kind === "host";
        const originating = state === "originate";
        const ipvsOut = state === "ipvs";
        if (originating && this.lbMode === A.LB_SOCKET) {
          const v = this.socketLb(ns, p);
          if (v !== 0) return v;
        }
        if (originating) this.sent = { dst: p.dst, dport: p.dport };
        const preDst = p.dst; // br_netfilter's nf_bridge->ipv4_daddr
        if (host && !ipvsOut) this.conntrackIn(ns, p, originating ? A.H_NAT_OUTPUT : A.H_NAT_PREROUTING, this.isLocal(ns, p.dst), inIf);
        if (this.isLocal(ns, p.dst)) {
          if (host) {
            if (!ipvsOut) {
              const v = this.filterWalk(this.rs.hooks.filterInput, ns, p, true, inIf, undefined);
              if (v === "reject") return this.reject(ns, p, inIf);
              if (v === "drop") return this.ruleDrop(ns, inIf, undefined, p);
              if (this.ipvs) {
                const step = this.ipvsLocalIn(ns, p, inIf, this.natWalked + this.last.walked);
                if (step === "xmit") {
                  state = "ipvs";
                  continue;
                }
                if (typeof step === "number") return this.ipvsReject(ns, p, inIf, step, this.natWalked + this.last.walked + 1);
                if (step === "nosched") return this.drop(ns, A.K_SOCKET, A.X_NO_SOCKET, inIf, undefined, A.D_NONE, 0, p);
                this.ipvsUnnat(ns, p, inIf, undefined);
              }
            }
            if (this.pending && !this.conntrackOut(ns, p, undefined, true)) return this.drop(ns, A.K_CONNTRACK, A.X_CT_FULL, inIf, undefined, A.D_NONE, 0, p);
          }
          // An answer from another peer than the one the client sent to finds no socket.
          const e = this.expect;
          if (e && ns === e.ns && p.proto !== A.PROTO_ICMP && (p.src !== e.src || p.sport !== e.sport)) {
            return this.drop(ns, host ? A.K_SOCKET : A.K_POD, A.X_NO_CONNECTION, inIf, undefined, A.D_NONE, 0, p);
          }
          this.counters.delivered++;
          this.counters.bytes += p.len;
          // At most 49,152 pairs, as assembly/forward.ts PAIR_MAX (the rest are not counted per pair).
          const pair = `${origin}>${n}`;
          const seen = this.nodePairs.get(pair);
          if (seen !== undefined || this.nodePairs.size < 49152) this.nodePairs.set(pair, (seen ?? 0) + 1);
          this.endNetns = ns;
          const revsk = this.lbMode === A.LB_SOCKET ? this.socketRev(ns, p) : undefined;
          this.hop(n, ns, host ? A.K_SOCKET : A.K_POD, A.A_DELIVER, A.X_NONE, inIf, undefined, A.D_NONE, 0, revsk !== undefined && p.proto === A.PROTO_TCP ? revsk + 1 : 0, p);
          if (revsk !== undefined && p.proto === A.PROTO_UDP) {
            const fe = this.rs.cilium!.frontends[revsk]!;
            p.src = fe.addr;
            p.sport = fe.port;
            this.hop(n, ns, A.K_SOCK_LB, A.A_SOCK_LB, A.X_NONE, undefined, undefined, A.D_LB_FE, revsk, A.PROG_SOCK_RECVMSG, p);
          }
          return A.V_DELIVERED;
        }
        const found = this.route(ns, p.dst);
        // A blackhole route discards at the lookup, before the TTL is spent, with no ICMP.
        if (found >= 0 && routeAt(netns, found)!.oif === A.NONE) return this.drop(ns, A.K_ROUTING, A.X_BLACKHOLE, inIf, undefined, A.D_ROUTE, found, p);
        // br_netfilter's bridged DNAT (br_nf_pre_routing_finish): a frame from a bridge port
        // (`cur`) whose destination PREROUTING rewrote, when the route to the new destination
        // leaves by that same bridge, stays bridged: no routing, TTL untouched, source MAC the
        // sender's, destination MAC the new destination's neighbour entry. Then FDB (hairpin
        // mode lets it out the port it came in on), FORWARD and POSTROUTING, as bridged traffic.
        // With bridge-nf-call-iptables=0 the frame was the IP stack's from the start: routed.
        const bridgedRoute = !originating && host && p.dst !== preDst && inIf !== undefined && this.net.ifaces[inIf]!.kind === "bridge" && !this.net.nodes[n]!.bridgeNfOff ? this.route(ns, p.dst) : -1;
        if (bridgedRoute >= 0 && routeAt(netns, bridgedRoute)!.oif === inIf) {
          const bridge = this.net.ifaces[inIf!]!;
          const r = routeAt(netns, bridgedRoute)!;
          const t = this.neighbour(bridge, r.via ?? p.dst);
          if (!t) {
            p.dmac = [0, 0];
            return this.drop(ns, A.K_ROUTING, A.X_NO_NEIGHBOUR, inIf, inIf, A.D_ROUTE, bridgedRoute, p);
          }
          const port = t.peer === undefined ? undefined : this.net.ifaces[t.peer];
          if (!port || port.master !== inIf) return this.drop(ns, A.K_BRIDGE, A.X_NO_FDB, cur!.id, undefined, A.D_NONE, 0, p);
          p.dmac = macWords(t.mac);
          this.hop(n, ns, A.K_BRIDGE, A.A_BRIDGE, A.X_NONE, cur!.id, port.id, A.D_FDB, t.id, 1, p); // extra 1: bridged DNAT
          const v = this.filterWalk(this.rs.hooks.filterForward, ns, p, false, cur!.id, port.id);
          if (v === "reject") return this.reject(ns, p, inIf);
          if (v === "drop") return this.ruleDrop(ns, cur!.id, port.id, p);
          this.ipvsUnnat(ns, p, cur!.id, port.id);
          if (!this.conntrackOut(ns, p, bridge, false)) return this.drop(ns, A.K_CONNTRACK, A.X_CT_FULL, cur!.id, port.id, A.D_NONE, 0, p);
          cur = port;
          state = "xmit";
          continue;
        }
        if (!originating) {
          if (!host) return this.drop(ns, A.K_POD, A.X_NO_ROUTE, inIf, undefined, A.D_NONE, 0, p);
          if (p.ttl <= 1) return this.drop(ns, A.K_ROUTING, A.X_TTL, inIf, undefined, A.D_NONE, 0, p);
          p.ttl -= 1;
        }
        const route = found;
        if (route < 0) return this.drop(ns, A.K_ROUTING, A.X_NO_ROUTE, inIf, undefined, A.D_NONE, 0, p);
        const r = routeAt(netns, route)!;
        const oif = this.net.ifaces[r.oif]!;
        const peer = this.neighbour(oif, r.via ?? p.dst);
        this.setMacs(p, oif, peer);
        this.hop(n, ns, host ? A.K_ROUTING : A.K_POD, A.A_ROUTE, A.X_NONE, inIf, oif.id, A.D_ROUTE, route, 0, p);
        if (host) {
          // IPVS's translated packets leave through LOCAL_OUT: filter OUTPUT.
          const v = this.filterWalk(originating || ipvsOut ? this.rs.hooks.filterOutput : this.rs.hooks.filterForward, ns, p, false, inIf, oif.id);
          if (v === "reject") return this.reject(ns, p, inIf);
          if (v === "drop") return this.ruleDrop(ns, inIf, oif.id, p);
          this.ipvsUnnat(ns, p, inIf, oif.id);
          if (!this.conntrackOut(ns, p, oif, false)) return this.drop(ns, A.K_CONNTRACK, A.X_CT_FULL, inIf, oif.id, A.D_NONE, 0, p);
        }
        // tunl0 is NOARP: no neighbour, the route's gateway is the tunnel's far end.
        if (!peer && oif.kind !== "ipip") return this.drop(ns, A.K_ROUTING, oif.kind === "eth" ? A.X_LEAVES_CLUSTER : A.X_NO_NEIGHBOUR, inIf, oif.id, A.D_ROUTE, route, p);
        // A route's MTU metric limits what this namespace sends itself; forwarded packets meet the device's.
        const mtu = originating && r.mtu !== undefined ? r.mtu : oif.mtu;
        if (p.len > mtu && p.flags & A.PF_DF) {
          // Forwarded: answered with ICMP fragmentation needed; sent from here: EMSGSIZE.
          const v = this.drop(ns, A.K_ROUTING, A.X_FRAG_NEEDED, inIf, oif.id, A.D_ROUTE, route, p);
          if (!originating) this.fragMtu = mtu;
          return v;
        }
        if (oif.kind === "ipip") this.tunnel = { dst: r.via ?? p.dst, route };
        cur = oif;
        state = "xmit";
        continue;
      }

      if (state === "xmit") {
        const f = cur!;
        const n = this.nodeOf(ns);
        if (f.bpf === "host") {
          // cil_from_host at cilium_host's tc egress.
          const b = this.bpfRoute(ns, p, f, A.PROG_FROM_HOST, IDENTITY_LOCAL_NODE);
          if (typeof b === "number") return b;
          if (b === "pass") return this.drop(ns, A.K_BPF, A.X_NO_ROUTE, undefined, f.id, A.D_NONE, 0, p);
          cur = b;
          continue;
        }
        if (f.kind === "veth") {
          const peer = this.net.ifaces[f.peer!]!;
          this.hop(n, ns, A.K_VETH, A.A_XMIT, A.X_NONE, undefined, f.id, A.D_NONE, peer.id, 0, p);
          p.mark = 0; // skb_scrub_packet, as in assembly/forward.ts
          inIf = peer.id;
          ns = peer.netns;
          cur = peer;
          state = "rx";
          continue;
        }
        if (f.kind === "bridge") {
          const t = this.ifaceByDmac(p);
          const port = t?.peer === undefined ? undefined : this.net.ifaces[t.peer];
          if (!t || !port || port.master !== f.id) return this.drop(ns, A.K_BRIDGE, A.X_NO_FDB, undefined, f.id, A.D_NONE, 0, p);
          this.hop(n, ns, A.K_BRIDGE, A.A_BRIDGE, A.X_NONE, f.id, port.id, A.D_FDB, t.id, 0, p);
          cur = port;
          continue;
        }
        if (f.kind === "vxlan") {
          const vtep = this.ifaceByDmac(p);
          if (!vtep || vtep.kind !== "vxlan") return this.drop(ns, A.K_VXLAN, A.X_NO_FDB, undefined, f.id, A.D_NONE, 0, p);
          const remoteEth = this.net.ifaces[this.net.nodes[this.nodeOf(vtep.netns)]!.eth]!;
          const localEth = this.net.ifaces[this.net.nodes[n]!.eth]!;
          if (p.len + VXLAN_OVERHEAD > localEth.mtu) return this.drop(ns, A.K_VXLAN, A.X_FRAG_NEEDED, undefined, f.id, A.D_NONE, 0, p);
          p.outer = { src: localEth.addr!, dst: remoteEth.addr!, sport: flowSourcePort(p), dport: f.port!, vni: f.vni!, ttl: 64 };
          p.flags |= A.PF_ENCAP;
          this.counters.encapBytes += VXLAN_OVERHEAD;
          this.hop(n, ns, A.K_VXLAN, A.A_ENCAP, A.X_NONE, undefined, f.id, A.D_FDB, vtep.id, 0, p);
          // The outer frame (eth0 → the peer's eth0) is not in the record: the inner MACs stay.
          cur = localEth;
          continue;
        }
        if (f.kind === "ipip") {
          const t = this.byAddr.get(this.tunnel.dst);
          if (!t || t.kind !== "eth") return this.drop(ns, A.K_IPIP, A.X_LEAVES_CLUSTER, undefined, f.id, A.D_ROUTE, this.tunnel.route, p);
          const localEth = this.net.ifaces[this.net.nodes[n]!.eth]!;
          if (p.len + IPIP_OVERHEAD > localEth.mtu && p.flags & A.PF_DF) return this.drop(ns, A.K_IPIP, A.X_FRAG_NEEDED, undefined, f.id, A.D_ROUTE, this.tunnel.route, p);
          // Outer IPv4, protocol 4: node → next hop, TTL inherited (tunl0's `ttl inherit`).
          p.outer = { src: localEth.addr!, dst: this.tunnel.dst, sport: 0, dport: 0, vni: 0, ttl: p.ttl };
          p.flags |= A.PF_ENCAP;
          this.counters.encapBytes += IPIP_OVERHEAD;
          this.hop(n, ns, A.K_IPIP, A.A_ENCAP, A.X_NONE, undefined, f.id, A.D_ROUTE, this.tunnel.route, 0, p);
          cur = localEth;
          continue;
        }
        // eth: the underlay. The NIC the frame is for: while encapsulated, the outer frame's,
        // the NIC of the outer destination address.
        const t = p.flags & A.PF_ENCAP ? this.byAddr.get(p.outer.dst) : this.ifaceByDmac(p);
        if (!t || t.kind !== "eth") return this.drop(ns, A.K_UNDERLAY, A.X_LEAVES_CLUSTER, undefined, f.id, A.D_NONE, 0, p);
        this.hop(n, ns, A.K_UNDERLAY, A.A_WIRE, A.X_NONE, f.id, t.id, A.D_FDB, t.id, 0, p);
        p.mark = 0;
        inIf = t.id;
        ns = t.netns;
        cur = t;
        state = "rx";
        continue;
      }

      // rx
      const f = cur!;
      const n = this.nodeOf(ns);
      this.walkNode = n;
      if (f.bpf === "lxc") {
        // cil_from_container at the lxc's tc ingress.
        const b = this.ciliumFromContainer(ns, p, f);
        if (typeof b === "number") return b;
        if (b !== "pass") {
          cur = b;
          state = "xmit";
          continue;
        }
        inIf = f.id;
        state = "input";
        continue;
      }
      if (f.master !== undefined) {
        const t = this.ifaceByDmac(p);
        if (t && t.id === f.master) {
          inIf = f.master;
          state = "input";
          continue;
        }
        const port = t?.peer === undefined ? undefined : this.net.ifaces[t.peer];
        if (!t || !port || port.master !== f.master) return this.drop(ns, A.K_BRIDGE, A.X_NO_FDB, f.id, undefined, A.D_NONE, 0, p);
        if (this.net.nodes[n]!.bridgeNfOff) {
          // bridge-nf-call-iptables=0: by the FDB alone, unseen by iptables and conntrack.
          this.hop(n, ns, A.K_BRIDGE, A.A_BRIDGE, A.X_NONE, f.id, port.id, A.D_FDB, t.id, 0, p);
          cur = port;
          state = "xmit";
          continue;
        }
        // br_netfilter: bridged IPv4 traffic goes through PREROUTING, FORWARD and POSTROUTING.
        this.conntrackIn(ns, p, A.H_NAT_PREROUTING, false, f.master);
        const v = this.filterWalk(this.rs.hooks.filterForward, ns, p, false, f.id, port.id);
        if (v === "reject") return this.reject(ns, p, f.master);
        if (v === "drop") return this.ruleDrop(ns, f.id, port.id, p);
        this.ipvsUnnat(ns, p, f.id, port.id);
        if (!this.conntrackOut(ns, p, this.net.ifaces[f.master]!, false)) return this.drop(ns, A.K_CONNTRACK, A.X_CT_FULL, f.id, port.id, A.D_NONE, 0, p);
        this.hop(n, ns, A.K_BRIDGE, A.A_BRIDGE, A.X_NONE, f.id, port.id, A.D_FDB, t.id, 0, p);
        cur = port;
        state = "xmit";
        continue;
      }
      if (f.kind === "eth" && p.flags & A.PF_ENCAP && p.outer.dst === f.addr) {
        // No overlay device (host-gw): nothing listens on the VXLAN port.
        const vxId = this.net.nodes[n]!.vxlan;
        const vx = vxId === undefined ? undefined : this.net.ifaces[vxId]!;
        if (!vx || p.outer.dport !== (vx.port ?? 0)) return this.drop(ns, A.K_UNDERLAY, A.X_NO_ROUTE, f.id, undefined, A.D_NONE, 0, p);
        p.flags &= ~A.PF_ENCAP;
        this.hop(n, ns, vx.kind === "ipip" ? A.K_IPIP : A.K_VXLAN, A.A_DECAP, A.X_NONE, f.id, vx.id, A.D_NONE, 0, 0, p);
        p.outer = { src: 0, dst: 0, sport: 0, dport: 0, vni: 0, ttl: 0 };
        inIf = vx.id;
        state = "input";
        if (vx.bpf === "overlay") {
          // cil_from_overlay at cilium_vxlan's tc ingress.
          const b = this.bpfRoute(ns, p, vx, A.PROG_FROM_OVERLAY, 0);
          if (typeof b === "number") return b;
          if (b !== "pass") {
            cur = b;
            state = "xmit";
          }
        }
        continue;
      }
      if (f.bpf === "netdev" && !(p.flags & A.PF_ENCAP)) {
        // cil_from_netdev at the NIC's tc ingress.
        const b = this.bpfRoute(ns, p, f, A.PROG_FROM_NETDEV, 0);
        if (typeof b === "number") return b;
        if (b !== "pass") {
          cur = b;
          state = "xmit";
          continue;
        }
      }
      inIf = f.id;
      state = "input";
    }
    return this.drop(ns, A.K_ROUTING, A.X_LOOP, inIf, undefined, A.D_NONE, 0, p);
  }

  private reject(ns: number, p: Packet, inIf: number | undefined): number {
    this.counters.rejected++;
    this.endNetns = ns;
    this.pending = undefined;
    // The error's source: the rejected packet's destination when it is this namespace's own (a local route).
    this.rejectAddr = this.isLocal(ns, p.dst) ? p.dst : this.errorSource(ns, p.src);
    this.hop(this.nodeOf(ns), ns, A.K_NETFILTER, A.A_REJECT, A.X_REJECTED, inIf, undefined, A.D_RULE, this.last.rule, this.last.walked, p);
    return A.V_REJECTED;
  }

  // ---- IPVS (kube-proxy's IPVS mode), as assembly/forward.ts ------------------------------------

  /** set_tcp_state's effect on the counters: ACK (no SYN) → ESTABLISHED (active), SYN keeps, RST, FIN or no flag → inactive. */
  private ipvsTcpState(n: number, c: Connection, p: Packet): void {
    if (p.proto !== A.PROTO_TCP || !c.ipvs) return;
    const was = c.ipvs.active;
    const closing = c.tcp === "FIN_WAIT" || c.tcp === "CLOSE_WAIT" || c.tcp === "LAST_ACK" || c.tcp === "TIME_WAIT";
    const active = p.flags & (A.PF_RST | A.PF_FIN) || closing ? false : p.flags & A.PF_SYN ? was : (p.flags & A.PF_ACK) !== 0;
    if (active === was) return;
    c.ipvs.active = active;
    this.ipvs!.activate(n, c.ipvs.rs, active);
  }

  private ipvsCounts(n: number, rs: number): number {
    const c = this.ipvs!.counts(n, rs);
    return ((Math.min(c.active, 0xffff) << 16) | Math.min(c.inactive, 0xffff)) >>> 0;
  }

  /** IPVS at LOCAL_IN: "xmit" (translated), "pass", "nosched", or the virtual server (index) that has no real server. */
  private ipvsLocalIn(ns: number, p: Packet, inIf: number | undefined, walked: number): "xmit" | "pass" | "nosched" | number {
    const n = this.nodeOf(ns);
    const ipvs = this.ipvs!;
    if (this.ipvsConn) {
      const c = this.ipvsConn;
      this.ipvsConn = undefined;
      p.dst = c.reply[0];
      p.dport = c.reply[2] >>> 16;
      this.ipvsTcpState(n, c, p);
      this.hop(n, ns, A.K_NETFILTER, A.A_CT_HIT, this.ipvsCounts(n, c.ipvs!.rs), inIf, undefined, A.D_IPVS, c.ipvs!.rs, 0, p);
      return "xmit";
    }
    const pend = this.pending;
    if (!pend || !ipvs.isBound(p.dst)) return "pass";
    this.counters.rulesWalked++; // the virtual-server hash lookup
    const vs = ipvs.find(p.dst, p.proto, p.dport);
    if (!vs) return "pass";
    if (p.proto === A.PROTO_TCP && (!(p.flags & A.PF_SYN) || p.flags & (A.PF_ACK | A.PF_RST))) return "nosched";
    const d = ipvs.schedule(n, vs, p, this.now);
    if (d === undefined) return vs.id;
    const rs = vs.firstDest + d;
    ipvs.bind(n, rs);
    const dest = vs.dests[d]!;
    p.dst = dest.addr;
    p.dport = dest.port;
    pend.ipvs = rs;
    pend.reply[0] = dest.addr;
    pend.reply[2] = ((dest.port << 16) | (pend.reply[2] & 0xffff)) >>> 0;
    this.hop(n, ns, A.K_NETFILTER, A.A_DNAT, this.ipvsCounts(n, rs), inIf, undefined, A.D_IPVS, rs, ((walked + 1) | (ipvs.fromTemplate ? 0x80000000 : 0)) >>> 0, p);
    return "xmit";
  }

  /** ip_vs_reply4: a reply of an IPVS connection gets the virtual server's address back. */
  private ipvsUnnat(ns: number, p: Packet, inIf: number | undefined, outIf: number | undefined): void {
    const c = this.ipvsReplyConn;
    if (!c) return;
    this.ipvsReplyConn = undefined;
    const n = this.nodeOf(ns);
    p.src = c.orig[1];
    p.sport = c.orig[2] & 0xffff;
    this.ipvsTcpState(n, c, p);
    this.hop(n, ns, A.K_NETFILTER, A.A_UNNAT, this.ipvsCounts(n, c.ipvs!.rs), inIf, outIf, A.D_IPVS, c.ipvs!.rs, 0, p);
  }

  /** ip_vs_leave: ICMP port unreachable from the ClusterIP itself, the packet dropped. */
  private ipvsReject(ns: number, p: Packet, inIf: number | undefined, vs: number, walked: number): number {
    this.counters.rejected++;
    this.endNetns = ns;
    this.pending = undefined;
    this.rejectAddr = p.dst;
    this.hop(this.nodeOf(ns), ns, A.K_NETFILTER, A.A_REJECT, A.X_REJECTED, inIf, undefined, A.D_IPVS_VS, vs, walked, p);
    return A.V_REJECTED;
  }

  // ---- Cilium's eBPF datapath, as assembly/forward.ts ------------------------------------------

  private lbGet(kind: string, k: number[]): number[] | undefined {
    return this.lbState.get(`${kind}/${k.join("/")}`);
  }

  private lbPut(kind: string, k: number[], v: number[]): void {
    this.lbState.set(`${kind}/${k.join("/")}`, v);
  }

  private frontend(addr: number, proto: number, port: number): number | undefined {
    return this.frontendByKey.get(`${addr}/${proto}/${port}`);
  }

  /** The socket cookie's stand-in, as assembly/forward.ts socketCookie. */
  private socketCookie(ns: number, src: number, sport: number): number {
    let h = Math.imul((this.seedValue ^ 0x5bd1e995) >>> 0, 0x9e3779b1) >>> 0;
    h = Math.imul((h ^ ns) >>> 0, 0x85ebca6b) >>> 0;
    h = Math.imul((h ^ src) >>> 0, 0xc2b2ae35) >>> 0;
    h = Math.imul((h ^ sport) >>> 0, 0x27d4eb2f) >>> 0;
    return (h ^ (h >>> 15)) >>> 0;
  }

  private affinityGet(n: number, f: number, client: number): number | undefined {
    const timeout = this.rs.cilium!.frontends[f]!.affinityTimeout;
    if (timeout === 0) return undefined;
    const r = this.lbGet("aff", [n, f, client]);
    if (!r || this.now - r[1]! > timeout) return undefined;
    r[1] = this.now;
    return r[0];
  }

  private affinitySet(n: number, f: number, client: number, b: number): void {
    if (this.rs.cilium!.frontends[f]!.affinityTimeout === 0) return;
    this.lbPut("aff", [n, f, client], [b, this.now]);
  }

  private backend(b: number): { addr: number; port: number } {
    const fe = this.rs.cilium!.frontends.find((f) => b >= f.firstBackend && b < f.firstBackend + f.backends.length)!;
    return fe.backends[b - fe.firstBackend]!;
  }

  /** The socket LB at connect()/sendmsg(): 0, or the verdict of a call that fails. */
  private socketLb(ns: number, p: Packet): number {
    if (p.proto !== A.PROTO_TCP && p.proto !== A.PROTO_UDP) return 0;
    const connected = p.proto === A.PROTO_TCP || (p.flags & A.PF_CONNECTED) !== 0;
    const key = [ns, p.src, p.dst, ((p.sport << 16) | p.dport) >>> 0, p.proto];
    const sock = this.lbGet("sock", key);
    if (sock) {
      const be = this.backend(sock[0]!);
      p.dst = be.addr;
      p.dport = be.port;
      return 0;
    }
    const f = this.frontend(p.dst, p.proto, p.dport);
    if (f === undefined) return 0;
    this.counters.rulesWalked++; // the one lookup in the service map
    const n = this.nodeOf(ns);
    const fe = this.rs.cilium!.frontends[f]!;
    if (fe.backends.length === 0) return this.drop(ns, A.K_SOCK_LB, A.X_NO_BACKEND, undefined, undefined, A.D_LB_FE, f, p);
    let prog = connected ? A.PROG_SOCK_CONNECT : A.PROG_SOCK_SENDMSG;
    let b = this.affinityGet(n, f, ns);
    if (b !== undefined) prog |= A.PROG_AFFINITY;
    else {
      const slot = (p.proto === A.PROTO_TCP ? this.random32() : this.socketCookie(ns, p.src, p.sport)) % fe.backends.length;
      b = fe.firstBackend + slot;
      this.affinitySet(n, f, ns, b);
    }
    const be = fe.backends[b - fe.firstBackend]!;
    if (connected) this.lbPut("sock", key, [b]);
    this.lbPut("revsk", [ns, be.addr, p.src, ((be.port << 16) | p.sport) >>> 0, p.proto], [f]);
    p.dst = be.addr;
    p.dport = be.port;
    this.hop(n, ns, A.K_SOCK_LB, A.A_SOCK_LB, A.X_NONE, undefined, undefined, A.D_LB, b, prog, p);
    return 0;
  }

  private socketRev(ns: number, p: Packet): number | undefined {
    if (p.proto !== A.PROTO_TCP && p.proto !== A.PROTO_UDP) return undefined;
    return this.lbGet("revsk", [ns, p.src, p.dst, ((p.sport << 16) | p.dport) >>> 0, p.proto])?.[0];
  }

  /** Per-packet LB in bpf_lxc: false when it rejected (a Service without backends). */
  private perPacketLb(n: number, ns: number, p: Packet, lxc: Iface): boolean {
    if (p.proto !== A.PROTO_TCP && p.proto !== A.PROTO_UDP) return true;
    const ports = ((p.sport << 16) | p.dport) >>> 0;
    const ct = this.lbGet("ct", [n, p.src, p.dst, ports, p.proto]);
    if (ct) {
      const be = this.backend(ct[0]!);
      p.dst = be.addr;
      p.dport = be.port;
      if (ct[1]) p.src = SERVICE_LOOPBACK;
      this.hop(n, ns, A.K_BPF, A.A_CT_HIT, A.X_NONE, lxc.id, undefined, A.D_LB, ct[0]!, A.PROG_FROM_CONTAINER, p);
      return true;
    }
    const f = this.frontend(p.dst, p.proto, p.dport);
    if (f === undefined) return true;
    this.counters.rulesWalked++; // the one lookup in the service map
    const fe = this.rs.cilium!.frontends[f]!;
    if (fe.backends.length === 0) {
      this.counters.rejected++;
      this.endNetns = ns;
      this.pending = undefined;
      this.rejectAddr = p.dst;
      this.rejectIf = lxc;
      this.hop(n, ns, A.K_BPF, A.A_REJECT, A.X_REJECTED, lxc.id, undefined, A.D_LB_FE, f, A.PROG_FROM_CONTAINER, p);
      return false;
    }
    let prog = A.PROG_FROM_CONTAINER;
    let b = this.affinityGet(n, f, p.src);
    if (b !== undefined) prog |= A.PROG_AFFINITY;
    else {
      b = fe.firstBackend + (this.random32() % fe.backends.length);
      this.affinitySet(n, f, p.src, b);
    }
    const be = fe.backends[b - fe.firstBackend]!;
    const loopback = be.addr === p.src;
    if (loopback) prog |= A.PROG_LOOPBACK;
    const sent = loopback ? SERVICE_LOOPBACK : p.src;
    this.lbPut("ct", [n, p.src, p.dst, ports, p.proto], [b, loopback ? 1 : 0]);
    this.lbPut("revct", [n, be.addr, sent, ((be.port << 16) | (ports >>> 16)) >>> 0, p.proto], [f, p.src]);
    p.dst = be.addr;
    p.dport = be.port;
    p.src = sent;
    this.hop(n, ns, A.K_BPF, A.A_DNAT, A.X_NONE, lxc.id, undefined, A.D_LB, b, prog, p);
    return true;
  }

  private revNat(n: number, ns: number, p: Packet, inIf: number | undefined, outIf: number | undefined, prog: number): void {
    if (p.proto !== A.PROTO_TCP && p.proto !== A.PROTO_UDP) return;
    const r = this.lbGet("revct", [n, p.src, p.dst, ((p.sport << 16) | p.dport) >>> 0, p.proto]);
    if (!r) return;
    const fe = this.rs.cilium!.frontends[r[0]!]!;
    p.src = fe.addr;
    p.sport = fe.port;
    if (p.dst === SERVICE_LOOPBACK) p.dst = r[1]!;
    this.hop(n, ns, A.K_BPF, A.A_UNNAT, A.X_NONE, inIf, outIf, A.D_LB_FE, r[0]!, prog, p);
  }

  private ciliumFromContainer(ns: number, p: Packet, lxc: Iface): BpfResult {
    // A reply of a connection the policy allowed, by the tuple as it leaves the pod: no lookup,
    // and the skip mark for a local destination's ingress check (as in assembly/forward.ts).
    const reply = this.policyActive && (p.dst === SERVICE_LOOPBACK || this.lbGet("pct-ingress", [this.nodeOf(ns), p.dst, p.src, ((p.dport << 16) | (p.sport & 0xffff)) >>> 0, p.proto]) !== undefined);
    if (this.lbMode === A.LB_PER_PACKET) {
      const n = this.nodeOf(ns);
      const before = p.src;
      this.revNat(n, ns, p, lxc.id, undefined, A.PROG_FROM_CONTAINER);
      if (p.src === before && !this.perPacketLb(n, ns, p, lxc)) return A.V_REJECTED;
    }
    // handle_ipv4_from_lxc: the egress policy, after any service translation.
    if (reply) p.flags |= A.PF_POLICY_SKIP;
    else if (this.policyActive) {
      const v = this.ciliumPolicy(this.nodeOf(ns), ns, p, lxc.id, A.POL_EGRESS, lxc.id, undefined);
      if (v !== 0) return v;
    }
    return this.bpfRoute(ns, p, lxc, A.PROG_FROM_CONTAINER, lxc.identity ?? 0);
  }

  // ---- Cilium's NetworkPolicy enforcement, as assembly/policy.ts ------------------------------------

  /**
   * The ipcache's security identity of `addr` as node `n` sees it: a pod's (its lxc's), an
   * address of a node (NIC, cilium_host, a host-network pod) host on that node and remote-node
   * elsewhere, anything else world.
   */
  private identityOf(addr: number, n: number): number {
    const f = this.byAddr.get(addr);
    if (!f) return A.IDENTITY_WORLD;
    const netns = this.net.netns[f.netns]!;
    if (netns.kind === "pod") return f.kind === "veth" ? (this.net.ifaces[f.peer!]!.identity ?? 0) : A.IDENTITY_WORLD;
    return netns.node === n ? A.IDENTITY_HOST : A.IDENTITY_REMOTE_NODE;
  }

  /** The policy map's answer for a new connection: the entry that allows it, "all" when the direction is not enforced, "denied". */
  private policyLookup(lxc: number, dir: number, remote: number, remoteAddr: number, proto: number, port: number): number | "all" | "denied" {
    const ep = this.policyMaps.get(`${lxc}/${dir}`);
    if (!ep) return "all";
    for (let i = ep.first; i < ep.first + ep.count; i++) {
      const e = this.policy!.entries[i]!;
      if (e.identity !== 0 && e.identity !== remote) continue;
      if (e.mask !== 0 && ((remoteAddr & e.mask) >>> 0) !== e.net >>> 0) continue;
      if (e.proto !== 0 && e.proto !== proto) continue;
      if (port < e.lo || port > e.hi) continue;
      return i;
    }
    return "denied";
  }

  /**
   * The endpoint's policy map for a packet in direction `dir` (egress at its lxc, ingress before
   * delivery). Connections are tracked per node and direction: a reply is the other direction's
   * entry reversed, a later packet this direction's entry; both pass, as do ICMP errors. A new
   * connection is looked up: allowed (a hop naming the entry, the connection remembered) or
   * dropped (Policy denied). Returns 0 or the drop's verdict.
   */
  private ciliumPolicy(n: number, ns: number, p: Packet, lxc: number, dir: number, inIf: number | undefined, outIf: number | undefined): number {
    if (p.proto === A.PROTO_ICMP && ((p.icmp >>> 8) & 255) === 3) return 0;
    if (p.src === SERVICE_LOOPBACK || p.dst === SERVICE_LOOPBACK) return 0; // a pod through its own Service
    const ports = ((p.sport << 16) | (p.dport & 0xffff)) >>> 0;
    const swapped = ((ports << 16) | (ports >>> 16)) >>> 0;
    const mine = dir === A.POL_EGRESS ? "pct-egress" : "pct-ingress";
    const other = dir === A.POL_EGRESS ? "pct-ingress" : "pct-egress";
    if (this.lbGet(other, [n, p.dst, p.src, swapped, p.proto]) || this.lbGet(mine, [n, p.src, p.dst, ports, p.proto])) return 0;
    const remoteAddr = dir === A.POL_EGRESS ? p.dst : p.src;
    const remote = this.identityOf(remoteAddr, n);
    const e = this.policyLookup(lxc, dir, remote, remoteAddr, p.proto, p.proto === A.PROTO_ICMP ? 0 : p.dport);
    if (e === "denied") return this.drop(ns, A.K_POLICY, A.X_POLICY_DENIED, inIf, outIf, A.D_POLICY, A.NONE, p, remote);
    this.lbPut(mine, [n, p.src, p.dst, ports, p.proto], [1]);
    this.hop(n, ns, A.K_POLICY, A.A_ALLOW, A.X_NONE, inIf, outIf, A.D_POLICY, e === "all" ? A.NONE : e, remote, p);
    return 0;
  }

  private bpfRoute(ns: number, p: Packet, inIf: Iface, prog: number, seclabel: number): BpfResult {
    const n = this.nodeOf(ns);
    const t = this.byAddr.get(p.dst);
    if (t) {
      if (this.net.netns[t.netns]!.kind === "pod" && t.kind === "veth") {
        const lxc = this.net.ifaces[t.peer!]!;
        if (lxc.netns === ns) return this.localDelivery(n, ns, p, inIf, lxc, t, prog);
      } else if (t.netns === ns) return prog === A.PROG_FROM_CONTAINER ? this.passToStack(n, ns, p, inIf) : "pass";
    }
    const vxId = this.net.nodes[n]!.vxlan;
    const vx = vxId === undefined ? undefined : this.net.ifaces[vxId]!;
    if (vx?.bpf === "overlay" && this.podCidrLen) {
      const m = this.podCidrNode.get((p.dst & ~(0xffffffff >>> this.podCidrLen)) >>> 0);
      if (m !== undefined && m !== n) return this.encapCilium(n, ns, p, inIf, vx, m, prog, seclabel);
    }
    const own = this.net.nodes[n]!.podCIDR;
    if (own && ((p.dst & ~(0xffffffff >>> own.prefixLength)) >>> 0) === own.address && prog !== A.PROG_FROM_CONTAINER) {
      return this.drop(ns, A.K_BPF, A.X_NO_ENDPOINT, inIf.id, undefined, A.D_NONE, prog, p);
    }
    return prog === A.PROG_FROM_CONTAINER ? this.passToStack(n, ns, p, inIf) : "pass";
  }

  private localDelivery(n: number, ns: number, p: Packet, inIf: Iface, lxc: Iface, podEth: Iface, prog: number): BpfResult {
    if (p.ttl <= 1) return this.drop(ns, A.K_BPF, A.X_TTL, inIf.id, lxc.id, A.D_EP, lxc.id, p);
    p.ttl -= 1;
    this.setMacs(p, lxc, podEth);
    // The endpoint's policy program (cilium_call_policy → ipv4_policy): its ingress policy first,
    // unless the sender on this node marked the packet a reply.
    if (p.flags & A.PF_POLICY_SKIP) p.flags &= ~A.PF_POLICY_SKIP;
    else if (this.policyActive) {
      const v = this.ciliumPolicy(n, ns, p, lxc.id, A.POL_INGRESS, inIf.id, lxc.id);
      if (v !== 0) return v;
    }
    // With per-packet LB, a reply for this client gets its frontend back.
    if (this.lbMode === A.LB_PER_PACKET) this.revNat(n, ns, p, inIf.id, lxc.id, prog);
    this.hop(n, ns, A.K_BPF, A.A_REDIRECT, A.X_NONE, inIf.id, lxc.id, A.D_EP, lxc.id, prog, p);
    return lxc;
  }

  private passToStack(n: number, ns: number, p: Packet, lxc: Iface): BpfResult {
    if (p.ttl <= 1) return this.drop(ns, A.K_BPF, A.X_TTL, lxc.id, undefined, A.D_NONE, A.PROG_FROM_CONTAINER, p);
    p.ttl -= 1;
    p.dmac = macWords(lxc.mac);
    this.hop(n, ns, A.K_BPF, A.A_TO_STACK, A.X_NONE, lxc.id, undefined, A.D_NONE, 0, A.PROG_FROM_CONTAINER, p);
    return "pass";
  }

  private encapCilium(n: number, ns: number, p: Packet, inIf: Iface, vx: Iface, m: number, prog: number, seclabel: number): BpfResult {
    const localEth = this.net.ifaces[this.net.nodes[n]!.eth]!;
    const remoteEth = this.net.ifaces[this.net.nodes[m]!.eth]!;
    if (p.len + VXLAN_OVERHEAD > localEth.mtu && p.flags & A.PF_DF) return this.drop(ns, A.K_VXLAN, A.X_FRAG_NEEDED, inIf.id, vx.id, A.D_TUNNEL, m, p);
    p.outer = { src: localEth.addr!, dst: remoteEth.addr!, sport: flowSourcePort(p), dport: vx.port!, vni: seclabel, ttl: 64 };
    p.flags &= ~A.PF_POLICY_SKIP; // the skip mark does not cross the tunnel
    p.flags |= A.PF_ENCAP;
    this.counters.encapBytes += VXLAN_OVERHEAD;
    this.hop(n, ns, A.K_VXLAN, A.A_ENCAP, A.X_NONE, inIf.id, vx.id, A.D_TUNNEL, m, prog, p);
    return localEth;
  }

  // ---- conntrack -------------------------------------------------------------------------------
  private pending: { key: number; orig: [number, number, number]; reply: [number, number, number]; dnat: boolean; snat: boolean; ipvs?: number } | undefined;

  /** Moves a connection's TCP state for a packet (nf_conntrack_proto_tcp, simplified) and returns its new timeout. */
  private advance(c: { tcp: Connection["tcp"]; seenReply: boolean }, p: Packet, replyDir: boolean): number {
    if (replyDir) c.seenReply = true;
    if (p.proto !== A.PROTO_TCP) return p.proto === A.PROTO_UDP ? TIMEOUT.udp : TIMEOUT.icmp;
    const syn = (p.flags & A.PF_SYN) !== 0;
    const fin = (p.flags & A.PF_FIN) !== 0;
    if (c.tcp === "") c.tcp = syn ? "SYN_SENT" : "ESTABLISHED";
    else if (c.tcp === "SYN_SENT" && replyDir && syn) c.tcp = "SYN_RECV";
    else if (c.tcp === "SYN_RECV" && !replyDir && !syn) c.tcp = "ESTABLISHED";
    else if (fin && c.tcp === "ESTABLISHED") c.tcp = replyDir ? "CLOSE_WAIT" : "FIN_WAIT";
    else if (fin && (c.tcp === "FIN_WAIT" || c.tcp === "CLOSE_WAIT")) c.tcp = "LAST_ACK";
    else if (!fin && c.tcp === "LAST_ACK" && (p.flags & A.PF_ACK) !== 0) c.tcp = "TIME_WAIT";
    const timeouts = { "": TIMEOUT.tcpEstablished, SYN_SENT: TIMEOUT.tcpSynSent, SYN_RECV: TIMEOUT.tcpSynRecv, ESTABLISHED: TIMEOUT.tcpEstablished, FIN_WAIT: TIMEOUT.tcpFinWait, CLOSE_WAIT: TIMEOUT.tcpCloseWait, LAST_ACK: TIMEOUT.tcpLastAck, TIME_WAIT: TIMEOUT.tcpTimeWait };
    return timeouts[c.tcp];
  }

  private lookup(src: number, dst: number, ports: number, key: number): { conn: Connection; dir: 0 | 1 } | undefined {
    const found = this.tuples.get(`${src},${dst},${ports},${key}`);
    if (!found) {
      this.counters.ctMisses++;
      return undefined;
    }
    if (found.conn.expires < this.now) {
      // Expired: reaped when met, as the kernel's garbage collection would have.
      this.tuples.delete(`${found.conn.orig.join(",")},${key}`);
      this.tuples.delete(`${found.conn.reply.join(",")},${key}`);
      this.conns[found.conn.index] = undefined as unknown as Connection;
      this.liveConns--;
      this.counters.ctMisses++;
      return undefined;
    }
    this.counters.ctHits++;
    return found;
  }

  private conntrackIn(ns: number, p: Packet, natHook: number, dstLocal: boolean, inIf: number | undefined): void {
    this.ipvsConn = undefined;
    this.ipvsReplyConn = undefined;
    this.natWalked = 0;
    // An ICMP error belongs to the connection it reports on (RELATED): no entry of its own.
    if (p.proto === A.PROTO_ICMP && ((p.icmp >>> 8) & 255) === 3) {
      this.pending = undefined;
      return;
    }
    const n = this.nodeOf(ns);
    const key = p.proto | (n << 8);
    const ports = ((p.sport << 16) | (p.dport & 0xffff)) >>> 0;
    let found = this.lookup(p.src, p.dst, ports, key);
    // A SYN meeting its tuple's connection in TIME_WAIT opens a new one.
    if (found && found.dir === 0 && (p.flags & A.PF_SYN) !== 0 && p.proto === A.PROTO_TCP && found.conn.tcp === "TIME_WAIT") {
      this.tuples.delete(`${found.conn.orig.join(",")},${key}`);
      this.tuples.delete(`${found.conn.reply.join(",")},${key}`);
      this.conns[found.conn.index] = undefined as unknown as Connection;
      this.liveConns--;
      found = undefined;
    }
    if (found) {
      this.pending = undefined;
      const c = found.conn;
      const replyDir = found.dir === 1;
      // IPVS's connections: conntrack holds their tuples, IPVS rewrites their packets.
      if (c.ipvs) {
        if (replyDir) this.ipvsReplyConn = c;
        else this.ipvsConn = c;
      }
      c.expires = this.now + this.advance(c, p, replyDir);
      let changed = false;
      if (replyDir) {
        if (c.dnat) {
          p.src = c.orig[1];
          p.sport = c.orig[2] & 0xffff;
          changed = true;
        }
        if (c.snat) {
          p.dst = c.orig[0];
          p.dport = c.orig[2] >>> 16;
          changed = true;
        }
      } else {
        if (c.dnat) {
          p.dst = c.reply[0];
          p.dport = c.reply[2] >>> 16;
          changed = true;
        }
        if (c.snat) {
          p.src = c.reply[1];
          p.sport = c.reply[2] & 0xffff;
          changed = true;
        }
      }
      if (changed) this.hop(n, ns, A.K_CONNTRACK, replyDir ? A.A_UNNAT : A.A_CT_HIT, A.X_NONE, inIf, undefined, A.D_CONNTRACK, c.index, 0, p);
      return;
    }
    this.pending = { key, orig: [p.src, p.dst, ports], reply: [p.dst, p.src, ((ports << 16) | (ports >>> 16)) >>> 0], dnat: false, snat: false };
    // nftables' filter chains at priority -110 (before the DNAT): only their rule count matters,
    // as their firewall-ips lookup never matches (LoadBalancer source ranges are not modelled).
    this.walk(this.hookChain(natHook === A.H_NAT_OUTPUT ? A.H_FILTER_OUTPUT_PRE : A.H_FILTER_PREROUTING_PRE), p, true, dstLocal);
    this.walk(this.hookChain(natHook), p, true, dstLocal);
    this.natWalked = this.last.walked;
    if (this.last.dnat) {
      const { addr, port } = this.last.dnat;
      p.dst = addr;
      p.dport = port;
      this.pending.dnat = true;
      this.pending.reply[0] = addr;
      this.pending.reply[2] = ((port << 16) | (this.pending.reply[2] & 0xffff)) >>> 0;
      this.hop(n, ns, A.K_NETFILTER, A.A_DNAT, A.X_NONE, inIf, undefined, A.D_RULE, this.last.rule, this.last.walked, p);
    }
  }

  private conntrackOut(ns: number, p: Packet, oif: Iface | undefined, dstLocal: boolean): boolean {
    const pend = this.pending;
    if (!pend) return true;
    this.walk(this.rs.hooks.natPostrouting, p, true, dstLocal);
    if (this.last.masquerade) {
      const addr = oif?.addr ?? 0;
      const port = 1024 + (this.random32() % (65536 - 1024));
      p.src = addr;
      p.sport = port;
      pend.snat = true;
      pend.reply[1] = addr;
      pend.reply[2] = ((pend.reply[2] & 0xffff0000) | port) >>> 0;
      this.hop(this.nodeOf(ns), ns, A.K_NETFILTER, A.A_SNAT, A.X_NONE, undefined, oif?.id, A.D_RULE, this.last.rule, this.last.walked, p);
    }
    this.pending = undefined;
    if (this.liveConns >= this.conntrackMax) {
      this.counters.ctFull++;
      return false;
    }
    let index = this.conns.length;
    if (index >= this.conntrackMax) index = this.conns.findIndex((c) => c === undefined);
    const conn: Connection = { index, orig: pend.orig, reply: pend.reply, key: pend.key, dnat: pend.dnat, snat: pend.snat, seenReply: false, tcp: "", expires: 0, ...(pend.ipvs !== undefined ? { ipvs: { rs: pend.ipvs, active: false } } : {}) };
    conn.expires = this.now + this.advance(conn, p, false);
    this.conns[index] = conn;
    this.tuples.set(`${conn.orig.join(",")},${conn.key}`, { conn, dir: 0 });
    this.tuples.set(`${conn.reply.join(",")},${conn.key}`, { conn, dir: 1 });
    this.liveConns++;
    this.counters.ctInserts++;
    return true;
  }

  // ---- netfilter ----------------------------------------------------------------------------
  private last: { rule: number; walked: number; dnat?: { addr: number; port: number }; masquerade: boolean; verdicts: number[] } = { rule: A.NONE, walked: 0, masquerade: false, verdicts: [] };
  private walkIn: number | undefined;
  private walkOut: number | undefined;

  /** A filter hook's walk; each NetworkPolicy verdict rule it passed becomes a hop, as in assembly/forward.ts. */
  private filterWalk(start: number, ns: number, p: Packet, dstLocal: boolean, inIf: number | undefined, outIf: number | undefined): "accept" | "drop" | "reject" {
    const v = this.walk(start, p, this.pending !== undefined, dstLocal, inIf, outIf);
    for (const r of this.last.verdicts) {
      if (v === "drop" && r === this.last.rule) continue;
      this.hop(this.nodeOf(ns), ns, A.K_POLICY, A.A_ALLOW, A.X_NONE, inIf, outIf, A.D_RULE, r, 0, p);
    }
    return v;
  }

  private ruleDrop(ns: number, inIf: number | undefined, outIf: number | undefined, p: Packet): number {
    const policy = this.rs.rules[this.last.rule]!.policy !== undefined;
    return this.drop(ns, policy ? A.K_POLICY : A.K_NETFILTER, policy ? A.X_POLICY_DENIED : A.X_RULE_DROP, inIf, outIf, A.D_RULE, this.last.rule, p);
  }

  /**
   * `-i` / `-o`: the device; for `workloads` (`cali+`) any pod's veth end on the host; for a set
   * (a narrower wildcard, `cali8+`) the interfaces it holds.
   */
  private ifaceMatches(want: number | "workloads" | { set: number }, dev: number | undefined): boolean {
    if (dev === undefined) return false;
    if (typeof want === "object") return this.element(want.set, dev, 0, 0) !== undefined;
    if (want !== "workloads") return dev === want;
    const f = this.net.ifaces[dev]!;
    return f.kind === "veth" && this.net.netns[f.netns]!.kind !== "pod";
  }

  private hookChain(hook: number): number {
    const h = this.rs.hooks;
    return [h.natPrerouting, h.natOutput, h.natPostrouting, h.filterInput, h.filterForward, h.filterOutput, h.filterPreroutingPreDnat ?? A.NONE, h.filterOutputPreDnat ?? A.NONE][hook]!;
  }

  private matches(rule: NfRule, p: Packet, isNew: boolean, dstLocal: boolean): boolean {
    const m = rule.match;
    if (m.src && (((p.src & m.src.mask) >>> 0) === ((m.src.addr & m.src.mask) >>> 0)) === m.src.invert) return false;
    if (m.dst && (((p.dst & m.dst.mask) >>> 0) === ((m.dst.addr & m.dst.mask) >>> 0)) === m.dst.invert) return false;
    if (m.proto !== undefined && p.proto !== m.proto) return false;
    if (m.dport !== undefined && p.dport !== m.dport) return false;
    if (m.dports && !m.dports.some(([lo, hi]) => p.dport >= lo && p.dport <= hi)) return false;
    if (m.iif !== undefined && !this.ifaceMatches(m.iif, this.walkIn)) return false;
    if (m.oif !== undefined && !this.ifaceMatches(m.oif, this.walkOut)) return false;
    if (m.mark && (((p.mark & m.mark.mask) >>> 0) === m.mark.value) === m.mark.invert) return false;
    if (m.ctstate === "NEW" && !isNew) return false;
    if (m.ctstate === "ESTABLISHED" && isNew) return false;
    if (m.ctstate === "INVALID") return false;
    if (m.dstLocal && !dstLocal) return false;
    if (m.daddrIn !== undefined && !this.element(m.daddrIn, p.dst, 0, 0)) return false;
    if (m.ipset && !this.ipsetMatch(m.ipset.set, m.ipset.dims, p)) return false;
    // Felix's rules can hold two set matches (the peers' and a named port's).
    if (m.ipset2 && !this.ipsetMatch(m.ipset2.set, m.ipset2.dims, p)) return false;
    if (m.recentCheck) {
      const seen = this.recent.get(`${m.recentCheck.list}/${p.src}`);
      if (seen === undefined || this.now - seen > m.recentCheck.seconds) return false;
    }
    if (m.probability !== undefined && (this.random32() & 0x7fffffff) >= m.probability) return false;
    if (m.recentSet) this.recent.set(`${m.recentSet.list}/${p.src}`, this.now);
    return true;
  }

  /** xt_set: the key `dims` takes from the packet is a member of ipset `id`. */
  private ipsetMatch(id: number, dims: IpsetDims, p: Packet): boolean {
    const set = this.rs.sets[id]!;
    if (dims === "dst") return set.elements.some((e) => e.addr === p.dst);
    if (dims === "src") return set.elements.some((e) => e.addr === p.src);
    if (dims === "dst-port") return set.elements.some((e) => e.port === p.dport);
    const e = set.elements.find((x) => x.addr === p.dst && x.proto === p.proto && x.port === p.dport);
    return e !== undefined && (dims === "dst,dst" || e.addr2 === p.src);
  }

  /** The element of nftables set `id` with this key (parts the key lacks are ignored). */
  private element(id: number, addr: number, proto: number, port: number): SetElement | undefined {
    const set = this.rs.sets[id]!;
    return set.elements.find((e) => (!set.keyHasAddr || e.addr === addr) && (!set.keyHasPort || (e.proto === proto && e.port === port)));
  }

  /** Walks a built-in chain; the result of the walk is in `this.last`. */
  private walk(start: number, p: Packet, isNew: boolean, dstLocal: boolean, inIf?: number, outIf?: number): "accept" | "drop" | "reject" {
    this.last = { rule: A.NONE, walked: 0, masquerade: false, verdicts: [] };
    this.walkIn = inIf;
    this.walkOut = outIf;
    if (start === A.NONE) return "accept";
    const stack: Array<[number, number]> = [];
    let chain = start;
    let i = 0;
    for (;;) {
      const rules = this.rs.chains[chain]!.rules;
      if (i >= rules.length) {
        const back = stack.pop();
        if (!back) return "accept";
        [chain, i] = back;
        continue;
      }
      const rule = this.rs.rules[rules[i]!]!;
      i++;
      if (rule.nodes && !rule.nodes.includes(this.walkNode)) continue; // not written on this node
      this.last.walked++;
      this.counters.rulesWalked++;
      if (!this.matches(rule, p, isNew, dstLocal)) continue;
      // A verdict map: a miss goes on to the next rule, a hit's verdict is the rule's target.
      let t = rule.target;
      if (rule.match.vmap !== undefined || rule.match.nodeMap !== undefined) {
        const hit = rule.match.nodeMap !== undefined
          ? this.rs.sets[rule.match.nodeMap]!.elements.find((e) => e.addr === this.walkNode)
          : this.element(rule.match.vmap!, p.dst, p.proto, p.dport);
        if (!hit) continue;
        const v = hit.verdict!;
        t = v.kind === "goto" || v.kind === "jump" ? { kind: v.kind, chain: v.chain } : { kind: v.kind };
      }
      if (rule.policy && this.last.verdicts.length < 4) this.last.verdicts.push(rule.id);
      this.ruleHits[rule.id] = this.ruleHits[rule.id]! + 1;
      switch (t.kind) {
        case "goto":
          chain = t.chain;
          i = 0;
          break;
        case "numgen": {
          // nft_ng_random_eval: reciprocal_scale(random, modulus).
          chain = t.first + Number((BigInt(this.random32()) * BigInt(t.count)) >> 32n);
          i = 0;
          break;
        }
        case "jump":
          stack.push([chain, i]);
          chain = t.chain;
          i = 0;
          break;
        case "return": {
          const back = stack.pop();
          if (!back) return "accept";
          [chain, i] = back;
          break;
        }
        case "accept":
          return "accept";
        case "dnat":
          this.last.dnat = { addr: t.addr, port: t.port };
          this.last.rule = rule.id;
          return "accept";
        case "mark-set":
          p.mark = ((p.mark & ~t.mask) ^ t.value) >>> 0;
          break;
        case "masquerade":
          this.last.masquerade = true;
          this.last.rule = rule.id;
          return "accept";
        case "reject":
          this.last.rule = rule.id;
          return "reject";
        case "drop":
          this.last.rule = rule.id;
          return "drop";
        case "none":
          break;
      }
    }
  }
}

/** As assembly/forward.ts flowSourcePort: udp_flow_src_port's range, hash of the inner flow. */
function flowSourcePort(p: Packet): number {
  let h = 0x9747b28c;
  h = Math.imul((h ^ p.src) >>> 0, 0x5bd1e995) >>> 0;
  h = Math.imul((h ^ p.dst) >>> 0, 0x5bd1e995) >>> 0;
  h = Math.imul((h ^ (((p.sport << 16) | p.dport) >>> 0)) >>> 0, 0x5bd1e995) >>> 0;
  h = Math.imul((h ^ p.proto) >>> 0, 0x5bd1e995) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  return 32768 + Number((BigInt(h) * BigInt(60999 - 32768)) >> 32n);
}
