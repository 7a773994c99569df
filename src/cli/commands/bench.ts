// `k8s-net-flow bench compare A.json B.json`: two `npm run bench` results side by side — the
// ratio B/A of every measurement both have, regressions beyond a threshold, and counters that
// differ for the same seeds (a change of behaviour, not of speed).

import { readFile } from "node:fs/promises";
import { K8sNetFlowError } from "../../errors.js";
import { COMMON_OPTIONS, parse, UsageError, type Command } from "../args.js";
import { table } from "../table.js";

/** One timed measurement of a results file (bench/run.mjs writes them). */
export interface BenchMeasurement {
  id: string;
  unit: string;
  median: number;
  /** Which way is faster: "higher" (per second) or "lower" (ms, ns per lookup). */
  better: "higher" | "lower";
  repeats?: number;
}

export interface BenchFile {
  meta?: { seeds?: unknown; [key: string]: unknown };
  measurements: BenchMeasurement[];
  /** Per measurement (or group), what the simulation counted: the same for the same seeds. */
  counters?: Record<string, { hash: string; [key: string]: unknown }>;
}

export interface BenchComparison {
  threshold: number;
  rows: Array<{ id: string; unit: string; better: "higher" | "lower"; a: number; b: number; ratio: number; verdict: "regression" | "improvement" | "same" }>;
  counters: Array<{ id: string; a: string; b: string; same: boolean }>;
  /** Counters are only compared when both runs used the same seeds. */
  sameSeeds: boolean;
  onlyInA: string[];
  onlyInB: string[];
  regressions: number;
  counterMismatches: number;
}

export const bench: Command = {
  name: "bench",
  summary: "compare two benchmark results (npm run bench): ratios, regressions, counters",
  help: `Usage: k8s-net-flow bench compare A.json B.json [--threshold 10%] [--fail-on-regression] [--json]

Compares two results of \`npm run bench\` (bench/results/latest.json): for every measurement
both have, the medians and their ratio B/A. A measurement is marked REGRESSION when B is
slower than A by more than the threshold (fewer per second, or more ms), "faster" when it is
quicker by more than that. With the same seeds, the counters of each simulation must match:
different counters are marked COUNTERS DIFFER — a change of behaviour, not of timing.

  --threshold T          How much slower counts as a regression: a percentage (10%, the
                         default) or a fraction (0.1).
  --fail-on-regression   Exit 1 if there is a regression or a counter mismatch (by default
                         they are only marked, and the exit code is 0).
  --json                 {"threshold", "rows", "counters", "regressions", ...} as JSON.

Exit codes (as every command): 0 compared; 1 invalid input (a file missing or not a results
file) or, with --fail-on-regression, a regression or counter mismatch (the output says which);
2 internal error.
`,
  async run(argv, io) {
    const { values, positionals } = parse("bench", argv, { ...COMMON_OPTIONS, threshold: { type: "string" }, "fail-on-regression": { type: "boolean", default: false } }, true);
    if (values.help) return io.out(bench.help), 0;
    const [sub, ...files] = positionals;
    if (sub !== "compare") throw new UsageError(sub === undefined ? "bench needs a subcommand: compare" : `unknown bench subcommand "${sub}" (expected compare)`, "bench");
    if (files.length !== 2) throw new UsageError(`bench compare takes two results files, got ${files.length}`, "bench");
    const threshold = thresholdOption(values.threshold);
    const [a, b] = await Promise.all(files.map((f) => readBenchFile(f!)));
    const c = compareBench(a!, b!, threshold);
    io.out(values.json ? `${JSON.stringify(c, null, 2)}\n` : formatComparison(c, files[0]!, files[1]!));
    return values["fail-on-regression"] && (c.regressions || c.counterMismatches) ? 1 : 0;
  },
};

function thresholdOption(value: string | undefined): number {
  if (value === undefined) return 0.1;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const t = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!Number.isFinite(t) || t < 0 || t >= 10) throw new UsageError(`--threshold must be a percentage like 10% or a fraction like 0.1, not "${value}"`, "bench");
  return t;
}

