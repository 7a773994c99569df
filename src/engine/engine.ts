// The engine API: the one door into the simulator for components, the CLI and benchmarks.

import type { ConnectionQuery, PolicyVerdict } from "../policy/evaluate.js";
import type { MatrixOptions, PolicyMatrix } from "../policy/matrix.js";
import { K8sNetFlowError } from "../errors.js";
import { dataplaneWasmBytes } from "../dataplane/wasm-bytes.js";
import { unpackTrace } from "../dataplane/packed-trace.js";
import type { ModelInput } from "../model/types.js";
import type { EngineHost } from "./hosts/host.js";
import { startInline } from "./hosts/inline.js";
import { startWorker } from "./hosts/worker.js";
import type { ShardResult, SimulationPlan, SimulationResult, SimulationTiming } from "./simulate.js";
import { unpackResult } from "./result-wire.js";
import type { FlowQuery, LoadOptions, ModelSummary, PolicyNote, ShowOutput, ShowRequest, Trace } from "./types.js";

export interface EngineOptions {
  /**
   * Where the simulation runs. `worker` (a Web Worker, or a worker thread in Node) keeps the
   * caller's thread free; `inline` runs in the caller's thread; `auto` (the default) tries a
   * worker and falls back to inline when workers are unavailable or blocked, saying so once
   * in the console.
   */
  host?: "auto" | "worker" | "inline";
  /** Workers to shard simulations over (default 1; traces and outputs use the first). */
  workers?: number;
}

export interface SimulateOptions {
  /** Called at least 4 times a second with the flows done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the simulation within 100 ms; the call rejects with code `cancelled`. */
  signal?: AbortSignal;
}

export interface Engine {
  /** Where this engine actually runs. */
  readonly host: "worker" | "inline";
  readonly workers: number;
  /** Validates and compiles a cluster (a built-in scenario or a description); replaces the previous one. */
  load(input: ModelInput, options?: LoadOptions): Promise<ModelSummary>;
  /** Follows one connection through the loaded cluster, hop by hop (its DNS lookup first, for a name). */
  trace(flow: FlowQuery): Promise<Trace>;
  /** Opens many connections with counters only, sharded over the workers; same seed, same counters. */
  simulate(plan: SimulationPlan, options?: SimulateOptions): Promise<SimulationResult>;
  /** What a real tool prints on the simulated cluster (`cat /etc/resolv.conf`, `nslookup`, `iptables-save`, …). */
  show(request: ShowRequest): Promise<ShowOutput>;
  /** What the cluster's NetworkPolicies allow, pod × pod per port (the Kubernetes semantics), with a note on who enforces them. */
  policyMatrix(options?: MatrixOptions): Promise<PolicyMatrix & PolicyNote>;
  /** One connection against the NetworkPolicies: each side's isolating policies and deciding rules. */
  policyExplain(query: ConnectionQuery): Promise<PolicyVerdict & PolicyNote>;
  /** Stops the workers; later calls reject with code `disposed`. Calling it twice is harmless. */
  dispose(): Promise<void>;
  /** @internal Test hooks: a Wasm trap in a call, or a crashing worker. */
  debug(what: "trap" | "crash"): Promise<void>;
}

let warnedFallback = false;

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const want = options.host ?? "auto";
  if (want !== "auto" && want !== "worker" && want !== "inline") {
    throw new K8sNetFlowError("invalid-input", `expected "auto", "worker" or "inline", got "${String(want)}"`, "host");
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new K8sNetFlowError("invalid-input", `expected 1 to 64 workers, got ${String(options.workers)}`, "workers");
  if (want === "inline" && workers > 1) throw new K8sNetFlowError("invalid-input", "an in-thread engine has one worker: the caller's thread", "workers");
  const wasm = dataplaneWasmBytes();
  let kind: "worker" | "inline" = want === "inline" ? "inline" : "worker";
  const start = async (): Promise<EngineHost> => {
    if (kind === "inline") return startInline(wasm);
    try {
      return await startWorker(wasm);
    } catch (err) {
      if (want === "worker") throw err;
      if (!warnedFallback) {
        warnedFallback = true;
        console.info(`k8s-net-flow: running the engine in the page's thread (${err instanceof Error ? err.message : String(err)})`);
      }
      kind = "inline";
      return startInline(wasm);
    }
  };
  const first = await start();
  const hosts: EngineHost[] = [first, ...(await Promise.all(Array.from({ length: kind === "inline" ? 0 : workers - 1 }, () => start())))];
  return new EngineImpl(hosts, start, kind);
}

class EngineImpl implements Engine {
  private disposed = false;
  private lastInput: ModelInput | undefined;
  /** Simulation runs so far: a cancel names its run, so a late one never stops the next. */
  private runs = 0;

