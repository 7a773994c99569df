// Cilium as the CNI (docs/cilium.md has the sources): the names, addresses and numbers its
// agent and CNI plugin give a node, and its load balancer's service table, which the eBPF
// datapath looks up either at connect()/sendmsg() (the kube-proxy replacement's socket LB,
// kube-proxy mode `ebpf`) or per packet at a pod's lxc (kube-proxy still running, mode
// iptables/nftables/ipvs: Cilium translates ClusterIPs for pod traffic in bpf_lxc anyway).

import { endpointsFor, slicesOf } from "./endpoints.js";
import { parseIPv4 } from "../net/ipv4.js";
import { fnv1a32 } from "../model/random.js";
import type { ClusterModel, ClusterPod, ClusterService, Protocol } from "../model/types.js";
import { sha256, utf8 } from "../util/sha256.js";

/** Cilium's routing modes: `routingMode: tunnel` with `tunnelProtocol: vxlan` (the default), or `routingMode: native`. */
export type CiliumMode = "vxlan" | "native";

/** The Cilium mode, or undefined when the CNI is not Cilium. */
export function ciliumMode(model: ClusterModel): CiliumMode | undefined {
  const { plugin, mode } = model.settings.cni;
  return plugin === "cilium" ? (mode as CiliumMode) : undefined;
}

/** pkg/defaults: HostDevice, SecondHostDevice, VxlanDevice. */
export const CILIUM_HOST_DEV = "cilium_host";
export const CILIUM_NET_DEV = "cilium_net";
export const CILIUM_VXLAN_DEV = "cilium_vxlan";
/** tunnel-port: 8472 for VXLAN (pkg/defaults TunnelPortVXLAN), the Linux-assigned port, not IANA's 4789. */
export const CILIUM_VXLAN_PORT = 8472;
/** pkg/mtu TunnelOverhead: outer IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14. */
export const CILIUM_TUNNEL_OVERHEAD = 50;
/** Reserved security identities (pkg/identity/numericidentity.go): host 1, world 2, remote-node 6. */
export const IDENTITY_HOST = 1;
export const IDENTITY_WORLD = 2;
export const IDENTITY_REMOTE_NODE = 6;
/** The identities the allocator hands out: MinimalAllocationIdentity 256 to MaximumAllocationIdentity 65535 (cluster ID 0). */
export const IDENTITY_MIN = 256;
export const IDENTITY_MAX = 65535;
/** --ipv4-service-loopback-address: the source of a pod's packet that the load balancer sends back to that same pod. */
export const SERVICE_LOOPBACK_IPV4 = parseIPv4("169.254.42.1", "loopback");

/** Cilium's base MTU: auto-detected from the device with the default route, the nodes' 1500-byte NIC. */
export const CILIUM_BASE_MTU = 1500;

/**
 * The MTU Cilium gives the pods' devices, cilium_host, cilium_net and cilium_vxlan (pkg/mtu
 * getDeviceMTU: the base MTU), or `settings.cni.mtu` (Helm's `MTU`).
 */
export function ciliumDeviceMtu(model: ClusterModel): number {
  return model.settings.cni.mtu ?? CILIUM_BASE_MTU;
}

/**
 * The MTU of the routes that leave the node (pkg/mtu getRouteMTU): the device MTU less the
 * tunnel's 50 bytes with VXLAN; with native routing nothing is added. The pods' default route
 * carries it (`mtu 1450`), and so do the routes to other nodes' pod CIDRs through cilium_host.
 */
export function ciliumRouteMtu(model: ClusterModel): number {
  const device = ciliumDeviceMtu(model);
  return ciliumMode(model) === "vxlan" ? device - CILIUM_TUNNEL_OVERHEAD : device;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The pod sandbox's container ID, 64 hex digits: random in a real cluster (containerd makes
 * it), derived here from the pod's namespace and name so the same cluster shows the same names.
 */
export function sandboxId(namespace: string, pod: string): string {
  return hex(sha256(utf8(`sandbox/${namespace}/${pod}`)));
}

/**
 * Host end of a pod's veth: "lxc" + the first 12 hex digits of SHA-256 of the endpoint ID, which
 * the CNI plugin makes `<container ID>:<interface in the pod>` (plugins/cilium-cni/cmd/cmd.go:
 * `cniID := ep.ContainerID + ":" + ep.ContainerInterfaceName`; pkg/datapath/connector
 * Endpoint2IfName: IFNAMSIZ 16 − len("tmp") − 1 = 12 digits).
 */
export function lxcName(namespace: string, pod: string): string {
  return `lxc${hex(sha256(utf8(`${sandboxId(namespace, pod)}:eth0`))).slice(0, 12)}`;
}

/**
 * Labels Cilium leaves out of a pod's security identity (pkg/labelsfilter's default filter:
 * `!io\.kubernetes`, `!kubernetes\.io`, `!.*beta\.kubernetes\.io`, `!k8s\.io`,
 * `!pod-template-generation`, `!pod-template-hash`, `!controller-revision-hash`,
 * `!annotation.*`, `!etcd_node`, and the per-pod ones of StatefulSets, indexed Jobs).
 */
const IGNORED_LABEL = /^(io\.kubernetes|kubernetes\.io|k8s\.io|pod-template-generation|pod-template-hash|controller-revision-hash|annotation|etcd_node|statefulset\.kubernetes\.io\/pod-name|apps\.kubernetes\.io\/pod-index|batch\.kubernetes\.io\/(job-completion-index|controller-uid))|beta\.kubernetes\.io/;

