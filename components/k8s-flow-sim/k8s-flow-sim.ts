import { html, LitElement, nothing, type PropertyValues } from "lit";
import { guard } from "lit/directives/guard.js";
import { DEFAULT_SCENARIO, SCENARIOS } from "../../src/model/scenarios.js";
import { CNI_MODES, KUBE_PROXY_MODES, type CniPlugin, type ModelInput, type ModelProblem } from "../../src/model/types.js";
import { withSettings } from "../../src/model/with-settings.js";
import type { SimulationPlan, SimulationResult } from "../../src/engine/simulate.js";
import { TRAFFIC_PATTERNS, type ModelSummary, type TrafficPattern } from "../../src/engine/types.js";
import { K8sNetFlowError, toErrorInfo, type ErrorInfo } from "../../src/errors.js";
import { AncestorTheme } from "../internal/ancestor-theme.js";
import { NearViewport } from "../internal/near-viewport.js";
import { SimEngine } from "./sim-controller.js";
import { binLabel, gridBitmap, PairBinner, paint, toRgb, topPairs, type HeatGrid } from "./heatmap.js";
import { fmt, histogramData, renderHistogram, type HistogramData } from "./histogram.js";
import { styles } from "./k8s-flow-sim.styles.js";
import { conntrackSeries, eventMarkers, rateSeries, timelineOf } from "./timeline.js";
import { renderTimeSeries } from "./timeseries.js";

type SimState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "running"; done: number; total: number; eta: number | undefined }
  | { status: "done"; result: SimulationResult; summary: ModelSummary; seconds: number }
  | { status: "cancelled" }
  | { status: "error"; error: ErrorInfo };

/** The plan's fields the element validates before starting anything, with their limits. */
const LIMITS: Record<string, [number, number]> = { flows: [1, 1e9], packetsPerFlow: [1, 1e6], workers: [1, 16], seed: [0, 0xffffffff], nodes: [0, 5000], pods: [0, 150000], services: [0, 10000], rate: [1, 1e9], churnEvents: [0, 100], churnEndpoints: [1, 1e6], detectSeconds: [0, 1e7] };

/**
 * @summary Many connections through a simulated cluster, at Kubernetes' scale limits, with live progress and charts.
 * @tagname k8s-flow-sim
 *
 * The plan runs in the engine's Web Workers (the WebAssembly dataplane, counters only); the
 * page's thread only draws. Nothing starts until Run is pressed (or, with `autorun`, until the
 * element scrolls near the viewport).
 *
 * @event k8s-sim-progress - The run advanced; `detail.done`, `detail.total` (flows), `detail.eta` (seconds, once known).
 * @event k8s-sim-done - The run finished; `detail.result` is the engine's SimulationResult.
 * @event k8s-error - The plan or the cluster was refused, or the run failed or was cancelled; `detail.error` has `code`, `path`, `message`.
 *
 * @csspart form - The plan's form.
 * @csspart run - The Run button.
 * @csspart cancel - The Cancel button.
 * @csspart progress - The progress bar.
 * @csspart status - Progress, ETA, the result's summary and error messages.
 * @csspart conntrack-chart - The SVG line chart of conntrack entries over simulated time, with the run's events.
 * @csspart conntrack-table - The conntrack chart's numbers as a table (in a <details>).
 * @csspart rate-chart - The SVG line chart of delivered and dropped packets per second of simulated time, with the run's events.
 * @csspart rate-table - The packets-per-second chart's numbers as a table (in a <details>).
 * @csspart histogram - The SVG bar chart of connections per endpoint.
 * @csspart heatmap - The canvas heat map of packets between nodes.
 * @csspart readout - The heat map cell under the pointer or keyboard cursor.
 * @csspart pairs - The busiest node pairs as a table (the heat map's text alternative).
 * @csspart counters - The counters and drops table.
 *
 * @cssproperty --k8s-bg - Background.
 * @cssproperty --k8s-fg - Text colour.
 * @cssproperty --k8s-muted - Secondary text, axes.
 * @cssproperty --k8s-border - Borders.
 * @cssproperty --k8s-node-bg - Buttons and the progress bar's track.
 * @cssproperty --k8s-accent - Errors, the hovered bar and the dropped-packets line.
 * @cssproperty --k8s-bar - Bars, the progress bar's fill and the time series' first line.
 * @cssproperty --k8s-heat-low - Heat map colour of the least traffic (empty cells take --k8s-bg).
 * @cssproperty --k8s-heat-high - Heat map colour of the most traffic.
 * @cssproperty --k8s-focus - Keyboard focus ring and the heat map cursor.
 * @cssproperty --k8s-font - Text font.
 * @cssproperty --k8s-mono - Font of numbers.
 */
