// Entry of the engine worker, bundled on its own into one ES module (virtual:engine-worker)
// and started from a blob: URL in browsers or a data: URL in Node, so it works whatever
// origin the bundle was loaded from.

import { expose } from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createWorkerApi } from "./worker-api.js";

const api = createWorkerApi({ transferResults: true });
const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
if (isNode) {
  const threads = "node:worker_threads"; // a variable, so browser bundlers leave it alone
  const { parentPort } = (await import(/* @vite-ignore */ threads)) as typeof import("node:worker_threads");
  expose(api, nodeEndpoint(parentPort!));
} else {
  expose(api);
}
