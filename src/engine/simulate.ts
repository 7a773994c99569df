// Batch simulation: many connections from the cluster's pods, forwarded by the Wasm dataplane
// with counters only, in simulated time: flow i starts at second ⌊i / connectionsPerSecond⌋,
// sends its packets, and closes (TCP: FIN, FIN-ACK, ACK, then TIME_WAIT), so conntrack fills
// and drains as on real nodes. During the run a node may fail and endpoints may churn:
// kube-proxy re-syncs (src/engine/resync.ts) while the connections stay.
//
// A plan is split into shards by the hash of each record's 5-tuple (IPVS mode: by client
// node); every record seeds its own random choices and every shard walks the plan's events at
// the same flows, so the shards of N workers add up to exactly the counters of one worker.

import { K8sNetFlowError } from "../errors.js";
import type { Dataplane } from "../dataplane/dataplane.js";
import { COUNTERS, FLOW_WORDS, type Counters } from "../dataplane/dataplane.js";
import { DROP_REASONS } from "../dataplane/decode.js";
import type { LoadedCluster } from "../dataplane/forward.js";
import type { Ruleset } from "../compile/iptables.js";
import * as A from "../dataplane/abi.js";
import { formatIPv4 } from "../net/ipv4.js";
import { chiSquareUniform, distribution, type Distribution } from "./stats.js";
import { mix, MAX_RECORDS_PER_FLOW, Traffic, TRAFFIC_PATTERNS, type TrafficPattern } from "./traffic.js";
import { assertResyncable, resync } from "./resync.js";
import { encodeRules } from "../dataplane/layout.js";

export type { TrafficPattern } from "./traffic.js";

export interface SimulationPlan {
  /** Connections to open (with the `dns` and `external` patterns, lookups, each followed by its connection if it found an address). */
  flows: number;
  /** Packets per connection: the first opens it (and is answered), the rest are established traffic. */
  packetsPerFlow?: number;
  /**
   * Where connections go: `uniform` (the default) a random Service port; `zipf` Service ports
   * by popularity falling as 1/rank in the cluster's Service order; `all-to-all` a random pod's
   * container port, directly; `dns` a random Service port by name (`svc` in the client's
   * namespace, `svc.ns` elsewhere), resolved first by the client's resolver (ndots:5, the
   * search list: each query a UDP packet to kube-dns); `external` a name from
   * settings.upstreamDNS, resolved the same way, then port 443.
   */
  pattern?: TrafficPattern;
  seed?: number;
  /** New connections per second across the cluster, in simulated time (default 10,000). */
  connectionsPerSecond?: number;
  /**
   * Endpoint churn: `events` times, spread evenly over the run, `endpoints` ready endpoints
   * (drawn by the seed) leave their Services, and those of the event before come back;
   * kube-proxy re-syncs each time (iptables and nftables modes).
   */
  churn?: { events: number; endpoints: number };
  /**
   * A node fails once `at` (0–1) of the plan's flows have started: frames sent to it are lost
   * and its pods open nothing. `detectionSeconds` later (default 40, kube-controller-manager's
   * --node-monitor-grace-period) the node is NotReady, its pods' endpoints leave their
   * Services and kube-proxy re-syncs; until then connections sent to them fail.
   */
  nodeFailure?: { node: string; at: number; detectionSeconds?: number };
}

/** A plan with every default filled in, as results report it. */
export interface NormalizedPlan {
  flows: number;
  packetsPerFlow: number;
  pattern: TrafficPattern;
  seed: number;
  connectionsPerSecond: number;
  churn: { events: number; endpoints: number };
  nodeFailure?: { node: string; at: number; detectionSeconds: number };
}

/** Points across a run where the timeline is sampled, at fixed fractions of the plan's flows. */
export const TIMELINE_POINTS = 40;

/** The plan's flow index before which point `s` is taken: the first ⌈flows·(s+1)/N⌉ flows. */
export function timelinePoint(flows: number, s: number): number {
  return Math.ceil((flows * (s + 1)) / TIMELINE_POINTS);
}

/** Cumulative counters a shard samples at each timeline point. */
const SAMPLED = ["conntrack", "delivered", "dropped", "newConnections", "dnsQueries"] as const;