export class K8sFlowSimElement extends LitElement {
  static override styles = styles;

  static override properties = {
    scenario: { type: String, reflect: true },
    nodes: { type: Number, reflect: true },
    pods: { type: Number, reflect: true },
    services: { type: Number, reflect: true },
    mode: { type: String, reflect: true },
    cni: { type: String, reflect: true },
    flows: { type: Number, reflect: true },
    packetsPerFlow: { type: Number, reflect: true, attribute: "packets-per-flow" },
    pattern: { type: String, reflect: true },
    rate: { type: Number, reflect: true },
    churnEvents: { type: Number, reflect: true, attribute: "churn-events" },
    churnEndpoints: { type: Number, reflect: true, attribute: "churn-endpoints" },
    failNode: { type: String, reflect: true, attribute: "fail-node" },
    failAt: { type: Number, reflect: true, attribute: "fail-at" },
    detectSeconds: { type: Number, reflect: true, attribute: "detect-seconds" },
    workers: { type: Number, reflect: true },
    seed: { type: Number, reflect: true },
    theme: { type: String, reflect: true },
    autorun: { type: Boolean, reflect: true },
  };

  /** Built-in cluster to simulate (see SCENARIOS), when `nodes` is 0. */
  declare scenario: string;
  /** Nodes of a generated cluster (1–5,000); 0 simulates `scenario` instead. */
  declare nodes: number;
  /** Pods of the generated cluster (0: the generator's 30 per node). */
  declare pods: number;
  /** Services of the generated cluster (0: the generator's one per 15 pods). */
  declare services: number;
  /** kube-proxy's mode (`iptables`, `nftables`, `ipvs`, `ebpf`); the cluster's own when empty. */
  declare mode: string;
  /** The CNI as `plugin` or `plugin/mode` (e.g. `calico/ipip`); the cluster's own when empty. */
  declare cni: string;
  /** Connections to open. */
  declare flows: number;
  /** Packets per connection (the first opens it). */
  declare packetsPerFlow: number;
  /** Where connections go: `uniform`, `zipf`, `all-to-all`, `dns` or `external` (see the engine's SimulationPlan). */
  declare pattern: TrafficPattern;
  /** New connections per simulated second, cluster-wide. */
  declare rate: number;
  /** Endpoint churn: times during the run that endpoints leave their Services (0: none). */
  declare churnEvents: number;
  /** Endpoints each churn event takes out. */
  declare churnEndpoints: number;
  /** A node that fails during the run (empty: none). */
  declare failNode: string;
  /** When it fails, as the share of the plan's flows started (0–1). */
  declare failAt: number;
  /** Seconds until the failed node is NotReady and its endpoints leave their Services. */
  declare detectSeconds: number;
  /** Web Workers sharing the plan (same seed, same counters, whatever the count). */
  declare workers: number;
  /** Seed of the plan and of the generated cluster. */
  declare seed: number;
  /** `auto` follows an ancestor's `data-theme`, else the reader's colour scheme; `light` or `dark` force one. */
  declare theme: "auto" | "light" | "dark";
  /** Run once as soon as the element is near the viewport. */
  declare autorun: boolean;

  private state: SimState = { status: "idle" };
  private readonly sim = new SimEngine();
  private abort: AbortController | undefined;
  private generation = 0;

  constructor() {
    super();
    this.scenario = DEFAULT_SCENARIO;
    this.nodes = 0;
    this.pods = 0;
    this.services = 0;
    this.mode = "";
    this.cni = "";
    this.flows = 100_000;
    this.packetsPerFlow = 10;
    this.pattern = "uniform";
    this.rate = 10_000;
    this.churnEvents = 0;
    this.churnEndpoints = 10;
    this.failNode = "";
    this.failAt = 0.5;
    this.detectSeconds = 40;
    this.workers = 2;
    this.seed = 1;
    this.theme = "auto";
    this.autorun = false;
  }

  /** The last finished run's result, or undefined. */
  get result(): SimulationResult | undefined {
    return this.state.status === "done" ? this.state.result : undefined;
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.state.status === "loading" || this.state.status === "running";
  }

