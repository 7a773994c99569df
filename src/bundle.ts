// The single-file bundle (dist/k8s-net-flow.js): components, engine, worker and Wasm in one
// ES module for a plain <script type="module"> tag, from any origin. The engine proper lives
// in the file once, as the worker's source; the page side holds only the engine's façade
// (so `loadModel`, which needs the whole model and YAML parser, is for the npm entry).
export * from "../components/index.js";
export { createEngine, type Engine, type EngineOptions, type SimulateOptions } from "./engine/engine.js";
export type { SimulationPlan, SimulationResult } from "./engine/simulate.js";
export type { FlowQuery, Hop, HopAction, HopComponent, HopPacket, ModelSummary, ShowOutput, ShowRequest, Trace, Verdict } from "./engine/types.js";
export { K8sNetFlowError, type ErrorCode, type ErrorInfo } from "./errors.js";
export { SCENARIOS, DEFAULT_SCENARIO, type Scenario } from "./model/scenarios.js";
export { SHOW_COMMANDS } from "./engine/types.js";
