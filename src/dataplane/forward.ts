// Flows in user terms (pods, Services, ports) → one packet exchange through the Wasm
// dataplane, packed for decoding where it is shown.

import { K8sNetFlowError } from "../errors.js";
import type { Ruleset } from "../compile/iptables.js";
import type { CompiledNetwork } from "../compile/network.js";
import type { RulesetBuilder } from "../compile/ruleset-builder.js";
import { formatIPv4, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, ClusterPod, Protocol } from "../model/types.js";
import { fnv1a32, prng } from "../model/random.js";
import type { FlowQuery, Trace } from "../engine/types.js";
import { ClusterZone } from "../dns/records.js";
import { lookup, type Libc, type Lookup, type QueryResult } from "../dns/resolver.js";
import { podResolvConf } from "../dns/resolv-conf.js";
import type { Dataplane } from "./dataplane.js";
import { tablesFor, VERDICTS, type DecodeContext } from "./decode.js";
import type { PackedTrace } from "./packed-trace.js";
import * as A from "./abi.js";
import type { PacketSpec } from "./packet.js";

export interface LoadedCluster {
  model: ClusterModel;
  net: CompiledNetwork;
  rs: Ruleset;
  ctx: DecodeContext;
  /** The CNI's policy rules added to kube-proxy's tables (Calico's), for a re-sync to add again. */
  extendRules?: (b: RulesetBuilder) => void;
}

export function findPod(model: ClusterModel, ref: string, path: string): ClusterPod {
  const pod = lookupPod(model, ref);
  if (!pod) {
    const known = model.pods.slice(0, 8).map((p) => (p.namespace === "default" ? p.name : `${p.namespace}/${p.name}`));
    const more = model.pods.length > known.length ? `, and ${model.pods.length - known.length} more` : "";
    throw new K8sNetFlowError("not-found", `no pod "${ref}" in the model (pods: ${known.join(", ") || "none"}${more})`, path);
  }
  return pod;
}

function lookupPod(model: ClusterModel, ref: string): ClusterPod | undefined {
  const [namespace, name] = ref.includes("/") ? (ref.split("/", 2) as [string, string]) : ["default", ref];
  return model.pods.find((p) => p.namespace === namespace && p.name === name);
}

const PROTO: Record<Protocol, number> = { TCP: A.PROTO_TCP, UDP: A.PROTO_UDP, SCTP: A.PROTO_SCTP };

export interface ResolvedFlow {
  from: ClusterPod;
  netns: number;
  dst: number;
  dport: number;
  protocol: Protocol;
}

/** A target given as a DNS name: resolved by the pod's resolver before the connection. */
export interface NamedFlow {
  from: ClusterPod;
  netns: number;
  dnsName: string;
  port?: number;
}

/** `pod`, `pod:port`, `ns/pod`, `ip`, `ip:port`, `svc:port`, `svc.ns:port`, `svc.ns.svc.<domain>:port`. */
export function resolveFlow(cluster: LoadedCluster, flow: FlowQuery): ResolvedFlow | NamedFlow {
  const { model, net } = cluster;
  if (typeof flow?.from !== "string") throw new K8sNetFlowError("invalid-input", "expected the source pod's name", "from");
  if (typeof flow.to !== "string" || flow.to === "") throw new K8sNetFlowError("invalid-input", "expected a pod, an address or a Service", "to");
  if (flow.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(flow.protocol)) throw new K8sNetFlowError("invalid-input", `"${String(flow.protocol)}" is not TCP, UDP or SCTP`, "protocol");
  const from = findPod(model, flow.from, "from");
  const netns = net.podNetns.get(`${from.namespace}/${from.name}`)!;
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(flow.to)!;
  const hostPart = m[1]!;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new K8sNetFlowError("invalid-input", `port ${port} is out of range (1 to 65535)`, "to");

  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostPart)) {
    const dst = parseIPv4(hostPart, "to");
    const svc = model.services.find((s) => s.clusterIP === hostPart);
    const sp = svc?.ports.find((p) => (port === undefined || p.port === port) && (!flow.protocol || p.protocol === flow.protocol));
    const pod = model.pods.find((p) => p.ip === hostPart && !p.hostNetwork);
    const podPort = pod?.ports.find((p) => !flow.protocol || p.protocol === flow.protocol);
    return { from, netns, dst, dport: port ?? sp?.port ?? podPort?.containerPort ?? 80, protocol: flow.protocol ?? sp?.protocol ?? podPort?.protocol ?? "TCP" };
  }
  const pod = lookupPod(model, hostPart);
  if (pod) {
    const podPort = pod.ports.find((p) => (port === undefined || p.containerPort === port) && (!flow.protocol || p.protocol === flow.protocol));
    return { from, netns, dst: parseIPv4(pod.ip, "ip"), dport: port ?? podPort?.containerPort ?? 80, protocol: flow.protocol ?? podPort?.protocol ?? "TCP" };
  }
  // Anything else is a DNS name: the pod's resolver will look it up.
  if (!/^[A-Za-z0-9_]([-A-Za-z0-9_.]*)?\.?$/.test(hostPart)) throw new K8sNetFlowError("invalid-input", `"${hostPart}" is neither a pod, an IPv4 address nor a DNS name`, "to");
  return { from, netns, dnsName: hostPart, ...(port !== undefined ? { port } : {}) };
}