  /** The plan the attributes describe, as `engine.simulate` takes it. */
  plan(): SimulationPlan {
    return {
      flows: this.flows,
      packetsPerFlow: this.packetsPerFlow,
      pattern: this.pattern,
      seed: this.seed,
      connectionsPerSecond: this.rate,
      ...(this.churnEvents > 0 ? { churn: { events: this.churnEvents, endpoints: this.churnEndpoints } } : {}),
      ...(this.failNode ? { nodeFailure: { node: this.failNode, at: this.failAt, detectionSeconds: this.detectSeconds } } : {}),
    };
  }

  /** The cluster the attributes describe, as `engine.load` takes it. */
  cluster(): ModelInput {
    const settings: Record<string, unknown> = {};
    if (this.mode) settings.kubeProxy = { mode: this.mode };
    if (this.cni) {
      const [plugin, mode] = this.cni.split("/");
      settings.cni = { plugin, ...(mode ? { mode } : {}) };
    }
    const input: ModelInput = this.nodes > 0 ? { generate: { nodes: this.nodes, ...(this.pods ? { pods: this.pods } : {}), ...(this.services ? { services: this.services } : {}), seed: this.seed } } : { scenario: this.scenario };
    return withSettings(input, settings);
  }

  /** Runs the plan (cancelling a run in progress first); resolves when it has finished, failed or been cancelled. */
  async run(): Promise<void> {
    this.cancel();
    const mine = ++this.generation;
    const abort = (this.abort = new AbortController());
    this.state = { status: "loading" };
    this.requestUpdate();
    let started = 0;
    let first: { t: number; done: number } | undefined;
    try {
      this.validate();
      const { result, summary } = await this.sim.run(this.cluster(), this.plan(), this.workers, {
        signal: abort.signal,
        onLoaded: () => {
          started = performance.now();
          if (mine === this.generation) this.state = { status: "running", done: 0, total: this.flows, eta: undefined };
          this.requestUpdate();
        },
        onProgress: (done, total) => {
          if (mine !== this.generation) return;
          const now = performance.now();
          // The pace since the first report: the workers' start-up (picking their shards) is
          // not the steady rate, so the ETA starts from the second report on.
          let eta: number | undefined;
          if (!first) first = { t: now, done };
          else if (done > first.done) eta = ((now - first.t) / (done - first.done)) * (total - done) / 1000;
          this.state = { status: "running", done, total, eta };
          this.requestUpdate();
          this.dispatchEvent(new CustomEvent("k8s-sim-progress", { bubbles: true, composed: true, detail: { done, total, eta } }));
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (mine !== this.generation) return;
      // The result arrives in the task that deserialized it. Drawing it is split into tasks of
      // their own — the heat map's grid in slices, the charts above the heat map, the rest, the
      // heat map's bitmap — so none holds the page's thread past a long task's 50 ms (at 5,000
      // nodes, the grid alone would take that; on a busy machine, every task takes longer).
      await nextTask();
      if (mine !== this.generation || !(await this.prepareGrid(result, summary, mine))) return;
      await nextTask();
      if (mine !== this.generation) return;
      this.histogramOf(result);
      await nextTask();
      if (mine !== this.generation) return;
      this.state = { status: "done", result, summary, seconds };
      this.cursor = undefined;
      for (let part = 1; part <= RESULT_PARTS; part++) {
        if (part > 1) {
          await nextTask();
          if (mine !== this.generation) return;
        }
        this.shown = part;
        this.requestUpdate();
        await this.updateComplete;
      }
      await this.bitmapTask;
      if (mine !== this.generation) return;
      // Done once the charts are drawn: a listener reads what the reader sees.
      this.dispatchEvent(new CustomEvent("k8s-sim-done", { bubbles: true, composed: true, detail: { result } }));
    } catch (err) {
      if (mine !== this.generation) return;
      const error = toErrorInfo(err);
      this.state = error.code === "cancelled" ? { status: "cancelled" } : { status: "error", error };
      this.requestUpdate();
      this.dispatchEvent(new CustomEvent("k8s-error", { bubbles: true, composed: true, detail: { error } }));
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  /** Stops the run in progress (the workers stop within about 100 ms); the element stays ready for the next. */
  cancel(): void {
    this.abort?.abort();
    this.abort = undefined;
  }

  private validate(): void {
    const values: Record<string, number> = { flows: this.flows, packetsPerFlow: this.packetsPerFlow, workers: this.workers, seed: this.seed, nodes: this.nodes, pods: this.pods, services: this.services, rate: this.rate, churnEvents: this.churnEvents, churnEndpoints: this.churnEndpoints, detectSeconds: this.detectSeconds };
    for (const [key, [min, max]] of Object.entries(LIMITS)) {
      const v = values[key]!;
      if (!Number.isInteger(v) || v < min || v > max) throw new K8sNetFlowError("invalid-input", `${key} must be a whole number from ${fmt(min)} to ${fmt(max)}, got ${String(v)}`, key);
    }
    if (!TRAFFIC_PATTERNS.includes(this.pattern)) throw new K8sNetFlowError("invalid-input", `pattern must be one of ${TRAFFIC_PATTERNS.join(", ")}, got ${JSON.stringify(this.pattern)}`, "pattern");
    if (!(this.failAt >= 0 && this.failAt <= 1)) throw new K8sNetFlowError("invalid-input", `fail-at must be a share of the flows from 0 to 1, got ${String(this.failAt)}`, "failAt");
  }

  // ---- lifecycle: lazy start, theme ----

  /** The engine starts (and the work runs) only once the element is near the viewport. */
  private readonly viewport = new NearViewport(this);
  private autoran = false;
  private readonly internals: ElementInternals | undefined = typeof this.attachInternals === "function" ? this.attachInternals() : undefined;
  // A new theme needs a new heat-map bitmap (it holds resolved colours).
  private readonly ancestorTheme = new AncestorTheme(this, this.internals, () => {
    this.bitmapStale = true;
    this.requestUpdate();
  });
  private readonly schemeWatch = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : undefined;
  /** The heat map's bitmap holds resolved colours: a new colour scheme needs a new one. */
  private onScheme = (): void => {
    this.bitmapStale = true;
    this.requestUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    this.schemeWatch?.addEventListener("change", this.onScheme);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel();
    this.generation++;
    if (this.running) this.state = { status: "idle" };
    void this.sim.dispose();
    this.schemeWatch?.removeEventListener("change", this.onScheme);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("theme")) this.ancestorTheme.follow();
    if (this.autorun && this.viewport.near && !this.autoran) {
      this.autoran = true;
      void this.run();
    }
  }

  // ---- heat map ----

  private grid: HeatGrid | undefined;
  private gridOf: SimulationResult | undefined;
  /** The 20 busiest node pairs of gridOf (sorted once, not on every cursor move). */
  private topPairs: SimulationResult["nodePairs"] = [];
  private bitmap: HTMLCanvasElement | undefined;
  /** The bitmap's colours are the previous theme's: painted until the new one is made. */
  private bitmapStale = false;
  /** Making the bitmap, in a task after the render's (settles when it is painted). */
  private bitmapTask: Promise<void> | undefined;
  private cursor: { row: number; col: number } | undefined;

  protected override updated(): void {
    const bar = this.renderRoot.querySelector<HTMLElement>("[part=progress] .fill");
    // Through the CSSOM: strict CSP pages forbid style attributes, not style properties.
    if (bar && this.state.status === "running") bar.style.transform = `scaleX(${this.state.total ? this.state.done / this.state.total : 0})`;
    this.drawHeatmap();
  }

  private drawHeatmap(): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>("canvas[part=heatmap]");
    if (!canvas || this.state.status !== "done" || !this.grid) return;
    if (!this.bitmap || this.bitmapStale) {
      // Not in the render's task, and after the frame that lays the new DOM out (else reading
      // the canvas' size forces that layout inside this task): at 5,000 nodes each is ~20 ms.
      this.bitmapTask ??= afterFrame().then(() => {
        this.bitmapTask = undefined;
        if (this.state.status !== "done" || !this.grid) return;
        const css = getComputedStyle(this);
        this.bitmap = gridBitmap(this.grid, toRgb(css.getPropertyValue("--k8s-bg"), [255, 255, 255]), toRgb(css.getPropertyValue("--k8s-heat-low"), [221, 244, 255]), toRgb(css.getPropertyValue("--k8s-heat-high"), [179, 16, 29]));
        this.bitmapStale = false;
        this.drawHeatmap();
      });
      if (!this.bitmap) return;
    }
    const px = Math.round((canvas.clientWidth || 360) * (devicePixelRatio || 1));
    if (canvas.width !== px) canvas.width = canvas.height = px;
    paint(canvas, this.bitmap, this.grid.size, this.cursor, getComputedStyle(this).getPropertyValue("--k8s-focus").trim() || "#0969da");
  }

  /** The grid for this result: one cell per node while the canvas has a pixel per node, else bins. */
  private heatGrid(result: SimulationResult, summary: ModelSummary): HeatGrid {
    if (this.gridOf !== result || !this.grid) {
      const binner = this.binner(summary);
      binner.add(result.nodePairs);
      this.setGrid(result, binner.grid());
    }
    return this.grid!;
  }

  private binner(summary: ModelSummary): PairBinner {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>("canvas[part=heatmap]");
    return new PairBinner(summary.nodes.map((n) => n.name), canvas?.clientWidth || 360);
  }

  private setGrid(result: SimulationResult, grid: HeatGrid): void {
    this.grid = grid;
    this.gridOf = result;
    this.topPairs = topPairs(result.nodePairs, 20);
    this.bitmap = undefined;
  }

  /** heatGrid in slices of the page's thread of at most SLICE_MS each; false if a newer run took over. */
  private async prepareGrid(result: SimulationResult, summary: ModelSummary, mine: number): Promise<boolean> {
    const binner = this.binner(summary);
    const pairs = result.nodePairs;
    for (let i = 0; i < pairs.length; ) {
      const until = performance.now() + SLICE_MS;
      do {
        binner.add(pairs, i, Math.min(pairs.length, i + 2048));
        i += 2048;
      } while (i < pairs.length && performance.now() < until);
      if (i < pairs.length) {
        await nextTask();
        if (mine !== this.generation) return false;
      }
    }
    await nextTask();
    if (mine !== this.generation) return false;
    const grid = binner.grid();
    await nextTask();
    if (mine !== this.generation) return false;
    this.setGrid(result, grid);
    return true;
  }

  private histogram: { of: SimulationResult; data: HistogramData } | undefined;
  private histogramOf(result: SimulationResult): HistogramData {
    if (this.histogram?.of !== result) this.histogram = { of: result, data: histogramData(result.endpoints) };
    return this.histogram.data;
  }

  private cellAt = (e: PointerEvent): void => {
    const canvas = e.currentTarget as HTMLCanvasElement;
    if (!this.grid) return;
    const r = canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - r.left) / r.width) * this.grid.size);
    const row = Math.floor(((e.clientY - r.top) / r.height) * this.grid.size);
    if (row < 0 || col < 0 || row >= this.grid.size || col >= this.grid.size) return;
    this.cursor = { row, col };
    this.requestUpdate();
  };

