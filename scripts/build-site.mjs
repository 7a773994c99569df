// Lays out the docs site in dist/site: the pages of site/ plus the single-file bundle.
import { cpSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(`${root}dist/site`, { recursive: true });
cpSync(`${root}site`, `${root}dist/site`, { recursive: true });
cpSync(`${root}dist/k8s-net-flow.js`, `${root}dist/site/k8s-net-flow.js`);
// The benchmark suites in the browser's workers (bench/index.html), next to the bundle it imports.
cpSync(`${root}bench/index.html`, `${root}dist/site/bench.html`);
console.log("docs site → dist/site");
