// Flows in user terms (pods, Services, ports) → one packet exchange through the Wasm
// dataplane, decoded into hops.

import { K8sNetFlowError } from "../errors.js";
import type { Ruleset } from "../compile/iptables.js";
import type { CompiledNetwork } from "../compile/network.js";
import { formatIPv4, parseIPv4 } from "../net/ipv4.js";
import type { ClusterModel, ClusterPod, Protocol } from "../model/types.js";
import { prng } from "../model/random.js";
import type { FlowQuery, Trace } from "../engine/types.js";
import type { Dataplane } from "./dataplane.js";
import { decodeHops, VERDICTS, type DecodeContext } from "./decode.js";
import * as A from "./abi.js";
import type { PacketSpec } from "./packet.js";

export interface LoadedCluster {
  model: ClusterModel;
  net: CompiledNetwork;
  rs: Ruleset;
  ctx: DecodeContext;
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

/** `pod`, `pod:port`, `ns/pod`, `ip`, `ip:port`, `svc:port`, `svc.ns:port`, `svc.ns.svc.<domain>:port`. */
export function resolveFlow(cluster: LoadedCluster, flow: FlowQuery): ResolvedFlow {
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
  // A Service name, the way a pod's resolver would complete it in the client's namespace.
  const domain = model.settings.clusterDomain;
  const bare = hostPart.replace(new RegExp(`\\.svc(\\.${domain.replace(/\./g, "\\.")})?\\.?$`), "");
  const [name, namespace = from.namespace] = bare.split(".");
  const svc = model.services.find((s) => s.name === name && s.namespace === namespace);
  if (!svc) {
    throw new K8sNetFlowError("not-found", `"${flow.to}" is neither a pod, an IPv4 address nor a Service (looked for pod ${hostPart} and Service ${namespace}/${name})`, "to");
  }
  if (svc.type === "ExternalName") throw new K8sNetFlowError("unsupported", `${namespace}/${name} is an ExternalName Service: it exists only in DNS (a CNAME to ${svc.externalName}), which is simulated with DNS`, "to");
  if (svc.clusterIP === "None") throw new K8sNetFlowError("unsupported", `${namespace}/${name} is headless: clients reach its pods by their DNS names, which are simulated with DNS; trace to a pod instead`, "to");
  const candidates = svc.ports.filter((p) => (port === undefined || p.port === port) && (!flow.protocol || p.protocol === flow.protocol));
  if (candidates.length === 0) {
    throw new K8sNetFlowError("not-found", `Service ${namespace}/${name} has no ${flow.protocol ?? ""} port ${port ?? ""} (ports: ${svc.ports.map((p) => `${p.port}/${p.protocol}`).join(", ")})`.replace(/\s+\(/, " ("), "to");
  }
  if (port === undefined && candidates.length > 1) {
    throw new K8sNetFlowError("invalid-input", `Service ${namespace}/${name} has several ports (${svc.ports.map((p) => `${p.port}/${p.protocol}`).join(", ")}): say which, e.g. ${name}.${namespace}:${candidates[0]!.port}`, "to");
  }
  const sp = candidates[0]!;
  return { from, netns, dst: parseIPv4(svc.clusterIP!, "clusterIP"), dport: sp.port, protocol: sp.protocol };
}

/** The client's ephemeral port: a draw from the local port range 32768-60999, by seed. */
export function ephemeralPort(seed: number): number {
  return 32768 + Math.floor(prng(seed ^ 0x5eed)() * (60999 - 32768 + 1));
}

export function packetFor(r: ResolvedFlow, sport: number): PacketSpec {
  const src = parseIPv4(r.from.ip, "ip");
  const tcp = r.protocol === "TCP";
  // A TCP SYN as Linux sends it (20 bytes IP + 40 bytes TCP with options); UDP/SCTP: a small datagram.
  return { src, dst: r.dst, sport, dport: r.dport, proto: PROTO[r.protocol], ttl: 64, len: tcp ? 60 : 60, flags: (tcp ? A.PF_SYN : 0) | A.PF_DF };
}

export function traceFlow(dp: Dataplane, cluster: LoadedCluster, flow: FlowQuery): Trace {
  const r = resolveFlow(cluster, flow);
  const seed = flow.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new K8sNetFlowError("invalid-input", `expected an integer from 0 to 4294967295, got ${String(flow.seed)}`, "seed");
  // Each trace starts from a fresh cluster: no connections, no affinities.
  dp.resetState();
  dp.setSeed(seed);
  dp.setTime(0);
  const sport = ephemeralPort(seed);
  const raw = dp.exchange(packetFor(r, sport), r.netns, true, true);
  return {
    flow: { from: flow.from, to: flow.to, srcIP: r.from.ip, dstIP: formatIPv4(r.dst), protocol: r.protocol.toLowerCase() as "tcp" | "udp" | "sctp", sport, dport: r.dport },
    verdict: VERDICTS[raw.verdict] ?? "dropped",
    ...(raw.replyVerdict ? { replyVerdict: VERDICTS[raw.replyVerdict] ?? "dropped" } : {}),
    hops: decodeHops(raw.hops, raw.hopCount, cluster.ctx),
  };
}