  private onHeatKey = (e: KeyboardEvent): void => {
    if (!this.grid) return;
    const last = this.grid.size - 1;
    const c = this.cursor ?? { row: 0, col: 0 };
    const page = Math.max(1, Math.round(this.grid.size / 10));
    const moves: Record<string, [number, number]> = { ArrowUp: [c.row - 1, c.col], ArrowDown: [c.row + 1, c.col], ArrowLeft: [c.row, c.col - 1], ArrowRight: [c.row, c.col + 1], PageUp: [c.row - page, c.col], PageDown: [c.row + page, c.col], Home: [c.row, 0], End: [c.row, last] };
    const to: [number, number] | undefined = this.cursor ? moves[e.key] : e.key in moves ? [0, 0] : undefined;
    if (!to) return;
    e.preventDefault();
    this.cursor = { row: Math.max(0, Math.min(last, to[0])), col: Math.max(0, Math.min(last, to[1])) };
    this.requestUpdate();
  };

  private readout(): string {
    const g = this.grid;
    const c = this.cursor;
    if (!g || !c) return "Point at a cell, or focus the map and use the arrow keys, to read it.";
    const packets = g.cells[c.row * g.size + c.col]!;
    return `From ${binLabel(g, c.row)} to ${binLabel(g, c.col)}: ${fmt(packets)} packet${packets === 1 ? "" : "s"}${g.total ? ` (${((packets / g.total) * 100).toFixed(2)}% of delivered)` : ""}.`;
  }