export async function readBenchFile(path: string): Promise<BenchFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new K8sNetFlowError("invalid-input", `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new K8sNetFlowError("invalid-input", `not JSON: ${(e as Error).message}`, path);
  }
  return validateBenchFile(data, path);
}

export function validateBenchFile(data: unknown, path = ""): BenchFile {
  const bad = (why: string) => new K8sNetFlowError("invalid-input", `not a benchmark results file (npm run bench writes them): ${why}`, path);
  if (!data || typeof data !== "object" || Array.isArray(data)) throw bad("expected an object");
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d.measurements)) throw bad("no measurements array");
  d.measurements.forEach((m: unknown, i) => {
    const x = m as Partial<BenchMeasurement> | null;
    if (!x || typeof x.id !== "string" || typeof x.unit !== "string" || typeof x.median !== "number" || !Number.isFinite(x.median) || (x.better !== "higher" && x.better !== "lower")) throw bad(`measurements[${i}] needs id, unit, a finite median and better: "higher" or "lower"`);
  });
  if (d.counters !== undefined) {
    if (!d.counters || typeof d.counters !== "object" || Array.isArray(d.counters)) throw bad("counters must be an object");
    for (const [id, c] of Object.entries(d.counters)) if (!c || typeof (c as { hash?: unknown }).hash !== "string") throw bad(`counters["${id}"] needs a hash`);
  }
  return d as unknown as BenchFile;
}

/** Stable JSON (sorted keys), so seeds written in any key order compare equal. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (x && typeof x === "object") return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(x) ?? "null";
}

export function compareBench(a: BenchFile, b: BenchFile, threshold = 0.1): BenchComparison {
  const inB = new Map(b.measurements.map((m) => [m.id, m]));
  const rows: BenchComparison["rows"] = [];
  for (const ma of a.measurements) {
    const mb = inB.get(ma.id);
    if (!mb || mb.unit !== ma.unit) continue;
    const ratio = ma.median === 0 ? (mb.median === 0 ? 1 : Infinity) : mb.median / ma.median;
    // How much slower B is: fewer per second, or more milliseconds.
    const slower = ma.better === "higher" ? ratio < 1 / (1 + threshold) : ratio > 1 + threshold;
    const faster = ma.better === "higher" ? ratio > 1 + threshold : ratio < 1 / (1 + threshold);
    rows.push({ id: ma.id, unit: ma.unit, better: ma.better, a: ma.median, b: mb.median, ratio, verdict: slower ? "regression" : faster ? "improvement" : "same" });
  }
  const compared = new Set(rows.map((r) => r.id));
  const sameSeeds = canonical(a.meta?.seeds) === canonical(b.meta?.seeds);
  const counters: BenchComparison["counters"] = [];
  for (const [id, ca] of Object.entries(a.counters ?? {})) {
    const cb = b.counters?.[id];
    if (cb) counters.push({ id, a: ca.hash, b: cb.hash, same: ca.hash === cb.hash });
  }
  return {
    threshold,
    rows,
    counters,
    sameSeeds,
    onlyInA: a.measurements.filter((m) => !compared.has(m.id)).map((m) => m.id),
    onlyInB: b.measurements.filter((m) => !compared.has(m.id)).map((m) => m.id),
    regressions: rows.filter((r) => r.verdict === "regression").length,
    counterMismatches: sameSeeds ? counters.filter((c) => !c.same).length : 0,
  };
}

const num = (x: number) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : Number(x.toPrecision(4)).toString());

export function formatComparison(c: BenchComparison, fileA: string, fileB: string): string {
  const pct = `${Number((c.threshold * 100).toFixed(2))}%`;
  const lines = [
    `A = ${fileA}`,
    `B = ${fileB}`,
    "",
    table(
      ["measurement", "unit", "A (median)", "B (median)", "B/A", ""],
      c.rows.map((r) => [r.id, r.unit, num(r.a), num(r.b), `${r.ratio.toFixed(3)}×`, r.verdict === "regression" ? "REGRESSION" : r.verdict === "improvement" ? "faster" : ""]),
      ["left", "left", "right", "right", "right", "left"],
    ),
  ];
  const some = (ids: string[]) => (ids.length ? ` (${ids.slice(0, 5).join("; ")}${ids.length > 5 ? `; … ${ids.length - 5} more` : ""})` : "");
  if (c.onlyInA.length || c.onlyInB.length) lines.push("", `Not compared: ${c.onlyInA.length} only in A${some(c.onlyInA)}, ${c.onlyInB.length} only in B${some(c.onlyInB)}.`);
  if (!c.sameSeeds) lines.push("", "Counters not compared: the two runs used different seeds.");
  else if (c.counters.length) {
    const differ = c.counters.filter((x) => !x.same);
    lines.push("", differ.length ? `COUNTERS DIFFER for the same seeds (a change of behaviour, not of timing):\n${differ.map((x) => `  ${x.id}: ${x.a.slice(0, 12)} → ${x.b.slice(0, 12)}`).join("\n")}` : `Counters: all ${c.counters.length} the same for the same seeds.`);
  }
  lines.push("", `${c.regressions} regression${c.regressions === 1 ? "" : "s"} beyond ${pct} (B slower than A), ${c.counterMismatches} counter mismatch${c.counterMismatches === 1 ? "" : "es"}, ${c.rows.length} measurements compared.`);
  return `${lines.join("\n")}\n`;
}
