// What a worker exposes through Comlink. Results come back as Outcome envelopes because
// Comlink's error transfer keeps only name/message/stack; ours must keep `code` and `path`.

import { toErrorInfo } from "../../errors.js";
import { EngineCore } from "../core.js";
import type { ModelInput } from "../../model/types.js";
import type { FlowQuery, ModelSummary, Outcome, ShowOutput, ShowRequest, Trace } from "../types.js";

export interface WorkerApi {
  init(wasm: ArrayBuffer): Promise<Outcome<void>>;
  load(input: ModelInput): Outcome<ModelSummary>;
  trace(flow: FlowQuery): Outcome<Trace>;
  show(request: ShowRequest): Outcome<ShowOutput>;
}

function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}

export function createWorkerApi(): WorkerApi {
  let core: EngineCore | undefined;
  const ready = (): EngineCore => {
    if (!core) throw new Error("worker used before init()");
    return core;
  };
  return {
    async init(wasm) {
      try {
        core = await EngineCore.create(wasm);
        return { ok: true, value: undefined };
      } catch (err) {
        return { ok: false, error: toErrorInfo(err) };
      }
    },
    load: (input) => attempt(() => ready().load(input)),
    trace: (flow) => attempt(() => ready().trace(flow)),
    show: (request) => attempt(() => ready().show(request)),
  };
}