/** After DNS: the port and protocol of the connection to `ip` (a Service's port when it is a ClusterIP). */
export function flowToAddress(cluster: LoadedCluster, from: ClusterPod, netns: number, ip: string, port: number | undefined, protocol: Protocol | undefined, name: string): ResolvedFlow {
  const svc = cluster.model.services.find((s) => s.clusterIP === ip);
  const candidates = svc ? svc.ports.filter((p) => (port === undefined || p.port === port) && (!protocol || p.protocol === protocol)) : [];
  if (svc && port === undefined && candidates.length > 1) {
    throw new K8sNetFlowError("invalid-input", `${name} is Service ${svc.namespace}/${svc.name} with several ports (${svc.ports.map((p) => `${p.port}/${p.protocol}`).join(", ")}): say which, e.g. ${name}:${candidates[0]!.port}`, "to");
  }
  const pod = cluster.model.pods.find((p) => p.ip === ip && !p.hostNetwork);
  const podPort = pod?.ports.find((p) => (port === undefined || p.containerPort === port) && (!protocol || p.protocol === protocol));
  return { from, netns, dst: parseIPv4(ip, "ip"), dport: port ?? candidates[0]?.port ?? podPort?.containerPort ?? 80, protocol: protocol ?? candidates[0]?.protocol ?? podPort?.protocol ?? "TCP" };
}

export function isNamed(r: ResolvedFlow | NamedFlow): r is NamedFlow {
  return "dnsName" in r;
}

/** The client's ephemeral port: a draw from the local port range 32768-60999, by seed. */
export function ephemeralPort(seed: number): number {
  return 32768 + Math.floor(prng(seed ^ 0x5eed)() * (60999 - 32768 + 1));
}

export function packetFor(r: ResolvedFlow, sport: number, size = 60): PacketSpec {
  const src = parseIPv4(r.from.ip, "ip");
  const tcp = r.protocol === "TCP";
  // A TCP SYN as Linux sends it (20 bytes IP + 40 bytes TCP with options); UDP/SCTP: a small
  // datagram. DF is set (Linux does path-MTU discovery by default), so a `size` above the
  // path MTU meets "fragmentation needed" rather than being fragmented.
  return { src, dst: r.dst, sport, dport: r.dport, proto: PROTO[r.protocol], ttl: 64, len: size, flags: (tcp ? A.PF_SYN : 0) | A.PF_DF };
}

/** The request's IPv4 total length: from its headers (60 for a TCP SYN with options, 28 for UDP) to 65,535. */
function flowSize(flow: FlowQuery, protocol: string): number {
  if (flow.size === undefined) return 60;
  const min = protocol === "TCP" ? 60 : 28;
  if (!Number.isInteger(flow.size) || flow.size < min || flow.size > 65535) throw new K8sNetFlowError("invalid-input", `expected the packet's IPv4 total length as an integer from ${min} to 65535, got ${String(flow.size)}`, "size");
  return flow.size;
}

/** The answer's IPv4 total length, when it is not the request's; 0 otherwise. */
function replyLength(flow: FlowQuery, requestSize: number): number {
  if (flow.replySize === undefined) return 0;
  if (!Number.isInteger(flow.replySize) || flow.replySize < 20 || flow.replySize > 65535) throw new K8sNetFlowError("invalid-input", `expected the reply's IPv4 total length as an integer from 20 to 65535, got ${String(flow.replySize)}`, "replySize");
  return flow.replySize === requestSize ? 0 : flow.replySize;
}

// Conntrack status bits, as assembly/conntrack.ts keeps them.
const CS_DNAT = 1;
const CS_SEEN_REPLY = 4;
const CS_ASSURED = 16;
/** nf_conntrack_udp_timeout_stream (assembly/conntrack.ts TIMEOUT_UDP_STREAM). */
const UDP_STREAM_TIMEOUT = 120;

