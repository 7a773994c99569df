// Batch simulation: many connections from the cluster's pods to its Services, forwarded by
// the Wasm dataplane with counters only. A plan is split into shards by the hash of each
// flow's 5-tuple; every flow seeds its own random choices, so the shards of N workers add up
// to exactly the counters of one worker with the same seed.

import { K8sNetFlowError } from "../errors.js";
import type { Dataplane } from "../dataplane/dataplane.js";
import { COUNTERS, FLOW_WORDS, type Counters } from "../dataplane/dataplane.js";
import { DROP_REASONS } from "../dataplane/decode.js";
import type { LoadedCluster } from "../dataplane/forward.js";
import * as A from "../dataplane/abi.js";
import { formatIPv4, parseIPv4 } from "../net/ipv4.js";
import { chiSquareUniform, distribution, type Distribution } from "./stats.js";

export interface SimulationPlan {
  /**
   * Connections to open, each from a random pod (not in kube-system, not on the host network)
   * to a random port of a random Service with a cluster IP (but `default/kubernetes`).
   */
  flows: number;
  /** Packets per connection: the first opens it (and is answered), the rest are established traffic. */
  packetsPerFlow?: number;
  /**
   * Which Service port each connection goes to: `uniform` (the default), or `zipf` — popularity
   * falling as 1/rank in the cluster's Service order, a few hot Services and a long tail.
   */
  pattern?: "uniform" | "zipf";
  seed?: number;
}

export interface ShardResult {
  flows: number;
  packets: number;
  counters: Counters;
  drops: number[];
  /** Packets per rule (index = rule id). */
  ruleHits: Float64Array;
  /** Delivered packets per origin node × delivery node, as [from, to, packets] triples. */
  nodePairs: Uint32Array;
  /** IPVS mode: connections scheduled per real server (index = its global number). */
  ipvsScheduled?: Float64Array;
  /** New connections by rules walked, as [rules walked, connections] pairs (flattened, by rules walked). */
  walks: Uint32Array;
  /** Conntrack entries of this shard after the plan's flows up to each of OCCUPANCY_SAMPLES points. */
  occupancy: Float64Array;
}

/** Points across a run where conntrack occupancy is sampled, at fixed fractions of the plan's flows. */
export const OCCUPANCY_SAMPLES = 20;

