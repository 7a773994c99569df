// `npm run bench`: bundles the TypeScript suites with esbuild, runs them in this process and
// writes bench/results/latest.json and latest.md. Needs build/dataplane.wasm (npm run build:wasm).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}build/bench`;
await build({ entryPoints: [`${root}bench/fib.bench.ts`, `${root}bench/stats.ts`], bundle: true, splitting: true, format: "esm", platform: "node", outdir: out, outExtension: { ".js": ".mjs" }, logLevel: "warning" });
const { run } = await import(pathToFileURL(`${out}/fib.bench.mjs`).href);
const { markdown } = await import(pathToFileURL(`${out}/stats.mjs`).href);
const results = await run(readFileSync(`${root}build/dataplane.wasm`));
const meta = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length };
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify({ meta, results }, null, 2)}\n`);
const table = markdown(results);
writeFileSync(`${root}bench/results/latest.md`, `# Benchmarks\n\n${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores}\n\n${table}\n`);
console.log(table);
