// The cluster as Kubernetes sees it: what every later stage reads. Plain data (structured-
// cloneable, JSON-safe); addresses stay in the text form users and kubectl use.

import type { Fault } from "../faults/faults.js";
import type { NetworkPolicy } from "../policy/types.js";

export const CNI_MODES = {
  flannel: ["vxlan", "host-gw"],
  calico: ["ipip", "vxlan", "bgp"],
  cilium: ["vxlan", "native"],
} as const;
export type CniPlugin = keyof typeof CNI_MODES;
export type CniMode = (typeof CNI_MODES)[CniPlugin][number];

export const KUBE_PROXY_MODES = ["iptables", "ipvs", "nftables", "ebpf"] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];
export const IPVS_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh"] as const;
export type IpvsScheduler = (typeof IPVS_SCHEDULERS)[number];

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ClusterSettings {
  /** `--cluster-cidr`: the pod network. */
  clusterCIDR: string;
  /** `--node-cidr-mask-size`: each node's share of the pod network. */
  nodeCIDRMaskSize: number;
  /** `--service-cluster-ip-range`. */
  serviceCIDR: string;
  clusterDomain: string;
  /** The nodes' own (underlay) network; its first address is the default gateway. */
  nodeNetwork: string;
  /**
   * The API server the `kubernetes` Service points at. A managed control plane by default
   * (outside the node list), so worker nodes keep the seed's pod CIDRs.
   */
  apiServer: { ip: string; port: number };
  /** CoreDNS replicas (kubeadm deploys 2; 0 models CoreDNS scaled to zero). */
  coreDNSReplicas: number;
  /**
   * What the resolver upstream of CoreDNS (`forward . /etc/resolv.conf`) answers for names
   * outside the cluster domain: name → IPv4. Every other name is NXDOMAIN.
   */
  upstreamDNS: Record<string, string>;
  /** The version the nodes report (kubectl get nodes). */
  kubernetesVersion: string;
  /** Faults given on purpose (src/faults/): each applied where the real fault lives. */
  faults: Fault[];
  /**
   * `mtu`: the MTU the CNI gives pods' interfaces when set explicitly (flannel's conflist
   * delegate `"mtu"`, Calico's `veth_mtu`); by default derived from the backend. Setting it
   * above the path MTU is the classic misconfiguration (pod MTU 1500 over VXLAN).
   */
  cni: { plugin: CniPlugin; mode: CniMode; mtu?: number };
  kubeProxy: { mode: KubeProxyMode; ipvsScheduler: IpvsScheduler };
}

export interface ClusterNamespace {
  name: string;
  /** Includes `kubernetes.io/metadata.name`, which the API server always sets. */
  labels: Record<string, string>;
}

export interface ClusterNode {
  name: string;
  /** status.addresses[type=InternalIP] */
  internalIP: string;
  /** spec.podCIDR */
  podCIDR: string;
  /** Includes `kubernetes.io/hostname`. */
  labels: Record<string, string>;
  /**
   * With Calico: the node's IPAM blocks (/26s of the IP pool, in the order it claimed them)
   * and the address calico-node took for its tunnel device (tunl0 or vxlan.calico; none with BGP).
   */
  calico?: { blocks: string[]; tunnelAddress?: string };
  /**
   * With Cilium: the router address the agent took from the node's range for cilium_host
   * (CiliumNode spec.addresses, type CiliumInternalIP): the pods' gateway.
   */
  cilium?: { routerIP: string };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  /** The container that declares it. */
  container: string;
}

export interface DnsConfig {
  nameservers: string[];
  searches: string[];
  options: Array<{ name: string; value?: string }>;
}

export type DnsPolicy = "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";

