// What the parsers produce and the builder reads: the input's objects, type-checked and in
// one shape whatever the format, each remembering where it came from. Addresses are still
// optional (IPAM fills them in) and not yet checked against each other.

import type { NetworkPolicy } from "../policy/types.js";
import type { Origin, Path } from "./problems.js";
import type { ContainerPort, DnsConfig, DnsPolicy, Endpoint, Protocol, ServiceType } from "./types.js";

/** A value with the path (below the object's origin) it was read from. */
export interface At<T> {
  value: T;
  sub: Path;
}

export interface DraftNamespace {
  at: Origin;
  name: string;
  labels: Record<string, string>;
}

export interface DraftNode {
  at: Origin;
  name: string;
  internalIP?: At<string>;
  podCIDR?: At<string>;
  labels: Record<string, string>;
}

export interface PodTemplate {
  labels: Record<string, string>;
  ports: ContainerPort[];
  portsSub: Path;
  hostNetwork: boolean;
  dnsPolicy?: DnsPolicy;
  dnsConfig?: DnsConfig;
  nodeSelector?: Record<string, string>;
  node?: At<string>;
  hostname?: string;
  subdomain?: string;
}

export interface DraftPod extends PodTemplate {
  at: Origin;
  name: string;
  namespace: string;
  ip?: At<string>;
  ready: boolean;
  terminating: boolean;
  owner?: { kind: string; name: string };
  libc?: "glibc" | "musl";
}

export interface DraftWorkload {
  at: Origin;
  kind: "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet";
  name: string;
  namespace: string;
  replicas: number;
  template: PodTemplate;
  /** StatefulSet spec.serviceName: each pod's subdomain. */
  serviceName?: string;
  /** The Deployment owning a ReplicaSet, from its ownerReferences. */
  owner?: { kind: string; name: string };
}

export interface DraftServicePort {
  sub: Path;
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: Protocol;
  nodePort?: number;
}

export interface DraftService {
  at: Origin;
  name: string;
  namespace: string;
  type: ServiceType;
  clusterIP?: At<string>;
  ports: DraftServicePort[];
  selector?: Record<string, string>;
  sessionAffinity: "None" | "ClientIP";
  sessionAffinityTimeout?: number;
  internalTrafficPolicy: "Cluster" | "Local";
  externalTrafficPolicy?: "Cluster" | "Local";
  externalName?: string;
  publishNotReadyAddresses: boolean;
}

export interface DraftSlice {
  at: Origin;
  name: string;
  namespace: string;
  service: string;
  ports: Array<{ name?: string; port: number; protocol: Protocol }>;
  endpoints: Array<Endpoint & { sub: Path }>;
  /** Converted from a v1 Endpoints object (used only when no EndpointSlice is given for the service). */
  fromEndpoints?: boolean;
  /** The `endpointslice.kubernetes.io/managed-by` label said the controller made it. */
  controllerManaged?: boolean;
}

export interface Draft {
  name?: string;
  /** Some objects came from a running cluster (they carry `status`): ranges may be inferred. */
  observed?: boolean;
  settings?: { value: Record<string, unknown>; at: Origin };
  namespaces: DraftNamespace[];
  nodes: DraftNode[];
  pods: DraftPod[];
  workloads: DraftWorkload[];
  services: DraftService[];
  /** Given EndpointSlices (and v1 Endpoints, converted). */
  slices: DraftSlice[];
  networkPolicies: Array<{ at: Origin; policy: NetworkPolicy }>;
}

export function emptyDraft(): Draft {
  return { namespaces: [], nodes: [], pods: [], workloads: [], services: [], slices: [], networkPolicies: [] };
}
