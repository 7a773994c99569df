// The faults that change the API's objects, applied to the built model: what the cluster's
// controllers would have done (endpoints marked not ready, a Deployment scaled to zero, a
// policy created). Faults in a node's kernel or kube-proxy's view are applied where those are
// compiled (src/compile/, the dataplane); here they are only checked against the cluster.

import type { ClusterModel, ClusterPod, EndpointSlice } from "../model/types.js";
import { CALICO_BLOCK_SIZE } from "../model/calico-ipam.js";
import { suffix } from "../model/random.js";
import { formatIPv4, parseCidr, parseIPv4 } from "../net/ipv4.js";
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
      case "stale-udp-conntrack": {
        const p = pod(f.pod);
        if (!p) return err(`no pod ${f.pod}`);
        const why = staleUdp(model, p);
        if (why) return err(why);
        return;
      }
    }
  });
}

/**
 * `stale-udp-conntrack`: `old` (a UDP backend) deleted and recreated by its controller. The new
 * pod keeps the node, labels and ports; its name's random suffix changes (deterministically)
 * and it gets the lowest free address of the node's pod range (host-local and Cilium: the
 * node's podCIDR from .2; Calico IPAM: the old address's /26 block, skipping the block's tunnel
 * address), never the old one (host-local hands out addresses after its last reservation, not
 * the one just released). The API's EndpointSlices, and so kube-proxy's rules, follow it; the
 * conntrack entries kube-proxy's DNAT made towards the old IP stay (it failed to delete them):
 * recorded in model.staleUdp, injected before each traced UDP exchange to one of the Services
 * (src/dataplane/forward.ts). Returns why the fault does not apply, or undefined.
 */
function staleUdp(model: ClusterModel, old: ClusterPod): string | undefined {
  if (old.hostNetwork) return `${old.namespace}/${old.name} is a hostNetwork pod: recreated, it keeps its node's IP`;
  if (model.settings.kubeProxy.mode === "ebpf") return "Cilium's kube-proxy replacement (kube-proxy mode ebpf) keeps its own service translation state, not kube-proxy's conntrack entries: not simulated";
  const oldIP = old.ip;
  // The UDP Service ports it backed, each with its backends as kube-proxy had them then.
  const services: NonNullable<ClusterModel["staleUdp"]>[number]["services"] = [];
  for (const svc of model.services) {
    if (!svc.clusterIP || svc.clusterIP === "None") continue; // headless: no DNAT, no entry
    const slices = model.endpointSlices.filter((s) => s.namespace === svc.namespace && s.service === svc.name);
    for (const sp of svc.ports) {
      if (sp.protocol !== "UDP") continue;
      const backends: Array<{ ip: string; targetPort: number }> = [];
      for (const s of slices) {
        const port = s.ports.find((x) => x.protocol === "UDP" && (x.name ?? "") === (sp.name ?? ""));
        if (!port) continue;
        for (const e of s.endpoints) for (const ip of e.addresses) if (e.conditions.ready || ip === oldIP) backends.push({ ip, targetPort: port.port });
      }
      if (backends.some((b) => b.ip === oldIP)) services.push({ service: `${svc.namespace}/${svc.name}`, clusterIP: svc.clusterIP, port: sp.port, backends });
    }
  }
  if (!services.length) return `${old.namespace}/${old.name} backs no UDP port of a Service with a ClusterIP: no conntrack entry of kube-proxy's points at it`;
  const nodeInfo = model.nodes.find((n) => n.name === old.node);
  if (!nodeInfo) return `${old.namespace}/${old.name} runs on no known node`;
  const used = new Set(model.pods.filter((x) => !x.hostNetwork).map((x) => parseIPv4(x.ip, "ip")));
  for (const n of model.nodes) {
    if (n.calico?.tunnelAddress) used.add(parseIPv4(n.calico.tunnelAddress, "ip"));
    if (n.cilium?.routerIP) used.add(parseIPv4(n.cilium.routerIP, "ip"));
  }
  const oldAddr = parseIPv4(oldIP, "ip");
  let first: number;
  let last: number;
  if (model.settings.cni.plugin === "calico") {
    const size = 2 ** (32 - CALICO_BLOCK_SIZE);
    first = oldAddr - (oldAddr % size);
    last = first + size - 1;
  } else {
    const cidr = parseCidr(nodeInfo.podCIDR, "podCIDR");
    first = cidr.address + 2;
    last = cidr.address + 2 ** (32 - cidr.prefixLength) - 2;
  }
  let ip = first;
  while (ip <= last && used.has(ip)) ip++;
  if (ip > last) return `no free address left for the new pod on node ${old.node} (${formatIPv4(first)} to ${formatIPv4(last)} all taken)`;
  // The controller's new pod: the old name with a new random suffix (`<replicaset>-<5 chars>`).
  const base = old.owner && old.name.includes("-") ? old.name.slice(0, old.name.lastIndexOf("-")) : old.name;
  let name = old.name;
  for (let attempt = 0; name === old.name || model.pods.some((x) => x.namespace === old.namespace && x.name === name); attempt++) name = `${base}-${suffix(`${old.namespace}/${old.name}/recreated/${attempt}`)}`;
  const fresh: ClusterPod = { ...old, name, ip: formatIPv4(ip), ready: true, terminating: false };
  model.pods = model.pods.map((x) => (x === old ? fresh : x));
  // The EndpointSlice controller swaps the endpoint (address and targetRef); kube-proxy syncs it.
  model.endpointSlices = model.endpointSlices.map((s) =>
    s.endpoints.some((e) => e.addresses.includes(oldIP))
      ? { ...s, endpoints: s.endpoints.map((e) => (e.addresses.includes(oldIP) ? { ...e, addresses: e.addresses.map((a) => (a === oldIP ? fresh.ip : a)), conditions: { ready: true, serving: true, terminating: false }, ...(e.targetRef ? { targetRef: { ...e.targetRef, name } } : {}) } : e)) }
      : s,
  );
  (model.staleUdp ??= []).push({ oldIP, oldPod: `${old.namespace}/${old.name}`, pod: `${fresh.namespace}/${fresh.name}`, node: old.node, services });
  return undefined;
}

function markSlices(slices: EndpointSlice[], hit: (ip: string) => boolean): EndpointSlice[] {
  return slices.map((s) => (s.endpoints.some((e) => e.addresses.some(hit)) ? { ...s, endpoints: s.endpoints.map((e) => (e.addresses.some(hit) ? { ...e, conditions: { ...NOT_READY } } : e)) } : s));
}

function dropEndpoints(slices: EndpointSlice[], hit: (ip: string) => boolean): EndpointSlice[] {
  return slices.map((s) => (s.endpoints.some((e) => e.addresses.some(hit)) ? { ...s, endpoints: s.endpoints.filter((e) => !e.addresses.some(hit)) } : s));
}

export type { Fault };
