import type { ModelInput } from "../../model/types.js";
import type { ConnectionQuery, PolicyVerdict } from "../../policy/evaluate.js";
import type { MatrixOptions, PolicyMatrix } from "../../policy/matrix.js";
import type { ShardResult, SimulationPlan } from "../simulate.js";
import type { PackedResult } from "../result-wire.js";
import type { PackedTrace } from "../../dataplane/packed-trace.js";
import type { FlowQuery, LoadOptions, ModelSummary, PolicyNote, ShowOutput, ShowRequest } from "../types.js";

/** One place the engine runs; every call resolves, or rejects with a K8sNetFlowError. */
export interface EngineHost {
  readonly kind: "worker" | "inline";
  /** True once the host died (a crashed worker): it must be replaced. */
  readonly dead: boolean;
  /** `simulationOnly`: the host will only run simulation shards (EngineCore.load). */
  load(input: ModelInput, options?: LoadOptions, simulationOnly?: boolean): Promise<ModelSummary>;
  trace(flow: FlowQuery): Promise<PackedTrace>;
  show(request: ShowRequest): Promise<ShowOutput>;
  policyMatrix(options?: MatrixOptions): Promise<PolicyMatrix & PolicyNote>;
  policyExplain(query: ConnectionQuery): Promise<PolicyVerdict & PolicyNote>;
  simulate(plan: SimulationPlan, shard: number, shards: number, run: number, onProgress?: (done: number, total: number) => void): Promise<ShardResult>;
  cancel(run: number): void;
  /** The whole plan's result, its long lists packed (result-wire.ts). */
  aggregate(plan: SimulationPlan, shards: ShardResult[]): Promise<PackedResult>;
  debug(what: "trap" | "crash"): Promise<void>;
  dispose(): Promise<void>;
}
