// The host side of the Wasm dataplane: owns the instance, writes tables into its memory in
// one go, and calls it with integers only.

import { K8sNetFlowError } from "../errors.js";
import * as A from "./abi.js";
import type { DataplaneExports } from "./exports.js";
import type { Capacities, Encoded } from "./layout.js";
import type { PacketSpec, RawExchange } from "./packet.js";

const CONFIG_ERRORS = ["", "an interface refers to a missing interface", "an interface refers to a missing namespace", "a route leaves by an interface of another namespace", "a rule jumps to a missing chain", "a chain's rules run past the rule table", "a hook names a missing chain", "a namespace or node refers to a missing node or interface", "two interfaces hold the same address or MAC", "a table lies outside the dataplane's memory"];

/** Counters of the batch statistics, in the order of assembly/index.ts CNT_*. */
export const COUNTERS = ["delivered", "dropped", "rejected", "bytes", "encapBytes", "rulesWalked", "ctHits", "ctMisses", "ctInserts", "ctFull", "ctLive", "sameNodeConnections", "crossNodeConnections", "failedLookups"] as const;
export type Counters = Record<(typeof COUNTERS)[number], number>;

/** A conntrack entry: tuples as [src, dst, sport << 16 | dport]; key = proto | node << 8. */
export interface ConntrackEntry {
  orig: [number, number, number];
  reply: [number, number, number];
  key: number;
  status: number;
  expires: number;
}

const ROUTE_RECORD_U32 = 2;
/** Words of a batch flow record (FL_* in abi.ts). */
export const FLOW_WORDS = A.FL_BYTES / 4;

/**
 * Flow records from rows of [from, src, dst, sport, dport, proto, len, seed] (flattened): each
 * sends `packets` packets, starting at second `time`, with the RF_* `flags`.
 */
export function flowRecords(rows: ArrayLike<number>, packets: number, flags = 0, time = 0): Uint32Array {
  const n = rows.length / 8;
  const out = new Uint32Array(n * FLOW_WORDS);
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < 8; w++) out[i * FLOW_WORDS + w] = rows[i * 8 + w]!;
    out[i * FLOW_WORDS + A.FL_PACKETS / 4] = packets;
    out[i * FLOW_WORDS + A.FL_TIME / 4] = time;
    out[i * FLOW_WORDS + A.FL_FLAGS / 4] = flags;
  }
  return out;
}

export class Dataplane {
  /** A reusable region for batch input/output, so repeated batches do not grow the arena. */
  private scratch = { ptr: 0, bytes: 0 };

  private constructor(private readonly wasm: DataplaneExports) {}

