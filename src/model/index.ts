export { loadModel } from "./load.js";
export { SCENARIOS, DEFAULT_SCENARIO, type Scenario } from "./scenarios.js";
export * from "./types.js";