/** The plan's flow index before which sample `s` is taken: the first ⌈flows·(s+1)/N⌉ flows. */
export function occupancyPoint(flows: number, s: number): number {
  return Math.ceil((flows * (s + 1)) / OCCUPANCY_SAMPLES);
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

export interface SimulationResult {
  plan: Required<SimulationPlan>;
  workers: number;
  flows: number;
  packets: number;
  counters: Counters;
  /** Drops by reason, e.g. { "rejected": 12 }. */
  drops: Record<string, number>;
  /** New connections per Service endpoint (the DNAT rules' hits; in IPVS mode, the real servers' scheduled connections). */
  endpoints: Array<{ servicePort: string; endpoint: string; connections: number }>;
  nodePairs: Array<{ from: string; to: string; packets: number }>;
  /** Netfilter rules walked per connection opened. */
  rulesPerConnection: number;
  /** Delivered new connections whose request reached a pod on the client's own node, or another node's. */
  locality: { sameNode: number; crossNode: number; /** sameNode / (sameNode + crossNode), 0 without any. */ sameNodeShare: number };
  /**
   * Netfilter rules (IPVS: virtual-server lookups; eBPF: service-map lookups) walked by each new
   * connection's first packet and its answer: buckets with fixed edges, exact order statistics.
   */
  rulesPerNewConnection: Distribution;
  /** Conntrack entries after the plan's first `flows` flows, at fixed fractions of the plan (the same on any number of workers). */
  conntrackOccupancy: Array<{ flows: number; entries: number }>;
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

export function normalizePlan(plan: SimulationPlan): Required<SimulationPlan> {
  const flows = plan?.flows;
  if (typeof flows !== "number" || !Number.isInteger(flows) || flows < 1 || flows > 1e9) throw new K8sNetFlowError("invalid-input", `expected a whole number of flows from 1 to 1,000,000,000, got ${String(flows)}`, "flows");
  const packetsPerFlow = plan.packetsPerFlow ?? 10;
  if (!Number.isInteger(packetsPerFlow) || packetsPerFlow < 1 || packetsPerFlow > 1e6) throw new K8sNetFlowError("invalid-input", `expected 1 to 1,000,000 packets per flow, got ${String(packetsPerFlow)}`, "packetsPerFlow");
  const seed = plan.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new K8sNetFlowError("invalid-input", `expected an integer from 0 to 4294967295, got ${String(plan.seed)}`, "seed");
  const pattern = plan.pattern ?? "uniform";
  if (pattern !== "uniform" && pattern !== "zipf") throw new K8sNetFlowError("invalid-input", `expected "uniform" or "zipf", got ${JSON.stringify(plan.pattern)}`, "pattern");
  return { flows, packetsPerFlow, pattern, seed };
}

function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The shard a flow belongs to: the hash of its 5-tuple, so equal tuples meet in one conntrack. */
export function shardOf(src: number, dst: number, sport: number, dport: number, proto: number, shards: number): number {
  return shards === 1 ? 0 : mix(mix(mix(src, dst), (sport << 16) | dport), proto) % shards;
}

/** Connections one worker keeps in conntrack (two entries each at most, 40 bytes + index each). */
export const MAX_CONNECTIONS_PER_WORKER = 2_000_000;

function zipfCdf(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cdf[r] = sum += 1 / (r + 1);
  for (let r = 0; r < n; r++) cdf[r] = cdf[r]! / sum;
  return cdf;
}

/** The first index whose cumulative share exceeds u. */
function lowerBound(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Runs this worker's share of a plan; yields between chunks so progress and cancel get through. */
export async function simulateShard(dp: Dataplane, cluster: LoadedCluster, plan: Required<SimulationPlan>, shard: number, shards: number, hooks: SimulationHooks = {}): Promise<ShardResult> {
  const { model, net } = cluster;
  const clients = model.pods.filter((p) => !p.hostNetwork && p.namespace !== "kube-system");
  // Every Service with a cluster IP but `default/kubernetes`: its endpoint, the API server, is
  // outside the simulated nodes (settings.apiServer), so its packets would only leave the model.
  const targets = model.services.flatMap((s) => (s.clusterIP && s.clusterIP !== "None" && s.type !== "ExternalName" && !(s.namespace === "default" && s.name === "kubernetes") ? s.ports.filter((p) => p.protocol !== "SCTP").map((p) => ({ ip: parseIPv4(s.clusterIP!, "ip"), port: p.port, proto: p.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP })) : []));
  if (!clients.length) throw new K8sNetFlowError("invalid-input", "the cluster has no pods to open connections from", "flows");
  if (!targets.length) throw new K8sNetFlowError("invalid-input", "the cluster has no Service ports to connect to", "flows");
  const clientNs = clients.map((p) => net.podNetns.get(`${p.namespace}/${p.name}`)!);
  const clientIPs = clients.map((p) => parseIPv4(p.ip, "ip"));
  // IPVS keeps per-node state (rr's position, connection counts), so in IPVS mode a shard takes
  // whole client nodes: each node then sees its connections in plan order, as one worker would.
  const nodeOfClient = cluster.rs.ipvs ? new Map(clientIPs.map((ip, i) => [ip, net.netns[clientNs[i]!]!.node])) : undefined;
  // zipf: the cumulative popularity of the targets, searched with a uniform draw.
  const cdf = plan.pattern === "zipf" ? zipfCdf(targets.length) : undefined;
  const pick = (u: number) => (cdf ? lowerBound(cdf, u / 4294967296) : u % targets.length);
  // Flow i of the plan, the same in every shard: a client, a Service port, a source port, a seed.
  // Written straight into the record buffer (no objects per flow: plans run to millions).
  const writeFlow = (i: number, out: Uint32Array, at: number) => {
    const h = mix(plan.seed, i);
    const c = h % clients.length;
    const t = targets[pick(mix(h, 1))]!;
    out[at] = clientNs[c]!;
    out[at + 1] = clientIPs[c]!;
    out[at + 2] = t.ip;
    out[at + 3] = 1024 + (mix(h, 2) % 64512);
    out[at + 4] = t.port;
    out[at + 5] = t.proto;
    out[at + 6] = 60;
    out[at + 7] = mix(h, 3);
  };
  const tooMany = () => new K8sNetFlowError("invalid-input", `a worker holds at most ${MAX_CONNECTIONS_PER_WORKER.toLocaleString("en-US")} connections in conntrack at once; this plan gives each of ${shards} more: use more workers or fewer flows`, "flows");
  if (plan.flows > 2 * MAX_CONNECTIONS_PER_WORKER * shards) throw tooMany();
  const cancelled = () => {
    if (hooks.isCancelled?.()) throw new K8sNetFlowError("cancelled", "the simulation was cancelled");
  };
  // This shard's flows, by index into the plan (all of them for one shard). Picking them takes
  // a while for big plans: in slices, so a cancel gets through.
  let mine: Uint32Array | undefined;
  let count = plan.flows;
  if (shards > 1) {
    const picked = new Uint32Array(Math.min(plan.flows, MAX_CONNECTIONS_PER_WORKER + 1));
    const rec = new Uint32Array(FLOW_WORDS);
    count = 0;
    for (let i = 0; i < plan.flows; ) {
      const end = Math.min(plan.flows, i + 250_000);
      for (; i < end; i++) {
        writeFlow(i, rec, 0);
        if ((nodeOfClient ? nodeOfClient.get(rec[1]!)! % shards : shardOf(rec[1]!, rec[2]!, rec[3]!, rec[4]!, rec[5]!, shards)) !== shard) continue;
        if (count > MAX_CONNECTIONS_PER_WORKER) throw tooMany();
        picked[count++] = i;
      }
      await yieldToEvents();
      cancelled();
    }
    mine = picked.subarray(0, count);
  }
  // Every connection stays in conntrack (nothing closes within a plan), on its client's node and,
  // across nodes, on the endpoint's too: the table is sized so that it never fills, and the
  // shards add up to exactly what one worker counts.
  if (count > MAX_CONNECTIONS_PER_WORKER) throw tooMany();
  dp.reserveConntrack(2 * count + 1024);
  dp.resetState();
  dp.setTime(0);
  // Conntrack occupancy at fixed points of the plan: sample s after this shard's flows below
  // the plan's point s (their number here: a search of this shard's sorted flow indexes).
  const samplePos = Array.from({ length: OCCUPANCY_SAMPLES }, (_, s) => {
    const point = occupancyPoint(plan.flows, s);
    if (!mine) return point;
    let lo = 0;
    let hi = mine.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (mine[mid]! < point) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  const occupancy = new Float64Array(OCCUPANCY_SAMPLES);
  let sample = 0;
  const takeSamples = (k: number) => {
    for (; sample < OCCUPANCY_SAMPLES && samplePos[sample]! <= k; sample++) occupancy[sample] = dp.counters().ctLive;
  };
  takeSamples(0);
  // Start small: a flow may carry many packets, and the first chunk has no timing to go by.
  let chunk = 64;
  const buf = new Uint32Array(65536 * FLOW_WORDS);
  let lastReport = performance.now();
  for (let k = 0; k < count; ) {
    cancelled();
    const started = performance.now();
    // A chunk ends at the next sample point at the latest.
    const n = Math.min(chunk, count - k, sample < OCCUPANCY_SAMPLES ? samplePos[sample]! - k : Infinity);
    for (let j = 0; j < n; j++) writeFlow(mine ? mine[k + j]! : k + j, buf, j * FLOW_WORDS);
    k += n;
    dp.runFlows(buf.subarray(0, n * FLOW_WORDS), plan.packetsPerFlow);
    takeSamples(k);
    // Aim at ~20 ms of work between yields (progress ≥ 4 times a second, cancel within 100 ms),
    // from this chunk's pace, growing at most 4× at a time.
    const took = Math.max(0.25, performance.now() - started);
    chunk = Math.max(16, Math.min(65536, chunk * 4, Math.round((n * 20) / took)));
    if (k < count && performance.now() - lastReport >= 200) {
      // Progress in the plan's terms: how far this shard got through the plan's flows (the end
      // is reported once, below).
      hooks.onProgress?.(mine ? mine[k]! : k, plan.flows);
      lastReport = performance.now();
    }
    await yieldToEvents();
  }
  takeSamples(count);
  hooks.onProgress?.(plan.flows, plan.flows);
  return collect(dp, cluster, count, plan.packetsPerFlow, occupancy);
}

function collect(dp: Dataplane, cluster: LoadedCluster, flows: number, packetsPerFlow: number, occupancy: Float64Array): ShardResult {
  const ruleHits = new Float64Array(cluster.rs.rules.length);
  for (let i = 0; i < ruleHits.length; i++) ruleHits[i] = dp.ruleHits(i);
  const pairs = dp.nodePairs();
  const nodePairs = new Uint32Array(pairs.size * 3);
  let k = 0;
  for (const [key, packets] of pairs) {
    const [from, to] = key.split(">").map(Number);
    nodePairs.set([from!, to!, packets], k * 3);
    k++;
  }
  const ipvs = cluster.rs.ipvs ? Float64Array.from({ length: cluster.rs.ipvs.realServerCount }, (_, r) => dp.ipvsScheduled(r)) : undefined;
  const walks = Uint32Array.from(dp.walksPerNewConnection().flat());
  return { flows, packets: flows * packetsPerFlow, counters: dp.counters(), drops: Array.from({ length: 16 }, (_, r) => dp.dropCount(r)), ruleHits, nodePairs, ...(ipvs ? { ipvsScheduled: ipvs } : {}), walks, occupancy };
}

/** Adds the shards up and names what the numbers are about. */
export function aggregate(cluster: LoadedCluster, plan: Required<SimulationPlan>, shards: ShardResult[]): SimulationResult {
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, shards.reduce((s, r) => s + r.counters[c], 0)])) as Counters;
  const hits = new Float64Array(cluster.rs.rules.length);
  for (const r of shards) for (let i = 0; i < hits.length; i++) hits[i] = hits[i]! + r.ruleHits[i]!;
  const drops: Record<string, number> = {};
  for (let reason = 1; reason < 16; reason++) {
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
  const { sameNodeConnections: sameNode, crossNodeConnections: crossNode } = counters;
  return {
    plan,
    workers: shards.length,
    flows,
    packets: shards.reduce((s, r) => s + r.packets, 0),
    counters,
    drops,
    endpoints: cluster.rs.ipvs ? ipvsEndpoints(cluster, shards) : cluster.rs.rules.filter((r) => r.target.kind === "dnat" && hits[r.id]).map((r) => ({ servicePort: r.servicePort!, endpoint: r.endpoint!, connections: hits[r.id]! })),
    nodePairs: [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, packets]) => {
      const [from, to] = key.split(">").map(Number);
      return { from: names[from!]!, to: names[to!]!, packets };
    }),
    rulesPerConnection: flows ? counters.rulesWalked / flows : 0,
    locality: { sameNode, crossNode, sameNodeShare: sameNode + crossNode ? sameNode / (sameNode + crossNode) : 0 },
    rulesPerNewConnection: distribution([...walks].sort((a, b) => a[0] - b[0])),
    conntrackOccupancy: Array.from({ length: OCCUPANCY_SAMPLES }, (_, s) => ({ flows: occupancyPoint(plan.flows, s), entries: shards.reduce((sum, r) => sum + r.occupancy[s]!, 0) })),
    serviceUniformity: cluster.rs.ipvs ? ipvsUniformity(cluster, shards) : ruleUniformity(cluster, hits),
  };
}

/** iptables and nftables: every endpoint's DNAT rule hits (zero too), per Service port, tested for uniformity. */
function ruleUniformity(cluster: LoadedCluster, hits: Float64Array): ServiceUniformity[] {
  const ports = new Map<string, Map<string, number>>();
  for (const r of cluster.rs.rules) {
    if (r.target.kind !== "dnat" || r.servicePort === undefined || r.endpoint === undefined) continue;
    const eps = ports.get(r.servicePort) ?? new Map<string, number>();
    eps.set(r.endpoint, (eps.get(r.endpoint) ?? 0) + hits[r.id]!);
    ports.set(r.servicePort, eps);
  }
  return uniformity(ports);
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