export interface ShardResult {
  flows: number;
  packets: number;
  counters: Counters;
  drops: number[];
  /**
   * New connections per Service endpoint (DNAT rule hits, summed over every ruleset of the run),
   * in the order of the loaded ruleset's DNAT rules (dnatRules): a typed array, cheap to pass
   * between threads. Re-syncs only ever take endpoints out, so every endpoint has its place.
   */
  endpointHits: Float64Array;
  /** Delivered packets per origin node × delivery node, as [from, to, packets] triples. */
  nodePairs: Uint32Array;
  /** IPVS mode: connections scheduled per real server (index = its global number). */
  ipvsScheduled?: Float64Array;
  /** New connections by rules walked, as [rules walked, connections] pairs (flattened, by rules walked). */
  walks: Uint32Array;
  /** The SAMPLED values at each timeline point (TIMELINE_POINTS × SAMPLED.length, point-major). */
  samples: Float64Array;
  /** Lookups by queries sent, as [queries, lookups] pairs (dns and external patterns). */
  queriesPerLookup: Array<[number, number]>;
  /** The plan's events, with what their re-syncs wrote (every shard computes the same). */
  events: SimulationEvent[];
}

/** The chi-square test of one Service port's new connections against a uniform choice of its endpoints. */
export interface ServiceUniformity {
  servicePort: string;
  /** Endpoints the port's connections were spread over (with or without connections). */
  endpoints: number;
  connections: number;
  chiSquare: number;
  /** Degrees of freedom: endpoints − 1. */
  df: number;
  /** P(χ² ≥ chiSquare) under a uniform choice: small values say the spread is not uniform. */
  pValue: number;
}

/** Wall-clock measurements of a run: they differ between runs, unlike everything else. */
export interface SimulationTiming {
  /** Seconds from the call to the result, in the engine (picking flows, forwarding, adding up). */
  seconds: number;
  packetsPerSecond: number;
  connectionsPerSecond: number;
}

/** One point of a run's timeline: the state at that point, and what happened since the one before. */
export interface TimelinePoint {
  /** Flows of the plan started before this point. */
  flows: number;
  /** Simulated time of this point, seconds since the run's start (flows / connectionsPerSecond; the clock itself ticks in whole seconds). */
  seconds: number;
  /** Conntrack entries alive at this point, all nodes (expired ones reaped). */
  conntrack: number;
  /** Packets delivered since the previous point (requests and answers). */
  delivered: number;
  /** Packets dropped since the previous point. */
  dropped: number;
  /** Connections opened since the previous point (DNS queries not counted). */
  newConnections: number;
  /** DNS queries sent since the previous point. */
  dnsQueries: number;
}

/** Something that happened during a run, and what kube-proxy wrote for it. */
export interface SimulationEvent {
  seconds: number;
  /** The plan's flow index it happened before. */
  flows: number;
  kind: "node-down" | "endpoints-removed" | "churn";
  detail: string;
  /** Rule lines this mode's kube-proxy writes for the sync (src/engine/resync.ts), none for node-down. */
  rulesWritten?: number;
  /** What a full re-sync of the same rules writes. */
  fullSync?: number;
}

export interface SimulationResult {
  plan: NormalizedPlan;
  workers: number;
  flows: number;
  /** The plan's packets: each connection's packetsPerFlow and each DNS query (answers and the close handshake not counted). */
  packets: number;
  counters: Counters;
  /** Drops by reason, e.g. { "rejected": 12 }. */
  drops: Record<string, number>;
  /** New connections per Service endpoint (the DNAT rules' hits; in IPVS mode, the real servers' scheduled connections). */
  endpoints: Array<{ servicePort: string; endpoint: string; connections: number }>;
  nodePairs: Array<{ from: string; to: string; packets: number }>;
  /** Netfilter rules walked per connection opened. */
  rulesPerConnection: number;
  /** Delivered new connections (DNS queries included) whose request reached a pod on the client's own node, or another node's. */
  locality: { sameNode: number; crossNode: number; /** sameNode / (sameNode + crossNode), 0 without any. */ sameNodeShare: number };
  /**
   * Netfilter rules (IPVS: virtual-server lookups; eBPF: service-map lookups) walked by each new
   * connection's first packet and its answer (DNS queries included): buckets with fixed edges, exact order statistics.
   */
  rulesPerNewConnection: Distribution;
  /** DNS queries each lookup sent (dns and external patterns; empty otherwise). */
  dnsQueriesPerLookup: Distribution;
  /** The run at TIMELINE_POINTS fixed fractions of the plan (the same on any number of workers). */
  timeline: TimelinePoint[];
  events: SimulationEvent[];
  /** Per Service port with new connections: the chi-square test of its endpoints' share (iptables, nftables, ipvs). */
  serviceUniformity: ServiceUniformity[];
  /**
   * Wall time and throughput, set by the engine. Not enumerable: JSON.stringify(result) and deep
   * equality see only the deterministic part (same seed, same numbers); read it as result.timing.
   */
  timing?: SimulationTiming;
}

