// The engine API: the one door into the simulator for components, the CLI and benchmarks.

import { K8sNetFlowError } from "../errors.js";
import { dataplaneWasmBytes } from "../dataplane/wasm-bytes.js";
import type { ModelInput } from "../model/types.js";
import type { EngineHost } from "./hosts/host.js";
import { startInline } from "./hosts/inline.js";
import { startWorker } from "./hosts/worker.js";
import type { FlowQuery, ModelSummary, ShowOutput, ShowRequest, Trace } from "./types.js";

export interface EngineOptions {
  /**
   * Where the simulation runs. `worker` (a Web Worker, or a worker thread in Node) keeps the
   * caller's thread free; `inline` runs in the caller's thread; `auto` (the default) tries a
   * worker and falls back to inline when workers are unavailable or blocked, saying so once
   * in the console.
   */
  host?: "auto" | "worker" | "inline";
}

export interface Engine {
  /** Where this engine actually runs. */
  readonly host: "worker" | "inline";
  /** Validates and compiles a cluster (a built-in scenario or a description); replaces the previous one. */
  load(input: ModelInput): Promise<ModelSummary>;
  /** Follows one connection through the loaded cluster, hop by hop (its DNS lookup first, for a name). */
  trace(flow: FlowQuery): Promise<Trace>;
  /** What a real tool prints on the simulated cluster (`cat /etc/resolv.conf`, `nslookup`, `iptables-save`, …). */
  show(request: ShowRequest): Promise<ShowOutput>;
  /** Stops the worker; later calls reject with code `disposed`. */
  dispose(): Promise<void>;
}

let warnedFallback = false;

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const want = options.host ?? "auto";
  if (want !== "auto" && want !== "worker" && want !== "inline") {
    throw new K8sNetFlowError("invalid-input", `expected "auto", "worker" or "inline", got "${String(want)}"`, "host");
  }
  const wasm = dataplaneWasmBytes();
  let host: EngineHost;
  if (want === "inline") {
    host = await startInline(wasm);
  } else if (want === "worker") {
    host = await startWorker(wasm);
  } else {
    try {
      host = await startWorker(wasm);
    } catch (err) {
      if (!warnedFallback) {
        warnedFallback = true;
        console.info(`k8s-net-flow: running the engine in the page's thread (${err instanceof Error ? err.message : String(err)})`);
      }
      host = await startInline(wasm);
    }
  }
  return wrapHost(host);
}

function wrapHost(host: EngineHost): Engine {
  let disposed = false;
  const live = () => {
    if (disposed) throw new K8sNetFlowError("disposed", "this engine has been disposed; create a new one");
  };
  return {
    host: host.kind,
    async load(input) {
      live();
      return host.load(input);
    },
    async trace(flow) {
      live();
      return host.trace(flow);
    },
    async show(request) {
      live();
      return host.show(request);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await host.dispose();
    },
  };
}
