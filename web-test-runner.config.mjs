// Browser tests in real headless Chromium: the components and the engine from source, and
// the built single-file bundle loaded from another origin (a second server, like a CDN).
import { fileURLToPath } from "node:url";
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { chromeLauncher } from "@web/test-runner-chrome";
import { CHROMIUM_ARGS, findChromium } from "./scripts/browser.mjs";
import { serveStatic } from "./scripts/static-server.mjs";
import { wtrVirtualModules } from "./scripts/virtual-modules.mjs";

const executablePath = findChromium();
if (!executablePath) {
  throw new Error("No Chromium found: run `node scripts/ensure-browser.mjs` (npm test does) or set CHROME_PATH.");
}

/** Serves dist/ on 127.0.0.1 with CORS, as a CDN would; tests import its URL from /__cdn.js. */
function cdnOrigin() {
  let cdn;
  return {
    name: "cdn-origin",
    async serverStart() {
      cdn = await serveStatic(fileURLToPath(new URL("./dist", import.meta.url)), { cors: true });
    },
    async serverStop() {
      await new Promise((resolve) => cdn?.server.close(resolve));
    },
    serve(context) {
      if (context.path === "/__cdn.js") return { body: `export default "http://127.0.0.1:${cdn.port}/";`, type: "js" };
      return undefined;
    },
  };
}

export default {
  files: ["test/browser/**/*.test.ts"],
  nodeResolve: true,
  concurrency: 1,
  plugins: [esbuildPlugin({ ts: true, target: "es2022" }), wtrVirtualModules(), cdnOrigin()],
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args: CHROMIUM_ARGS } })],
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 180000,
};
