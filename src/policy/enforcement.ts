// Whether a cluster's NetworkPolicy verdicts are what flows: the CNI's part (flannel enforces
// nothing) and the simulator's (Calico's and Cilium's enforcement is not in the dataplane yet).

import type { ClusterModel } from "../model/types.js";

export function enforcementNote(model: ClusterModel): string {
  if (model.settings.cni.plugin === "flannel") return "flannel does not enforce NetworkPolicy: the API accepts the policies and nothing applies them, so in this cluster every connection flows (Calico or Cilium would enforce them).";
  const cni = model.settings.cni.plugin === "calico" ? "Calico enforces NetworkPolicy (iptables chains on each pod's host-side veth)" : "Cilium enforces NetworkPolicy (eBPF at each pod's interface)";
  return `${cni}; that enforcement is not simulated in the dataplane yet, so traces and simulations still let every connection through.`;
}
