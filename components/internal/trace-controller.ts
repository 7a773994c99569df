// Owns the link between an element and the engine: loads the cluster, traces the flow, and
// keeps only the newest answer when inputs change faster than the engine replies.

import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { ModelInput } from "../../src/model/types.js";
import type { FlowQuery, ModelSummary, PolicyNote, ShowOutput, Trace } from "../../src/engine/types.js";
import type { MatrixOptions, PolicyMatrix } from "../../src/policy/matrix.js";
import type { ErrorInfo } from "../../src/errors.js";
import { toErrorInfo } from "../../src/errors.js";
import { withEngine } from "./shared-engine.js";

export type TraceState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "ready"; summary: ModelSummary; trace: Trace }
  | { status: "error"; error: ErrorInfo };

export class TraceController implements ReactiveController {
  state: TraceState = { status: "idle" };
  private generation = 0;
  /** What the last successful run loaded and traced, to replay before a command's output. */
  private last: { cluster: ModelInput; flow: FlowQuery } | undefined;

  constructor(private readonly host: ReactiveControllerHost & EventTarget) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Loads `input` (or what it resolves to: a fetched file) and traces `flow` (or the cluster's default flow). */
  async run(input: ModelInput | (() => Promise<ModelInput>), flow: Partial<FlowQuery>): Promise<void> {
    const mine = ++this.generation;
    this.state = { status: "loading" };
    this.host.requestUpdate();
    let next: TraceState;
    try {
      const cluster = typeof input === "function" ? await input() : input;
      next = await withEngine(async (engine) => {
        const summary = await engine.load(cluster);
        const from = flow.from || summary.defaultFlow?.from;
        const to = flow.to || summary.defaultFlow?.to;
        if (!from || !to) {
          return { status: "error", error: { code: "invalid-input", path: from ? "to" : "from", message: "set the from and to attributes: this cluster has no default flow" } } as const;
        }
        const query = { ...flow, from, to };
        const trace = await engine.trace(query);
        this.last = { cluster, flow: query };
        return { status: "ready", summary, trace } as const;
      });
    } catch (err) {
      next = { status: "error", error: toErrorInfo(err) };
    }
    if (mine !== this.generation) return; // a newer run superseded this one
    this.state = next;
    this.host.requestUpdate();
    const detail = next.status === "ready" ? { trace: next.trace } : next.status === "error" ? { error: next.error } : undefined;
    const type = next.status === "ready" ? "k8s-trace" : "k8s-error";
    this.host.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /**
   * What `command` prints on a node or in a pod of the traced cluster, after the traced flow
   * (so conntrack and the rule counters show its traffic). The shared engine holds one
   * cluster at a time, so this loads and traces again first.
   */
  /** The traced cluster's NetworkPolicy truth table (src/policy/matrix.ts). */
  async policyMatrix(options: MatrixOptions): Promise<PolicyMatrix & PolicyNote> {
    const last = this.last;
    if (!last) throw new Error("no trace yet");
    return withEngine(async (engine) => {
      await engine.load(last.cluster, { lists: false });
      return engine.policyMatrix(options);
    });
  }

  async show(command: string, target: { node?: string; pod?: string }): Promise<ShowOutput> {
    const last = this.last;
    if (!last) throw new Error("no trace yet");
    return withEngine(async (engine) => {
      await engine.load(last.cluster);
      await engine.trace(last.flow);
      return engine.show({ command, ...target });
    });
  }
}
