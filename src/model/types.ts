// The cluster as Kubernetes sees it: what every later stage reads. Plain data (structured-
// cloneable, JSON-safe); addresses stay in the text form users and kubectl use.

export type CniPlugin = "flannel";
export type FlannelBackend = "vxlan";
export type KubeProxyMode = "iptables";

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
  cni: { plugin: CniPlugin; backend: FlannelBackend };
  kubeProxy: { mode: KubeProxyMode };
}

export interface ClusterNode {
  name: string;
  /** status.addresses[type=InternalIP] */
  internalIP: string;
  /** spec.podCIDR */
  podCIDR: string;
}

export interface ClusterPod {
  name: string;
  namespace: string;
  /** spec.nodeName */
  node: string;
  /** status.podIP */
  ip: string;
  labels: Record<string, string>;
}

export interface ClusterModel {
  /** A short title for views ("cross-node", or the user's own). */
  name: string;
  settings: ClusterSettings;
  nodes: ClusterNode[];
  pods: ClusterPod[];
}

/** What users may give: every field with a Kubernetes default may be left out. */
export interface ClusterInput {
  name?: string;
  settings?: Partial<Omit<ClusterSettings, "cni" | "kubeProxy">> & {
    cni?: Partial<ClusterSettings["cni"]>;
    kubeProxy?: Partial<ClusterSettings["kubeProxy"]>;
  };
  nodes: Array<{ name: string; internalIP?: string; podCIDR?: string }>;
  pods?: Array<{ name: string; namespace?: string; node: string; ip?: string; labels?: Record<string, string> }>;
}

/** Anything `loadModel` accepts: a built-in scenario by name, or a cluster description. */
export type ModelInput = { scenario: string } | ClusterInput;

export const DEFAULT_SETTINGS: ClusterSettings = {
  clusterCIDR: "10.244.0.0/16",
  nodeCIDRMaskSize: 24,
  serviceCIDR: "10.96.0.0/12",
  clusterDomain: "cluster.local",
  nodeNetwork: "192.168.1.0/24",
  cni: { plugin: "flannel", backend: "vxlan" },
  kubeProxy: { mode: "iptables" },
};
