// The engine in a worker: a module Worker in browsers, a worker thread in Node, both driven
// through Comlink with the same WorkerApi.

import { proxy, releaseProxy, wrap, type Endpoint, type Remote } from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import workerSource from "virtual:engine-worker";
import { K8sNetFlowError } from "../../errors.js";
import type { Outcome } from "../types.js";
import type { WorkerApi } from "../worker/worker-api.js";
import type { EngineHost } from "./host.js";

export const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string" && typeof window === "undefined";

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw K8sNetFlowError.from(outcome.error);
}

interface Started {
  endpoint: Endpoint;
  /** Rejects when the worker fails: it could not start (e.g. a Content-Security-Policy without `worker-src blob:`) or it crashed. */
  failed: Promise<never>;
  terminate(): void;
}

function startBrowserWorker(): Started {
  const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  let worker: Worker;
  try {
    worker = new Worker(url, { type: "module", name: "k8s-net-flow-engine" });
  } catch (err) {
    URL.revokeObjectURL(url);
    throw err;
  }
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      reject(new K8sNetFlowError("internal", `the engine worker failed: ${event.message || "blocked (check the page's Content-Security-Policy: worker-src blob:)"}`));
    });
  });
  return {
    endpoint: worker,
    failed,
    terminate: () => {
      worker.terminate();
      URL.revokeObjectURL(url);
    },
  };
}

async function startNodeWorker(): Promise<Started> {
  const threads = "node:worker_threads"; // a variable, so browser bundlers leave it alone
  const { Worker } = (await import(/* @vite-ignore */ threads)) as typeof import("node:worker_threads");
  const code = `data:text/javascript;base64,${Buffer.from(workerSource).toString("base64")}`;
  const worker = new Worker(new URL(code), { name: "k8s-net-flow-engine" });
  // Let the process exit while an engine is idle; dispose() is still the clean way out.
  worker.unref();
  const failed = new Promise<never>((_, reject) => {
    worker.once("error", (err) => reject(new K8sNetFlowError("internal", `the engine worker crashed: ${err.message}`)));
    worker.once("exit", (code) => reject(new K8sNetFlowError("internal", `the engine worker exited (code ${code})`)));
  });
  return { endpoint: nodeEndpoint(worker), failed, terminate: () => void worker.terminate() };
}

export async function startWorker(wasm: Uint8Array<ArrayBuffer>): Promise<EngineHost> {
  const started = isNode ? await startNodeWorker() : startBrowserWorker();
  let dead = false;
  started.failed.catch(() => {
    dead = true;
  });
  const api: Remote<WorkerApi> = wrap<WorkerApi>(started.endpoint);
  // Every pending call rejects at once if the worker dies.
  const call = <T>(p: Promise<Outcome<T>>): Promise<T> => Promise.race([p, started.failed]).then(unwrap);
  try {
    // A copy of the bytes goes over; the caller keeps its own for other workers.
    await call(api.init(wasm.slice().buffer));
  } catch (err) {
    started.terminate();
    throw err;
  }
  return {
    kind: "worker",
    get dead() {
      return dead;
    },
    load: (input, options, simulationOnly) => call(api.load(input, options, simulationOnly)),
    trace: (flow) => call(api.trace(flow)),
    show: (request) => call(api.show(request)),
    policyMatrix: (options) => call(api.policyMatrix(options)),
    policyExplain: (query) => call(api.policyExplain(query)),
    simulate: (plan, shard, shards, run, onProgress) => call(api.simulate(plan, shard, shards, run, onProgress ? proxy(onProgress) : undefined)),
    cancel: (run) => void api.cancel(run).catch(() => {}),
    aggregate: (plan, shards) => call(api.aggregate(plan, shards)),
    debug: (what) => call(api.debug(what)),
    dispose: async () => {
      api[releaseProxy]();
      started.terminate();
    },
  };
}