  // ---- rendering ----

  protected override render() {
    const s = this.state;
    const busy = this.running;
    return html`
      <h2>Simulate many connections</h2>
      ${this.renderForm(busy)}
      ${busy ? this.renderProgress() : nothing}
      <div part="status" role="status" aria-live="polite" class=${s.status === "error" ? "error" : ""}>${this.statusText()}</div>
      ${s.status === "error" ? renderProblems(s.error.problems) : nothing}
      ${s.status === "done" ? this.renderResult(s.result, s.summary) : nothing}
    `;
  }

  private statusText(): string {
    const s = this.state;
    switch (s.status) {
      case "idle":
        return "Set the plan and press Run.";
      case "loading":
        return "Loading the cluster into the workers…";
      case "running":
        return `${fmt(s.done)} of ${fmt(s.total)} flows (${Math.floor((s.done / Math.max(1, s.total)) * 100)}%)${s.eta !== undefined ? `, about ${formatSeconds(s.eta)} left` : ""}.`;
      case "cancelled":
        return "Cancelled. Change the plan or run it again.";
      case "error":
        return `Error (${s.error.code})${s.error.path ? ` at ${s.error.path}` : ""}: ${s.error.message}`;
      case "done": {
        const r = s.result;
        return `${fmt(r.flows)} connections, ${fmt(r.packets)} packets on ${fmt(s.summary.counts.nodes)} nodes with ${r.workers} worker${r.workers === 1 ? "" : "s"} in ${s.seconds.toFixed(2)} s (${fmt(Math.round(r.packets / Math.max(s.seconds, 1e-3)))} packets/s); ${r.rulesPerNewConnection.median.toFixed(0)} rules walked per new connection (median), ${r.rulesPerConnection.toFixed(1)} per connection over all its packets.`;
      }
    }
  }

