// Entry of the engine worker, bundled on its own into one ES module (virtual:engine-worker)
// and started from a blob: URL in browsers or a data: URL in Node, so it works whatever
// origin the bundle was loaded from. The single-file bundle also imports this module in the
// page for its in-thread fallback: it then only exports the API and exposes nothing.

import { expose } from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createWorkerApi } from "./worker-api.js";

export { createWorkerApi };

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
declare const WorkerGlobalScope: { new (): unknown } | undefined;
if (isNode) {
  const threads = "node:worker_threads"; // a variable, so browser bundlers leave it alone
  const { parentPort, isMainThread } = (await import(/* @vite-ignore */ threads)) as typeof import("node:worker_threads");
  if (!isMainThread) expose(createWorkerApi({ transferResults: true }), nodeEndpoint(parentPort!));
} else if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  expose(createWorkerApi({ transferResults: true }));
}