/**
 * The `stale-udp-conntrack` fault (model.staleUdp, src/faults/apply.ts). Assumption: a traced
 * UDP exchange to a ClusterIP:port the recreated pod backed is sent from a client socket that
 * outlived the restart (same source port; each datagram refreshed its entry, so it never
 * expired). Just before the exchange, the entry kube-proxy's DNAT made for that socket back then
 * goes into conntrack on the client's node: orig client:sport → ClusterIP:port, reply
 * backend:targetPort → client:sport, DNAT, ASSURED, SEEN_REPLY, the UDP stream timeout. The
 * backend is the one kube-proxy's random choice gave that socket then, drawn from the client's
 * address and port among the backends of the time: with one backend, the old pod. Entries
 * towards the old IP lead to an address nobody holds any more. Without the fault: nothing.
 */
function injectStaleUdp(dp: Dataplane, cluster: LoadedCluster, client: ClusterPod, dst: number, dport: number, sport: number): void {
  const stale = cluster.model.staleUdp;
  if (!stale) return;
  for (const s of stale) {
    const port = s.services.find((p) => parseIPv4(p.clusterIP, "clusterIP") === dst >>> 0 && p.port === dport);
    if (!port) continue;
    const backend = port.backends[fnv1a32(`${client.ip}:${sport}>${port.clusterIP}:${port.port}`) % port.backends.length]!;
    const node = cluster.model.nodes.findIndex((n) => n.name === client.node);
    const src = parseIPv4(client.ip, "ip");
    dp.injectConntrack(
      { orig: [src, dst, ((sport << 16) | dport) >>> 0], reply: [parseIPv4(backend.ip, "ip"), src, ((backend.targetPort << 16) | sport) >>> 0], key: (A.PROTO_UDP | (node << 8)) >>> 0, status: CS_DNAT | CS_SEEN_REPLY | CS_ASSURED },
      UDP_STREAM_TIMEOUT,
    );
    return;
  }
}

/** Follows one flow; the hops stay raw records (see packed-trace.ts) until the receiver decodes them. */
export function traceFlow(dp: Dataplane, cluster: LoadedCluster, flow: FlowQuery): PackedTrace {
  const resolved = resolveFlow(cluster, flow);
  const seed = flow.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new K8sNetFlowError("invalid-input", `expected an integer from 0 to 4294967295, got ${String(flow.seed)}`, "seed");
  if (flow.libc !== undefined && flow.libc !== "glibc" && flow.libc !== "musl") throw new K8sNetFlowError("invalid-input", `expected "glibc" or "musl", got "${String(flow.libc)}"`, "libc");
  // Each trace starts from a fresh cluster: no connections, no affinities.
  dp.resetState();
  dp.setSeed(seed);
  dp.setTime(0);
  const parts: Uint32Array[] = [];
  let hopCount = 0;
  const dnsRuns: PackedTrace["dnsRuns"] = [];
  const append = (raw: ReturnType<Dataplane["exchange"]>) => {
    parts.push(raw.hops.subarray(0, (raw.hopCount * A.T_BYTES) / 4));
    hopCount += raw.hopCount;
  };
  const pack = (head: PackedTrace["head"]): PackedTrace => {
    const records = new Uint32Array((hopCount * A.T_BYTES) / 4);
    let at = 0;
    for (const part of parts) {
      records.set(part, at);
      at += part.length;
    }
    return { head, records, dnsRuns, tables: tablesFor(records, hopCount, cluster.ctx) };
  };
  let r: ResolvedFlow;
  let dns: Trace["dns"];
  if (isNamed(resolved)) {
    const result = dnsLookup(dp, cluster, resolved.from, resolved.netns, resolved.dnsName, flow.libc ?? resolved.from.libc ?? "glibc", seed, (raw, q) => {
      dnsRuns.push({ first: hopCount, count: raw.hopCount, query: q.n, name: q.qname, type: q.type, result: q.summary });
      append(raw);
    });
    dns = result;
    if (!result.addresses.length) {
      return pack({
        flow: { from: flow.from, to: flow.to, srcIP: resolved.from.ip, dstIP: "", protocol: (flow.protocol ?? "TCP").toLowerCase() as "tcp", sport: 0, dport: resolved.port ?? 0 },
        verdict: "unresolved",
        dns,
      });
    }
    r = flowToAddress(cluster, resolved.from, resolved.netns, result.addresses[0]!, resolved.port, flow.protocol, resolved.dnsName);
  } else r = resolved;
  const sport = ephemeralPort(seed);
  if (r.protocol === "UDP") injectStaleUdp(dp, cluster, r.from, r.dst, r.dport, sport);
  const request = packetFor(r, sport, flowSize(flow, r.protocol));
  const replyLen = replyLength(flow, request.len);
  const raw = dp.exchange(replyLen ? { ...request, replyLen } : request, r.netns, true, true);
  append(raw);
  // The client completes TCP's handshake (the ACK after SYN-ACK), as a real one would: the
  // connection is then ESTABLISHED in conntrack (`conntrack -L`). Not drawn as hops.
  if (r.protocol === "TCP" && raw.verdict === A.V_DELIVERED && raw.replyVerdict === A.V_DELIVERED) {
    dp.exchange({ ...request, flags: A.PF_ACK | A.PF_DF, len: 52 }, r.netns, false, false);
  }
  return pack({
    flow: { from: flow.from, to: flow.to, srcIP: r.from.ip, dstIP: formatIPv4(r.dst), protocol: r.protocol.toLowerCase() as "tcp" | "udp" | "sctp", sport, dport: r.dport },
    verdict: VERDICTS[raw.verdict] ?? "dropped",
    ...(raw.replyVerdict ? { replyVerdict: VERDICTS[raw.replyVerdict] ?? "dropped" } : {}),
    ...(dns ? { dns } : {}),
  });
}