export interface ClusterPod {
  name: string;
  namespace: string;
  /** spec.nodeName */
  node: string;
  /** status.podIP (the node's IP for hostNetwork pods) */
  ip: string;
  labels: Record<string, string>;
  ports: ContainerPort[];
  /** The Ready condition. */
  ready: boolean;
  /** metadata.deletionTimestamp is set: shutting down. */
  terminating: boolean;
  hostNetwork: boolean;
  /** The C library of the pod's image decides how names are searched (glibc: Debian/Ubuntu, musl: Alpine). */
  libc?: "glibc" | "musl";
  /** spec.hostname and spec.subdomain: with a headless Service named `subdomain`, the pod gets `hostname.subdomain.ns.svc` in DNS. */
  hostname?: string;
  subdomain?: string;
  dnsPolicy: DnsPolicy;
  dnsConfig?: DnsConfig;
  /** The workload that created it, if any. */
  owner?: { kind: string; name: string };
}

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";

export interface ServicePort {
  name?: string;
  port: number;
  /** A number, or the name of a container port. */
  targetPort: number | string;
  protocol: Protocol;
  nodePort?: number;
}

export interface ClusterService {
  name: string;
  namespace: string;
  type: ServiceType;
  /** An address of the service CIDR, `None` for headless services, absent for ExternalName. */
  clusterIP?: string;
  ports: ServicePort[];
  /** Absent: endpoints are managed by hand (given EndpointSlices or Endpoints). */
  selector?: Record<string, string>;
  sessionAffinity: "None" | "ClientIP";
  /** sessionAffinityConfig.clientIP.timeoutSeconds, when affinity is ClientIP. */
  sessionAffinityTimeout?: number;
  internalTrafficPolicy: "Cluster" | "Local";
  externalTrafficPolicy?: "Cluster" | "Local";
  externalName?: string;
  /** Not-ready pods are published as ready endpoints (StatefulSet peer discovery). */
  publishNotReadyAddresses: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  hostname?: string;
  targetRef?: { kind: "Pod"; namespace: string; name: string };
}

export interface EndpointSlice {
  name: string;
  namespace: string;
  /** The `kubernetes.io/service-name` label. */
  service: string;
  addressType: "IPv4";
  ports: Array<{ name?: string; port: number; protocol: Protocol }>;
  endpoints: Endpoint[];
  /** Derived by the EndpointSlice controller here, or given in the input. */
  managedBy: "endpointslice-controller.k8s.io" | "input";
}

export interface ClusterModel {
  /** A short title for views ("cross-node", or the user's own). */
  name: string;
  settings: ClusterSettings;
  namespaces: ClusterNamespace[];
  nodes: ClusterNode[];
  pods: ClusterPod[];
  services: ClusterService[];
  endpointSlices: EndpointSlice[];
  /** networking.k8s.io/v1 NetworkPolicies (src/policy/): enforced where the CNI enforces them. */
  networkPolicies: NetworkPolicy[];
  /**
   * The EndpointSlices as kube-proxy last synced them, when that is not the API's current state
   * (the `kube-proxy-stale` fault: kube-proxy stopped before a pod was deleted).
   */
  kubeProxySlices?: EndpointSlice[];
  /**
   * The `stale-udp-conntrack` fault (src/faults/apply.ts): per recreated pod, its old IP and
   * name, its replacement, and the UDP Service ports it backed with their backends as
   * kube-proxy had them before the restart (`ip`:`targetPort`, the old IP among them): the
   * conntrack entries kube-proxy left behind, injected before each traced UDP exchange to one
   * of them (src/dataplane/forward.ts).
   */
  staleUdp?: Array<{ oldIP: string; oldPod: string; pod: string; node: string; services: Array<{ service: string; clusterIP: string; port: number; backends: Array<{ ip: string; targetPort: number }> }> }>;
}

/** A problem with the input. Errors stop the load; warnings are reported with the model. */
export interface ModelProblem {
  severity: "error" | "warning";
  code: ProblemCode;
  /** Where in the input, e.g. `services[2].spec.ports[0].targetPort`. */
  path: string;
  message: string;
  /** Document (1-based) and line (1-based) in the input text, when it came as text. */
  source?: { document: number; line: number };
}

