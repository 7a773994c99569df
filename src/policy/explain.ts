// A verdict as text for people (what `k8s-net-flow policy explain` prints): the connection
// and its outcome, then each side with the policies isolating it and the rules deciding it.

import type { NetworkPolicy } from "./types.js";
import { endpointLabel, type PolicyVerdict, type RuleMatch, type SideVerdict } from "./evaluate.js";

const OUTCOME: Record<SideVerdict["reason"], string> = {
  "allowed-by-rule": "allowed by rule",
  "not-isolated": "allowed: not isolated",
  "no-rule-matched": "DENIED: no rule matched",
  "isolated-by-default": "DENIED: isolated by default",
  "not-a-pod": "not a pod: no policy of its own",
  "host-network": "host-network pod: policies do not apply",
  "same-pod": "allowed: a pod to itself",
  "own-node": "allowed: a pod and its own node",
};

function rule(m: RuleMatch, direction: SideVerdict["direction"]): string {
  const list = direction === "Ingress" ? "from" : "to";
  const peer = m.peer === null ? `any ${list === "from" ? "source" : "destination"}` : `${list}[${m.peer}]`;
  const port = m.port === null ? "any port" : `ports[${m.port}]`;
  return `${m.policy} ${direction.toLowerCase()}[${m.rule}] (${peer}, ${port})`;
}

/**
 * Lines like
 *
 *     default/web → default/db TCP/6000: DENIED
 *       egress  default/web: allowed: not isolated
 *       ingress default/db: DENIED: no rule matched
 *         isolated by default/deny-all, default/db
 *
 * Replies of an allowed connection need no verdict of their own (connection tracking).
 */
export function renderVerdict(v: PolicyVerdict): string {
  const out = [`${endpointLabel(v.from)} → ${endpointLabel(v.to)} ${v.protocol}/${v.port}: ${v.allowed ? "allowed" : "DENIED"}`];
  for (const s of [v.egress, v.ingress]) {
    const who = s.direction === "Egress" ? endpointLabel(v.from) : endpointLabel(v.to);
    out.push(`  ${s.direction === "Egress" ? "egress " : "ingress"} ${who}: ${OUTCOME[s.reason]}`);
    if (s.isolatedBy.length) out.push(`    isolated by ${s.isolatedBy.join(", ")}`);
    for (const m of s.allowedBy) out.push(`    allowed by ${rule(m, s.direction)}`);
  }
  return `${out.join("\n")}\n`;
}

/** `kubectl describe`-like one-line summary of a policy's effect, for lists and legends. */
export function describePolicy(p: NetworkPolicy): string {
  const sel = Object.entries(p.podSelector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of p.podSelector.matchExpressions) sel.push(e.values.length ? `${e.key} ${e.operator} (${e.values.join(",")})` : `${e.operator === "Exists" ? "" : "!"}${e.key}`);
  const pods = sel.length ? `pods ${sel.join(", ")}` : "every pod";
  const dirs = p.policyTypes.map((t) => {
    const rules = t === "Ingress" ? p.ingress : p.egress;
    return `${t.toLowerCase()}: ${rules.length === 0 ? "deny all" : `${rules.length} rule${rules.length === 1 ? "" : "s"}`}`;
  });
  return `${p.namespace}/${p.name}: ${pods} of ${p.namespace}; ${dirs.join("; ")}`;
}