export interface SimulationHooks {
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

const whole = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

export function normalizePlan(plan: SimulationPlan): NormalizedPlan {
  const flows = plan?.flows;
  if (!whole(flows, 1, 1e9)) throw new K8sNetFlowError("invalid-input", `expected a whole number of flows from 1 to 1,000,000,000, got ${String(flows)}`, "flows");
  const packetsPerFlow = plan.packetsPerFlow ?? 10;
  if (!whole(packetsPerFlow, 1, 1e6)) throw new K8sNetFlowError("invalid-input", `expected 1 to 1,000,000 packets per flow, got ${String(packetsPerFlow)}`, "packetsPerFlow");
  const seed = plan.seed ?? 1;
  if (!whole(seed, 0, 0xffffffff)) throw new K8sNetFlowError("invalid-input", `expected an integer from 0 to 4294967295, got ${String(plan.seed)}`, "seed");
  const pattern = plan.pattern ?? "uniform";
  if (!TRAFFIC_PATTERNS.includes(pattern)) throw new K8sNetFlowError("invalid-input", `expected one of ${TRAFFIC_PATTERNS.map((p) => `"${p}"`).join(", ")}, got ${JSON.stringify(plan.pattern)}`, "pattern");
  const connectionsPerSecond = plan.connectionsPerSecond ?? 10_000;
  if (!whole(connectionsPerSecond, 1, 1e9)) throw new K8sNetFlowError("invalid-input", `expected a whole number of connections per second from 1 to 1,000,000,000, got ${String(plan.connectionsPerSecond)}`, "connectionsPerSecond");
  if (flows! / connectionsPerSecond > 1e7) throw new K8sNetFlowError("invalid-input", `${flows} flows at ${connectionsPerSecond} per second last ${Math.ceil(flows! / connectionsPerSecond)} simulated seconds; at most 10,000,000 are simulated: raise connectionsPerSecond`, "connectionsPerSecond");
  const churn = { events: plan.churn?.events ?? 0, endpoints: plan.churn?.endpoints ?? 0 };
  if (!whole(churn.events, 0, 100)) throw new K8sNetFlowError("invalid-input", `expected 0 to 100 churn events, got ${String(plan.churn?.events)}`, "churn.events");
  if (!whole(churn.endpoints, 0, 1e6) || (churn.events > 0 && churn.endpoints < 1)) throw new K8sNetFlowError("invalid-input", `expected 1 to 1,000,000 endpoints per churn event, got ${String(plan.churn?.endpoints)}`, "churn.endpoints");
  const out: NormalizedPlan = { flows: flows!, packetsPerFlow, pattern, seed, connectionsPerSecond, churn };
  if (plan.nodeFailure !== undefined) {
    const f = plan.nodeFailure;
    if (typeof f?.node !== "string" || !f.node) throw new K8sNetFlowError("invalid-input", `expected the name of the node that fails, got ${JSON.stringify(f?.node)}`, "nodeFailure.node");
    if (typeof f.at !== "number" || !(f.at >= 0 && f.at <= 1)) throw new K8sNetFlowError("invalid-input", `expected the share of the plan's flows before the failure, 0 to 1, got ${String(f.at)}`, "nodeFailure.at");
    const detectionSeconds = f.detectionSeconds ?? 40;
    if (!whole(detectionSeconds, 0, 1e7)) throw new K8sNetFlowError("invalid-input", `expected whole seconds from 0 to 10,000,000, got ${String(f.detectionSeconds)}`, "nodeFailure.detectionSeconds");
    out.nodeFailure = { node: f.node, at: f.at, detectionSeconds };
  }
  return out;
}

/** The shard a flow belongs to: the hash of its 5-tuple, so equal tuples meet in one conntrack. */
export function shardOf(src: number, dst: number, sport: number, dport: number, proto: number, shards: number): number {
  return shards === 1 ? 0 : mix(mix(mix(src, dst), (sport << 16) | dport), proto) % shards;
}

/**
 * Conntrack entries one worker holds at once, at most: two per connection (its client's node
 * and, across nodes, the endpoint's), for every connection in its last two minutes (TIME_WAIT).
 */
export const MAX_CONNTRACK_PER_WORKER = 8_000_000;
/** Seconds a record's conntrack entries can outlive its start: TIME_WAIT and SYN_SENT's 120 s, and one more. */
const ENTRY_LIFETIME = 122;

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A plan's event, at the plan's flow index it happens before. */
interface PlannedEvent {
  index: number;
  kind: SimulationEvent["kind"];
  node?: number;
  /** churn: the endpoints out of their Services from now on (those of the event before come back). */
  churned?: string[];
}

/** The plan's events, the same in every shard. */
function planEvents(cluster: LoadedCluster, plan: NormalizedPlan): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  const rate = plan.connectionsPerSecond;
  if (plan.nodeFailure) {
    assertResyncable(cluster, "nodeFailure");
    const node = cluster.model.nodes.findIndex((n) => n.name === plan.nodeFailure!.node);
    if (node < 0) throw new K8sNetFlowError("not-found", `no node ${plan.nodeFailure.node} in the cluster (it has ${cluster.model.nodes.slice(0, 3).map((n) => n.name).join(", ")}${cluster.model.nodes.length > 3 ? ", …" : ""})`, "nodeFailure.node");
    const failed = Math.min(plan.flows - 1, Math.floor(plan.nodeFailure.at * plan.flows));
    out.push({ index: failed, kind: "node-down", node });
    // The first flow starting once the failure has been noticed.
    const detected = (Math.floor(failed / rate) + plan.nodeFailure.detectionSeconds) * rate;
    if (detected < plan.flows) out.push({ index: Math.max(detected, failed), kind: "endpoints-removed", node });
  }
  if (plan.churn.events > 0) {
    assertResyncable(cluster, "churn");
    // Ready endpoints of the Services clients connect to, in a fixed order.
    const ready = [...new Set(cluster.model.endpointSlices.filter((s) => !(s.namespace === "default" && s.service === "kubernetes")).flatMap((s) => s.endpoints.filter((e) => e.conditions.ready).flatMap((e) => e.addresses)))].sort();
    if (ready.length < plan.churn.endpoints) throw new K8sNetFlowError("invalid-input", `each churn event takes ${plan.churn.endpoints} endpoints out, and the cluster has ${ready.length} ready ones`, "churn.endpoints");
    for (let k = 0; k < plan.churn.events; k++) {
      // A seeded partial shuffle: `endpoints` distinct addresses.
      const pool = ready.slice();
      const churned: string[] = [];
      for (let j = 0; j < plan.churn.endpoints; j++) {
        const r = j + (mix(plan.seed, 0x5eed0000 + k * 1_000_003 + j) % (pool.length - j));
        [pool[j], pool[r]] = [pool[r]!, pool[j]!];
        churned.push(pool[j]!);
      }
      out.push({ index: Math.floor((plan.flows * (k + 1)) / (plan.churn.events + 1)), kind: "churn", churned });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Runs this worker's share of a plan; yields between chunks so progress and cancel get through. */
export async function simulateShard(dp: Dataplane, cluster: LoadedCluster, input: SimulationPlan, shard: number, shards: number, hooks: SimulationHooks = {}): Promise<ShardResult> {
  const plan = normalizePlan(input);
  const { net } = cluster;
  const rate = plan.connectionsPerSecond;
  const traffic = new Traffic(cluster, plan);
  const events = planEvents(cluster, plan);
  const cancelled = () => {
    if (hooks.isCancelled?.()) throw new K8sNetFlowError("cancelled", "the simulation was cancelled");
  };
  // IPVS keeps per-node state (rr's position, connection counts), so in IPVS mode a shard takes
  // whole client nodes: each node then sees its records in plan order, as one worker would.
  const ipvs = cluster.rs.ipvs !== undefined;
  const shardOfRecord = (r: Uint32Array, at: number) =>
    shards === 1 ? 0 : ipvs ? net.netns[r[at + A.FL_FROM / 4]!]!.node % shards : shardOf(r[at + A.FL_SRC / 4]!, r[at + A.FL_DST / 4]!, r[at + A.FL_SPORT / 4]!, r[at + A.FL_DPORT / 4]!, r[at + A.FL_PROTO / 4]!, shards);
  // A flow's records (a lookup's queries and the connection they lead to) stay together: the
  // connection is made only if its lookup was answered. With lookups, a client's flows all go
  // to one shard (the state flows share — conntrack entries of the resolver's sockets, whose
  // ports repeat — is always the same client's); otherwise by the connection's 5-tuple.
  const withLookups = plan.pattern === "dns" || plan.pattern === "external";
  const shardOfFlow = (r: Uint32Array, n: number) =>
    withLookups && !ipvs && shards > 1 ? shardOf(r[A.FL_SRC / 4]!, 0, 0, 0, 0, shards) : shardOfRecord(r, (n - 1) * FLOW_WORDS);
  // The traffic walks the plan's node states in order, as the run will.
  const down = events.filter((e) => e.kind === "node-down");
  const replay = (i: number) => {
    for (const e of down) traffic.setNodeDown(e.node!, e.index <= i);
  };
  // First pass: which of the plan's flows have records here, and how many records start each
  // second (conntrack is sized from the busiest ENTRY_LIFETIME seconds, so it never fills and
  // the shards stay independent). In slices, so a cancel gets through.
  const scratch = new Uint32Array(MAX_RECORDS_PER_FLOW * FLOW_WORDS);
  let mine = new Uint32Array(shards === 1 ? 0 : Math.min(plan.flows, Math.ceil(plan.flows / shards) + 1024));
  let count = 0;
  const perSecond = new Uint32Array(Math.floor((plan.flows - 1) / rate) + 1);
  for (let i = 0; i < plan.flows; ) {
    const end = Math.min(plan.flows, i + 100_000);
    for (; i < end; i++) {
      if (down.length) replay(i);
      const n = traffic.write(i, Math.floor(i / rate), scratch, 0);
      const here = shardOfFlow(scratch, n) === shard ? n : 0;
      if (!here) continue;
      perSecond[Math.floor(i / rate)] = perSecond[Math.floor(i / rate)]! + here;
      if (shards > 1) {
        if (count === mine.length) {
          const grown = new Uint32Array(Math.min(plan.flows, mine.length * 2));
          grown.set(mine);
          mine = grown;
        }
        mine[count] = i;
      }
      count++;
    }
    await yieldToEvents();
    cancelled();
  }
  let busiest = 0;
  let window = 0;
  for (let t = 0; t < perSecond.length; t++) {
    window += perSecond[t]!;
    if (t >= ENTRY_LIFETIME) window -= perSecond[t - ENTRY_LIFETIME]!;
    busiest = Math.max(busiest, window);
  }
  const capacity = 2 * busiest + 1024;
  if (capacity > MAX_CONNTRACK_PER_WORKER) {
    throw new K8sNetFlowError("invalid-input", `this plan keeps up to ${capacity.toLocaleString("en-US")} conntrack entries alive at once in each of ${shards} worker(s) (${rate.toLocaleString("en-US")} connections per second, each held ${ENTRY_LIFETIME - 2} s after it closes); a worker holds ${MAX_CONNTRACK_PER_WORKER.toLocaleString("en-US")}: use more workers or fewer connections per second`, "connectionsPerSecond");
  }
  dp.reserveConntrack(capacity);
  dp.resetState();
  dp.setTime(0);
  for (const e of down) traffic.setNodeDown(e.node!, false);

  // The run: this shard's flows in plan order, in chunks that end at the next timeline point
  // or event, where the dataplane is sampled or changed.
  const flowAt = (k: number) => (shards === 1 ? k : mine[k]!);
  const samples = new Float64Array(TIMELINE_POINTS * SAMPLED.length);
  const dnat = dnatRules(cluster);
  const endpointHits = new Float64Array(dnat.rules.length);
  const harvest = (rs: Ruleset) => {
    for (const r of rs.rules) {
      if (r.target.kind !== "dnat" || r.servicePort === undefined || r.endpoint === undefined) continue;
      const n = dp.ruleHits(r.id);
      const at = dnat.index.get(`${r.servicePort}\t${r.endpoint}`);
      if (n && at !== undefined) endpointHits[at] = endpointHits[at]! + n;
    }
  };
  let rs = cluster.rs;
  const done: SimulationEvent[] = [];
  let unreadyNode: string[] = [];
  let churned: string[] = [];
  const nodePods = (node: number) => cluster.model.pods.filter((p) => !p.hostNetwork && p.node === cluster.model.nodes[node]!.name).map((p) => p.ip);
  const apply = (e: PlannedEvent) => {
    const seconds = e.index / rate;
    const name = e.node === undefined ? "" : cluster.model.nodes[e.node]!.name;
    if (e.kind === "node-down") {
      dp.setNodeDown(e.node!, true);
      traffic.setNodeDown(e.node!, true);
      done.push({ seconds, flows: e.index, kind: e.kind, detail: `node ${name} fails: frames sent to it are lost and its pods open nothing; its endpoints stay in their Services until it is marked NotReady` });
      return;
    }
    if (e.kind === "endpoints-removed") unreadyNode = nodePods(e.node!);
    else churned = e.churned!;
    harvest(rs);
    const next = resync(dp, cluster, rs, new Set([...unreadyNode, ...churned]));
    rs = next.rs;
    const detail = e.kind === "endpoints-removed"
      ? `node ${name} is NotReady: its ${unreadyNode.length} pod(s) leave their Services' endpoints; kube-proxy re-syncs`
      : `churn: ${churned.length} endpoint(s) leave their Services${done.some((d) => d.kind === "churn") ? ", those of the last event come back" : ""}; kube-proxy re-syncs`;
    done.push({ seconds, flows: e.index, kind: e.kind, detail, rulesWritten: next.cost.rulesWritten, fullSync: next.cost.fullSync });
  };
  let queries = 0;
  let connections = 0;
  const lookups = new Map<number, number>();
  let point = 0;
  let next = 0; // next event
  const sample = (k: number) => {
    // Sample every point whose plan index this shard has passed (several when this shard has no flows between them).
    while (point < TIMELINE_POINTS && (k >= count || flowAt(k) >= timelinePoint(plan.flows, point))) {
      dp.setTime(Math.floor((timelinePoint(plan.flows, point) - 1) / rate));
      dp.conntrackGc();
      const c = dp.counters();
      samples.set([c.ctLive, c.delivered, c.dropped, connections, queries], point * SAMPLED.length);
      point++;
    }
  };
  const eventsDue = (k: number) => {
    while (next < events.length && (k >= count || flowAt(k) >= events[next]!.index)) {
      dp.setTime(Math.floor(events[next]!.index / rate));
      apply(events[next]!);
      next++;
    }
  };
  try {
    const buf = new Uint32Array(65536 * FLOW_WORDS);
    let chunk = 64;
    let lastReport = performance.now();
    for (let k = 0; k < count; ) {
      cancelled();
      eventsDue(k);
      const started = performance.now();
      const stop = Math.min(next < events.length ? events[next]!.index : Infinity, point < TIMELINE_POINTS ? timelinePoint(plan.flows, point) : Infinity);
      let records = 0;
      let flowsRun = 0;
      while (k < count && flowsRun < chunk && records + MAX_RECORDS_PER_FLOW <= 65536) {
        const i = flowAt(k);
        if (i >= stop) break;
        const n = traffic.write(i, Math.floor(i / rate), scratch, 0);
        const q = traffic.lastQueries;
        for (let r = 0; r < n; r++) {
          if (r < q) queries++;
          else connections++;
          for (let w = 0; w < FLOW_WORDS; w++) buf[records * FLOW_WORDS + w] = scratch[r * FLOW_WORDS + w]!;
          records++;
        }
        if (q > 0) lookups.set(q, (lookups.get(q) ?? 0) + 1);
        k++;
        flowsRun++;
      }
      if (records) dp.runFlows(buf.subarray(0, records * FLOW_WORDS));
      sample(k);
      // Aim at ~20 ms of work between yields (progress ≥ 4 times a second, cancel within 100 ms),
      // from this chunk's pace, growing at most 4× at a time.
      const took = Math.max(0.25, performance.now() - started);
      chunk = Math.max(16, Math.min(65536, chunk * 4, Math.round((Math.max(1, flowsRun) * 20) / took)));
      if (k < count && performance.now() - lastReport >= 200) {
        // Progress in the plan's terms: how far this shard got through the plan's flows.
        hooks.onProgress?.(flowAt(k), plan.flows);
        lastReport = performance.now();
      }
      await yieldToEvents();
    }
    eventsDue(count);
    sample(count);
    harvest(rs);
  } finally {
    // What the run changed goes back: traces and command outputs see the cluster as loaded.
    if (rs !== cluster.rs) dp.reloadRules(encodeRules(cluster.rs));
    for (const e of down) dp.setNodeDown(e.node!, false);
  }
  hooks.onProgress?.(plan.flows, plan.flows);
  const pairs = dp.nodePairs();
  const nodePairs = new Uint32Array(pairs.size * 3);
  let p = 0;
  for (const [key, packets] of pairs) {
    const [from, to] = key.split(">").map(Number);
    nodePairs.set([from!, to!, packets], p * 3);
    p++;
  }
  const ipvsScheduled = cluster.rs.ipvs ? Float64Array.from({ length: cluster.rs.ipvs.realServerCount }, (_, r) => dp.ipvsScheduled(r)) : undefined;
  return {
    flows: connections,
    packets: connections * plan.packetsPerFlow + queries,
    counters: dp.counters(),
    drops: Array.from({ length: A.X_REASONS }, (_, r) => dp.dropCount(r)),
    endpointHits,
    nodePairs,
    ...(ipvsScheduled ? { ipvsScheduled } : {}),
    walks: Uint32Array.from(dp.walksPerNewConnection().flat()),
    samples,
    queriesPerLookup: [...lookups].sort((a, b) => a[0] - b[0]),
    events: done,
  };
}

/** Adds the shards up and names what the numbers are about. */
export function aggregate(cluster: LoadedCluster, input: SimulationPlan, shards: ShardResult[]): SimulationResult {
  const plan = normalizePlan(input);
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, shards.reduce((s, r) => s + r.counters[c], 0)])) as Counters;
  const dnat = dnatRules(cluster);
  const hits = new Float64Array(dnat.rules.length);
  for (const r of shards) for (let i = 0; i < hits.length; i++) hits[i] = hits[i]! + (r.endpointHits[i] ?? 0);
  const drops: Record<string, number> = {};
  for (let reason = 1; reason < A.X_REASONS; reason++) {
    const n = shards.reduce((s, r) => s + (r.drops[reason] ?? 0), 0);
    if (n) drops[DROP_REASONS[reason] ?? `reason ${reason}`] = n;
  }
  const pairs = new Map<string, number>();
  for (const r of shards) for (let i = 0; i < r.nodePairs.length; i += 3) {
    const key = `${r.nodePairs[i]}>${r.nodePairs[i + 1]}`;
    pairs.set(key, (pairs.get(key) ?? 0) + r.nodePairs[i + 2]!);
  }
  const names = cluster.model.nodes.map((n) => n.name);
  const flows = shards.reduce((s, r) => s + r.flows, 0);
  const walks = new Map<number, number>();
  for (const r of shards) for (let i = 0; i < r.walks.length; i += 2) walks.set(r.walks[i]!, (walks.get(r.walks[i]!) ?? 0) + r.walks[i + 1]!);
  const lookups = new Map<number, number>();
  for (const r of shards) for (const [q, n] of r.queriesPerLookup) lookups.set(q, (lookups.get(q) ?? 0) + n);
  const { sameNodeConnections: sameNode, crossNodeConnections: crossNode } = counters;
  const at = (point: number, field: (typeof SAMPLED)[number]) => (point < 0 ? 0 : shards.reduce((sum, r) => sum + r.samples[point * SAMPLED.length + SAMPLED.indexOf(field)]!, 0));
  const timeline = Array.from({ length: TIMELINE_POINTS }, (_, s): TimelinePoint => ({
    flows: timelinePoint(plan.flows, s),
    seconds: timelinePoint(plan.flows, s) / plan.connectionsPerSecond,
    conntrack: at(s, "conntrack"),
    delivered: at(s, "delivered") - at(s - 1, "delivered"),
    dropped: at(s, "dropped") - at(s - 1, "dropped"),
    newConnections: at(s, "newConnections") - at(s - 1, "newConnections"),
    dnsQueries: at(s, "dnsQueries") - at(s - 1, "dnsQueries"),
  }));
  return {
    plan,
    workers: shards.length,
    flows,
    packets: shards.reduce((s, r) => s + r.packets, 0),
    counters,
    drops,
    endpoints: cluster.rs.ipvs ? ipvsEndpoints(cluster, shards) : dnat.rules.flatMap((r, i) => (hits[i] ? [{ servicePort: r.servicePort!, endpoint: r.endpoint!, connections: hits[i]! }] : [])),
    nodePairs: [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, packets]) => {
      const [from, to] = key.split(">").map(Number);
      return { from: names[from!]!, to: names[to!]!, packets };
    }),
    rulesPerConnection: flows ? counters.rulesWalked / flows : 0,
    locality: { sameNode, crossNode, sameNodeShare: sameNode + crossNode ? sameNode / (sameNode + crossNode) : 0 },
    rulesPerNewConnection: distribution([...walks].sort((a, b) => a[0] - b[0])),
    dnsQueriesPerLookup: distribution([...lookups].sort((a, b) => a[0] - b[0]), QUERY_BUCKET_EDGES),
    timeline,
    events: shards[0]?.events ?? [],
    serviceUniformity: cluster.rs.ipvs ? ipvsUniformity(cluster, shards) : ruleUniformity(cluster, hits),
  };
}

