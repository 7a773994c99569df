// `npm run bench [-- --suite fib,model,dataplane,engine,macro,policy] [--out PREFIX]`: bundles the
// TypeScript suites with esbuild, runs them in this process (the macro scenario and the peak
// memory of a load in fresh child processes) and writes PREFIX.json (machine, versions, seeds,
// medians of every measurement, the simulations' counters and their hashes), PREFIX.md (tables)
// and PREFIX.svg (a chart). Default: every suite but macro and policy, into bench/results/latest.*; another
// choice of suites goes to bench/results/<suites>.* unless --out says otherwise.
// Needs `npm run build` (build/dataplane.wasm, dist/engine.js).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem, type as osType, release, arch } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { svgChart } from "./chart.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}build/bench`;
await build({
  entryPoints: [`${root}bench/fib.bench.ts`, `${root}bench/model.bench.ts`, `${root}bench/dataplane.bench.ts`, `${root}bench/policy.bench.ts`, `${root}bench/stats.ts`],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // Dependencies stay imports, resolved from node_modules as the package's users get them.
  packages: "external",
  outdir: out,
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});
const load = (name) => import(pathToFileURL(`${out}/${name}.mjs`).href);
const engineModule = () => import(pathToFileURL(`${root}dist/engine.js`).href);

if (process.argv[2] === "--peak") {
  // Child process: one load, fresh heap, report peak memory.
  const { peak } = await load("model.bench");
  console.log(JSON.stringify(peak()));
  process.exit(0);
}
if (process.argv[2] === "--macro") {
  // Child process: the macro scenario, so its peak memory is its own.
  const result = await (await import("./macro.bench.mjs")).run({ createEngine: (await engineModule()).createEngine, median: (await load("stats")).median }, { flows: Number(process.argv[3]), repeats: Number(process.argv[4]) });
  console.log(JSON.stringify(result));
  process.exit(0);
}

