// The engine's public data shapes. All plain, structured-cloneable data: they cross worker
// boundaries unchanged and serialise to JSON as they are.

import type { ErrorInfo } from "../errors.js";
import type { ModelProblem } from "../model/types.js";
import type { Lookup } from "../dns/resolver.js";

/**
 * Which flow to trace. `from`: a pod (`name` in `default`, or `namespace/name`). `to`: a pod
 * (`pod` or `pod:port`), an address (`ip` or `ip:port`), or a Service (`name[.namespace]:port`,
 * also `name.namespace.svc.cluster.local:port`). `protocol` defaults to the service port's,
 * else TCP; `seed` makes kube-proxy's random choices repeatable.
 */
export interface FlowQuery {
  from: string;
  to: string;
  protocol?: "TCP" | "UDP" | "SCTP";
  seed?: number;
  /** The resolver's C library when `to` is a DNS name (default: the pod's, else glibc). */
  libc?: "glibc" | "musl";
  /**
   * IPv4 total length of the request packet, DF set (default 60: a TCP SYN with options; a
   * larger TCP first packet carries data, as with TCP Fast Open). Above the path MTU it meets
   * ICMP "fragmentation needed".
   */
  size?: number;
  /**
   * IPv4 total length of the answer, DF set (default: the request's size), 20 to 65535: a small
   * request that gets a big response. Above the path MTU back, the node where it no longer fits
   * answers the sender with ICMP "fragmentation needed" (an `error` phase), and the answer is
   * lost (replyVerdict `dropped`): with fault mtu-mismatch, small requests and answers work
   * while large responses black-hole.
   */
  replySize?: number;
}

/**
 * What a hop did. Cilium's eBPF datapath adds `redirect` (a program sends the packet on to a
 * device itself, bpf_redirect), `to-stack` (a program hands it to the kernel's stack) and
 * `socket-lb` (the socket LB translates the address a socket call names: connect(),
 * sendmsg(), recvmsg()).
 */
export type HopAction = "route" | "xmit" | "bridge" | "dnat" | "snat" | "unnat" | "conntrack" | "encap" | "wire" | "decap" | "deliver" | "drop" | "reject" | "redirect" | "to-stack" | "socket-lb" | "allow";
export type HopComponent = "pod" | "veth" | "bridge" | "netfilter" | "conntrack" | "routing" | "vxlan" | "underlay" | "socket" | "policy";

/** A NetworkPolicy verdict at the hop where the CNI enforces it (component `policy`). */
export interface HopPolicy {
  /** Who enforced it: Calico's Felix (iptables filter chains) or Cilium (eBPF policy map). */
  enforcer: "calico" | "cilium";
  verdict: "allow" | "deny";
  /** Egress of the source pod, or ingress of the destination pod. */
  direction: "ingress" | "egress";
  /** The pod (`namespace/name`) whose policies decided. */
  pod: string;
  /** `namespace/name` of the NetworkPolicy whose rule allowed it (absent: no policy isolates the pod, or a deny). */
  policy?: string;
  /** Index of that rule in the policy's `ingress` / `egress` list. */
  rule?: number;
  /** Why, in words. */
  reason: string;
}

export interface HopPacket {
  src: string;
  dst: string;
  protocol: "tcp" | "udp" | "sctp" | "icmp";
  sport?: number;
  dport?: number;
  ttl: number;
  /** IPv4 total length in bytes. */
  length: number;
  srcMac: string;
  dstMac: string;
  /** TCP flags and DF, e.g. ["SYN", "DF"]. */
  flags: string[];
  /** ICMP type and code; `mtu`: the next-hop MTU of a "fragmentation needed" (type 3, code 4). */
  icmp?: { type: number; code: number; mtu?: number };
  /**
   * The outer headers while the packet is encapsulated: VXLAN (`protocol` "udp", with the UDP
   * ports and VNI) or IP-in-IP (`protocol` "ipip": an outer IPv4 header of protocol 4, no ports).
   */
  outer?: { protocol: "udp" | "ipip"; src: string; dst: string; sport?: number; dport?: number; vni?: number; ttl: number; length: number };
}

/** One trace event: what one component of one network namespace did with the packet. */
export interface Hop {
  seq: number;
  /** The request, its reply, an ICMP error sent back, or a DNS query and its answer before the request. */
  phase: "request" | "reply" | "error" | "dns-query" | "dns-answer";
  /** For DNS hops: which query of the lookup (1-based), the name and type asked, and the outcome. */
  dns?: { query: number; name: string; type: "A" | "AAAA"; result: string };
  node: string;
  /** `host`, or the pod's `namespace/name`. */
  netns: string;
  component: HopComponent;
  action: HopAction;
  /** Interface the packet arrived on, when it arrived from somewhere. */
  inIface?: string;
  /** Interface the packet leaves by. */
  outIface?: string;
  /** The packet's headers after this hop. */
  packet: HopPacket;
  /** The table entry that decided, as the real tool prints it (an `ip route` line, an iptables rule, …). */
  rule?: string;
  /** The command that shows `rule` on a real node. */
  ruleSource?: string;
  /** Why a packet was dropped. */
  reason?: string;
  /** The eBPF program that acted (Cilium): `cil_from_container`, `cil_sock4_connect`, … */
  program?: string;
  /** A NetworkPolicy verdict hop: who decided and why. */
  policy?: HopPolicy;
  /** A sentence a learner can read. */
  text: string;
}

export type Verdict = "delivered" | "dropped" | "rejected" | "unresolved";

