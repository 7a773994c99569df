// Workload controllers expanded into the pods they would create, named as the controllers
// name them: Deployment → ReplicaSet `<name>-<template hash>` → pods `<rs>-<5 chars>`;
// StatefulSet `<name>-0..n-1`; DaemonSet one `<name>-<5 chars>` per eligible node.

import type { Draft, DraftPod, DraftWorkload } from "./draft.js";
import { selectorMatches } from "./names.js";
import { PodKeys } from "./pod-keys.js";
import { FNV1A_OFFSET, fnv1aMore, suffixOfHash, templateHash } from "./random.js";

export function expandWorkloads(draft: Draft, nodes: Array<{ name: string; labels: Record<string, string> }>): DraftPod[] {
  // A workload whose pods are in the input already (a kubectl dump) is not expanded again.
  const owners = new Set(draft.pods.flatMap((p) => (p.owner ? [`${p.namespace}/${p.owner.kind}/${p.owner.name}`] : [])));
  const ownedRS = new Map(draft.workloads.filter((w) => w.kind === "ReplicaSet" && w.owner?.kind === "Deployment").map((w) => [`${w.namespace}/${w.owner!.name}`, w]));
  const deployments = new Set(draft.workloads.filter((w) => w.kind === "Deployment").map((w) => `${w.namespace}/${w.name}`));
  const taken = new PodKeys(draft.pods.length + draft.workloads.reduce((n, w) => n + (w.kind === "DaemonSet" ? nodes.length : w.replicas), 0));
  for (const p of draft.pods) taken.add(p.namespace, "", p.name);
  const out: DraftPod[] = [];
  for (const w of draft.workloads) {
    const key = `${w.namespace}/${w.kind}/${w.name}`;
    if (owners.has(key)) continue;
    if (w.kind === "ReplicaSet" && w.owner?.kind === "Deployment" && deployments.has(`${w.namespace}/${w.owner.name}`)) {
      // Its Deployment is in the input: expand through the Deployment unless the RS has pods.
      continue;
    }
    if (w.kind === "Deployment") {
      const rs = ownedRS.get(`${w.namespace}/${w.name}`);
      if (rs && owners.has(`${w.namespace}/ReplicaSet/${rs.name}`)) continue;
    }
    out.push(...podsOf(w, nodes, taken));
  }
  return out;
}

function podsOf(w: DraftWorkload, nodes: Array<{ name: string; labels: Record<string, string> }>, taken: PodKeys): DraftPod[] {
  // Replicas share their template's objects (labels, ports): the model is never mutated, and
  // 150,000 pods must not mean 150,000 copies of each.
  const t = w.template;
  // `head + tail`: the pod's name, when the caller has it in these two parts, hashed as `hash`.
  const pod = (name: string, labels: Record<string, string>, owner: { kind: string; name: string }, node?: string, head = name, tail = "", hash?: [number, number]): DraftPod => {
    taken.add(w.namespace, head, tail, hash?.[0], hash?.[1]);
    const p: DraftPod = { at: w.at, name, namespace: w.namespace, labels, ports: t.ports, portsSub: t.portsSub, hostNetwork: t.hostNetwork, ready: true, terminating: false, owner };
    if (t.dnsPolicy) p.dnsPolicy = t.dnsPolicy;
    if (t.dnsConfig) p.dnsConfig = t.dnsConfig;
    if (t.nodeSelector) p.nodeSelector = t.nodeSelector;
    if (t.hostname) p.hostname = t.hostname;
    if (t.subdomain) p.subdomain = t.subdomain;
    if (node !== undefined) p.node = { value: node, sub: ["spec", "template", "spec", "nodeName"] };
    else if (t.node) p.node = t.node;
    return p;
  };
  // A pod named `<base>-<suffix(seed + "/" + attempt)>` that no pod of the namespace has yet,
  // the seed being `<seedBase>/<item>`; hashed in parts, and its name built once.
  let keyStart: [number, number] = [0, 0];
  let keyBase: string | undefined;
  let head = "";
  const uniquePod = (base: string, seedBase: string, item: string, labels: Record<string, string>, owner: { kind: string; name: string }, node?: string): DraftPod => {
    const h = fnv1aMore(fnv1aMore(fnv1aMore(FNV1A_OFFSET, seedBase), "/"), item);
    if (keyBase !== base) {
      keyBase = base;
      head = `${base}-`;
      keyStart = PodKeys.start(w.namespace, head);
    }
    for (let attempt = 0; ; attempt++) {
      const end = suffixOfHash(fnv1aMore(fnv1aMore(h, "/"), String(attempt)) >>> 0);
      const hash = PodKeys.finish(keyStart, end);
      if (!taken.has(w.namespace, head, end, hash[0], hash[1])) return pod(head + end, labels, owner, node, head, end, hash);
    }
  };
  switch (w.kind) {
    case "Deployment": {
      const hash = templateHash({ labels: t.labels, ports: t.ports, hostNetwork: t.hostNetwork });
      const rs = `${w.name}-${hash}`;
      const labels = { ...t.labels, "pod-template-hash": hash };
      const owner = { kind: "ReplicaSet", name: rs };
      const seed = `${w.namespace}/${rs}`;
      return Array.from({ length: w.replicas }, (_, i) => uniquePod(rs, seed, String(i), labels, owner));
    }
    case "ReplicaSet": {
      const owner = { kind: "ReplicaSet", name: w.name };
      const seed = `${w.namespace}/${w.name}`;
      return Array.from({ length: w.replicas }, (_, i) => uniquePod(w.name, seed, String(i), t.labels, owner));
    }
    case "StatefulSet":
      return Array.from({ length: w.replicas }, (_, i) => {
        const name = `${w.name}-${i}`;
        // The StatefulSet controller sets each pod's hostname to its name and its subdomain to serviceName.
        const p = pod(name, { ...t.labels, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(i) }, { kind: "StatefulSet", name: w.name });
        p.hostname = name;
        if (w.serviceName) p.subdomain = w.serviceName;
        return p;
      });
    case "DaemonSet":
      return nodes
        .filter((n) => !w.template.nodeSelector || selectorMatches(w.template.nodeSelector, n.labels))
        .map((n) => uniquePod(w.name, `${w.namespace}/${w.name}`, n.name, t.labels, { kind: "DaemonSet", name: w.name }, n.name));
  }
}
