// Public engine API (package entry "k8s-net-flow"): no components, no DOM needed.
export { createEngine, type Engine, type EngineOptions, type SimulateOptions } from "./engine/engine.js";
export type { NormalizedPlan, ServiceUniformity, SimulationEvent, SimulationPlan, SimulationResult, SimulationTiming, TimelinePoint } from "./engine/simulate.js";
export type { Distribution } from "./engine/stats.js";
export type { FlowQuery, Hop, HopAction, HopComponent, HopPacket, LoadOptions, ModelSummary, PolicyNote, ShowOutput, ShowRequest, Trace, TrafficPattern, Verdict } from "./engine/types.js";
export type { ConnectionQuery, PolicyVerdict, SideVerdict } from "./policy/evaluate.js";
export type { MatrixOptions, PolicyMatrix, Probe } from "./policy/matrix.js";
export type { NetworkPolicy } from "./policy/types.js";
export { K8sNetFlowError, type ErrorCode, type ErrorInfo } from "./errors.js";
export { SCENARIOS, DEFAULT_SCENARIO, type Scenario } from "./model/scenarios.js";
export { loadModel } from "./model/load.js";
export { SHOW_COMMANDS } from "./engine/types.js";
export type { ClusterModel, CompactCluster, GeneratorSpec, LoadedModel, ModelInput, ModelProblem } from "./model/types.js";
