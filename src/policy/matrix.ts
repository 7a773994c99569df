// The pod × pod (× port) truth table of a cluster's NetworkPolicies, computed with the
// reference evaluator, and its text form in the style of Cyclonus (one grid per probed port,
// rows = from, columns = to, `.` allowed, `X` denied).

import type { ClusterModel, Protocol } from "../model/types.js";
import { PolicyEvaluator, podKey, type EvaluatorOptions, type PolicyVerdict } from "./evaluate.js";
import type { NetworkPolicy } from "./types.js";

/** A destination port to try between every pair of pods. */
export interface Probe {
  protocol: Protocol;
  port: number;
}

export interface MatrixOptions {
  /** The pods of the table (`namespace/name`), in this order. Default: every pod, sorted. */
  pods?: readonly string[];
  /**
   * The ports tried. Default: every distinct container port the table's pods declare,
   * sorted by protocol then number; TCP/80 when they declare none.
   */
  probes?: readonly Probe[];
}

/** JSON-safe: what `policy matrix --json` prints. */
export interface PolicyMatrix {
  /** Rows and columns, `namespace/name`. */
  pods: string[];
  probes: Probe[];
  /** allowed[probe][from][to]. */
  allowed: boolean[][][];
  /** Cells allowed and denied over all probes. */
  counts: { allowed: number; denied: number };
}

const PROTOCOL_ORDER: Record<Protocol, number> = { TCP: 0, UDP: 1, SCTP: 2 };

export function defaultProbes(cluster: ClusterModel, pods: readonly string[]): Probe[] {
  const wanted = new Set(pods);
  const seen = new Map<string, Probe>();
  for (const pod of cluster.pods) {
    if (!wanted.has(podKey(pod))) continue;
    for (const p of pod.ports) seen.set(`${p.protocol}/${p.containerPort}`, { protocol: p.protocol, port: p.containerPort });
  }
  const probes = [...seen.values()].sort((a, b) => PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] || a.port - b.port);
  return probes.length ? probes : [{ protocol: "TCP", port: 80 }];
}

/**
 * The truth table: for every probe, every ordered pair of pods. `evaluator` may be passed to
 * reuse one (and `verdict` to see each cell's full explanation).
 */
export function policyMatrix(cluster: ClusterModel, policies: readonly NetworkPolicy[], options: MatrixOptions = {}, verdict?: (v: PolicyVerdict, probe: number) => void, semantics: EvaluatorOptions = {}): PolicyMatrix {
  const evaluator = new PolicyEvaluator(cluster, policies, semantics);
  const pods = options.pods ? [...options.pods] : cluster.pods.map(podKey).sort();
  const resolved = pods.map((p) => evaluator.pod(p));
  const probes = options.probes ? [...options.probes] : defaultProbes(cluster, pods);
  let allowedCount = 0;
  const allowed = probes.map((probe, pi) =>
    resolved.map((from) =>
      resolved.map((to) => {
        const v = evaluator.evaluate({ from: { pod: from }, to: { pod: to }, protocol: probe.protocol, port: probe.port });
        verdict?.(v, pi);
        if (v.allowed) allowedCount++;
        return v.allowed;
      }),
    ),
  );
  const cells = probes.length * pods.length * pods.length;
  return { pods, probes, allowed, counts: { allowed: allowedCount, denied: cells - allowedCount } };
}

/** One probe's grid as rows of `.` / `X`, one character per destination: handy in tests. */
export function matrixRows(m: PolicyMatrix, probe = 0): string[] {
  return (m.allowed[probe] ?? []).map((row) => row.map((a) => (a ? "." : "X")).join(""));
}

/**
 * Text like Cyclonus's: a bordered grid per probe, headed by the probe (`TCP/80`), rows
 * labelled with the source pod, columns with the destination, then a legend and the totals.
 */
export function renderMatrix(m: PolicyMatrix): string {
  const out: string[] = [];
  m.probes.forEach((probe, pi) => {
    const head = [`${probe.protocol}/${probe.port}`, ...m.pods];
    const rows = m.pods.map((from, fi) => [from, ...m.pods.map((_, ti) => (m.allowed[pi]![fi]![ti] ? "." : "X"))]);
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
    const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
    out.push(line, fmt(head), line, ...rows.map(fmt), line, "");
  });
  out.push("rows: from, columns: to; . allowed, X denied");
  out.push(`${m.counts.allowed} allowed, ${m.counts.denied} denied (${m.pods.length} pods × ${m.pods.length} pods × ${m.probes.length} port${m.probes.length === 1 ? "" : "s"})`);
  return `${out.join("\n")}\n`;
}
