import type { ModelInput } from "../../model/types.js";
import type { ShardResult, SimulationPlan, SimulationResult } from "../simulate.js";
import type { PackedResult } from "../result-wire.js";
import type { PackedTrace } from "../../dataplane/packed-trace.js";
import type { FlowQuery, LoadOptions, ModelSummary, ShowOutput, ShowRequest } from "../types.js";

/** One place the engine runs; every call resolves, or rejects with a K8sNetFlowError. */
export interface EngineHost {
  readonly kind: "worker" | "inline";
  /** True once the host died (a crashed worker): it must be replaced. */
  readonly dead: boolean;
  load(input: ModelInput, options?: LoadOptions): Promise<ModelSummary>;
  trace(flow: FlowQuery): Promise<PackedTrace>;
  show(request: ShowRequest): Promise<ShowOutput>;
  simulate(plan: SimulationPlan, shard: number, shards: number, run: number, onProgress?: (done: number, total: number) => void): Promise<ShardResult>;
  cancel(run: number): void;
  /** The whole plan's result, its long lists packed (result-wire.ts). */
  aggregate(plan: SimulationPlan, shards: ShardResult[]): Promise<PackedResult>;
  debug(what: "trap" | "crash"): Promise<void>;
  dispose(): Promise<void>;
}
