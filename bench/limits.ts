// The engine's limits the benchmark sizes its plans by (bundled by bench/run.mjs).
export { MAX_CONNECTIONS_PER_WORKER } from "../src/engine/simulate.js";
