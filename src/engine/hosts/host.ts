import type { ModelInput } from "../../model/types.js";
import type { FlowQuery, ModelSummary, ShowOutput, ShowRequest, Trace } from "../types.js";

/** One place the engine can run; errors are thrown as K8sNetFlowError whatever the host. */
export interface EngineHost {
  readonly kind: "worker" | "inline";
  load(input: ModelInput): Promise<ModelSummary>;
  trace(flow: FlowQuery): Promise<Trace>;
  show(request: ShowRequest): Promise<ShowOutput>;
  dispose(): Promise<void>;
}
