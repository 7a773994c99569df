// One engine (one worker, one Wasm instance) for every element on the page. The engine holds
// one loaded cluster at a time, so each element's load + trace runs as one queued job.

import { createEngine, type Engine } from "../../src/engine/engine.js";

let engine: Promise<Engine> | undefined;
let queue: Promise<unknown> = Promise.resolve();

export function withEngine<T>(job: (engine: Engine) => Promise<T>): Promise<T> {
  engine ??= createEngine({ host: "auto" });
  const run = queue.then(() => engine!).then(job);
  queue = run.catch(() => {});
  return run;
}
