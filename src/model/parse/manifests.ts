// Kubernetes objects (manifests, or `kubectl get -o json|yaml` Lists) → draft. Status fields
// (status.podIP, spec.podCIDR, node addresses, EndpointSlices) are taken as the truth of a
// running cluster; objects without status are treated as freshly created and get addresses
// from IPAM.

import { NETWORK_POLICY_API_VERSION, readNetworkPolicy } from "../../policy/read.js";
import type { Draft, DraftPod, DraftSlice, PodTemplate } from "../draft.js";
import type { Origin, Path, Problems } from "../problems.js";
import type { DnsConfig, DnsPolicy, Protocol, ServiceType } from "../types.js";
import * as F from "./k8s-fields.js";
import { containerPort, PROTOCOLS, servicePort } from "./ports.js";
import { describe, isRecord, Reader } from "./reader.js";

export interface SourceObject {
  value: unknown;
  /** 0-based document index in the input text. */
  doc?: number;
  /** Path of the object within its document. */
  docPath: Path;
}

const API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  Node: "v1",
  Pod: "v1",
  Service: "v1",
  Endpoints: "v1",
  EndpointSlice: "discovery.k8s.io/v1",
  Deployment: "apps/v1",
  ReplicaSet: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  NetworkPolicy: NETWORK_POLICY_API_VERSION,
};

const DNS_POLICIES: readonly DnsPolicy[] = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const SERVICE_TYPES: readonly ServiceType[] = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

export function isKubernetesObject(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.kind === "string";
}

