// The two modules the build provides to the sources (declared in virtual-modules.d.ts):
//   virtual:dataplane-wasm  the asc release build as a string of bytes (one char per byte),
//                           inlined so no fetch is needed;
//   virtual:engine-worker   the engine worker bundled into one ES module, as text.
// One implementation, two adapters: rollup/vite (rollup, vitest) and @web/dev-server (wtr).

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { minify as terser } from "terser";

const root = fileURLToPath(new URL("..", import.meta.url));
export const WASM_FILE = `${root}build/dataplane.wasm`;
export const WORKER_ENTRY = `${root}src/engine/worker/worker-entry.ts`;

export async function dataplaneWasmModule() {
  let bytes;
  try {
    bytes = await readFile(WASM_FILE);
  } catch {
    throw new Error(`${WASM_FILE} is missing: run "npm run build:wasm" first (npm run build and npm test do it)`);
  }
  return `export default ${byteString(bytes)};\n`;
}

/**
 * The bytes as a JS string literal, one char (U+0000 to U+00FF) per byte. Smaller than base64
 * raw and under gzip (base64 hides the bytes' repetitions from the compressor). Only what a
 * string literal cannot hold is escaped; the file is UTF-8, as ES modules always are.
 */
export function byteString(bytes) {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    // "\0" followed by a digit would be an octal escape, a syntax error in a module.
    else if (b === 0) out += bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39 ? "\\x00" : "\\0";
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/** Bundles the worker with esbuild; returns the module text and the files it read (for watch mode). */
export async function engineWorkerModule({ minify = false } = {}) {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["node:*"],
    minify,
    write: false,
    metafile: true,
    legalComments: "none",
    // The worker never needs the wasm: the page sends the bytes in init().
  });
  let code = result.outputFiles[0].text;
  // esbuild bundles and minifies; terser then renames by frequency, which gzips ~3 KB smaller.
  if (minify) code = (await terser(code, { module: true, format: { comments: false } })).code;
  const inputs = Object.keys(result.metafile.inputs).map((f) => `${root}${f}`);
  return { code: `export default ${JSON.stringify(code)};\n`, inputs };
}

const IDS = ["virtual:dataplane-wasm", "virtual:engine-worker", "virtual:inline-api"];
export const WORKER_API = `${root}src/engine/worker/worker-api.ts`;

/**
 * virtual:inline-api. From the sources by default; with `fromWorkerSource` (the single-file
 * bundle) the page imports the worker's module text from a blob: URL instead, so the engine
 * is not in the file twice. A page whose CSP refuses blob: scripts as well as blob: workers
 * gets a clear error then (the README lists the CSP the bundle needs).
 */
export function inlineApiModule({ fromWorkerSource = false } = {}) {
  if (!fromWorkerSource) return `export const loadWorkerApi = () => import(${JSON.stringify(WORKER_API)});\n`;
  return `import source from "virtual:engine-worker";
export async function loadWorkerApi() {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(/* @vite-ignore */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}
`;
}

/** Rollup (and Vite/Vitest) plugin. */
export function virtualModules({ minify = false, inlineFromWorkerSource = false } = {}) {
  return {
    name: "k8s-net-flow-virtual-modules",
    resolveId(id) {
      return IDS.includes(id) ? `\0${id}` : null;
    },
    async load(id) {
      if (id === "\0virtual:dataplane-wasm") {
        this.addWatchFile?.(WASM_FILE);
        return dataplaneWasmModule();
      }
      if (id === "\0virtual:inline-api") return inlineApiModule({ fromWorkerSource: inlineFromWorkerSource });
      if (id === "\0virtual:engine-worker") {
        const { code, inputs } = await engineWorkerModule({ minify });
        for (const f of inputs) this.addWatchFile?.(f);
        return code;
      }
      return null;
    },
  };
}

/** @web/dev-server plugin (the browser test runner), built fresh on every request. */
export function wtrVirtualModules() {
  const paths = { "virtual:dataplane-wasm": "/__virtual/dataplane-wasm.js", "virtual:engine-worker": "/__virtual/engine-worker.js", "virtual:inline-api": "/__virtual/inline-api.js" };
  return {
    name: "k8s-net-flow-virtual-modules",
    resolveImport({ source }) {
      return paths[source];
    },
    async serve(context) {
      if (context.path === paths["virtual:dataplane-wasm"]) return { body: await dataplaneWasmModule(), type: "js" };
      if (context.path === paths["virtual:engine-worker"]) return { body: (await engineWorkerModule()).code, type: "js" };
      // From source in the test runner: the dev server serves files by their path from the root.
      if (context.path === paths["virtual:inline-api"]) return { body: `export const loadWorkerApi = () => import("/src/engine/worker/worker-api.ts");\n`, type: "js" };
      return undefined;
    },
  };
}
