// A NetworkPolicy verdict hop (component `policy`) in words: the verdict, whose direction, the
// policy and rule that allowed it or why it was denied, and the chain (or eBPF program) that
// enforced it on which node.

import { html, nothing } from "lit";
import type { Hop, HopPolicy, Trace } from "../../src/engine/types.js";

/** The policy and rule that allowed it (`shop/db-from-web, ingress rule 0`), else the reason. */
export function policyDetail(p: HopPolicy): string {
  return p.policy !== undefined && p.rule !== undefined ? `${p.policy}, ${p.direction} rule ${p.rule}` : p.reason;
}

/**
 * Where the verdict was enforced: Calico's endpoint chain on the host end of the pod's veth
 * (`cali-tw-<veth>` for what the pod receives, `cali-fw-<veth>` for what it sends), or the
 * pod's interface for Cilium's eBPF.
 */
export function enforcedAt(hop: Hop): string {
  const p = hop.policy!;
  if (p.enforcer === "calico") {
    const veth = p.direction === "ingress" ? hop.outIface : hop.inIface;
    const chain = veth?.startsWith("cali") ? `cali-${p.direction === "ingress" ? "tw" : "fw"}-${veth}` : hop.text.match(/\b(cali-[tf]w-\S+) chain/)?.[1];
    if (chain) return `${hop.node}'s ${chain} chain`;
  }
  return `${p.pod}'s interface on ${hop.node}`;
}

/** Where and why a request denied by a NetworkPolicy stopped, when that is how its trace ended. */
export function policyStop(trace: Trace): string | undefined {
  if (trace.verdict !== "dropped") return undefined;
  const last = trace.hops.at(-1);
  if (last?.component !== "policy" || last.policy?.verdict !== "deny") return undefined;
  const p = last.policy;
  return `Denied by NetworkPolicy${p.policy ? ` ${p.policy}` : ""} at ${enforcedAt(last)} (hop ${trace.hops.length}, ${p.direction} of ${p.pod}): ${p.reason}.`;
}

/** The verdict line of a policy hop in the hop list: a word mark (not colour alone) and the detail. */
export function renderPolicyVerdict(hop: Hop) {
  const p = hop.policy;
  if (hop.component !== "policy" || !p) return nothing;
  return html`<div part="policy-verdict" class="verdict ${p.verdict}">
    <span class="mark"><span aria-hidden="true">${p.verdict === "allow" ? "✓" : "✗"}</span> policy ${p.verdict}</span>
    ${p.direction} of ${p.pod} · ${policyDetail(p)} · at ${enforcedAt(hop)}
  </div>`;
}
