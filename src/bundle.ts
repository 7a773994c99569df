// The single-file bundle (dist/k8s-net-flow.js): components, engine, worker and Wasm in one
// ES module for a plain <script type="module"> tag, from any origin.
export * from "../components/index.js";
export * from "./index.js";