  private renderProgress() {
    const s = this.state;
    if (s.status !== "running") return html`<div part="progress" class="indeterminate" role="progressbar" aria-label="Simulation progress" aria-valuetext="Loading the cluster"><div class="fill"></div></div>`;
    const pct = Math.floor((s.done / Math.max(1, s.total)) * 100);
    return html`<div part="progress" role="progressbar" aria-label="Simulation progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}
      aria-valuetext="${pct}%${s.eta !== undefined ? `, about ${formatSeconds(s.eta)} left` : ""}"><div class="fill"></div></div>`;
  }

  private renderForm(busy: boolean) {
    const generated = this.nodes > 0;
    const num = (name: keyof this & string, label: string, min: number, max: number, cls = "") => html`<label>${label}
      <input type="number" name=${name} class=${cls} min=${min} max=${max} step="1" .value=${String(this[name])} ?disabled=${busy}
        @change=${(e: Event) => ((this as unknown as Record<string, number>)[name] = Number((e.target as HTMLInputElement).value))}></label>`;
    const cnis = (Object.keys(CNI_MODES) as CniPlugin[]).flatMap((p) => CNI_MODES[p].map((m) => `${p}/${m}`));
    return html`<form part="form" aria-label="Simulation plan" novalidate @submit=${(e: Event) => {
      e.preventDefault();
      void this.run();
    }}>
      <fieldset>
        <legend>Cluster</legend>
        <label>Cluster
          <select name="cluster" ?disabled=${busy} @change=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v === "generate") this.nodes = this.nodes || 100;
            else {
              this.nodes = 0;
              this.scenario = v;
            }
          }}>
            <option value="generate" ?selected=${generated}>generated</option>
            ${Object.keys(SCENARIOS).map((k) => html`<option value=${k} ?selected=${!generated && k === this.scenario}>${k}</option>`)}
          </select>
        </label>
        ${generated ? html`${num("nodes", "Nodes", 1, 5000)}${num("pods", "Pods (0: 30/node)", 0, 150000, "wide")}${num("services", "Services (0: pods/15)", 0, 10000, "wide")}` : nothing}
        <label>kube-proxy
          <select name="mode" ?disabled=${busy} @change=${(e: Event) => (this.mode = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${!this.mode}>cluster's own</option>
            ${KUBE_PROXY_MODES.map((m) => html`<option value=${m} ?selected=${m === this.mode}>${m}</option>`)}
          </select>
        </label>
        <label>CNI
          <select name="cni" ?disabled=${busy} @change=${(e: Event) => (this.cni = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${!this.cni}>cluster's own</option>
            ${cnis.map((c) => html`<option value=${c} ?selected=${c === this.cni}>${c}</option>`)}
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>Traffic</legend>
        ${num("flows", "Flows", 1, 1e9, "wide")}
        ${num("packetsPerFlow", "Packets per flow", 1, 1e6)}
        <label>Pattern
          <select name="pattern" ?disabled=${busy} @change=${(e: Event) => (this.pattern = (e.target as HTMLSelectElement).value as TrafficPattern)}>
            ${TRAFFIC_PATTERNS.map((p) => html`<option value=${p} ?selected=${p === this.pattern}>${p}</option>`)}
          </select>
        </label>
        ${num("rate", "Connections / s", 1, 1e9, "wide")}
        ${num("workers", "Workers", 1, 16)}
        ${num("seed", "Seed", 0, 0xffffffff, "wide")}
      </fieldset>
      <fieldset>
        <legend>Events</legend>
        ${num("churnEvents", "Churn events", 0, 100)}
        ${num("churnEndpoints", "Endpoints each", 1, 1e6)}
        <label>Failing node
          <input type="text" name="failNode" .value=${this.failNode} placeholder="none" ?disabled=${busy} @change=${(e: Event) => (this.failNode = (e.target as HTMLInputElement).value.trim())}></label>
        <label>Fails at (0–1)
          <input type="number" name="failAt" min="0" max="1" step="0.05" .value=${String(this.failAt)} ?disabled=${busy} @change=${(e: Event) => (this.failAt = Number((e.target as HTMLInputElement).value))}></label>
        ${num("detectSeconds", "Detected after (s)", 0, 1e7)}
      </fieldset>
      <div class="actions">
        <button type="submit" part="run" class="run" ?disabled=${busy}>Run</button>
        <button type="button" part="cancel" ?disabled=${!busy} @click=${() => this.cancel()}>Cancel</button>
      </div>
    </form>`;
  }

