// The traffic of a simulation plan: for each of the plan's flows, the batch records the
// dataplane runs (src/dataplane/abi.ts FL_*) — a connection, and with the DNS patterns the
// resolver's queries before it. Flow i is a pure function of the plan's seed and i, so every
// worker computes the same flows and keeps its own share of them.

import { K8sNetFlowError } from "../errors.js";
import * as A from "../dataplane/abi.js";
import { FLOW_WORDS } from "../dataplane/dataplane.js";
import { queryLength, type LoadedCluster } from "../dataplane/forward.js";
import { ClusterZone } from "../dns/records.js";
import { formatResolvConf, podResolvConf } from "../dns/resolv-conf.js";
import { lookup, type QueryResult } from "../dns/resolver.js";
import { parseIPv4 } from "../net/ipv4.js";
import type { TrafficPattern } from "./types.js";
import type { ClusterModel, ClusterPod } from "../model/types.js";

export { TRAFFIC_PATTERNS, type TrafficPattern } from "./types.js";

/** Records one plan flow can take: the connection and the most queries a lookup sends. */
export const MAX_RECORDS_PER_FLOW = 1 + 2 * 8;

export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

interface Target {
  ip: number;
  port: number;
  proto: number;
  /** `dns` and `external`: the name the client looks up (relative to its namespace for Services). */
  name?: string;
  namespace?: string;
}

/** The queries of one lookup, as sent (A and AAAA per name tried): their lengths, which name (socket) each is of, and whether the lookup found an address. */
interface LookupPlan {
  lengths: number[];
  names: number[];
  address: number | undefined;
}

export interface TrafficOptions {
  pattern: TrafficPattern;
  seed: number;
  packetsPerFlow: number;
}

export class Traffic {
  private readonly clients: ClusterPod[];
  private readonly clientNs: Int32Array;
  private readonly clientIPs: Uint32Array;
  private readonly clientNode: Int32Array;
  private readonly targets: Target[];
  private readonly cdf: Float64Array | undefined;
  /** dns, external: each client's resolv.conf (index into confs), and the lookups already worked out. */
  private readonly clientConf: Int32Array | undefined;
  private readonly confs: ReturnType<typeof podResolvConf>[] = [];
  /** Each resolv.conf's first nameserver, parsed once. */
  private readonly servers: number[] = [];
  private readonly lookups = new Map<number, LookupPlan>();
  private readonly zone: ClusterZone | undefined;
  /** Nodes that are down: their pods open no connections. */
  private readonly down = new Set<number>();
  /** Queries in the records of the last write(). */
  lastQueries = 0;

  constructor(
    cluster: LoadedCluster,
    private readonly options: TrafficOptions,
  ) {
    const { model, net } = cluster;
    this.clients = model.pods.filter((p) => !p.hostNetwork && p.namespace !== "kube-system");
    if (!this.clients.length) throw new K8sNetFlowError("invalid-input", "the cluster has no pods to open connections from", "flows");
    this.clientNs = Int32Array.from(this.clients, (p) => net.podNetns.get(`${p.namespace}/${p.name}`)!);
    this.clientIPs = Uint32Array.from(this.clients, (p) => parseIPv4(p.ip, "ip"));
    this.clientNode = Int32Array.from(this.clientNs, (ns) => net.netns[ns]!.node);
    this.targets = targetsOf(model, options.pattern);
    this.cdf = options.pattern === "zipf" ? zipfCdf(this.targets.length) : undefined;
    const named = options.pattern === "dns" || options.pattern === "external";
    if (named) {
      const keys = new Map<string, number>();
      this.clientConf = Int32Array.from(this.clients, (p) => {
        const conf = podResolvConf(model, p);
        const key = formatResolvConf(conf);
        let i = keys.get(key);
        if (i === undefined) {
          i = this.confs.length;
          keys.set(key, i);
          this.confs.push(conf);
          this.servers.push(parseIPv4(conf.nameservers[0] ?? "0.0.0.0", "nameserver"));
        }
        return i;
      });
      this.zone = new ClusterZone(model);
    }
  }

  /** Marks a node down (its pods stop opening connections) or up. */
  setNodeDown(node: number, down: boolean): void {
    if (down) this.down.add(node);
    else this.down.delete(node);
  }

  /** The client of flow `h`: a random pod, drawn again while it is on a node that is down. */
  private client(h: number): number {
    let c = h % this.clients.length;
    for (let k = 1; this.down.size && this.down.has(this.clientNode[c]!); k++) {
      if (k > 64) throw new K8sNetFlowError("invalid-input", "no client pod is left on a node that is up", "nodeFailure");
      c = mix(h, 100 + k) % this.clients.length;
    }
    return c;
  }

