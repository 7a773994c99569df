// kube-proxy re-syncing during a simulation: endpoints leave their Services (a node failed, or
// churn), the rules are compiled again from the changed EndpointSlices and loaded into the
// dataplane while its connections stay, and what kube-proxy would write to the kernel for that
// sync is counted.
//
// The cost model, per sync, in rule lines (iptables-restore input, `nft -f` statements):
// - iptables with MinimizeIPTablesRestore (GA since Kubernetes 1.28, KEP-3453): the chains of
//   the Services that changed (KUBE-SVC-*, KUBE-SEP-*, …) and, every time, KUBE-SERVICES,
//   KUBE-EXTERNAL-SERVICES and KUBE-NODEPORTS in full; a full re-sync (at start, and at least
//   once per iptables syncPeriod) writes every rule.
// - nftables: one transaction with just the changes: the chains whose rules changed (flushed and
//   written again), chains added or deleted, and set and map elements added or removed.

import { K8sNetFlowError } from "../errors.js";
import { compileKubeProxy } from "../compile/kube-proxy.js";
import type { NfRule, Ruleset } from "../compile/iptables.js";
import { encodeRules } from "../dataplane/layout.js";
import type { Dataplane } from "../dataplane/dataplane.js";
import type { LoadedCluster } from "../dataplane/forward.js";
import type { ClusterModel, EndpointSlice } from "../model/types.js";

/** Chains iptables-mode kube-proxy writes in full on every sync, partial or not. */
const ALWAYS_WRITTEN = new Set(["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS"]);

export interface SyncCost {
  /** What this sync writes. */
  rulesWritten: number;
  /** What a full re-sync of the same state writes (iptables: every rule; nftables: every rule and element). */
  fullSync: number;
}

/** Rule texts by chain (table and name), in order. */
function chainTexts(rs: Ruleset): Map<string, string[]> {
  const byId = new Map<number, string>(rs.chains.map((c) => [c.id, `${c.table} ${c.name}`]));
  const out = new Map<string, string[]>();
  for (const c of rs.chains) out.set(`${c.table} ${c.name}`, []);
  for (const r of rs.rules as NfRule[]) out.get(byId.get(r.chain)!)?.push(r.text);
  return out;
}

/** Set and map elements as `nft` would print them: a verdict names its chain, whose index may differ between rulesets. */
function elementKeys(rs: Ruleset): Set<string> {
  const out = new Set<string>();
  for (const s of rs.sets) {
    for (const e of s.elements) {
      const verdict = e.verdict?.kind === "goto" ? `goto ${rs.chains[e.verdict.chain]!.name}` : (e.verdict?.kind ?? "");
      out.add(`${s.name} ${e.addr} ${e.proto} ${e.port} ${e.addr2 ?? ""} ${e.node ?? ""} ${verdict}`);
    }
  }
  return out;
}

/** What kube-proxy writes to the kernel to go from `before` to `after` (same backend). */
export function syncCost(before: Ruleset, after: Ruleset): SyncCost {
  const a = chainTexts(before);
  const b = chainTexts(after);
  let changed = 0;
  let always = 0;
  for (const [key, rules] of b) {
    const old = a.get(key);
    const same = old !== undefined && old.length === rules.length && old.every((t, i) => t === rules[i]);
    if (after.backend === "iptables" && ALWAYS_WRITTEN.has(key.slice(key.indexOf(" ") + 1))) always += rules.length;
    else if (!same) changed += rules.length + (old === undefined ? 1 : 0); // a new chain is declared too
  }
  let deleted = 0;
  for (const key of a.keys()) if (!b.has(key)) deleted++; // `-X chain` / `delete chain …`
  const total = after.rules.length;
  if (after.backend === "iptables") return { rulesWritten: changed + always + deleted, fullSync: total };
  const ea = elementKeys(before);
  const eb = elementKeys(after);
  let elements = 0;
  for (const k of eb) if (!ea.has(k)) elements++;
  for (const k of ea) if (!eb.has(k)) elements++;
  return { rulesWritten: changed + deleted + elements, fullSync: total + eb.size };
}

/** The model with the endpoints at `unready` addresses not ready (and not serving), as the EndpointSlice controller writes them. */
export function withUnready(model: ClusterModel, unready: ReadonlySet<string>): ClusterModel {
  if (!unready.size) return model;
  const endpointSlices: EndpointSlice[] = model.endpointSlices.map((s) =>
    s.endpoints.some((e) => e.addresses.some((ip) => unready.has(ip)))
      ? { ...s, endpoints: s.endpoints.map((e) => (e.addresses.some((ip) => unready.has(ip)) ? { ...e, conditions: { ready: false, serving: false, terminating: false } } : e)) }
      : s,
  );
  return { ...model, endpointSlices };
}

/** kube-proxy's modes whose re-syncs are simulated: IPVS's real servers and Cilium's maps keep per-connection state this does not carry over. */
export function assertResyncable(cluster: LoadedCluster, field: string): void {
  const mode = cluster.model.settings.kubeProxy.mode;
  if (mode !== "iptables" && mode !== "nftables") {
    throw new K8sNetFlowError("unsupported", `endpoint changes during a run are simulated in kube-proxy's iptables and nftables modes, not in ${mode} mode yet`, field);
  }
}

/**
 * Compiles the rules for the cluster with `unready` endpoints out of their Services, loads them
 * into the dataplane (connections stay) and returns them with the sync's cost.
 */
export function resync(dp: Dataplane, cluster: LoadedCluster, current: Ruleset, unready: ReadonlySet<string>): { rs: Ruleset; cost: SyncCost } {
  const rs = compileKubeProxy(withUnready(cluster.model, unready), cluster.extendRules);
  dp.reloadRules(encodeRules(rs));
  return { rs, cost: syncCost(current, rs) };
}
