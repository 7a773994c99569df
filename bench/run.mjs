// `npm run bench`: bundles the TypeScript suites with esbuild, runs them in this process and
// writes bench/results/latest.json and latest.md. Needs `npm run build` (build/dataplane.wasm, dist/engine.js).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}build/bench`;
await build({
  entryPoints: [`${root}bench/fib.bench.ts`, `${root}bench/model.bench.ts`, `${root}bench/dataplane.bench.ts`, `${root}bench/stats.ts`],
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

if (process.argv[2] === "--peak") {
  // Child process: one load, fresh heap, report peak memory.
  const { peak } = await load("model.bench");
  console.log(JSON.stringify(peak()));
  process.exit(0);
}

const { markdown } = await load("stats");
const fib = await (await load("fib.bench")).run(readFileSync(`${root}build/dataplane.wasm`));
const model = (await load("model.bench")).run();
const dataplane = await (await load("dataplane.bench")).run(readFileSync(`${root}build/dataplane.wasm`));
const engine = await (await import("./engine.bench.mjs")).run({ createEngine: (await import(pathToFileURL(`${root}dist/engine.js`).href)).createEngine, median: (await load("stats")).median });
const memory = JSON.parse(execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--peak"], { encoding: "utf8" }));
const results = [...fib, ...model, ...dataplane.results, ...engine.results];
const meta = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length };
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify({ meta, results, memory, rulesPerConnection: dataplane.rulesPerConnection, cancelMs: engine.cancelMs, progressPerSecond: engine.progressPerSecond }, null, 2)}\n`);
const rules = ["| kube-proxy mode | services | rules walked per new connection (Wasm) | (reference) |", "| --- | ---: | ---: | ---: |", ...dataplane.rulesPerConnection.map((r) => `| ${r.mode} | ${r.services} | ${r.wasm.toFixed(1)} | ${r.reference.toFixed(1)} |`)].join("\n");
const cancel = `An AbortSignal stopped a running 2-worker simulation after ${engine.cancelMs.median.toFixed(1)} ms (median; worst ${engine.cancelMs.max.toFixed(1)} ms). Progress reached the caller ${engine.progressPerSecond.median.toFixed(1)} times a second (median; fewest ${engine.progressPerSecond.min.toFixed(1)}).`;
const tables = [markdown(fib), markdown(model), markdown(dataplane.results), rules, markdown(engine.results), cancel].join("\n\n");
const mem = `Peak memory of one 5,000-node / 150,000-pod / 10,000-service load in a fresh Node process: ${memory.peakRssMB.toFixed(0)} MB RSS (${memory.rssBeforeMB.toFixed(0)} MB before loading); the model itself holds ${memory.heapModelMB.toFixed(0)} MB of heap.`;
writeFileSync(`${root}bench/results/latest.md`, `# Benchmarks\n\n${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores}\n\n${tables}\n\n${mem}\n`);
console.log(`${tables}\n\n${mem}`);