export interface Trace {
  flow: { from: string; to: string; srcIP: string; dstIP: string; protocol: "tcp" | "udp" | "sctp"; sport: number; dport: number };
  /** What happened to the request. */
  verdict: Verdict;
  /** What happened to the answer (the reply, or the ICMP error of a rejection). */
  replyVerdict?: Verdict;
  /** When the target was a DNS name: the resolver's lookup, query by query. */
  dns?: Lookup;
  /**
   * With NetworkPolicies in the cluster: what they say of the delivered request (its pods after
   * Service DNAT), and who enforces it. Not applied to the hops yet (src/policy/enforcement.ts).
   */
  policy?: { allowed: boolean; explanation: string; note: string; from: string; to: string; protocol: "TCP" | "UDP" | "SCTP"; port: number };
  /**
   * What the client program in the source pod prints for this connection (src/engine/client-view.ts):
   * the command a learner types (`curl -sS --connect-timeout 5 http://HOST:PORT/` for TCP,
   * `nc -vzu -w 3 HOST PORT` for UDP), its exact output (stderr; "" when it connected: the HTTP
   * exchange is not simulated), its exit status, and what happened to the connection.
   */
  client?: { command: string; output: string; exitCode: number; outcome: "connected" | "refused" | "timeout" | "unresolved" | "reset" | "unreachable" };
  hops: Hop[];
}

/** What `policyMatrix` and `policyExplain` add to the policies' verdicts: whether they are what flows. */
export interface PolicyNote {
  /** The CNI's part (flannel enforces nothing) and the simulator's. */
  note: string;
}

export interface LoadOptions {
  /**
   * `false`: the summary without its pods and Services lists, counts only. At 150,000 pods the
   * lists are ~25 MB to copy from the worker, a long task on the page's thread for nothing
   * when only numbers are shown. Default `true`.
   */
  lists?: boolean;
}

export interface ModelSummary {
  name: string;
  /** The nodes' own network (settings.nodeNetwork). */
  nodeNetwork: string;
  /** kube-proxy's mode and the CNI as simulated (settings.kubeProxy.mode, settings.cni). */
  kubeProxyMode: string;
  cni: { plugin: string; mode: string };
  nodes: Array<{ name: string; internalIP: string; podCIDR: string }>;
  /** The pods and the Services, unless loaded with `lists: false` (then empty: `counts` has their numbers). */
  pods: Array<{ name: string; namespace: string; node: string; ip: string; labels: Record<string, string> }>;
  services: Array<{ name: string; namespace: string; type: string; clusterIP?: string; ports: string[] }>;
  /** Whether `pods` and `services` list the cluster's (see LoadOptions). */
  lists: boolean;
  counts: { namespaces: number; nodes: number; pods: number; services: number; endpointSlices: number; endpoints: number };
  /** Problems that did not stop the load (unknown fields, inferred settings, …). */
  warnings: ModelProblem[];
  /** Routing tables compiled into the dataplane, one per network namespace. */
  routeTables: number;
  /** Bytes of Wasm memory the tables occupy. */
  dataplaneBytes: number;
  /** The scenario's default flow, when loaded from a scenario. */
  defaultFlow?: FlowQuery;
}

/** What crosses a worker boundary: a result, or an error that keeps its code and path. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/**
 * A command to run on the simulated cluster, as a learner types it on a node (or, with
 * `pod`, inside that pod): `iptables-save -t nat`, `ip route`, `kubectl get endpoints`, …
 * (see SHOW_COMMANDS). `node` defaults to the pod's node, else the first node.
 */
export interface ShowRequest {
  command: string;
  node?: string;
  pod?: string;
}

export interface ShowOutput {
  stdout: string;
  stderr: string;
}

/** The commands `show` knows, as usage lines. */
export const SHOW_COMMANDS = [
  "iptables-save [-t nat|filter] [-c]",
  "nft list ruleset | nft list table ip kube-proxy | nft list chain ip kube-proxy CHAIN",
  "ipvsadm -Ln                               (kube-proxy in IPVS mode)",
  "ip route [show]",
  "ip link [show] [DEV]",
  "ip -d link show DEV",
  "ip addr [show]",
  "ip neigh [show]",
  "ip netns list",
  "bridge fdb show [br cni0 | dev flannel.1]",
  "conntrack -L",
  "cat /etc/resolv.conf                      (with --pod)",
  "nslookup NAME                             (with --pod)",
  "cat /etc/cni/net.d/10-flannel.conflist",
  "cat /run/flannel/subnet.env",
  "kubectl get pods|svc|endpoints|endpointslices|nodes [NAME] [-n NS | -A] [-o wide | -o custom-columns=H:.path,...]",
  "kubectl get configmap -n kube-system coredns -o yaml",
  "kubectl get configmap -n kube-flannel kube-flannel-cfg -o yaml",
  "kubectl logs -n kube-system kube-proxy",
  "cilium-dbg service list | cilium-dbg service get ID   (Cilium)",
] as const;

/**
 * Where a simulation's connections go: `uniform` a random Service port; `zipf` Service ports by
 * popularity falling as 1/rank; `all-to-all` a random pod's container port, directly (a sample
 * of the pod × pod matrix); `dns` a random Service port by name, resolved by the client's
 * resolver first; `external` a name outside the cluster (settings.upstreamDNS), resolved, then
 * connected to on port 443.
 */
export const TRAFFIC_PATTERNS = ["uniform", "zipf", "all-to-all", "dns", "external"] as const;
export type TrafficPattern = (typeof TRAFFIC_PATTERNS)[number];
