// ClusterModel → Kubernetes objects, as `kubectl get … -o yaml` would show the cluster
// (status included). Loading them back, with the same settings, gives the same model.

import type { ClusterModel, ClusterPod, ContainerPort } from "./types.js";

type Obj = Record<string, unknown>;

/** A fixed instant for deletionTimestamp: the model knows "terminating", not when. */
const DELETION_TIMESTAMP = "2026-01-01T00:00:00Z";

export function toManifests(model: ClusterModel): Obj[] {
  const out: Obj[] = [];
  for (const ns of model.namespaces) out.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels } });
  for (const n of model.nodes) {
    out.push({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: n.labels },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
      status: { addresses: [{ type: "InternalIP", address: n.internalIP }, { type: "Hostname", address: n.name }] },
    });
  }
  for (const p of model.pods) out.push(pod(p));
  for (const s of model.services) {
    const spec: Obj = { type: s.type };
    if (s.clusterIP !== undefined) spec.clusterIP = s.clusterIP;
    if (s.externalName !== undefined) spec.externalName = s.externalName;
    spec.ports = s.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) }));
    if (s.selector) spec.selector = s.selector;
    spec.sessionAffinity = s.sessionAffinity;
    if (s.sessionAffinityTimeout !== undefined) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: s.sessionAffinityTimeout } };
    spec.internalTrafficPolicy = s.internalTrafficPolicy;
    if (s.externalTrafficPolicy) spec.externalTrafficPolicy = s.externalTrafficPolicy;
    if (s.publishNotReadyAddresses) spec.publishNotReadyAddresses = true;
    out.push({ apiVersion: "v1", kind: "Service", metadata: { name: s.name, namespace: s.namespace }, spec });
  }
  for (const e of model.endpointSlices) {
    const labels: Record<string, string> = { "kubernetes.io/service-name": e.service };
    if (e.managedBy === "endpointslice-controller.k8s.io") labels["endpointslice.kubernetes.io/managed-by"] = e.managedBy;
    out.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: e.name, namespace: e.namespace, labels },
      addressType: e.addressType,
      endpoints: e.endpoints.map((ep) => ({
        addresses: ep.addresses,
        conditions: ep.conditions,
        ...(ep.hostname !== undefined ? { hostname: ep.hostname } : {}),
        ...(ep.nodeName !== undefined ? { nodeName: ep.nodeName } : {}),
        ...(ep.targetRef ? { targetRef: ep.targetRef } : {}),
      })),
      ports: e.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
    });
  }
  return out;
}

function pod(p: ClusterPod): Obj {
  const containers = new Map<string, ContainerPort[]>();
  for (const port of p.ports) containers.set(port.container, [...(containers.get(port.container) ?? []), port]);
  if (containers.size === 0) containers.set("main", []);
  const metadata: Obj = { name: p.name, namespace: p.namespace, labels: p.labels };
  if (p.owner) metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: p.owner.kind, name: p.owner.name, controller: true }];
  if (p.terminating) metadata.deletionTimestamp = DELETION_TIMESTAMP;
  const spec: Obj = {
    nodeName: p.node,
    containers: [...containers].map(([name, ports]) => ({
      name,
      ...(ports.length ? { ports: ports.map((x) => ({ ...(x.name !== undefined ? { name: x.name } : {}), containerPort: x.containerPort, protocol: x.protocol })) } : {}),
    })),
    dnsPolicy: p.dnsPolicy,
  };
  if (p.hostNetwork) spec.hostNetwork = true;
  if (p.hostname) spec.hostname = p.hostname;
  if (p.subdomain) spec.subdomain = p.subdomain;
  if (p.dnsConfig) spec.dnsConfig = p.dnsConfig;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec,
    status: { phase: "Running", podIP: p.ip, podIPs: [{ ip: p.ip }], conditions: [{ type: "Ready", status: p.ready ? "True" : "False" }] },
  };
}