  /**
   * Writes the records of plan flow `i`, starting at second `time`, at `out[at…]`: the lookup's
   * queries (if any), then the connection (none when the lookup found nothing). Returns how
   * many records; `lastQueries` says how many are queries.
   */
  write(i: number, time: number, out: Uint32Array, at: number): number {
    const { seed, packetsPerFlow } = this.options;
    const h = mix(seed, i);
    const c = this.client(h);
    const u = mix(h, 1);
    const ti = this.cdf ? lowerBound(this.cdf, u / 4294967296) : u % this.targets.length;
    const t = this.targets[ti]!;
    let n = 0;
    let dst = t.ip;
    this.lastQueries = 0;
    if (t.name !== undefined) {
      const plan = this.lookupPlan(c, t, ti);
      const server = this.servers[this.clientConf![c]!]!;
      plan.lengths.forEach((len, q) => {
        // One UDP socket per name tried (its A and AAAA share the source port, as in
        // src/dataplane/forward.ts dnsLookup); glibc connect()s it to the nameserver (res_send.c send_dg).
        const qh = mix(h, 10 + plan.names[q]!);
        record(out, at + n * FLOW_WORDS, this.clientNs[c]!, this.clientIPs[c]!, server, 1024 + (qh % 64512), 53, A.PROTO_UDP, len, mix(qh, 3 + q), 1, time, A.RF_CONNECTED | A.RF_QUERY | (q === 0 ? A.RF_LOOKUP_START : 0));
        n++;
      });
      this.lastQueries = n;
      if (plan.address === undefined) return n;
      dst = plan.address;
    }
    record(out, at + n * FLOW_WORDS, this.clientNs[c]!, this.clientIPs[c]!, dst, 1024 + (mix(h, 2) % 64512), t.port, t.proto, 60, mix(h, 3), packetsPerFlow, time, A.RF_CLOSE | (n ? A.RF_AFTER_LOOKUP : 0));
    return n + 1;
  }

  /** The queries client `c`'s resolver sends for `t`'s name (answered from the cluster's records), worked out once per resolv.conf and name. */
  private lookupPlan(c: number, t: Target, ti: number): LookupPlan {
    const client = this.clients[c]!;
    // A Service of the client's own namespace by its short name, others as `name.namespace`.
    const own = t.namespace === undefined || t.namespace === client.namespace;
    // One plan per resolv.conf, target and name form: a number, not a string built per flow.
    const key = ((this.clientConf![c]! * this.targets.length + ti) * 2) + (own ? 1 : 0);
    let plan = this.lookups.get(key);
    if (!plan) {
      const name = own ? t.name! : `${t.name}.${t.namespace}`;
      const lengths: number[] = [];
      const names: number[] = [];
      const asked = new Map<string, number>();
      const result = lookup(name, this.confs[this.clientConf![c]!]!, "glibc", (qname, type): QueryResult => {
        if (!asked.has(qname)) asked.set(qname, asked.size);
        lengths.push(queryLength(qname));
        names.push(asked.get(qname)!);
        return this.zone!.answer(qname, type);
      });
      const keep = MAX_RECORDS_PER_FLOW - 1;
      plan = { lengths: lengths.slice(0, keep), names: names.slice(0, keep), address: result.addresses[0] === undefined ? undefined : parseIPv4(result.addresses[0], "address") };
      this.lookups.set(key, plan);
    }
    return plan;
  }
}

function record(out: Uint32Array, at: number, from: number, src: number, dst: number, sport: number, dport: number, proto: number, len: number, seed: number, packets: number, time: number, flags: number): void {
  out[at + A.FL_FROM / 4] = from;
  out[at + A.FL_SRC / 4] = src;
  out[at + A.FL_DST / 4] = dst;
  out[at + A.FL_SPORT / 4] = sport;
  out[at + A.FL_DPORT / 4] = dport;
  out[at + A.FL_PROTO / 4] = proto;
  out[at + A.FL_LEN / 4] = len;
  out[at + A.FL_SEED / 4] = seed;
  out[at + A.FL_PACKETS / 4] = packets;
  out[at + A.FL_TIME / 4] = time;
  out[at + A.FL_FLAGS / 4] = flags;
}

function targetsOf(model: ClusterModel, pattern: TrafficPattern): Target[] {
  if (pattern === "all-to-all") {
    // Every pod with a container port it listens on, on its first such port.
    const out: Target[] = [];
    for (const p of model.pods) {
      if (p.hostNetwork) continue;
      const port = p.ports.find((x) => x.protocol !== "SCTP");
      if (port) out.push({ ip: parseIPv4(p.ip, "ip"), port: port.containerPort, proto: port.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP });
    }
    if (!out.length) throw new K8sNetFlowError("invalid-input", "the all-to-all pattern needs pods with container ports, and no pod declares one", "pattern");
    return out;
  }
  if (pattern === "external") {
    const names = Object.keys(model.settings.upstreamDNS).sort();
    if (!names.length) throw new K8sNetFlowError("invalid-input", "the external pattern looks up names outside the cluster, and settings.upstreamDNS names none (e.g. { \"api.example.com\": \"203.0.113.10\" })", "settings.upstreamDNS");
    return names.map((name) => ({ ip: 0, port: 443, proto: A.PROTO_TCP, name }));
  }
  // Every Service with a cluster IP but `default/kubernetes`: its endpoint, the API server, is
  // outside the simulated nodes (settings.apiServer), so its packets would only leave the model.
  const out: Target[] = [];
  for (const s of model.services) {
    if (!s.clusterIP || s.clusterIP === "None" || s.type === "ExternalName" || (s.namespace === "default" && s.name === "kubernetes")) continue;
    for (const p of s.ports) {
      if (p.protocol === "SCTP") continue;
      out.push({ ip: parseIPv4(s.clusterIP, "ip"), port: p.port, proto: p.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP, ...(pattern === "dns" ? { name: s.name, namespace: s.namespace } : {}) });
    }
  }
  if (!out.length) throw new K8sNetFlowError("invalid-input", "the cluster has no Service ports to connect to", "flows");
  return out;
}

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
