import { K8sNetFlowError } from "../../errors.js";
import type { Outcome } from "../types.js";
import { loadWorkerApi } from "virtual:inline-api";
import type { EngineHost } from "./host.js";

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw K8sNetFlowError.from(outcome.error);
}

/** The engine in the caller's thread: the same calls as in a worker, same results. */
export async function startInline(wasm: Uint8Array<ArrayBuffer>): Promise<EngineHost> {
  let module: Awaited<ReturnType<typeof loadWorkerApi>>;
  try {
    module = await loadWorkerApi();
  } catch (err) {
    // Only the single-file bundle loads the engine from a blob: URL in the page.
    throw new K8sNetFlowError("unsupported", `the engine cannot start in this page (${err instanceof Error ? err.message : String(err)}): its Content-Security-Policy must allow "worker-src blob:" (or "script-src blob:" for running in the page's thread)`);
  }
  const api = module.createWorkerApi();
  unwrap(await api.init(wasm.slice().buffer));
  return {
    kind: "inline",
    dead: false,
    load: async (input, options, simulationOnly) => unwrap(await api.load(input, options, simulationOnly)),
    trace: async (flow) => unwrap(await api.trace(flow)),
    show: async (request) => unwrap(await api.show(request)),
    policyMatrix: async (options) => unwrap(await api.policyMatrix(options)),
    policyExplain: async (query) => unwrap(await api.policyExplain(query)),
    simulate: async (plan, shard, shards, run, onProgress) => unwrap(await api.simulate(plan, shard, shards, run, onProgress)),
    cancel: (run) => api.cancel(run),
    aggregate: async (plan, shards) => unwrap(await api.aggregate(plan, shards)),
    debug: async (what) => {
      if (what === "crash") throw new K8sNetFlowError("unsupported", "an in-thread engine cannot crash its thread on purpose", "debug");
      unwrap(await api.debug(what));
    },
    dispose: async () => {},
  };
}