  /** Which time series' tables are open (their rows are rendered only then). */
  private openTables = { conntrack: false, rate: false };

  /** The run over simulated time, when the engine's result has a timeline (engines before it have none). */
  private renderTimeline(result: SimulationResult) {
    const t = timelineOf(result);
    if (!t) return nothing;
    const events = eventMarkers(t.events);
    const perSecond = (n: number) => fmt(Math.round(n));
    const toggle = (key: "conntrack" | "rate") => (open: boolean) => {
      if (this.openTables[key] === open) return;
      this.openTables = { ...this.openTables, [key]: open };
      this.requestUpdate();
    };
    return html`<h3>Conntrack entries over time</h3>
      ${renderTimeSeries({ id: "conntrack", title: "Conntrack entries over time, all nodes", part: "conntrack-chart", tablePart: "conntrack-table", series: ["conntrack entries"], unit: "entries", points: conntrackSeries(t.timeline), events, tableOpen: this.openTables.conntrack, onToggle: toggle("conntrack") })}
      <h3>Packets per second</h3>
      ${renderTimeSeries({ id: "rate", title: "Packets per second of simulated time, delivered and dropped", part: "rate-chart", tablePart: "rate-table", series: ["delivered", "dropped"], unit: "packets/s", points: rateSeries(t.timeline), events, format: perSecond, tableOpen: this.openTables.rate, onToggle: toggle("rate") })}`;
  }

  /** How much of a new result is rendered, a task each (see run()): 1 the time series, 2 and the bars, 3 everything. */
  private shown = RESULT_PARTS;

