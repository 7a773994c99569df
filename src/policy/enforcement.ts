// Who enforces a cluster's NetworkPolicies, and how the simulator applies it: flannel enforces
// nothing; Calico's Felix writes iptables filter chains (src/compile/calico-policy.ts), walked by
// the dataplane like kube-proxy's; Cilium fills each endpoint's policy map
// (src/compile/cilium-policy.ts), which its eBPF programs look up (assembly/policy.ts).

import { addCalicoPolicy } from "../compile/calico-policy.js";
import { calicoVethName } from "../compile/interfaces.js";
import { compileCiliumPolicy, type CiliumPolicyTable } from "../compile/cilium-policy.js";
import { lxcName, podIdentities } from "../compile/cilium.js";
import type { CompiledNetwork } from "../compile/network.js";
import type { RulesetBuilder } from "../compile/ruleset-builder.js";
import type { ClusterModel } from "../model/types.js";
import type { EvaluatorOptions } from "./evaluate.js";

export type Enforcer = "calico" | "cilium";

/** How this cluster's policies are read where the spec leaves room: Cilium's way under Cilium. */
export function semanticsOf(model: ClusterModel): EvaluatorOptions {
  const enforcer = enforcerOf(model);
  return { semantics: enforcer ?? "kubernetes" };
}

/** The CNI that enforces policies in this cluster's simulated dataplane, if any does. */
export function enforcerOf(model: ClusterModel): Enforcer | undefined {
  const { plugin } = model.settings.cni;
  // Felix's extra chains for kube-proxy's IPVS mode (where a local backend is reached through
  // INPUT/OUTPUT, not FORWARD) and the nftables mode's separate table are not simulated.
  if (plugin === "calico" && model.settings.kubeProxy.mode === "iptables") return "calico";
  if (plugin === "cilium") return "cilium";
  return undefined;
}

export function enforcementNote(model: ClusterModel): string {
  const plugin = model.settings.cni.plugin;
  if (plugin === "flannel") return "flannel does not enforce NetworkPolicy: the API accepts the policies and nothing applies them, so in this cluster every connection flows (Calico or Cilium would enforce them).";
  if (enforcerOf(model) === "calico") return "Calico enforces NetworkPolicy: Felix's iptables chains on each node (cali-fw-<veth> for what a pod sends, cali-tw-<veth> for what it receives) accept or drop each new connection; replies pass as established.";
  if (plugin === "calico") return `Calico enforces NetworkPolicy in iptables chains, but with kube-proxy in ${model.settings.kubeProxy.mode} mode that combination is not simulated yet (Felix adds chains of its own for it): traces and simulations let every connection through.`;
  return "Cilium enforces NetworkPolicy: bpf_lxc looks each new connection up in the policy map of the sending pod (egress) and of the receiving pod (ingress), by the peer's security identity; ipBlock rules match only addresses outside the cluster, and replies pass by Cilium's conntrack.";
}

/** Cilium's policy maps for the cluster (undefined without Cilium or without policies). */
export function ciliumPolicy(model: ClusterModel, net: CompiledNetwork): CiliumPolicyTable | undefined {
  if (enforcerOf(model) !== "cilium" || model.networkPolicies.length === 0) return undefined;
  const lxcs = new Map<string, number>();
  for (const f of net.ifaces) if (f.bpf === "lxc") lxcs.set(f.name, f.id);
  return compileCiliumPolicy(model, podIdentities(model), (pod) => lxcs.get(lxcName(pod.namespace, pod.name))!);
}

/**
 * The CNI's policy rules to add to the cluster's iptables tables (Calico's), or undefined. Needs
 * the compiled network for the pods' veths; the function it returns does not keep using it, so
 * a re-sync can call it after the network has left the heap.
 */
export function policyRules(model: ClusterModel, net: CompiledNetwork): ((b: RulesetBuilder) => void) | undefined {
  if (enforcerOf(model) !== "calico" || model.networkPolicies.length === 0) return undefined;
  // Calico's host veth names are unique in the cluster (cali + a hash of namespace.pod).
  const byName = new Map<string, number>();
  for (const f of net.ifaces) if (f.kind === "veth" && net.netns[f.netns]!.kind === "host") byName.set(f.name, f.id);
  const veths = new Map<string, { id: number; name: string }>();
  for (const p of model.pods) {
    if (p.hostNetwork) continue;
    const name = calicoVethName(p.namespace, p.name);
    veths.set(`${p.namespace}/${p.name}`, { id: byName.get(name)!, name });
  }
  return (b) => addCalicoPolicy(b, { model, vethOf: (pod) => veths.get(`${pod.namespace}/${pod.name}`)! });
}
