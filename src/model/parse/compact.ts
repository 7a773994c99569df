// The compact format for docs authors: a cluster in a few lines (see README "Input formats").
// Unknown fields are errors here: this format is ours, so a typo is never a valid field.

import { readNetworkPolicy } from "../../policy/read.js";
import { emptyDraft, type Draft, type PodTemplate } from "../draft.js";
import type { Origin, Problems } from "../problems.js";
import type { DnsPolicy, ServiceType } from "../types.js";
import { containerPort, servicePort } from "./ports.js";
import { Reader } from "./reader.js";

const DNS_POLICIES: readonly DnsPolicy[] = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const SERVICE_TYPES: readonly ServiceType[] = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

export function isCompact(value: Record<string, unknown>): boolean {
  return !("kind" in value) && !("apiVersion" in value) && ("nodes" in value || "pods" in value || "services" in value || "deployments" in value || "namespaces" in value);
}

export function parseCompact(value: unknown, root: Origin, problems: Problems, draft: Draft = emptyDraft()): Draft {
  const r = Reader.of(value, root, [], problems, { read: ["name", "settings", "namespaces", "nodes", "pods", "deployments", "services", "networkPolicies"], unknown: "error" });
  if (!r) return draft;
  const at = (sub: (string | number)[]): Origin => ({ path: [...root.path, ...sub], ...(root.doc !== undefined ? { doc: root.doc, docPath: [...(root.docPath ?? []), ...sub] } : {}) });
  const name = r.str("name");
  if (name !== undefined) draft.name = name;
  if (r.has("settings")) draft.settings = { value: r.obj.settings as Record<string, unknown>, at: at(["settings"]) };

  r.list("namespaces").forEach(({ value }, i) => {
    const origin = at(["namespaces", i]);
    if (typeof value === "string") {
      draft.namespaces.push({ at: origin, name: value, labels: {} });
      return;
    }
    const n = Reader.of(value, origin, [], problems, { read: ["name", "labels"], unknown: "error" });
    const nsName = n?.str("name", true);
    if (n && nsName !== undefined) draft.namespaces.push({ at: origin, name: nsName, labels: n.labels("labels") ?? {} });
  });

  r.list("nodes").forEach(({ value }, i) => {
    const origin = at(["nodes", i]);
    const n = Reader.of(value, origin, [], problems, { read: ["name", "ip", "podCIDR", "labels"], unknown: "error" });
    if (!n) return;
    const nodeName = n.str("name", true);
    const ip = n.str("ip");
    const podCIDR = n.str("podCIDR");
    if (nodeName === undefined) return;
    draft.nodes.push({
      at: origin,
      name: nodeName,
      ...(ip !== undefined ? { internalIP: { value: ip, sub: ["ip"] } } : {}),
      ...(podCIDR !== undefined ? { podCIDR: { value: podCIDR, sub: ["podCIDR"] } } : {}),
      labels: n.labels("labels") ?? {},
    });
  });

  const template = (p: Reader): PodTemplate => {
    const node = p.str("node");
    const dnsPolicy = p.oneOf("dnsPolicy", DNS_POLICIES);
    return {
      labels: p.labels("labels") ?? {},
      ports: p.list("ports").flatMap(({ value, sub }) => containerPort(p, value, sub, "main", false) ?? []),
      portsSub: ["ports"],
      hostNetwork: p.bool("hostNetwork") ?? false,
      ...(dnsPolicy ? { dnsPolicy } : {}),
      ...(node !== undefined ? { node: { value: node, sub: ["node"] } } : {}),
    };
  };

  r.list("pods").forEach(({ value }, i) => {
    const origin = at(["pods", i]);
    const p = Reader.of(value, origin, [], problems, { read: ["name", "namespace", "node", "ip", "labels", "ports", "ready", "terminating", "hostNetwork", "dnsPolicy", "libc"], unknown: "error" });
    if (!p) return;
    const podName = p.str("name", true);
    const ip = p.str("ip");
    const libc = p.oneOf("libc", ["glibc", "musl"] as const);
    const t = template(p);
    if (podName === undefined) return;
    draft.pods.push({
      at: origin,
      name: podName,
      namespace: p.str("namespace") ?? "default",
      ...t,
      ...(ip !== undefined ? { ip: { value: ip, sub: ["ip"] } } : {}),
      ready: p.bool("ready") ?? true,
      terminating: p.bool("terminating") ?? false,
      ...(libc ? { libc } : {}),
    });
  });

  r.list("deployments").forEach(({ value }, i) => {
    const origin = at(["deployments", i]);
    const d = Reader.of(value, origin, [], problems, { read: ["name", "namespace", "replicas", "labels", "ports", "node"], unknown: "error" });
    if (!d) return;
    const depName = d.str("name", true);
    const replicas = d.int("replicas", 0, 5000) ?? 1;
    if (!d.has("labels")) d.error("labels", `"labels" is required: they are what a Service's selector matches`, "required");
    const t = template(d);
    if (depName === undefined) return;
    draft.workloads.push({ at: origin, kind: "Deployment", name: depName, namespace: d.str("namespace") ?? "default", replicas, template: t });
  });

  r.list("services").forEach(({ value }, i) => {
    const origin = at(["services", i]);
    const s = Reader.of(value, origin, [], problems, { read: ["name", "namespace", "type", "clusterIP", "selector", "ports", "sessionAffinity", "internalTrafficPolicy", "externalName"], unknown: "error" });
    if (!s) return;
    const svcName = s.str("name", true);
    const clusterIP = s.str("clusterIP");
    const externalName = s.str("externalName");
    const type = s.oneOf("type", SERVICE_TYPES) ?? (externalName !== undefined ? "ExternalName" : "ClusterIP");
    const selector = s.labels("selector");
    const ports = s.list("ports").flatMap(({ value: v, sub }) => servicePort(s, v, sub, false) ?? []);
    if (svcName === undefined) return;
    draft.services.push({
      at: origin,
      name: svcName,
      namespace: s.str("namespace") ?? "default",
      type,
      ...(clusterIP !== undefined ? { clusterIP: { value: clusterIP, sub: ["clusterIP"] } } : {}),
      ports,
      ...(selector ? { selector } : {}),
      sessionAffinity: s.oneOf("sessionAffinity", ["None", "ClientIP"] as const) ?? "None",
      internalTrafficPolicy: s.oneOf("internalTrafficPolicy", ["Cluster", "Local"] as const) ?? "Cluster",
      ...(type === "NodePort" || type === "LoadBalancer" ? { externalTrafficPolicy: "Cluster" as const } : {}),
      ...(externalName !== undefined ? { externalName } : {}),
      publishNotReadyAddresses: false,
    });
  });
  // NetworkPolicies: `{ name, namespace?, spec }`, the spec as Kubernetes writes it.
  r.list("networkPolicies").forEach(({ value }, i) => {
    const origin = at(["networkPolicies", i]);
    const p = Reader.of(value, origin, [], problems, { read: ["name", "namespace", "spec"], unknown: "error" });
    if (!p) return;
    const policyName = p.str("name", true);
    if (policyName === undefined) return;
    const object = { metadata: { name: policyName, namespace: p.str("namespace") ?? "default" }, spec: p.obj.spec ?? {} };
    const read = Reader.of(object, origin, [], problems);
    const policy = read && readNetworkPolicy(read);
    if (policy) draft.networkPolicies.push({ at: origin, policy });
  });
  return draft;
}
