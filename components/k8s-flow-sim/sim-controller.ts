// Owns this element's engine: its own workers (a plan asks for how many; the page's shared
// one-worker engine stays free for the diagrams), created on the first run, replaced when the
// worker count changes, stopped when the element leaves the page. A cluster loaded once is
// kept for the next run of the same cluster.

import { createEngine, type Engine } from "../../src/engine/engine.js";
import type { SimulationPlan, SimulationResult } from "../../src/engine/simulate.js";
import type { ModelSummary } from "../../src/engine/types.js";
import type { ModelInput } from "../../src/model/types.js";
import { K8sNetFlowError } from "../../src/errors.js";

export interface SimRun {
  summary: ModelSummary;
  result: SimulationResult;
}

export class SimEngine {
  private engine: Promise<Engine> | undefined;
  private workers = 0;
  private loaded: { key: string; summary: ModelSummary } | undefined;

  async run(cluster: ModelInput, plan: SimulationPlan, workers: number, hooks: { signal: AbortSignal; onLoaded: (summary: ModelSummary) => void; onProgress: (done: number, total: number) => void }): Promise<SimRun> {
    if (!this.engine || this.workers !== workers) {
      await this.dispose();
      this.workers = workers;
      this.engine = createEngine({ host: "auto", workers });
      this.engine.catch(() => (this.engine = undefined));
    }
    const engine = await this.engine;
    const key = JSON.stringify(cluster);
    if (this.loaded?.key !== key) {
      this.loaded = undefined;
      // Counts, not the pods and Services lists: the element draws nodes and numbers, and at
      // 150,000 pods the lists are ~25 MB to copy onto the page's thread.
      const summary = await engine.load(cluster, { lists: false });
      this.loaded = { key, summary };
    }
    if (hooks.signal.aborted) throw new K8sNetFlowError("cancelled", "the simulation was cancelled");
    hooks.onLoaded(this.loaded.summary);
    const result = await engine.simulate(plan, { signal: hooks.signal, onProgress: hooks.onProgress });
    return { summary: this.loaded.summary, result };
  }

  async dispose(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.loaded = undefined;
    this.workers = 0;
    await engine?.then((e) => e.dispose(), () => {});
  }
}
