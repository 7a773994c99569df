import { EngineCore } from "../core.js";
import type { EngineHost } from "./host.js";

/** The engine in the caller's thread: no worker, same results. */
export async function startInline(wasm: Uint8Array<ArrayBuffer>): Promise<EngineHost> {
  const core = await EngineCore.create(wasm);
  return {
    kind: "inline",
    load: async (input) => core.load(input),
    trace: async (flow) => core.trace(flow),
    show: async (request) => core.show(request),
    dispose: async () => {},
  };
}