  private renderResult(result: SimulationResult, summary: ModelSummary) {
    const charts = html`
      ${guard([result, this.openTables.conntrack, this.openTables.rate], () => this.renderTimeline(result))}
      ${this.shown >= 2 ? html`<h3>Connections per endpoint</h3>
        ${guard([result], () => renderHistogram(result.endpoints, "hist-title", "hist-desc", this.histogramOf(result)))}` : nothing}`;
    if (this.shown < 3) return charts;
    const grid = this.heatGrid(result, summary);
    const top = this.topPairs;
    const cellText = grid.perCell > 1 ? `${fmt(grid.nodes.length)} nodes in ${grid.size} × ${grid.size} cells of ${grid.perCell} nodes each` : `${fmt(grid.nodes.length)} × ${fmt(grid.nodes.length)} nodes`;
    const share = grid.total ? ((grid.sameNode / grid.total) * 100).toFixed(1) : "0";
    return html`
      ${charts}
      <h3>Packets between nodes</h3>
      <div class="heat">
        <canvas part="heatmap" tabindex="0" role="img" width="360" height="360"
          aria-label="Heat map of delivered packets, origin node by row, delivery node by column: ${cellText}. ${share}% stayed on their node. Arrow keys move a cursor over the cells."
          aria-describedby="readout" @pointermove=${this.cellAt} @keydown=${this.onHeatKey}></canvas>
        <div>
          <p part="readout" id="readout" aria-live="polite">${this.readout()}</p>
          <p class="legend">Rows: the node a packet started on; columns: the node it was delivered on; ${cellText}. Colour: packets on a log scale (empty cells in the background colour). ${fmt(grid.total)} packets delivered, ${share}% on the node they started on.</p>
        </div>
      </div>
      <details part="pairs">
        <summary>Busiest node pairs (table)</summary>
        <table>
          <caption class="sr">The ${top.length} node pairs that carried the most packets, of ${fmt(result.nodePairs.length)}</caption>
          <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Packets</th><th scope="col">Share</th></tr></thead>
          <tbody>${top.map((p) => html`<tr><td>${p.from}</td><td>${p.to}</td><td class="num">${fmt(p.packets)}</td><td class="num">${grid.total ? ((p.packets / grid.total) * 100).toFixed(2) : "0"}%</td></tr>`)}</tbody>
        </table>
      </details>
      <h3>Counters</h3>
      ${guard([result], () => html`<div class="tables" part="counters">
        ${table("Counters", Object.entries(result.counters))}
        ${table("Drops by reason", Object.entries(result.drops), "no drops")}
        ${table("Statistics", extraStats(result), "")}
      </div>`)}`;
  }
}

/** Numbers the engine adds to the result beyond the fields this element knows (statistics as they arrive). */
const KNOWN = new Set(["plan", "workers", "flows", "packets", "counters", "drops", "endpoints", "nodePairs", "rulesPerConnection"]);
function extraStats(result: SimulationResult): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [k, v] of Object.entries(result)) {
    if (KNOWN.has(k)) continue;
    if (typeof v === "number") out.push([k, v]);
    else if (v && typeof v === "object" && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) if (typeof v2 === "number") out.push([`${k}.${k2}`, v2]);
  }
  return out;
}

function table(caption: string, rows: Array<[string, number]>, empty = "none") {
  if (!rows.length && !empty) return nothing;
  return html`<table>
    <caption>${caption}</caption>
    <tbody>${rows.length ? rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="num">${Number.isInteger(v) ? fmt(v) : v.toPrecision(4)}</td></tr>`) : html`<tr><td>${empty}</td></tr>`}</tbody>
  </table>`;
}

/** A new result is rendered in this many steps, a task each (see renderResult). */
const RESULT_PARTS = 3;

/** The longest slice of the page's thread the heat map's grid takes at a time (of a long task's 50). */
const SLICE_MS = 8;

/**
 * Resolves in a task of its own: what follows no longer counts toward the current task's length
 * (a long task is one over 50 ms). `scheduler.yield()` where there is one (it resumes before
 * other queued work), else a message to ourselves (not throttled like setTimeout in background tabs).
 */
function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === "function") return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Resolves in a task after the next frame has been rendered (a frame's own work, layout
 * included, is a task apart) — or after 200 ms, as pages in background tabs get no frames.
 */
function afterFrame(): Promise<void> {
  if (typeof requestAnimationFrame !== "function") return nextTask();
  return new Promise((resolve) => {
    const frame = requestAnimationFrame(() => {
      clearTimeout(timer);
      void nextTask().then(resolve);
    });
    const timer = setTimeout(() => {
      cancelAnimationFrame(frame);
      resolve();
    }, 200);
  });
}

function formatSeconds(s: number): string {
  if (s < 1) return "1 s";
  if (s < 90) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function renderProblems(problems: ModelProblem[] | undefined) {
  const errors = problems?.filter((p) => p.severity === "error") ?? [];
  if (!errors.length) return nothing;
  return html`<ul class="problems" aria-label="Problems in the cluster input">
    ${errors.map((p) => html`<li><code>${p.path || "(input)"}</code>: ${p.message}</li>`)}
  </ul>`;
}

declare global {
  interface HTMLElementTagNameMap {
    "k8s-flow-sim": K8sFlowSimElement;
  }
  interface GlobalEventHandlersEventMap {
    "k8s-sim-progress": CustomEvent<{ done: number; total: number; eta: number | undefined }>;
    "k8s-sim-done": CustomEvent<{ result: SimulationResult }>;
  }
}