  /** Instantiates the dataplane from its bytes or an already compiled module. */
  static async create(source: BufferSource | WebAssembly.Module): Promise<Dataplane> {
    const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number): never {
          throw new K8sNetFlowError("internal", `dataplane aborted at assembly line ${line}:${column}`);
        },
      },
    });
    return new Dataplane(instance.exports as unknown as DataplaneExports);
  }

  /** Drops every table from a previous load. */
  reset(): void {
    this.wasm.arenaReset();
    this.scratch = { ptr: 0, bytes: 0 };
  }

  /** Copies route records ([prefix, length] pairs) into Wasm memory and builds their trie; returns its handle. */
  buildFib(records: Uint32Array): number {
    const count = records.length / ROUTE_RECORD_U32;
    const ptr = this.wasm.arenaAlloc(Math.max(records.byteLength, 4));
    // A fresh view each time: arenaAlloc may have grown (and so detached) the old buffer.
    new Uint32Array(this.wasm.memory.buffer, ptr, records.length).set(records);
    const root = this.wasm.fibBuild(ptr, count, ROUTE_RECORD_U32 * 4);
    if (root === 0) throw new K8sNetFlowError("internal", "route table rejected by the dataplane (prefix length over 32 or host bits set)");
    return root;
  }

  /** Index of the longest-prefix match for `dst` in the table `fib`, or -1 when none matches. */
  lookup(fib: number, dst: number): number {
    return this.wasm.fibLookup(fib, dst >>> 0);
  }

  /** One call for many lookups (benchmarks, batch simulation). */
  lookupBatch(fib: number, dsts: Uint32Array): Int32Array {
    if (this.scratch.bytes < dsts.byteLength * 2) {
      this.scratch = { ptr: this.wasm.arenaAlloc(dsts.byteLength * 2), bytes: dsts.byteLength * 2 };
    }
    const inPtr = this.scratch.ptr;
    const outPtr = inPtr + dsts.byteLength;
    new Uint32Array(this.wasm.memory.buffer, inPtr, dsts.length).set(dsts);
    this.wasm.fibLookupBatch(fib, inPtr, outPtr, dsts.length);
    return new Int32Array(this.wasm.memory.buffer, outPtr, dsts.length).slice();
  }

  /** Loads a compiled cluster (replacing any other); throws if the tables are inconsistent. */
  loadCluster(t: Encoded, caps: Capacities): void {
    this.reset();
    const put = (words: Uint32Array) => this.put(words);
    const routes = put(t.routes);
    // Each namespace points at its own route records.
    const netns = t.netns.slice();
    t.routeOffsets.forEach((offset, i) => {
      netns[(i * A.NS_BYTES + A.NS_ROUTES) / 4] = routes + offset * A.RT_BYTES;
    });
    const desc = Uint32Array.of(put(t.ifaces), t.ifaces.length / (A.IF_BYTES / 4), put(netns), netns.length / (A.NS_BYTES / 4), put(t.nodes), t.nodes.length / (A.N_BYTES / 4), put(t.rules), t.rules.length / (A.R_BYTES / 4), put(t.chains), t.chains.length / (A.C_BYTES / 4), put(t.hooks), caps.conntrack, caps.recent, caps.trace, put(t.elements), t.elements.length / (A.SE_BYTES / 4), put(t.virtualServers), t.virtualServers.length / (A.VS_BYTES / 4), put(t.realServers), t.realServers.length / (A.RS_BYTES / 4), put(t.frontends), t.frontends.length / (A.FE_BYTES / 4), put(t.backends), t.backends.length / (A.BE_BYTES / 4), t.lbMode, put(t.peerRoutes), t.peerRoutes.length / (A.PR_BYTES / 4), t.peerMtu, put(t.policyEndpoints), t.policyEndpoints.length / (A.PEP_BYTES / 4), put(t.policyEntries), t.policyEntries.length / (A.PE_BYTES / 4));
    const err = this.wasm.configure(put(desc));
    if (err !== 0) throw new K8sNetFlowError("internal", `the compiled tables were rejected by the dataplane: ${CONFIG_ERRORS[err] ?? `error ${err}`}`);
  }

  /** Copies words into fresh Wasm memory; returns where. */
  private put(words: Uint32Array): number {
    const ptr = this.wasm.arenaAlloc(Math.max(words.byteLength, 4));
    new Uint32Array(this.wasm.memory.buffer, ptr, words.length).set(words);
    return ptr;
  }

  /**
   * kube-proxy's re-sync (iptables and nftables modes): new rules, chains, hooks and set
   * elements replace the loaded ones; connections, affinities and counters stay, rule hits
   * start again. The old tables' memory is not reused until the next load.
   */
  reloadRules(t: Pick<Encoded, "rules" | "chains" | "hooks" | "elements">): void {
    const desc = Uint32Array.of(this.put(t.rules), t.rules.length / (A.R_BYTES / 4), this.put(t.chains), t.chains.length / (A.C_BYTES / 4), this.put(t.hooks), this.put(t.elements), t.elements.length / (A.SE_BYTES / 4));
    const err = this.wasm.reloadRules(this.put(desc));
    if (err !== 0) throw new K8sNetFlowError("internal", `the re-synced rules were rejected by the dataplane: ${CONFIG_ERRORS[err] ?? `error ${err}`}`);
  }

  /** Forgets connections and affinities and zeroes counters, keeping the loaded tables. */
  resetState(): void {
    this.wasm.resetState();
  }

  /**
   * Empties conntrack and makes room for `max` entries (grow-only, until the next load): batch
   * simulations keep every connection they open, so the table is sized to the plan.
   */
  reserveConntrack(max: number): void {
    this.wasm.ctReserve(max >>> 0);
  }

  setSeed(seed: number): void {
    this.wasm.setSeed(seed >>> 0);
  }

  /** The simulated clock: 0 for traces, where a simulation left it otherwise. */
  time(): number {
    return this.wasm.getTime();
  }

  setTime(seconds: number): void {
    this.wasm.setTime(seconds >>> 0);
  }

  /** Sends one packet from namespace `from`; with `reply` its answer too. Raw hop records come back copied. */
  exchange(packet: PacketSpec, from: number, reply: boolean, trace: boolean): RawExchange {
    const words = new Uint32Array(A.P_BYTES / 4);
    words[A.P_SRC / 4] = packet.src;
    words[A.P_DST / 4] = packet.dst;
    words[A.P_SPORT / 4] = packet.sport;
    words[A.P_DPORT / 4] = packet.dport;
    words[A.P_PROTO / 4] = packet.proto;
    words[A.P_TTL / 4] = packet.ttl;
    words[A.P_LEN / 4] = packet.len;
    words[A.P_FLAGS / 4] = packet.flags;
    new Uint32Array(this.wasm.memory.buffer, this.wasm.packetBuffer(), words.length).set(words);
    const verdict = this.wasm.exchange(from, reply ? 1 : 0, trace ? 1 : 0, packet.replyLen ?? 0);
    const count = this.wasm.hops();
    const hops = new Uint32Array(this.wasm.memory.buffer, this.wasm.traceBuffer(), (count * A.T_BYTES) / 4).slice();
    return { verdict, replyVerdict: this.wasm.lastReplyVerdict(), hops, hopCount: count };
  }

  /** The X_* reason of the last drop (meaningful right after an exchange that dropped). */
  lastDropReason(): number {
    return this.wasm.lastDropReason();
  }

  /** Batch: flow records of FLOW_WORDS words (FL_* in abi.ts, see assembly/index.ts runFlows); counters only. */
  runFlows(flows: Uint32Array): void {
    if (this.scratch.bytes < flows.byteLength) this.scratch = { ptr: this.wasm.arenaAlloc(flows.byteLength), bytes: flows.byteLength };
    new Uint32Array(this.wasm.memory.buffer, this.scratch.ptr, flows.length).set(flows);
    this.wasm.runFlows(this.scratch.ptr, flows.length / FLOW_WORDS);
  }

  /** Reaps expired conntrack entries now (the kernel's gc worker), so ctLive counts what is alive. */
  conntrackGc(): void {
    this.wasm.ctGc();
  }

  /** A failed node loses every frame sent to it (or, `down` false, is back). */
  setNodeDown(node: number, down: boolean): void {
    this.wasm.setNodeDown(node >>> 0, down ? 1 : 0);
  }

  counters(): Counters {
    return Object.fromEntries(COUNTERS.map((name, i) => [name, this.wasm.counter(i)])) as Counters;
  }

  /** Delivered packets per (origin node, delivery node) index pair, as "src>dst" keys. */
  nodePairs(): Map<string, number> {
    const max = 1 << 16;
    const ptr = this.wasm.arenaAlloc(max * 12);
    const n = this.wasm.nodePairs(ptr, max);
    const words = new Uint32Array(this.wasm.memory.buffer, ptr, n * 3);
    const out = new Map<string, number>();
    for (let i = 0; i < n; i++) out.set(`${words[i * 3]}>${words[i * 3 + 1]}`, words[i * 3 + 2]!);
    return out;
  }

  /**
   * New connections by the netfilter rules (or service lookups) their first packet and its
   * answer walked: [rules walked, connections] pairs, by rules walked (65535 stands for more).
   */
  walksPerNewConnection(): Array<[number, number]> {
    const max = 1 << 16;
    if (this.scratch.bytes < max * 8) this.scratch = { ptr: this.wasm.arenaAlloc(max * 8), bytes: max * 8 };
    const n = this.wasm.walkHistogram(this.scratch.ptr, max);
    const words = new Uint32Array(this.wasm.memory.buffer, this.scratch.ptr, n * 2);
    return Array.from({ length: n }, (_, i) => [words[i * 2]!, words[i * 2 + 1]!]);
  }

  dropCount(reason: number): number {
    return this.wasm.dropCount(reason);
  }

  ruleHits(rule: number): number {
    return this.wasm.ruleHitCount(rule);
  }

  /** [packets, bytes] of a rule, as `iptables-save -c` prints them. */
  ruleCounters(rule: number): [number, number] {
    return [this.wasm.ruleHitCount(rule), this.wasm.ruleByteCount(rule)];
  }

  /** IPVS real server `rs`'s [ActiveConn, InActConn] on node `node`, as `ipvsadm -Ln` prints them. */
  ipvsCounters(node: number, rs: number): [number, number] {
    return [this.wasm.ipvsConnCounter(node, rs, 1), this.wasm.ipvsConnCounter(node, rs, 0)];
  }

  /** Connections IPVS scheduled to real server `rs`, on every node. */
  ipvsScheduled(rs: number): number {
    return this.wasm.ipvsScheduled(rs);
  }

  /** [packets, bytes] that reached a chain's policy. */
  policyCounters(chain: number): [number, number] {
    return [this.wasm.chainPolicyCount(chain, 0), this.wasm.chainPolicyCount(chain, 1)];
  }

  /** The live conntrack entries, as the dataplane holds them. */
  conntrackEntries(): ConntrackEntry[] {
    const out: ConntrackEntry[] = [];
    const buf = this.wasm.arenaAlloc(64);
    const n = this.wasm.ctCapacity();
    for (let i = 0; i < n; i++) {
      if (!this.wasm.ctRead(i, buf)) continue;
      const w = new Uint32Array(this.wasm.memory.buffer, buf, 9);
      out.push({ orig: [w[0]!, w[1]!, w[2]!], key: w[3]!, reply: [w[4]!, w[5]!, w[6]!], status: w[7]!, expires: w[8]! });
    }
    return out;
  }

  /**
   * Puts a connection into conntrack as if earlier packets had made it (the `stale-udp-conntrack`
   * fault): tuples as ConntrackEntry's, `status` of CS_* bits, expiring `timeout` seconds from
   * now. Nothing is inserted when a live entry holds the original tuple. False when the table is full.
   */
  injectConntrack(entry: Omit<ConntrackEntry, "expires">, timeout: number): boolean {
    const u = (x: number) => x >>> 0;
    const [s, d, p] = entry.orig;
    const [rs, rd, rp] = entry.reply;
    return this.wasm.ctInject(u(s), u(d), u(p), u(entry.key), u(rs), u(rd), u(rp), u(entry.status), u(timeout)) >>> 0 !== 0xffffffff;
  }

  /** Test hook: makes the module trap (a load far outside its memory). */
  debugTrap(): void {
    this.wasm.fibLookup(0xfffffff0, 0);
  }

  /** Bytes of Wasm memory holding tables. */
  get bytesUsed(): number {
    return this.wasm.arenaUsed();
  }
}