/**
 * The labels of a pod's security identity, as `cilium-dbg identity list` shows them: its own
 * (filtered) labels and the namespace, service account and cluster Cilium adds. The service
 * account is `default` (the model has none other); namespace labels are not included.
 */
export function identityLabels(pod: ClusterPod): string[] {
  const own = Object.entries(pod.labels).filter(([k]) => !IGNORED_LABEL.test(k)).map(([k, v]) => `k8s:${k}=${v}`);
  return [...own, `k8s:io.cilium.k8s.policy.cluster=default`, `k8s:io.cilium.k8s.policy.serviceaccount=default`, `k8s:io.kubernetes.pod.namespace=${pod.namespace}`].sort();
}

/**
 * Each pod's security identity (by `namespace/name`): pods with the same identity labels share
 * one. The CRD allocator picks a free number at random in 256–65535 (pkg/idpool); here the draw
 * is seeded by the labels themselves, and a collision drawn again, in the labels' sort order,
 * so an identity does not depend on which other pods exist before it.
 */
export function podIdentities(model: ClusterModel): Map<string, number> {
  const keyOf = new Map<string, string>();
  for (const pod of model.pods) if (!pod.hostNetwork) keyOf.set(`${pod.namespace}/${pod.name}`, identityLabels(pod).join(";"));
  const byKey = new Map<string, number>();
  const used = new Set<number>();
  for (const key of [...new Set(keyOf.values())].sort()) {
    for (let n = 0; ; n++) {
      const id = IDENTITY_MIN + (fnv1a32(n === 0 ? `identity/${key}` : `identity/${key}#${n}`) % (IDENTITY_MAX - IDENTITY_MIN + 1));
      if (used.has(id)) continue;
      used.add(id);
      byKey.set(key, id);
      break;
    }
  }
  return new Map([...keyOf].map(([pod, key]) => [pod, byKey.get(key)!]));
}

// ---- The load balancer's service table (cilium_lb4_services_v2, cilium_lb4_backends_v3) ----------

export interface CiliumBackend {
  addr: number;
  port: number;
  /** `active`, or `terminating` when only serving-terminating endpoints are left. */
  state: "active" | "terminating";
}

/** One frontend: a ClusterIP, port and protocol, with its backends in slot order (slot 1 first). */
export interface CiliumFrontend {
  /** The service ID (and rev-NAT index) the agent allocated. */
  id: number;
  addr: number;
  port: number;
  protocol: Protocol;
  /** `ns/svc:port`, the Service port it stands for. */
  servicePort: string;
  /** sessionAffinity ClientIP: the affinity timeout in seconds (0: none). */
  affinityTimeout: number;
  backends: CiliumBackend[];
  /** Global index of backends[0]: all frontends' backends are numbered in one row. */
  firstBackend: number;
}

export interface CiliumLbTable {
  frontends: CiliumFrontend[];
  backendCount: number;
  /**
   * kubeProxyReplacement=true (kube-proxy mode `ebpf`): ClusterIPs are translated at the socket
   * (bpf_sock.c). Otherwise kube-proxy runs and Cilium translates pod traffic per packet in
   * bpf_lxc (ENABLE_PER_PACKET_LB: no full socket LB).
   */
  socketLb: boolean;
}

/**
 * The frontends Cilium's agent programs: one per ClusterIP service port. IDs are allocated as
 * the agent learns the services; here the API server's `kubernetes` first, then kube-dns, then
 * the others in the model's order. Backends are the endpoints kube-proxy would use too (ready
 * ones, else serving-terminating ones), by address. NodePort and LoadBalancer frontends (the
 * kube-proxy replacement adds them too) are not simulated.
 */
export function compileCiliumLb(model: ClusterModel, socketLb: boolean): CiliumLbTable {
  const rank = (s: ClusterService) => (s.namespace === "default" && s.name === "kubernetes" ? 0 : s.namespace === "kube-system" && s.name === "kube-dns" ? 1 : 2);
  const services = model.services.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map(({ s }) => s);
  const frontends: CiliumFrontend[] = [];
  let backendCount = 0;
  for (const svc of services) {
    if (!svc.clusterIP || svc.clusterIP === "None" || svc.type === "ExternalName") continue;
    for (const port of svc.ports) {
      const eps = endpointsFor(svc, port.name, port.protocol, model);
      const ready = (ip: string) => slicesOf(model, svc).some((sl) => sl.endpoints.some((e) => e.conditions.ready && e.addresses.includes(ip)));
      const backends = eps.map((e): CiliumBackend => ({ addr: parseIPv4(e.ip, "ip"), port: e.port, state: ready(e.ip) ? "active" : "terminating" }));
      frontends.push({
        id: frontends.length + 1,
        addr: parseIPv4(svc.clusterIP, "clusterIP"),
        port: port.port,
        protocol: port.protocol,
        servicePort: `${svc.namespace}/${svc.name}${port.name ? `:${port.name}` : ""}`,
        affinityTimeout: svc.sessionAffinity === "ClientIP" ? (svc.sessionAffinityTimeout ?? 10800) : 0,
        backends,
        firstBackend: backendCount,
      });
      backendCount += backends.length;
    }
  }
  return { frontends, backendCount, socketLb };
}