export function parseManifests(objects: SourceObject[], problems: Problems, draft: Draft): void {
  const counters = new Map<string, number>();
  const visit = (obj: SourceObject) => {
    const value = obj.value;
    if (value === null || value === undefined) return; // an empty YAML document
    const kind = isRecord(value) ? value.kind : undefined;
    if (kind === "List" || (typeof kind === "string" && kind.endsWith("List") && isRecord(value) && Array.isArray(value.items))) {
      const list = Reader.of(value, origin(obj, ["lists", next(counters, "lists")]), [], problems, F.TOP_LIST);
      list?.list("items").forEach(({ value: item }, i) => visit({ value: item, ...(obj.doc !== undefined ? { doc: obj.doc } : {}), docPath: [...obj.docPath, "items", i] }));
      return;
    }
    if (typeof kind !== "string") {
      problems.error("required", origin(obj, ["documents", obj.doc ?? 0]), ["kind"], `expected a Kubernetes object with "kind", got ${describe(value)}`);
      return;
    }
    const expected = API_VERSIONS[kind];
    const lower = kind.toLowerCase();
    const plural = lower.endsWith("s") ? lower : lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`;
    const at = origin(obj, [plural, next(counters, plural)]);
    if (!expected) {
      problems.warn("unknown-kind", at, ["kind"], `kind "${kind}" does not affect the simulated network: ignored`);
      return;
    }
    const r = Reader.of(value, at, [], problems);
    if (!r) return;
    if (r.has("status")) draft.observed = true;
    const apiVersion = r.str("apiVersion");
    if (apiVersion !== expected) problems.warn("invalid-value", at, ["apiVersion"], `expected apiVersion "${expected}" for ${kind}, got ${describe(apiVersion)}; read as ${expected}`);
    switch (kind) {
      case "Namespace":
        return namespace(r, draft);
      case "Node":
        return node(r, draft);
      case "Pod":
        return pod(r, draft);
      case "Service":
        return service(r, draft);
      case "EndpointSlice":
        return endpointSlice(r, draft);
      case "Endpoints":
        return endpoints(r, draft);
      case "NetworkPolicy": {
        const policy = readNetworkPolicy(r);
        if (policy) draft.networkPolicies.push({ at, policy });
        return;
      }
      default:
        return workload(r, kind as "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet", draft);
    }
  };
  for (const obj of objects) visit(obj);
}

function next(counters: Map<string, number>, key: string): number {
  const n = counters.get(key) ?? 0;
  counters.set(key, n + 1);
  return n;
}

function origin(obj: SourceObject, path: Path): Origin {
  return { path, ...(obj.doc !== undefined ? { doc: obj.doc, docPath: obj.docPath } : {}) };
}

interface Meta {
  name?: string;
  namespace: string;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  terminating: boolean;
}

function metadata(r: Reader, namespaced: boolean): Meta {
  const m = r.child("metadata", F.METADATA);
  if (!m) {
    r.error("metadata", `"metadata" with a name is required`, "required");
    return { namespace: "default", labels: {}, terminating: false };
  }
  const name = m.str("name", true);
  const namespace = namespaced ? m.str("namespace") ?? "default" : "";
  if (!namespaced && m.has("namespace")) m.error("namespace", "this kind is not namespaced", "invalid-value");
  let owner: Meta["owner"];
  for (const { value, sub } of m.list("ownerReferences")) {
    const o = Reader.of(value, r.at, sub, r.problems);
    if (o && o.obj.controller === true && typeof o.obj.kind === "string" && typeof o.obj.name === "string") owner = { kind: o.obj.kind, name: o.obj.name };
  }
  return { ...(name !== undefined ? { name } : {}), namespace, labels: m.labels("labels") ?? {}, ...(owner ? { owner } : {}), terminating: m.has("deletionTimestamp") };
}

function namespace(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP);
  const meta = metadata(r, false);
  if (meta.name !== undefined) draft.namespaces.push({ at: r.at, name: meta.name, labels: meta.labels });
}

function node(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP);
  const meta = metadata(r, false);
  const spec = r.child("spec", F.NODE_SPEC);
  const status = r.child("status", F.NODE_STATUS);
  let podCIDR: { value: string; sub: Path } | undefined;
  const single = spec?.str("podCIDR");
  if (single !== undefined) podCIDR = { value: single, sub: ["spec", "podCIDR"] };
  else {
    const first = spec?.list("podCIDRs")[0];
    if (first && typeof first.value === "string") podCIDR = { value: first.value, sub: first.sub };
  }
  let internalIP: { value: string; sub: Path } | undefined;
  for (const { value, sub } of status?.list("addresses") ?? []) {
    const a = Reader.of(value, r.at, sub, r.problems, { read: ["type", "address"], unknown: "warning" });
    if (a?.obj.type === "InternalIP" && internalIP === undefined) {
      const address = a.str("address", true);
      if (address !== undefined) internalIP = { value: address, sub: [...sub, "address"] };
    }
  }
  if (meta.name === undefined) return;
  draft.nodes.push({ at: r.at, name: meta.name, labels: meta.labels, ...(internalIP ? { internalIP } : {}), ...(podCIDR ? { podCIDR } : {}) });
}

function podTemplate(spec: Reader | undefined, labels: Record<string, string>): PodTemplate {
  if (!spec) return { labels, ports: [], portsSub: ["spec", "containers"], hostNetwork: false };
  const ports = spec.list("containers").flatMap(({ value, sub }, i) => {
    const c = Reader.of(value, spec.at, sub, spec.problems, F.CONTAINER);
    if (!c) return [];
    const name = c.str("name", true) ?? `container-${i}`;
    return c.list("ports").flatMap(({ value: p, sub: ps }) => containerPort(c, p, ps, name, true) ?? []);
  });
  const nodeName = spec.str("nodeName");
  const dnsPolicy = spec.oneOf("dnsPolicy", DNS_POLICIES);
  const nodeSelector = spec.labels("nodeSelector");
  const dnsConfig = readDnsConfig(spec);
  const hostname = spec.str("hostname");
  const subdomain = spec.str("subdomain");
  return {
    labels,
    ports,
    portsSub: [...spec.sub, "containers"],
    hostNetwork: spec.bool("hostNetwork") ?? false,
    ...(dnsPolicy ? { dnsPolicy } : {}),
    ...(dnsConfig ? { dnsConfig } : {}),
    ...(nodeSelector ? { nodeSelector } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
    ...(subdomain !== undefined ? { subdomain } : {}),
    ...(nodeName !== undefined ? { node: { value: nodeName, sub: [...spec.sub, "nodeName"] } } : {}),
  };
}

function readDnsConfig(spec: Reader): DnsConfig | undefined {
  const d = spec.child("dnsConfig", F.DNS_CONFIG);
  if (!d) return undefined;
  const strings = (key: string) =>
    d.list(key).flatMap(({ value, sub }) => {
      if (typeof value === "string") return [value];
      d.error(sub.slice(d.sub.length), `expected a string, got ${describe(value)}`, "type");
      return [];
    });
  const options = d.list("options").flatMap(({ value, sub }) => {
    const o = Reader.of(value, d.at, sub, d.problems, { read: ["name", "value"], unknown: "warning" });
    const name = o?.str("name", true);
    const v = o?.str("value");
    return name === undefined ? [] : [{ name, ...(v !== undefined ? { value: v } : {}) }];
  });
  return { nameservers: strings("nameservers"), searches: strings("searches"), options };
}

function pod(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP);
  const meta = metadata(r, true);
  const spec = r.child("spec", F.POD_SPEC);
  if (!spec) r.error("spec", `"spec" with containers is required`, "required");
  const template = podTemplate(spec, meta.labels);
  const status = r.child("status", F.POD_STATUS);
  let ip: DraftPod["ip"];
  let ready = true;
  if (status) {
    const phase = status.str("phase");
    if (phase === "Succeeded" || phase === "Failed") {
      r.problems.warn("invalid-value", r.at, ["status", "phase"], `pod ${meta.namespace}/${meta.name} has finished (${phase}): it holds no IP and is left out`);
      return;
    }
    const podIP = status.str("podIP");
    if (podIP !== undefined) ip = { value: podIP, sub: ["status", "podIP"] };
    else if (!template.hostNetwork) {
      r.problems.warn("required", r.at, ["status", "podIP"], `pod ${meta.namespace}/${meta.name} has no IP yet (${phase ?? "no phase"}): left out`);
      return;
    }
    // Readiness is the Ready condition; a status without it is not ready.
    ready = status.list("conditions").some(({ value }) => isRecord(value) && value.type === "Ready" && value.status === "True");
  }
  if (meta.name === undefined) return;
  draft.pods.push({ at: r.at, name: meta.name, namespace: meta.namespace, ...template, ...(ip ? { ip } : {}), ready, terminating: meta.terminating, ...(meta.owner ? { owner: meta.owner } : {}) });
}

function service(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP);
  const meta = metadata(r, true);
  const spec = r.child("spec", F.SERVICE_SPEC);
  if (!spec) {
    r.error("spec", `"spec" is required`, "required");
    return;
  }
  const type = spec.oneOf("type", SERVICE_TYPES) ?? "ClusterIP";
  const clusterIP = spec.str("clusterIP");
  const selector = spec.labels("selector");
  const timeout = spec.child("sessionAffinityConfig", { read: ["clientIP"], unknown: "warning" })?.child("clientIP", { read: ["timeoutSeconds"], unknown: "warning" })?.int("timeoutSeconds", 1, 86400);
  const externalName = spec.str("externalName");
  const externalTrafficPolicy = spec.oneOf("externalTrafficPolicy", ["Cluster", "Local"] as const);
  if (meta.name === undefined) return;
  draft.services.push({
    at: r.at,
    name: meta.name,
    namespace: meta.namespace,
    type,
    // "" asks the API server to allocate, like leaving it out.
    ...(clusterIP !== undefined && clusterIP !== "" ? { clusterIP: { value: clusterIP, sub: ["spec", "clusterIP"] } } : {}),
    ports: spec.list("ports").flatMap(({ value, sub }) => servicePort(spec, value, sub, true) ?? []),
    ...(selector && Object.keys(selector).length ? { selector } : {}),
    sessionAffinity: spec.oneOf("sessionAffinity", ["None", "ClientIP"] as const) ?? "None",
    ...(timeout !== undefined ? { sessionAffinityTimeout: timeout } : {}),
    internalTrafficPolicy: spec.oneOf("internalTrafficPolicy", ["Cluster", "Local"] as const) ?? "Cluster",
    ...(externalTrafficPolicy ? { externalTrafficPolicy } : type === "NodePort" || type === "LoadBalancer" ? { externalTrafficPolicy: "Cluster" as const } : {}),
    ...(externalName !== undefined ? { externalName } : {}),
    publishNotReadyAddresses: spec.bool("publishNotReadyAddresses") ?? false,
  });
}

function protocolOf(r: Reader, key = "protocol"): Protocol {
  return r.oneOf(key, PROTOCOLS) ?? "TCP";
}

function endpointSlice(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP_SLICE);
  const meta = metadata(r, true);
  const addressType = r.str("addressType", true);
  if (addressType !== undefined && addressType !== "IPv4") {
    r.problems.warn("unsupported", r.at, ["addressType"], `${addressType} EndpointSlices are not simulated (IPv4 only): ignored`);
    return;
  }
  const service = meta.labels["kubernetes.io/service-name"];
  if (service === undefined) {
    r.problems.warn("required", r.at, ["metadata", "labels"], `EndpointSlice without the "kubernetes.io/service-name" label belongs to no Service: ignored`);
    return;
  }
  const ports = r.list("ports").flatMap(({ value, sub }) => {
    const p = Reader.of(value, r.at, sub, r.problems, F.SLICE_PORT);
    if (!p) return [];
    const port = p.int("port", 1, 65535, true);
    const name = p.str("name");
    return port === undefined ? [] : [{ ...(name ? { name } : {}), port, protocol: protocolOf(p) }];
  });
  const endpoints: DraftSlice["endpoints"] = r.list("endpoints").flatMap(({ value, sub }) => {
    const e = Reader.of(value, r.at, sub, r.problems, F.SLICE_ENDPOINT);
    if (!e) return [];
    const addresses = e.list("addresses").flatMap(({ value: a, sub: as }) => {
      if (typeof a === "string") return [a];
      e.error(as.slice(e.sub.length), `expected an IPv4 address, got ${describe(a)}`, "type");
      return [];
    });
    const c = e.child("conditions", { read: ["ready", "serving", "terminating"], unknown: "warning" });
    // The API says a missing `ready` means unknown, which consumers treat as ready.
    const ready = c?.bool("ready") ?? true;
    const nodeName = e.str("nodeName");
    const hostname = e.str("hostname");
    const targetRef = readTargetRef(e, meta.namespace);
    return [{ sub, addresses, conditions: { ready, serving: c?.bool("serving") ?? ready, terminating: c?.bool("terminating") ?? false }, ...(nodeName ? { nodeName } : {}), ...(hostname ? { hostname } : {}), ...(targetRef ? { targetRef } : {}) }];
  });
  if (meta.name === undefined) return;
  const controllerManaged = meta.labels["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io";
  draft.slices.push({ at: r.at, name: meta.name, namespace: meta.namespace, service, ports, endpoints, ...(controllerManaged ? { controllerManaged } : {}) });
}

function readTargetRef(r: Reader, namespace: string): { kind: "Pod"; namespace: string; name: string } | undefined {
  const t = r.child("targetRef", F.TARGET_REF);
  if (!t || t.obj.kind !== "Pod") return undefined;
  const name = t.str("name");
  return name === undefined ? undefined : { kind: "Pod", namespace: t.str("namespace") ?? namespace, name };
}

/** v1 Endpoints, converted to the EndpointSlices the mirroring controller would make. */
function endpoints(r: Reader, draft: Draft): void {
  r.checkFields(F.TOP_ENDPOINTS);
  const meta = metadata(r, true);
  if (meta.name === undefined) return;
  r.list("subsets").forEach(({ value, sub }, i) => {
    const s = Reader.of(value, r.at, sub, r.problems, { read: ["addresses", "notReadyAddresses", "ports"], unknown: "warning" });
    if (!s) return;
    const ports = s.list("ports").flatMap(({ value: p, sub: ps }) => {
      const pr = Reader.of(p, r.at, ps, r.problems, F.SLICE_PORT);
      const port = pr?.int("port", 1, 65535, true);
      const name = pr?.str("name");
      return pr && port !== undefined ? [{ ...(name ? { name } : {}), port, protocol: protocolOf(pr) }] : [];
    });
    const read = (key: string, ready: boolean): DraftSlice["endpoints"] =>
      s.list(key).flatMap(({ value: a, sub: as }) => {
        const ar = Reader.of(a, r.at, as, r.problems, F.ENDPOINT_ADDRESS);
        const ip = ar?.str("ip", true);
        if (!ar || ip === undefined) return [];
        const nodeName = ar.str("nodeName");
        const hostname = ar.str("hostname");
        const targetRef = readTargetRef(ar, meta.namespace);
        return [{ sub: as, addresses: [ip], conditions: { ready, serving: ready, terminating: false }, ...(nodeName ? { nodeName } : {}), ...(hostname ? { hostname } : {}), ...(targetRef ? { targetRef } : {}) }];
      });
    draft.slices.push({ at: r.at, name: `${meta.name}-${i}`, namespace: meta.namespace, service: meta.name!, ports, endpoints: [...read("addresses", true), ...read("notReadyAddresses", false)], fromEndpoints: true });
  });
}

function workload(r: Reader, kind: "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet", draft: Draft): void {
  r.checkFields(F.TOP);
  const meta = metadata(r, true);
  const spec = r.child("spec", F.WORKLOAD_SPEC[kind]);
  if (!spec) {
    r.error("spec", `"spec" with a pod template is required`, "required");
    return;
  }
  const replicas = kind === "DaemonSet" ? 0 : spec.int("replicas", 0, 5000) ?? 1;
  const selector = spec.child("selector", { read: ["matchLabels"], unsupported: ["matchExpressions"], unknown: "warning" })?.labels("matchLabels") ?? {};
  const template = spec.child("template", F.TEMPLATE);
  if (!template) {
    spec.error("template", `"template" is required`, "required");
    return;
  }
  const tm = template.child("metadata", F.METADATA);
  const labels = tm?.labels("labels") ?? {};
  const tspec = template.child("spec", F.POD_SPEC);
  // The API server rejects a workload whose selector does not match its own template.
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) spec.error(["selector", "matchLabels", k], `selector ${k}=${v} does not match the template's labels, which the API server rejects`, "invalid-selector");
  }
  if (meta.name === undefined) return;
  const serviceName = kind === "StatefulSet" ? spec.str("serviceName") : undefined;
  draft.workloads.push({ at: r.at, kind, name: meta.name, namespace: meta.namespace, replicas, template: podTemplate(tspec, labels), ...(meta.owner ? { owner: meta.owner } : {}), ...(serviceName ? { serviceName } : {}) });
}
