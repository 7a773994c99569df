export { loadModel } from "./load.js";
export { SCENARIOS, DEFAULT_SCENARIO, type Scenario } from "./scenarios.js";
export { toManifests } from "./to-manifests.js";
export * from "./types.js";
