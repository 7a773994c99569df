import { defineConfig } from "vitest/config";
import { virtualModules } from "./scripts/virtual-modules.mjs";

export default defineConfig({
  plugins: [virtualModules()],
  test: {
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    testTimeout: 20000,
  },
});
