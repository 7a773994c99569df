// kube-proxy's rules for the cluster's mode: the same Ruleset shape either way, so one
// netfilter walker in the dataplane runs all three (nftables adds maps, sets, goto and numgen; IPVS
// mode ipset matches, and a table of virtual servers the dataplane's IPVS step looks up).

import type { ClusterModel } from "../model/types.js";
import { compileIptables, type Ruleset } from "./iptables.js";
import { compileIpvs } from "./ipvs.js";
import { compileNftables } from "./nftables.js";
import { compileCiliumLb, ciliumMode } from "./cilium.js";
import { iptablesRuleText, RulesetBuilder } from "./ruleset-builder.js";

/**
 * `extend` adds the rules of others to the same iptables tables (Calico's policy chains, in
 * iptables and IPVS modes; nftables mode keeps kube-proxy's rules in a table of its own).
 */
export function compileKubeProxy(current: ClusterModel, extend?: (b: RulesetBuilder) => void): Ruleset {
  // kube-proxy writes what it last synced (a stopped kube-proxy's view is older than the API's).
  const model = current.kubeProxySlices ? { ...current, endpointSlices: current.kubeProxySlices } : current;
  const mode = model.settings.kubeProxy.mode;
  // Cilium's kube-proxy replacement: no kube-proxy, so no rules of its; Cilium's socket LB instead.
  if (mode === "ebpf") return { ...emptyRuleset(), cilium: compileCiliumLb(model, true) };
  const rs = mode === "nftables" ? compileNftables(model) : mode === "ipvs" ? compileIpvs(model, extend) : compileIptables(model, extend);
  // With Cilium but kube-proxy still running, bpf_lxc translates pod traffic to ClusterIPs itself.
  return ciliumMode(model) ? { ...rs, cilium: compileCiliumLb(model, false) } : rs;
}

/**
 * No kube-proxy: the kernel's built-in iptables chains, empty, policy ACCEPT. (Cilium's own
 * iptables chains, CILIUM_*, are not simulated: they accept what Cilium forwards and
 * masquerade what leaves the cluster, which no simulated flow does.)
 */
function emptyRuleset(): Ruleset {
  const b = new RulesetBuilder(iptablesRuleText);
  const natPrerouting = b.chain("nat", "PREROUTING", true);
  b.chain("nat", "INPUT", true);
  const natOutput = b.chain("nat", "OUTPUT", true);
  const natPostrouting = b.chain("nat", "POSTROUTING", true);
  const filterInput = b.chain("filter", "INPUT", true);
  const filterForward = b.chain("filter", "FORWARD", true);
  const filterOutput = b.chain("filter", "OUTPUT", true);
  const { chains, rules } = b.numbered();
  return { backend: "iptables", chains, rules, hooks: { natPrerouting, natOutput, natPostrouting, filterInput, filterForward, filterOutput }, recentLists: [], sets: [] };
}