  constructor(
    private readonly hosts: EngineHost[],
    private readonly start: () => Promise<EngineHost>,
    readonly host: "worker" | "inline",
  ) {}

  get workers(): number {
    return this.hosts.length;
  }

  private live(): void {
    if (this.disposed) throw new K8sNetFlowError("disposed", "this engine has been disposed; create a new one");
  }

  /** Host i, restarted (with the last cluster loaded again) if its worker died. */
  private async get(i: number): Promise<EngineHost> {
    if (this.hosts[i]!.dead) {
      await this.hosts[i]!.dispose().catch(() => {});
      this.hosts[i] = await this.start();
      if (this.lastInput !== undefined) await this.hosts[i]!.load(this.lastInput);
    }
    return this.hosts[i]!;
  }

  async load(input: ModelInput, options: LoadOptions = {}): Promise<ModelSummary> {
    this.live();
    // Only the first worker's summary is returned: the others send counts only, and keep only
    // what simulation shards need (traces and outputs come from the first).
    const summaries = await Promise.all(this.hosts.map(async (_, i) => (await this.get(i)).load(input, i === 0 ? options : { lists: false }, i > 0)));
    this.lastInput = input;
    return summaries[0]!;
  }

  async trace(flow: FlowQuery): Promise<Trace> {
    this.live();
    // The hop records arrive as a typed array; they become objects here, where they are used.
    return unpackTrace(await (await this.get(0)).trace(flow));
  }

  async policyMatrix(options: MatrixOptions = {}): Promise<PolicyMatrix & PolicyNote> {
    this.live();
    return (await this.get(0)).policyMatrix(options);
  }

  async policyExplain(query: ConnectionQuery): Promise<PolicyVerdict & PolicyNote> {
    this.live();
    return (await this.get(0)).policyExplain(query);
  }

  async show(request: ShowRequest): Promise<ShowOutput> {
    this.live();
    return (await this.get(0)).show(request);
  }

  async simulate(plan: SimulationPlan, options: SimulateOptions = {}): Promise<SimulationResult> {
    this.live();
    const { signal, onProgress } = options;
    if (signal?.aborted) throw new K8sNetFlowError("cancelled", "the simulation was cancelled before it started");
    const started = performance.now();
    const hosts = await Promise.all(this.hosts.map((_, i) => this.get(i)));
    const done = new Array<number>(hosts.length).fill(0);
    let lastReport = 0;
    let ended = false;
    const report = (i: number, d: number, total: number) => {
      done[i] = d;
      if (ended) return;
      const now = Date.now();
      // Shards report their position in the whole plan: the slowest is the run's progress.
      const position = Math.min(...done);
      // Each shard reports every 200 ms of work; passing on at most one every 150 ms keeps ≥ 4 a
      // second even when messages arrive with jitter, without flooding the caller with N shards.
      if (onProgress && (now - lastReport >= 150 || position >= total)) {
        lastReport = now;
        ended = position >= total;
        onProgress(Math.min(position, total), total);
      }
    };
    const run = ++this.runs;
    const abort = () => hosts.forEach((h) => h.cancel(run));
    signal?.addEventListener("abort", abort);
    try {
      const settled = await Promise.allSettled(
        hosts.map((h, i) =>
          h.simulate(plan, i, hosts.length, run, (d, t) => report(i, d, t)).catch((err: unknown) => {
            // One shard failing (a bad plan, a crash) stops the others instead of letting them run on.
            abort();
            throw err;
          }),
        ),
      );
      // Every shard has stopped by now, so the engine is idle when this call settles.
      // The cause, not the "cancelled" of the shards it stopped (unless the caller aborted).
      const failures = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
      if (failures.length) throw failures.find((e) => !(e instanceof K8sNetFlowError && e.code === "cancelled")) ?? failures[0];
      const result = unpackResult(await hosts[0]!.aggregate(plan, settled.map((r) => (r as PromiseFulfilledResult<ShardResult>).value)));
      // Wall time is the one number that differs between runs: not enumerable, so the result's
      // JSON and deep equality stay the deterministic part (the CLI's --json adds it).
      const seconds = Math.max(1e-6, (performance.now() - started) / 1000);
      const timing: SimulationTiming = { seconds, packetsPerSecond: result.packets / seconds, connectionsPerSecond: result.flows / seconds };
      Object.defineProperty(result, "timing", { value: timing, enumerable: false, configurable: true, writable: true });
      return result;
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  async debug(what: "trap" | "crash"): Promise<void> {
    this.live();
    return (await this.get(0)).debug(what);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.hosts.map((h) => h.dispose()));
  }
}