/** Buckets of DNS queries per lookup: one per count up to 16 (a lookup sends at most 16 here). */
const QUERY_BUCKET_EDGES = Array.from({ length: 17 }, (_, i) => i);

/**
 * iptables and nftables: every endpoint's DNAT rule hits (zero too), per Service port of the
 * loaded rules, tested for uniformity (endpoints that churned away for part of the run skew it).
 */
function ruleUniformity(cluster: LoadedCluster, hits: Float64Array): ServiceUniformity[] {
  const ports = new Map<string, Map<string, number>>();
  dnatRules(cluster).rules.forEach((r, i) => {
    const eps = ports.get(r.servicePort!) ?? new Map<string, number>();
    eps.set(r.endpoint!, (eps.get(r.endpoint!) ?? 0) + hits[i]!);
    ports.set(r.servicePort!, eps);
  });
  return uniformity(ports);
}

/** The loaded ruleset's DNAT rules (one per Service port and endpoint; several with affinity), in rule order, and the place of each endpoint. */
const dnatCache = new WeakMap<Ruleset, { rules: Ruleset["rules"]; index: Map<string, number> }>();
function dnatRules(cluster: LoadedCluster): { rules: Ruleset["rules"]; index: Map<string, number> } {
  let d = dnatCache.get(cluster.rs);
  if (!d) {
    const rules: Ruleset["rules"] = [];
    const index = new Map<string, number>();
    for (const r of cluster.rs.rules) {
      if (r.target.kind !== "dnat" || r.servicePort === undefined || r.endpoint === undefined) continue;
      const key = `${r.servicePort}\t${r.endpoint}`;
      if (index.has(key)) continue;
      index.set(key, rules.length);
      rules.push(r);
    }
    d = { rules, index };
    dnatCache.set(cluster.rs, d);
  }
  return d;
}

