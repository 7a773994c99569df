// Modules the build provides (scripts/virtual-modules.mjs), so the same source runs in
// rollup, vitest and the browser test runner without generated files in src/.

/** The release build of assembly/ as a string, one char (U+0000 to U+00FF) per byte: inlined so the bundle works from any origin. */
declare module "virtual:dataplane-wasm" {
  const bytes: string;
  export default bytes;
}

/** src/engine/worker/worker-entry.ts bundled into one ES module, as source text (started from a blob: or data: URL). */
declare module "virtual:engine-worker" {
  const source: string;
  export default source;
}

/**
 * How the in-thread host gets the engine: imported from the sources (Node, bundlers, tests),
 * or, in the single-file bundle, loaded from the worker's own source text, so the engine is
 * in the file once.
 */
declare module "virtual:inline-api" {
  export function loadWorkerApi(): Promise<typeof import("./src/engine/worker/worker-api.js")>;
}
