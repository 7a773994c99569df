// Two builds:
//  1. dist/engine.js, dist/components.js, dist/cli.js: ES modules for bundler and Node users
//     (lit and comlink stay imports, so an app shares one copy).
//  2. dist/k8s-net-flow.js: ONE self-contained, minified ES module (components + engine +
//     worker + wasm) for a single <script type="module"> tag from any origin.
// Both inline the Wasm and the worker through scripts/virtual-modules.mjs.

import { chmodSync, readFileSync } from "node:fs";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import esbuild from "rollup-plugin-esbuild";
import { virtualModules } from "./scripts/virtual-modules.mjs";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const define = { __VERSION__: JSON.stringify(pkg.version) };

/** The CLI must be executable for `npx k8s-net-flow` and the package's `bin`. */
const executableCli = {
  name: "executable-cli",
  writeBundle(options, bundle) {
    if (bundle["cli.js"]) chmodSync(`${options.dir}/cli.js`, 0o755);
  },
};

const ts = () => esbuild({ target: "es2022", tsconfig: "tsconfig.json", define });

export default [
  {
    input: {
      engine: "src/index.ts",
      components: "components/index.ts",
      cli: "src/cli/bin.ts",
    },
    external: (id) => id === "lit" || id.startsWith("lit/") || id.startsWith("@lit/") || id === "comlink" || id.startsWith("comlink/") || id.startsWith("node:"),
    plugins: [virtualModules({ minify: true }), nodeResolve(), ts(), executableCli],
    output: {
      dir: "dist",
      format: "es",
      entryFileNames: "[name].js",
      chunkFileNames: "chunks/[name]-[hash].js",
      banner: (chunk) => (chunk.isEntry && chunk.name === "cli" ? "#!/usr/bin/env node" : ""),
    },
  },
  {
    input: "src/bundle.ts",
    plugins: [virtualModules({ minify: true, inlineFromWorkerSource: true }), nodeResolve({ browser: true }), ts()],
    output: {
      file: "dist/k8s-net-flow.js",
      format: "es",
      inlineDynamicImports: true,
      plugins: [terser({ format: { comments: false }, module: true })],
    },
  },
];
