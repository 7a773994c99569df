// The faults that change the API's objects, applied to the built model: what the cluster's
// controllers would have done (endpoints marked not ready, a Deployment scaled to zero, a
// policy created). Faults in a node's kernel or kube-proxy's view are applied where those are
// compiled (src/compile/, the dataplane); here they are only checked against the cluster.

import type { ClusterModel, EndpointSlice } from "../model/types.js";
import type { Problems } from "../model/problems.js";
import type { NetworkPolicy } from "../policy/types.js";
import { faultText, type Fault } from "./faults.js";

const NOT_READY = { ready: false, serving: false, terminating: false };

/** Applies `model.settings.faults` to the model in place; problems name `settings.faults[i]`. */
export function applyFaults(model: ClusterModel, problems: Problems): void {
  model.settings.faults.forEach((f, i) => {
    const err = (message: string) => problems.error("not-found", { path: ["settings"] }, ["faults", i], `${faultText(f)}: ${message}`);
    const pod = (key: string) => model.pods.find((p) => `${p.namespace}/${p.name}` === key);
    const node = (name: string) => model.nodes.some((n) => n.name === name);
    switch (f.kind) {
      case "pod-not-ready": {
        const p = pod(f.pod);
        if (!p) return err(`no pod ${f.pod}`);
        p.ready = false;
        model.endpointSlices = markSlices(model.endpointSlices, (ip) => ip === p.ip);
        return;
      }
      case "selector-mismatch": {
        const svc = model.services.find((s) => `${s.namespace}/${s.name}` === f.service);
        if (!svc) return err(`no Service ${f.service}`);
        const key = svc.selector ? Object.keys(svc.selector).sort()[0] : undefined;
        if (!svc.selector || key === undefined) return err(`Service ${f.service} has no selector to get wrong`);
        // One label value mistyped: the EndpointSlice controller finds no pod, the slices empty out.
        svc.selector = { ...svc.selector, [key]: `${svc.selector[key]}-typo` };
        model.endpointSlices = model.endpointSlices.map((s) => (s.namespace === svc.namespace && s.service === svc.name ? { ...s, endpoints: [] } : s));
        return;
      }
      case "coredns-down": {
        const gone = new Set(model.pods.filter((p) => p.namespace === "kube-system" && p.labels["k8s-app"] === "kube-dns").map((p) => p.ip));
        model.pods = model.pods.filter((p) => !(p.namespace === "kube-system" && p.labels["k8s-app"] === "kube-dns"));
        model.endpointSlices = dropEndpoints(model.endpointSlices, (ip) => gone.has(ip));
        return;
      }
      case "mtu-mismatch":
        // The pods' interfaces get the NIC's 1500 while the overlay takes its header out of it.
        model.settings.cni = { ...model.settings.cni, mtu: 1500 };
        return;
      case "missing-route":
        if (!node(f.node)) return err(`no node ${f.node}`);
        if (!node(f.peer)) return err(`no node ${f.peer}`);
        return;
      case "kube-proxy-stale": {
        const p = pod(f.pod);
        if (!p) return err(`no pod ${f.pod}`);
        // kube-proxy keeps what it synced before it stopped; the API (and everyone else) moved on.
        model.kubeProxySlices ??= model.endpointSlices;
        model.pods = model.pods.filter((x) => x !== p);
        model.endpointSlices = dropEndpoints(model.endpointSlices, (ip) => ip === p.ip);
        return;
      }
      case "default-deny": {
        if (!model.namespaces.some((n) => n.name === f.namespace)) return err(`no namespace ${f.namespace}`);
        const types: NetworkPolicy["policyTypes"] = f.direction === "all" ? ["Ingress", "Egress"] : f.direction === "egress" ? ["Egress"] : ["Ingress"];
        const name = `default-deny-${f.direction}`;
        if (model.networkPolicies.some((p) => p.namespace === f.namespace && p.name === name)) return err(`the namespace already has a NetworkPolicy ${name}`);
        model.networkPolicies.push({ namespace: f.namespace, name, podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: types, policyTypesExplicit: true, ingress: [], egress: [] });
        return;
      }
      case "br-netfilter-off":
        return;
      case "flanneld-stopped":
        // Applied where flanneld's entries are compiled (src/compile/routes.ts, network.ts).
        if (!node(f.node)) return err(`no node ${f.node}`);
        return;
    }
  });
}

function markSlices(slices: EndpointSlice[], hit: (ip: string) => boolean): EndpointSlice[] {
  return slices.map((s) => (s.endpoints.some((e) => e.addresses.some(hit)) ? { ...s, endpoints: s.endpoints.map((e) => (e.addresses.some(hit) ? { ...e, conditions: { ...NOT_READY } } : e)) } : s));
}

function dropEndpoints(slices: EndpointSlice[], hit: (ip: string) => boolean): EndpointSlice[] {
  return slices.map((s) => (s.endpoints.some((e) => e.addresses.some(hit)) ? { ...s, endpoints: s.endpoints.filter((e) => !e.addresses.some(hit)) } : s));
}

export type { Fault };
