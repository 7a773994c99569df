import { defineConfig } from "vitest/config";
import { readFileSync } from "node:fs";
import { virtualModules } from "./scripts/virtual-modules.mjs";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  plugins: [virtualModules()],
  define: { __VERSION__: JSON.stringify(pkg.version) },
  test: {
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    testTimeout: 20000,
  },
});