/** The bytes of a DNS query as a UDP packet: 20 IP + 8 UDP + 12 header + the name + 4 (type, class). */
/** A DNS query's IPv4 length: IP and UDP headers, the DNS header, the name in wire format, type and class. */
export function queryLength(qname: string): number {
  const wire = qname.replace(/\.$/, "").split(".").reduce((n, label) => n + label.length + 1, 0) + 1;
  return 20 + 8 + 12 + wire + 4;
}

/**
 * The pod's resolver at work: every query an A or AAAA packet to its nameserver through the
 * dataplane (DNAT to a CoreDNS pod, overlay if needed), answered from the cluster's records.
 * `onQuery` sees each exchange (for traces).
 */
export function dnsLookup(
  dp: Dataplane,
  cluster: LoadedCluster,
  pod: ClusterPod,
  netns: number,
  name: string,
  libc: Libc,
  seed: number,
  onQuery?: (raw: ReturnType<Dataplane["exchange"]>, query: { n: number; qname: string; type: "A" | "AAAA"; summary: string }) => void,
): Lookup {
  const conf = podResolvConf(cluster.model, pod);
  const zone = new ClusterZone(cluster.model);
  const server = parseIPv4(conf.nameservers[0] ?? "0.0.0.0", "nameserver");
  const src = parseIPv4(pod.ip, "ip");
  let n = 0;
  // One socket per name tried, so one source port: glibc (res_send.c) and musl send the A and
  // AAAA queries of a name together from one UDP socket (retries too) and close it after; the
  // second query of the pair meets the first one's conntrack entry.
  const ports = new Map<string, number>();
  return lookup(name, conf, libc, (qname, type) => {
    n++;
    let sport = ports.get(qname);
    if (sport === undefined) ports.set(qname, (sport = ephemeralPort((seed + (ports.size + 1) * 0x9e37) >>> 0)));
    // glibc connect()s its UDP socket to the nameserver before sending (res_send.c send_dg); musl sendto()s.
    const flags = libc === "glibc" ? A.PF_CONNECTED : 0;
    injectStaleUdp(dp, cluster, pod, server, 53, sport);
    const raw = dp.exchange({ src, dst: server, sport, dport: 53, proto: A.PROTO_UDP, ttl: 64, len: queryLength(qname), flags }, netns, true, onQuery !== undefined);
    const verdict = VERDICTS[raw.verdict];
    // A query that leaves the cluster reaches the node network's resolver (dnsPolicy Default):
    // it answers from the upstream table, outside what is simulated.
    const leaves = verdict === "dropped" && dp.lastDropReason() === A.X_LEAVES_CLUSTER;
    // The answer (or the ICMP error) must reach the resolver's socket too: one lost on the way
    // back (a reply from the wrong address with br_netfilter off, a policy) is a timeout.
    const answered = raw.replyVerdict === A.V_DELIVERED;
    const result: QueryResult = (verdict === "delivered" && answered) || leaves ? zone.answer(qname, type) : verdict === "rejected" && answered ? { failure: "refused" } : { failure: "timeout" };
    const summary = "failure" in result ? (result.failure === "refused" ? "connection refused" : "no answer") : `${result.rcode}${result.answers.length ? ` ${result.answers.map((a) => `${a.type} ${a.data}`).join(", ")}` : result.rcode === "NOERROR" ? " (no records of this type)" : ""}`;
    onQuery?.(raw, { n, qname, type, summary });
    return result;
  });
}