export type ProblemCode =
  | "parse" // not YAML/JSON
  | "type" // wrong JSON type
  | "required"
  | "unknown-field"
  | "unknown-kind"
  | "invalid-name"
  | "invalid-label"
  | "invalid-selector"
  | "invalid-address"
  | "invalid-port"
  | "invalid-value"
  | "duplicate"
  | "out-of-range"
  | "overlap"
  | "not-found"
  | "exhausted"
  | "too-large"
  | "unsupported"
  | "inferred"
  | "not-enforced"; // valid and simulated, but the cluster ignores it as a real one would (NetworkPolicy under flannel)

export interface LoadedModel {
  model: ClusterModel;
  warnings: ModelProblem[];
}

/** Anything `loadModel` accepts. */
export type ModelInput =
  | { scenario: string; settings?: Record<string, unknown> }
  | { text: string; settings?: Record<string, unknown> }
  | { generate: GeneratorSpec }
  | CompactCluster
  | Record<string, unknown>;

/**
 * The compact format for docs authors: only what a diagram needs; every field with a
 * Kubernetes default may be left out. See the README's "Input formats".
 */
export interface CompactCluster {
  name?: string;
  settings?: Record<string, unknown>;
  namespaces?: Array<string | { name: string; labels?: Record<string, string> }>;
  nodes: Array<{ name: string; ip?: string; podCIDR?: string; labels?: Record<string, string> }>;
  pods?: Array<{
    name: string;
    namespace?: string;
    node?: string;
    ip?: string;
    labels?: Record<string, string>;
    ports?: CompactPort[];
    ready?: boolean;
    terminating?: boolean;
    hostNetwork?: boolean;
    dnsPolicy?: DnsPolicy;
    libc?: "glibc" | "musl";
  }>;
  /** Deployments: `replicas` pods named `name-<hash>-<suffix>`, labelled `labels`. */
  deployments?: Array<{ name: string; namespace?: string; replicas?: number; labels: Record<string, string>; ports?: CompactPort[]; node?: string }>;
  services?: Array<{
    name: string;
    namespace?: string;
    type?: ServiceType;
    clusterIP?: string;
    selector?: Record<string, string>;
    /** `80`, `80:8080`, `http:80:http/TCP`, `53/UDP`, or ServicePort objects. */
    ports?: Array<string | number | Partial<ServicePort>>;
    sessionAffinity?: "None" | "ClientIP";
    internalTrafficPolicy?: "Cluster" | "Local";
    externalName?: string;
  }>;
}

/** A container port in the compact format: `8080`, `http:8080`, `dns:53/UDP`, or an object. */
export type CompactPort = string | number | { name?: string; containerPort: number; protocol?: Protocol };

export interface GeneratorSpec {
  seed?: number;
  nodes: number;
  /** Total pods (default: 30 per node). */
  pods?: number;
  namespaces?: number;
  services?: number;
  /** Ready endpoints per service: how they are spread. */
  endpointsPerService?: { distribution?: "uniform" | "zipf"; min?: number; max?: number };
  settings?: Record<string, unknown>;
}

export const DEFAULT_SETTINGS: ClusterSettings = {
  clusterCIDR: "10.244.0.0/16",
  nodeCIDRMaskSize: 24,
  serviceCIDR: "10.96.0.0/12",
  clusterDomain: "cluster.local",
  nodeNetwork: "192.168.1.0/24",
  apiServer: { ip: "192.168.1.2", port: 6443 },
  coreDNSReplicas: 2,
  upstreamDNS: {},
  faults: [],
  kubernetesVersion: "v1.34.1",
  cni: { plugin: "flannel", mode: "vxlan" },
  kubeProxy: { mode: "iptables", ipvsScheduler: "rr" },
};

/** Kubernetes' scalability thresholds (SIG Scalability), the largest model we build. */
export const LIMITS = {
  nodes: 5000,
  pods: 150000,
  services: 10000,
  namespaces: 10000,
  /** Input text, bytes. */
  textBytes: 256 * 1024 * 1024,
} as const;

/** The EndpointSlice controller's default `--max-endpoints-per-slice`. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