/** IPVS: every real server's scheduled connections, per virtual server. */
function ipvsUniformity(cluster: LoadedCluster, shards: ShardResult[]): ServiceUniformity[] {
  const ports = new Map<string, Map<string, number>>();
  for (const vs of cluster.rs.ipvs!.virtualServers) {
    const eps = ports.get(vs.servicePort) ?? new Map<string, number>();
    vs.dests.forEach((d, i) => {
      const key = `${formatIPv4(d.addr)}:${d.port}`;
      eps.set(key, (eps.get(key) ?? 0) + shards.reduce((sum, r) => sum + (r.ipvsScheduled?.[vs.firstDest + i] ?? 0), 0));
    });
    ports.set(vs.servicePort, eps);
  }
  return uniformity(ports);
}

function uniformity(ports: Map<string, Map<string, number>>): ServiceUniformity[] {
  const out: ServiceUniformity[] = [];
  for (const [servicePort, eps] of [...ports].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const observed = [...eps.values()];
    const connections = observed.reduce((s, o) => s + o, 0);
    if (connections) out.push({ servicePort, endpoints: observed.length, connections, ...chiSquareUniform(observed) });
  }
  return out;
}

/** IPVS mode: connections per real server, summed over the shards, as Service port and endpoint. */
function ipvsEndpoints(cluster: LoadedCluster, shards: ShardResult[]): SimulationResult["endpoints"] {
  const out: SimulationResult["endpoints"] = [];
  for (const vs of cluster.rs.ipvs!.virtualServers) {
    // In ipvsadm's order (by address and port), not the kernel list's.
    const dests = vs.dests.map((d, i) => ({ d, rs: vs.firstDest + i })).sort((a, b) => a.d.addr - b.d.addr || a.d.port - b.d.port);
    for (const { d, rs } of dests) {
      const n = shards.reduce((sum, r) => sum + (r.ipvsScheduled?.[rs] ?? 0), 0);
      if (n) out.push({ servicePort: vs.servicePort, endpoint: `${formatIPv4(d.addr)}:${d.port}`, connections: n });
    }
  }
  return out;
}