const SUITES = {
  fib: "route lookup: Wasm trie vs TS linear scan, 10 to 5,000 nodes",
  model: "generate + validate 5,000 nodes / 150,000 pods / 10,000 services; peak memory of one load",
  dataplane: "dataplane micro-benchmarks and the mode × scale sweep: new connections/s and rules per connection per kube-proxy mode at 100/1,000/10,000 Services, established packets/s, Wasm vs TS reference",
  engine: "dist/engine.js: worker scaling 1 → cores, cancel latency, progress rate",
  policy: "opt-in: NetworkPolicy enforcement, 0/10/100/1,000 policies on 100 nodes / 3,000 pods / 300 Services: new connections/s, rules per new connection, load ms per CNI (flannel, Calico ipip, Cilium vxlan eBPF/iptables), ratios to no policy",
  macro: "opt-in: 5,000 nodes / 150,000 pods / 10,000 Services on 2 workers, nftables, as many flows as fit: load ms, run ms, packets/s, peak memory",
};
const ALIASES = { modes: "dataplane", scale: "dataplane", wasm: "dataplane", workers: "engine", route: "fib" };
const DEFAULT = ["fib", "model", "dataplane", "engine"];
const { values } = parseArgs({ options: { suite: { type: "string" }, out: { type: "string" }, "macro-repeats": { type: "string" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log(`Usage: npm run bench -- [--suite S,S,...] [--out PREFIX] [--macro-repeats N]\n\nSuites (default: ${DEFAULT.join(",")}; "all" adds macro and policy):\n${Object.entries(SUITES).map(([k, v]) => `  ${k.padEnd(10)} ${v}`).join("\n")}\nAliases: ${Object.entries(ALIASES).map(([a, s]) => `${a} = ${s}`).join(", ")}.\n\nWrites PREFIX.json, PREFIX.md and PREFIX.svg (default bench/results/latest for the default suites, bench/results/<suites> otherwise).`);
  process.exit(0);
}
const chosen = values.suite === undefined ? DEFAULT : values.suite === "all" ? Object.keys(SUITES) : [...new Set(values.suite.split(",").map((s) => s.trim()).filter(Boolean).map((s) => ALIASES[s] ?? s))];
for (const s of chosen) if (!SUITES[s]) (console.error(`bench: unknown suite "${s}" (expected ${Object.keys(SUITES).join(", ")} or all)`), process.exit(1));
const suites = Object.keys(SUITES).filter((s) => chosen.includes(s));
const prefix = values.out ? resolve(values.out) : `${root}bench/results/${suites.join(",") === DEFAULT.join(",") ? "latest" : suites.join("+")}`;
const macroRepeats = Number(values["macro-repeats"] ?? 3);

const { markdown, median } = await load("stats");
const wasm = readFileSync(`${root}build/dataplane.wasm`);
const pkg = (p) => JSON.parse(readFileSync(`${root}${p}/package.json`, "utf8")).version;
const hash = (x) => createHash("sha256").update(JSON.stringify(x)).digest("hex");
const better = (unit) => (/\/s$/.test(unit) ? "higher" : "lower");
const cores = availableParallelism();

const { ENGINE_CLUSTER, ENGINE_PLAN } = await import("./engine.bench.mjs");
const { MACRO_CLUSTER, MACRO_PLAN, MACRO_WORKERS } = await import("./macro.bench.mjs");
const { LIMITS_SPEC } = await load("model.bench");
const { POLICY_CLUSTER, POLICY_PLAN, POLICY_COUNTS } = await load("policy.bench");
const meta = {
  date: new Date().toISOString(),
  // Kept flat for older readers of latest.json; the same as in machine.
  node: process.version,
  cpu: cpus()[0]?.model,
  cores,
  machine: { cpu: cpus()[0]?.model, cores, memoryMB: Math.round(totalmem() / 2 ** 20), os: `${osType()} ${release()} ${arch()}`, node: process.version, v8: process.versions.v8, loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)) },
  versions: { "k8s-net-flow": pkg(""), assemblyscript: pkg("node_modules/assemblyscript"), esbuild: pkg("node_modules/esbuild") },
  suites,
  // Every seed the suites use, whichever ran: same seeds → same counters.
  seeds: { fib: { destinations: 7 }, model: { cluster: LIMITS_SPEC.seed }, dataplane: { cluster: 3, flows: 12345, kubeProxy: "1 … repeats" }, engine: { cluster: ENGINE_CLUSTER.generate.seed, plan: ENGINE_PLAN.seed }, macro: { cluster: MACRO_CLUSTER.generate.seed, plan: MACRO_PLAN.seed }, policy: { cluster: POLICY_CLUSTER.seed, plan: POLICY_PLAN.seed } },
};

const data = { format: "k8s-net-flow-bench/1", meta, measurements: [], counters: {}, results: [] };
const measure = (suite, id, unit, value, repeats) => data.measurements.push({ id: `${suite}/${id}`, unit, median: value, better: better(unit), repeats });
const addResults = (suite, results) => {
  data.results.push(...results);
  for (const r of results) {
    measure(suite, `${r.name} [${r.subject.label}]`, r.unit, r.subject.median, r.repeats);
    measure(suite, `${r.name} [${r.baseline.label}]`, r.unit, r.baseline.median, r.repeats);
  }
};
const counters = (id, values) => (data.counters[id] = { hash: hash(values), values });
const tables = [];
const log = (s) => (tables.push(s), console.log(`${s}\n`));

if (suites.includes("fib")) {
  const fib = await (await load("fib.bench")).run(wasm);
  addResults("fib", fib);
  log(markdown(fib));
}
if (suites.includes("model")) {
  const model = (await load("model.bench")).run();
  addResults("model", model);
  const memory = JSON.parse(execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--peak"], { encoding: "utf8" }));
  data.memory = memory;
  measure("model", "peak RSS of one 5,000-node load (fresh process)", "MB", memory.peakRssMB, 1);
  log(markdown(model));
  log(`Peak memory of one 5,000-node / 150,000-pod / 10,000-service load in a fresh Node process: ${memory.peakRssMB.toFixed(0)} MB RSS (${memory.rssBeforeMB.toFixed(0)} MB before loading); the model itself holds ${memory.heapModelMB.toFixed(0)} MB of heap.`);
}
if (suites.includes("dataplane")) {
  const dataplane = await (await load("dataplane.bench")).run(wasm);
  addResults("dataplane", dataplane.results);
  data.rulesPerConnection = dataplane.rulesPerConnection;
  for (const c of dataplane.counters) counters(`dataplane/${c.mode}, ${c.services} services`, c.counters);
  log(markdown(dataplane.results));
  log(["| kube-proxy mode | services | rules walked per new connection (Wasm) | (reference) |", "| --- | ---: | ---: | ---: |", ...dataplane.rulesPerConnection.map((r) => `| ${r.mode} | ${r.services} | ${r.wasm.toFixed(1)} | ${r.reference.toFixed(1)} |`)].join("\n"));
}
if (suites.includes("engine")) {
  const engine = await (await import("./engine.bench.mjs")).run({ createEngine: (await engineModule()).createEngine, median }, { maxWorkers: cores });
  data.results.push(...engine.results);
  data.workerScaling = engine.workerScaling;
  data.cancelMs = engine.cancelMs;
  data.progressPerSecond = engine.progressPerSecond;
  for (const w of engine.workerScaling) measure("engine", `simulate ${ENGINE_PLAN.flows} connections × ${ENGINE_PLAN.packetsPerFlow} packets [${w.workers} worker${w.workers === 1 ? "" : "s"}]`, "packets/s", w.packetsPerSecond, w.repeats);
  measure("engine", "cancel latency, 2 workers", "ms", engine.cancelMs.median, 5);
  counters("engine/simulate", engine.counters);
  log(["| worker threads | packets/s (median) | ms (median) | speed-up vs 1 worker |", "| ---: | ---: | ---: | ---: |", ...engine.workerScaling.map((w) => `| ${w.workers} | ${Math.round(w.packetsPerSecond).toLocaleString("en")} | ${w.ms.toFixed(0)} | ${w.speedup.toFixed(2)}× |`)].join("\n") + `\n\nSimulating ${ENGINE_PLAN.flows.toLocaleString("en")} connections × ${ENGINE_PLAN.packetsPerFlow} packets (1,000 services, 6,000 pods, seed ${ENGINE_PLAN.seed}) in dist/engine.js on 1 to ${engine.workerScaling.length} worker threads (${cores} cores); the counters are the same on every worker count.`);
  log(`An AbortSignal stopped a running 2-worker simulation after ${engine.cancelMs.median.toFixed(1)} ms (median; worst ${engine.cancelMs.max.toFixed(1)} ms). Progress reached the caller ${engine.progressPerSecond.median.toFixed(1)} times a second (median; fewest ${engine.progressPerSecond.min.toFixed(1)}).`);
}
if (suites.includes("macro")) {
  // Connections close and leave conntrack two minutes later, so the whole plan fits.
  const flows = MACRO_PLAN.flows;
  let macro;
  try {
    macro = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--macro", String(flows), String(macroRepeats)], { encoding: "utf8", maxBuffer: 1 << 24 }));
  } catch (e) {
    macro = { workers: MACRO_WORKERS, flows, error: `the child process failed: ${String(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" ")}` };
  }
  data.macro = macro;
  if (macro.loadMs !== undefined) measure("macro", "load 5,000 nodes / 150,000 pods / 10,000 services, 2 workers", "ms", macro.loadMs, macro.repeats);
  if (macro.runMs !== undefined) {
    measure("macro", `simulate ${flows} connections × ${macro.packetsPerFlow} packets, nftables, 2 workers`, "ms", macro.runMs, macro.repeats);
    measure("macro", `simulate ${flows} connections × ${macro.packetsPerFlow} packets, nftables, 2 workers`, "packets/s", macro.packetsPerSecond, macro.repeats);
  }
  measure("macro", "peak RSS (fresh process, workers included)", "MB", macro.peakRssMB ?? NaN, 1);
  if (macro.counters) counters("macro/simulate", macro.counters);
  const fmtN = (x) => (x === undefined ? "—" : Math.round(x).toLocaleString("en"));
  log([`Macro scenario: 5,000 nodes / 150,000 pods / 10,000 Services, nftables, ${MACRO_WORKERS} workers, ${flows.toLocaleString("en")} connections × ${MACRO_PLAN.packetsPerFlow} packets (each closed into TIME_WAIT; 10,000 new a simulated second), median of ${macro.repeats ?? "—"}:`, "", "| load (ms) | run (ms) | packets/s | peak RSS (MB) |", "| ---: | ---: | ---: | ---: |", `| ${fmtN(macro.loadMs)} | ${fmtN(macro.runMs)} | ${fmtN(macro.packetsPerSecond)} | ${fmtN(macro.peakRssMB)} |`, ...(macro.error ? ["", `It did not complete: ${macro.error}`] : [])].join("\n"));
}
if (suites.includes("policy")) {
  const { rows } = await (await load("policy.bench")).run({ createEngine: (await engineModule()).createEngine }, { repeats: 5, loadRepeats: 5, breakdownRepeats: 1, log: (s) => console.error(`policy: ${s}`) });
  data.policy = { cluster: POLICY_CLUSTER, plan: POLICY_PLAN, counts: POLICY_COUNTS, rows };
  for (const r of rows) {
    const at = `${r.label}, ${r.policies} policies`;
    measure("policy", `new connections, ${at}`, "connections/s", r.connectionsPerSecond, r.repeats);
    measure("policy", `rules walked per new connection, ${at}`, "rules", r.rulesPerNewConnection, r.repeats);
    measure("policy", `load, ${at}`, "ms", r.loadMs, r.repeats);
    if (r.cni === "calico") measure("policy", `Felix chain compile (in process), ${at}`, "ms", r.breakdown.calicoChainsMs, r.repeats);
    counters(`policy/${r.cni}, ${r.policies} policies`, r.counters);
  }
  const n = (x) => Math.round(x).toLocaleString("en");
  const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "—");
  const c = POLICY_CLUSTER;
  log([
    `NetworkPolicy enforcement: ${c.nodes} nodes / ${c.pods.toLocaleString("en")} pods / ${c.services} Services in ${c.namespaces} namespaces (seed ${c.seed}), ${POLICY_PLAN.flows.toLocaleString("en")} new connections (${POLICY_PLAN.pattern}, ${POLICY_PLAN.packetsPerFlow} packet each) per run on 1 worker, medians of ${rows[0]?.repeats ?? "—"} runs alternating between the policy counts; ratios to the same CNI with no policy, same run. Every connection is allowed at every count (the policies roll out a namespace at a time, each with its default deny, allow-same-namespace and allow-from-cluster on TCP 8080, then port-specific allows on single Services).`,
    "",
    "| CNI | policies | new connections/s | × no policy | rules per new connection (mean) | p99 | × no policy | load ms | × no policy | Felix chains ms (in process, 1 pass) | policy rules added | delivered | dropped |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.label} | ${n(r.policies)} | ${n(r.connectionsPerSecond)} | ${x(r.ratio)} | ${r.rulesPerNewConnection.toFixed(1)} | ${n(r.rulesPerNewConnectionP99)} | ${x(r.rulesRatio)} | ${n(r.loadMs)} | ${x(r.loadRatio)} | ${r.cni === "calico" ? r.breakdown.calicoChainsMs.toFixed(0) : "—"} | ${n(r.breakdown.policyRules)} | ${n(r.delivered)} | ${n(r.dropped)} |`),
    "",
    `In-process load breakdown (same inputs, one pass each): ${rows.filter((r) => r.cni === "calico" || r.cni === "cilium-ebpf").map((r) => `${r.cni} ${n(r.policies)} policies: parse+validate ${n(r.breakdown.parseMs)} ms, network ${n(r.breakdown.compileNetworkMs)} ms, kube-proxy rules ${n(r.breakdown.compileKubeProxyMs)} ms, ${r.cni === "calico" ? `Felix chains ${n(r.breakdown.calicoChainsMs)} ms` : `Cilium policy maps ${n(r.breakdown.ciliumPolicyMs)} ms`}`).join("; ")}.`,
  ].join("\n"));
}
// NaN (a measurement that did not happen) is no median: drop it.
data.measurements = data.measurements.filter((m) => Number.isFinite(m.median));

mkdirSync(dirname(prefix), { recursive: true });
writeFileSync(`${prefix}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${prefix}.md`, `# Benchmarks\n\n${meta.date} · ${meta.machine.cpu} × ${cores} · ${meta.machine.memoryMB.toLocaleString("en")} MB · ${meta.machine.os} · Node ${meta.node} · k8s-net-flow ${meta.versions["k8s-net-flow"]} · AssemblyScript ${meta.versions.assemblyscript} · suites ${suites.join(", ")}\n\n${tables.join("\n\n")}\n`);
writeFileSync(`${prefix}.svg`, svgChart(data));
console.log(`wrote ${prefix}.{json,md,svg}`);
