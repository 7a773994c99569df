// The engine's calls as a host runs them, in a worker (exposed through Comlink) or in the
// caller's thread. Results come back as Outcome envelopes because Comlink's error transfer
// keeps only name/message/stack; ours must keep `code`, `path` and `problems`. A Wasm trap
// rebuilds the engine core and reloads the last cluster, so the next call works.

import type { ConnectionQuery, PolicyVerdict } from "../../policy/evaluate.js";
import type { MatrixOptions, PolicyMatrix } from "../../policy/matrix.js";
import { transfer } from "comlink";
import { K8sNetFlowError, toErrorInfo } from "../../errors.js";
import { EngineCore } from "../core.js";
import type { ModelInput } from "../../model/types.js";
import type { ShardResult, SimulationPlan } from "../simulate.js";
import { packedBuffers, packResult, type PackedResult } from "../result-wire.js";
import type { PackedTrace } from "../../dataplane/packed-trace.js";
import type { FlowQuery, LoadOptions, ModelSummary, Outcome, PolicyNote, ShowOutput, ShowRequest } from "../types.js";

export interface WorkerApi {
  init(wasm: ArrayBuffer): Promise<Outcome<void>>;
  load(input: ModelInput, options?: LoadOptions, simulationOnly?: boolean): Promise<Outcome<ModelSummary>>;
  /** Hop records packed in a typed array, moved (not copied) to the caller, who decodes them. */
  trace(flow: FlowQuery): Promise<Outcome<PackedTrace>>;
  show(request: ShowRequest): Promise<Outcome<ShowOutput>>;
  policyMatrix(options?: MatrixOptions): Promise<Outcome<PolicyMatrix & PolicyNote>>;
  policyExplain(query: ConnectionQuery): Promise<Outcome<PolicyVerdict & PolicyNote>>;
  /** This worker's shard of a plan; progress reported through the (proxied) callback. */
  /** This worker's shard of a plan, as run `run`; progress reported through the (proxied) callback. */
  simulate(plan: SimulationPlan, shard: number, shards: number, run: number, onProgress?: (done: number, total: number) => void): Promise<Outcome<ShardResult>>;
  /** Stops run `run` at its next chunk (a late cancel never touches a later run). */
  cancel(run: number): void;
  aggregate(plan: SimulationPlan, shards: ShardResult[]): Promise<Outcome<PackedResult>>;
  /** Test hooks: a Wasm trap inside a call, and a worker that dies. */
  debug(what: "trap" | "crash"): Promise<Outcome<void>>;
}

export function createWorkerApi(options: { transferResults?: boolean } = {}): WorkerApi {
  let core: EngineCore | undefined;
  let wasm: ArrayBuffer | undefined;
  let lastInput: ModelInput | undefined;
  const running = new Set<number>();
  const cancelled = new Set<number>();
  const ready = (): EngineCore => {
    if (!core) throw new K8sNetFlowError("internal", "the engine was used before init()");
    return core;
  };
  async function attempt<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      if (!(err instanceof K8sNetFlowError) && wasm) {
        // A Wasm trap (or a bug) may have left the dataplane half-updated: start it afresh.
        core = await EngineCore.create(wasm.slice(0));
        if (lastInput !== undefined) {
          try {
            core.load(lastInput);
          } catch {
            lastInput = undefined;
          }
        }
        return { ok: false, error: { code: "internal", path: "", message: `the dataplane failed (${err instanceof Error ? err.message : String(err)}); it was restarted with the last cluster loaded` } };
      }
      return { ok: false, error: toErrorInfo(err) };
    }
  }
  return {
    async init(bytes) {
      wasm = bytes;
      return attempt(async () => {
        core = await EngineCore.create(bytes.slice(0));
      });
    },
    load: (input, options, simulationOnly) =>
      attempt(() => {
        const summary = ready().load(input, options, simulationOnly);
        lastInput = input;
        return summary;
      }),
    async trace(flow) {
      const outcome = await attempt(() => ready().trace(flow));
      return outcome.ok && options.transferResults ? transfer(outcome, [outcome.value.records.buffer]) : outcome;
    },
    show: (request) => attempt(() => ready().show(request)),
    policyMatrix: (options) => attempt(() => ready().policyMatrix(options)),
    policyExplain: (query) => attempt(() => ready().policyExplain(query)),
    async simulate(plan, shard, shards, run, onProgress) {
      running.add(run);
      const outcome = await attempt(() => ready().simulate(plan, shard, shards, { onProgress: onProgress ? (d, t) => void onProgress(d, t) : undefined, isCancelled: () => cancelled.has(run) })).finally(() => {
        running.delete(run);
        cancelled.delete(run);
      });
      // The counters' arrays move to the caller instead of being copied.
      return outcome.ok && options.transferResults ? transfer(outcome, [outcome.value.samples.buffer, outcome.value.nodePairs.buffer, outcome.value.endpointHits.buffer]) : outcome;
    },
    cancel(run) {
      if (running.has(run)) cancelled.add(run);
    },
    async aggregate(plan, shards) {
      const outcome = await attempt(() => packResult(ready().aggregate(plan, shards)));
      return outcome.ok && options.transferResults ? transfer(outcome, packedBuffers(outcome.value)) : outcome;
    },
    async debug(what) {
      if (what === "crash") setTimeout(() => {
        throw new Error("simulated worker crash");
      });
      return attempt(() => ready().debugTrap());
    },
  };
}
