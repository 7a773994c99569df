import { html, LitElement, nothing, svg, type PropertyValues } from "lit";
import { DEFAULT_SCENARIO, SCENARIOS } from "../../src/model/scenarios.js";
import type { FlowQuery, Hop, Trace } from "../../src/engine/types.js";
import type { PolicyMatrix } from "../../src/policy/matrix.js";
import { K8sNetFlowError } from "../../src/errors.js";
import { CNI_MODES, KUBE_PROXY_MODES, type CniPlugin, type ModelInput, type ModelProblem } from "../../src/model/types.js";
import { withSettings } from "../../src/model/with-settings.js";
import { parseFault } from "../../src/faults/faults.js";
import { AncestorTheme } from "../internal/ancestor-theme.js";
import { NearViewport } from "../internal/near-viewport.js";
import { TraceController } from "../internal/trace-controller.js";
import { columnsFor, hopPoints, layoutCluster, type Layout, type Point } from "./layout.js";
import { animateAlong, badgeOf, renderBadge } from "./packet.js";
import { styles } from "./k8s-net-flow.styles.js";
import { download, pngOf, standaloneSvg } from "./export.js";
import { formatTrace } from "../../src/outputs/trace-text.js";
import { renderInspector } from "./inspector.js";
import { enforcedAt, policyStop, renderPolicyVerdict } from "./policy-hop.js";
import { clientOf, faultList, renderClient } from "./faults.js";

/**
 * @summary A live diagram of one packet's path through a simulated Kubernetes cluster.
 * @tagname k8s-net-flow
 *
 * Every hop shown was computed by the engine (route lookups run in the WebAssembly
 * dataplane, in a Web Worker), not drawn by hand.
 *
 * @event k8s-trace - A trace finished; `detail.trace` holds it.
 * @event k8s-hop - The current hop changed; `detail.index` and `detail.hop`.
 * @event k8s-done - Playback reached the last hop; `detail.trace`.
 * @event k8s-error - Loading or tracing failed; `detail.error` has `code`, `path`, `message`.
 *
 * @csspart diagram - The SVG drawing of the cluster.
 * @csspart controls - The step buttons.
 * @csspart hops - The list of hops.
 * @csspart hop - One hop of the list.
 * @csspart policy-verdict - A NetworkPolicy verdict hop's verdict: allow or deny, the policy and rule or the reason, and where it was enforced.
 * @csspart status - Loading and error messages, the trace's verdict, and where a NetworkPolicy stopped it.
 * @csspart policy - What the cluster's NetworkPolicies decide for the traced connection, and who enforces them.
 * @csspart policy-matrix - The policies' pod × pod table for the traced port (a disclosure in the policy panel).
 * @csspart inspector - The packet's headers after the current hop, changed fields marked.
 * @csspart commands - What real tools print on the current hop's node or pod (a disclosure).
 * @csspart transcript - The whole trace as text (a disclosure below the hop list).
 * @csspart switches - The kube-proxy mode and CNI choosers (with `switchable`).
 * @csspart faults - The "Break the cluster" switch (with `faults`): traces with the faults, or without them.
 * @csspart client - What the client program would print (its command, output and exit status), when the trace says.
 *
 * @cssproperty --k8s-bg - Background.
 * @cssproperty --k8s-fg - Text colour.
 * @cssproperty --k8s-muted - Secondary text and lines.
 * @cssproperty --k8s-border - Borders.
 * @cssproperty --k8s-node-bg - Node boxes.
 * @cssproperty --k8s-pod-bg - Pod boxes.
 * @cssproperty --k8s-bridge-bg - Where pods attach: the cni0 bridge (or Calico's routed veths).
 * @cssproperty --k8s-tunnel-bg - The overlay device (flannel.1, tunl0, vxlan.calico).
 * @cssproperty --k8s-proxy-bg - kube-proxy on each node.
 * @cssproperty --k8s-accent - The packet, its path and the current hop.
 * @cssproperty --k8s-dns - DNS queries and answers (their own small packets).
 * @cssproperty --k8s-policy-allow - A NetworkPolicy allow verdict (hop list mark, the enforcing veth on the diagram).
 * @cssproperty --k8s-policy-deny - A NetworkPolicy deny verdict, and where it stopped the request.
 * @cssproperty --k8s-focus - Keyboard focus ring.
 * @cssproperty --k8s-font - Text font.
 * @cssproperty --k8s-mono - Font of addresses and rules.
 */
export class K8sNetFlowElement extends LitElement {
  static override styles = styles;

  static override properties = {
    scenario: { type: String, reflect: true },
    src: { type: String, reflect: true },
    mode: { type: String, reflect: true },
    cni: { type: String, reflect: true },
    faults: { type: String, reflect: true },
    model: { attribute: false },
    flow: { attribute: false },
    from: { type: String, reflect: true },
    to: { type: String, reflect: true },
    theme: { type: String, reflect: true },
    seed: { type: Number, reflect: true },
    size: { type: Number, reflect: true },
    replySize: { type: Number, reflect: true, attribute: "reply-size" },
    hop: { type: Number, reflect: true },
    speed: { type: Number, reflect: true },
    autoplay: { type: Boolean, reflect: true },
    loop: { type: Boolean, reflect: true },
    switchable: { type: Boolean, reflect: true },
  };

  /** Built-in cluster to simulate (see SCENARIOS). */
  declare scenario: string;
  /** URL of a cluster file (YAML or JSON: manifests, a kubectl dump, or the compact format). */
  declare src: string;
  /** kube-proxy's mode for this cluster (`iptables`, …); the cluster's own when empty. */
  declare mode: string;
  /** The CNI as `plugin` or `plugin/mode` (e.g. `flannel/vxlan`); the cluster's own when empty. */
  declare cni: string;
  /**
   * Faults to break the cluster with, space-separated (`pod-not-ready=shop/db-0 coredns-down`;
   * see FAULTS in src/faults/faults.ts); they replace the cluster's own `settings.faults`. The
   * reader can switch them off and on to compare the broken cluster with the healthy one.
   */
  declare faults: string;
  /** A cluster for JS users: anything the engine's `load` accepts. Wins over the attributes. */
  declare model: ModelInput | undefined;
  /** The flow for JS users (`from`, `to`, `protocol`, `seed`, `libc`, `size`, `replySize`); its fields win over the attributes. */
  declare flow: Partial<FlowQuery> | undefined;
  /** Source pod (`name` or `namespace/name`); defaults to the scenario's flow. */
  declare from: string;
  /** Destination pod or pod-network IPv4 address; defaults to the scenario's flow. */
  declare to: string;
  /** Seed of kube-proxy's random endpoint choice (repeatable diagrams). */
  declare seed: number;
  /**
   * IPv4 total length of the request in bytes, DF set (20 to 65535; the engine's default when
   * unset: 60, a TCP SYN with options). Above the path MTU it meets ICMP "fragmentation needed".
   */
  declare size: number | undefined;
  /**
   * IPv4 total length of the answer in bytes, DF set (20 to 65535; the request's when unset): a
   * small request with a big response. An answer too big for a link on its way back is stopped
   * there, and that node sends ICMP "fragmentation needed" to the answering pod (fault
   * `mtu-mismatch` shows it).
   */
  declare replySize: number | undefined;
  /** `auto` follows an ancestor's `data-theme`, else the reader's colour scheme; `light` or `dark` force one. */
  declare theme: "auto" | "light" | "dark";
  /** Index of the hop shown as current (0-based). */
  declare hop: number;
  /** Playback speed: hops per second (default 1). */
  declare speed: number;
  /** Start playing as soon as the trace is ready. */
  declare autoplay: boolean;
  /** Start again from the first hop after the last. */
  declare loop: boolean;
  /** Show controls that let the reader switch kube-proxy's mode and the CNI (they set `mode` and `cni`). */
  declare switchable: boolean;
  /** Diagram zoom (1 = whole cluster), centred on the packet. */
  private zoom = 1;

  private setZoom(zoom: number): void {
    this.zoom = Math.max(1, Math.min(8, zoom));
    this.requestUpdate();
  }

  private async toggleFullscreen(): Promise<void> {
    if (document.fullscreenElement === this) await document.exitFullscreen();
    else await this.requestFullscreen?.().catch(() => {}); // refused outside a user gesture: nothing to do
  }

  /** The command panel: open or not, the command picked, and what it printed for which target. */
  private commands = { open: false, command: "", output: "", target: "" };

  private get summary() {
    return this.engine.state.status === "ready" ? this.engine.state.summary : undefined;
  }

  private get kubeProxyMode(): string {
    return this.summary?.kubeProxyMode ?? "iptables";
  }

  /** Where the current hop happens: its node, or its pod, as `engine.show` takes it. */
  private commandTarget(): { node?: string; pod?: string; label: string } | undefined {
    const hop = this.hops[Math.min(this.hop, this.hops.length - 1)];
    if (!hop) return undefined;
    return hop.netns === "host" ? { node: hop.node, label: `node ${hop.node}` } : { pod: hop.netns, label: `pod ${hop.netns}` };
  }

  private async runCommand(): Promise<void> {
    const target = this.commandTarget();
    if (!target || !this.commands.open) return;
    const choices = target.pod ? POD_COMMANDS : nodeCommands(this.summary);
    const command = choices.includes(this.commands.command) ? this.commands.command : choices[0]!;
    const key = `${command} @ ${target.label}`;
    if (this.commands.target === key) return;
    this.commands = { ...this.commands, command, target: key, output: "…" };
    this.requestUpdate();
    let output: string;
    try {
      const { node, pod } = target;
      const result = await this.engine.show(command, pod ? { pod } : { node: node! });
      output = `${result.stderr}${result.stdout}`;
    } catch (err) {
      output = `Error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (this.commands.target !== key) return; // the hop or the command changed meanwhile
    this.commands = { ...this.commands, output };
    this.requestUpdate();
  }

  private renderCommands() {
    const target = this.commandTarget();
    if (!target) return nothing;
    const choices = target.pod ? POD_COMMANDS : nodeCommands(this.summary);
    const selected = choices.includes(this.commands.command) ? this.commands.command : choices[0]!;
    return html`<details part="commands" ?open=${this.commands.open} @toggle=${(e: Event) => {
      this.commands = { ...this.commands, open: (e.target as HTMLDetailsElement).open, target: "" };
      void this.runCommand();
    }}>
      <summary>Commands on ${target.label}</summary>
      <div role="tablist" aria-label="Commands" @keydown=${this.onTabKey}>
        ${choices.map((c) => html`<button type="button" role="tab" id="tab-${slug(c)}" aria-controls="command-output" aria-selected=${c === selected ? "true" : "false"}
          tabindex=${c === selected ? 0 : -1} @click=${() => this.pickCommand(c)}>${c}</button>`)}
      </div>
      <pre id="command-output" role="tabpanel" aria-labelledby="tab-${slug(selected)}" aria-live="polite">${this.commands.open ? this.commands.output : ""}</pre>
    </details>`;
  }

  private pickCommand(command: string): void {
    this.commands = { ...this.commands, command, target: "" };
    void this.runCommand();
  }

  /** Arrow keys move between the command tabs (the ARIA tabs pattern), selecting as they go. */
  private onTabKey = (e: KeyboardEvent): void => {
    const tabs = [...this.renderRoot.querySelectorAll<HTMLButtonElement>("[part=commands] [role=tab]")];
    const at = tabs.indexOf(e.target as HTMLButtonElement);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (at < 0 || to === undefined) return;
    e.preventDefault();
    const tab = tabs[(to + tabs.length) % tabs.length]!;
    this.pickCommand(tab.textContent!);
    void this.updateComplete.then(() => tab.focus());
  };

  /** Whether playback runs (internal state: the Play button shows it). */
  private playing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  private readonly engine = new TraceController(this);

  constructor() {
    super();
    this.scenario = DEFAULT_SCENARIO;
    this.src = "";
    this.mode = "";
    this.cni = "";
    this.faults = "";
    this.model = undefined;
    this.flow = undefined;
    this.from = "";
    this.to = "";
    this.theme = "auto";
    this.seed = 1;
    this.size = undefined;
    this.replySize = undefined;
    this.hop = 0;
    this.speed = 1;
    this.autoplay = false;
    this.loop = false;
    this.switchable = false;
  }

  /**
   * The cluster to load, first found of: the `model` property, an inline
   * `<script type="application/yaml">` (or `application/json`) child, the file at `src`, the
   * built-in `scenario`; with `mode`, `cni` and `faults` laid over its settings (no faults at
   * all while the reader has switched them off).
   */
  private async cluster(): Promise<ModelInput> {
    const settings: Record<string, unknown> = {};
    if (this.mode) settings.kubeProxy = { mode: this.mode };
    if (this.cni) {
      const [plugin, mode] = this.cni.split("/");
      settings.cni = { plugin, ...(mode ? { mode } : {}) };
    }
    const inline = this.querySelector<HTMLScriptElement>(':scope > script[type="application/yaml"], :scope > script[type="application/json"]');
    let input: ModelInput;
    if (this.model) input = this.model;
    else if (inline) input = { text: inline.textContent ?? "" };
    else if (this.src) input = { text: await fetchCluster(this.src) };
    else input = { scenario: this.scenario };
    const faults = faultList(this.faults);
    // Checked here, as the CLI checks --fault, so a typo is named by the attribute.
    faults.forEach((f) => parseFault(f, "faults"));
    checkLength(this.size, "size");
    checkLength(this.replySize, "reply-size");
    // A list replaces the cluster's own (as --fault does): the switch off means no faults at all.
    return withSettings(input, faults.length ? { ...settings, faults: this.broken ? faults : [] } : settings);
  }

  /** With `faults`: whether they are applied (the "Break the cluster" switch; on by default). */
  private broken = true;
  /** The run in progress (to give the switch its focus back once the new trace is drawn). */
  private running: Promise<void> = Promise.resolve();

  private async setBroken(broken: boolean): Promise<void> {
    const focused = this.renderRoot.querySelector("[part=faults] input") === (this.renderRoot as ShadowRoot).activeElement;
    this.broken = broken;
    this.stale = true;
    this.hop = 0;
    this.pause();
    this.requestUpdate();
    await this.updateComplete;
    await this.running;
    await this.updateComplete;
    if (focused) this.renderRoot.querySelector<HTMLInputElement>("[part=faults] input")?.focus();
  }

  /** Inputs changed since the last run. */
  private stale = false;
  /** The engine starts (and the work runs) only once the element is near the viewport. */
  private readonly viewport = new NearViewport(this);

  private readonly internals: ElementInternals | undefined = typeof this.attachInternals === "function" ? this.attachInternals() : undefined;
  private readonly ancestorTheme = new AncestorTheme(this, this.internals);

  private resizeWatch: ResizeObserver | undefined;
  /** Nodes side by side in the drawing, from the element's width. */
  private columns = 3;

  override connectedCallback(): void {
    super.connectedCallback();
    // A narrow element (a phone, a sidebar) stacks the nodes so the text stays readable.
    if (typeof ResizeObserver !== "undefined") {
      this.resizeWatch = new ResizeObserver(([entry]) => {
        const columns = columnsFor(entry?.contentRect.width ?? 0);
        // Re-laid out in the next frame: resizing inside this callback would loop.
        if (columns !== this.columns) requestAnimationFrame(() => {
          this.columns = columns;
          this.requestUpdate();
        });
      });
      this.resizeWatch.observe(this);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.pause();
    this.resizeWatch?.disconnect();
    this.resizeWatch = undefined;
  }

  /** Plays the hops one after another at `speed` hops a second (from the start if at the end). */
  play(): void {
    if (!this.hops.length) return;
    if (this.hop >= this.hops.length - 1) this.hop = 0;
    this.playing = true;
    this.requestUpdate();
    this.schedule();
  }

  pause(): void {
    if (this.playing) this.requestUpdate();
    this.playing = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One hop forward. */
  step(): void {
    this.go(this.hop + 1);
  }

  /** One hop back. */
  back(): void {
    this.go(this.hop - 1);
  }

  /** The trace as JSON (what `engine.trace` returned), or undefined before one is ready. */
  exportTrace(): string | undefined {
    return this.engine.state.status === "ready" ? `${JSON.stringify(this.engine.state.trace, null, 2)}\n` : undefined;
  }

  /** The diagram as it is shown (current hop, theme) as a standalone SVG file. */
  exportSvg(): string | undefined {
    const drawing = this.renderRoot.querySelector<SVGSVGElement>("svg[part=diagram]");
    return drawing ? standaloneSvg(this, drawing, styles.map((s) => s.cssText).join("\n")) : undefined;
  }

  /** The diagram as a PNG at twice its size. */
  async exportPng(): Promise<Blob | undefined> {
    const svgText = this.exportSvg();
    const drawing = this.renderRoot.querySelector<SVGSVGElement>("svg[part=diagram]");
    return svgText && drawing ? pngOf(svgText, drawing.viewBox.baseVal.width, drawing.viewBox.baseVal.height) : undefined;
  }

  private async save(kind: "json" | "svg" | "png"): Promise<void> {
    const name = `k8s-net-flow-${this.scenario || "cluster"}`;
    if (kind === "json") {
      const text = this.exportTrace();
      if (text) download(new Blob([text], { type: "application/json" }), `${name}.json`);
    } else if (kind === "svg") {
      const text = this.exportSvg();
      if (text) download(new Blob([text], { type: "image/svg+xml" }), `${name}.svg`);
    } else {
      const png = await this.exportPng();
      if (png) download(png, `${name}.png`);
    }
  }

  /** Stops and shows the first hop. */
  reset(): void {
    this.pause();
    this.go(0);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const speed = Number.isFinite(this.speed) && this.speed > 0 ? this.speed : 1;
    this.timer = setTimeout(() => {
      if (!this.playing) return;
      const last = this.hops.length - 1;
      if (this.hop < last) this.go(this.hop + 1);
      else if (this.loop) this.go(0);
      if (this.hop >= last && !this.loop) this.pause();
      else this.schedule();
    }, 1000 / speed);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("theme")) this.ancestorTheme.follow();
    if (changed.has("hop")) this.pan = { x: 0, y: 0 }; // the view follows the packet again
    const inputs: Array<keyof K8sNetFlowElement> = ["scenario", "src", "mode", "cni", "faults", "model", "flow", "from", "to", "seed", "size", "replySize"];
    // New faults break the cluster again.
    if (changed.has("faults")) this.broken = true;
    if (inputs.some((k) => (changed as Map<PropertyKey, unknown>).has(k))) {
      // A new flow starts at its first hop, unless the page set `hop` itself.
      if (!changed.has("hop")) this.hop = 0;
      this.pause();
      this.stale = true;
    }
    // The engine starts (and the simulation runs) only once the element is near the viewport.
    if (this.stale && this.viewport.near) {
      this.stale = false;
      const lengths = { ...(isSet(this.size) ? { size: this.size } : {}), ...(isSet(this.replySize) ? { replySize: this.replySize } : {}) };
      this.running = this.engine.run(() => this.cluster(), { from: this.from, to: this.to, seed: this.seed, ...lengths, ...this.flow }).then(() => {
        if (this.autoplay && this.engine.state.status === "ready") this.play();
      });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // An open command panel follows the current hop's node or pod.
    if (this.commands.open) void this.runCommand();
    const hops = this.hops;
    if (changed.has("hop") && hops.length) {
      const index = Math.min(this.hop, hops.length - 1);
      if (changed.get("hop") === index - 1) this.animateHop(index);
      this.dispatchEvent(new CustomEvent("k8s-hop", { detail: { index, hop: hops[index]! }, bubbles: true, composed: true }));
      if (index === hops.length - 1 && this.engine.state.status === "ready") this.dispatchEvent(new CustomEvent("k8s-done", { detail: { trace: this.engine.state.trace }, bubbles: true, composed: true }));
    }
  }

  /** Moves the packet from where the previous hop left it through this hop's points. */
  private animateHop(index: number): void {
    const glyph = this.renderRoot.querySelector<SVGGElement>("svg[part=diagram] g.packet");
    if (!glyph || this.engine.state.status !== "ready") return;
    const layout = layoutCluster(this.engine.state.summary, this.columns);
    const from = hopPoints(layout, this.hops[index - 1]!).at(-1);
    const points = [...(from ? [from] : []), ...hopPoints(layout, this.hops[index]!)].filter((p, i, all) => i === 0 || p.x !== all[i - 1]!.x || p.y !== all[i - 1]!.y);
    const speed = Number.isFinite(this.speed) && this.speed > 0 ? this.speed : 1;
    animateAlong(glyph, points, Math.min(700, 800 / speed));
  }

  private get hops(): Hop[] {
    return this.engine.state.status === "ready" ? this.engine.state.trace.hops : [];
  }

  private go(index: number): void {
    const last = this.hops.length - 1;
    this.hop = Math.max(0, Math.min(last, index));
  }

  private toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private onListKey(event: KeyboardEvent): void {
    if (event.key === " ") {
      event.preventDefault();
      this.toggle();
      return;
    }
    const moves: Record<string, number> = { ArrowDown: this.hop + 1, ArrowRight: this.hop + 1, ArrowUp: this.hop - 1, ArrowLeft: this.hop - 1, Home: 0, End: this.hops.length - 1 };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.go(to);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('li[aria-current="step"]')?.focus());
  }

  protected override render() {
    // A built-in scenario has a title and summary; another cluster is named by its model.
    const custom = this.model !== undefined || this.src !== "" || this.querySelector(':scope > script[type="application/yaml"], :scope > script[type="application/json"]') !== null;
    const info = custom ? undefined : SCENARIOS[this.scenario];
    const state = this.engine.state;
    return html`
      <h2 id="title">${info?.title ?? (this.engine.state.status === "ready" ? this.engine.state.summary.name : custom ? "Cluster" : this.scenario)}</h2>
      ${info ? html`<p class="summary">${info.summary}</p>` : nothing}
      <div part="status" role="status" aria-live="polite" class=${state.status === "error" ? "error" : ""}>
        ${state.status === "loading" ? "Simulating…" : nothing}
        ${state.status === "error" ? `Error (${state.error.code})${state.error.path ? ` at ${state.error.path}` : ""}: ${state.error.message}` : nothing}
        ${state.status === "ready" ? `${state.trace.flow.from} (${state.trace.flow.srcIP}) → ${state.trace.flow.to} (${state.trace.flow.dstIP}:${state.trace.flow.dport}): ${state.trace.verdict}${state.trace.replyVerdict ? `, answer ${state.trace.replyVerdict}` : ""}; ${state.trace.hops.length} hops.` : nothing}
        ${state.status === "ready" ? renderStop(policyStop(state.trace)) : nothing}
      </div>
      ${state.status === "ready" ? renderClient(clientOf(state.trace)) : nothing}
      ${state.status === "ready" && state.trace.policy ? this.renderPolicy(state.trace.policy) : nothing}
      ${this.switchable ? this.renderSwitches() : nothing}
      ${state.status === "error" ? renderProblems(state.error.problems) : nothing}
      ${state.status === "ready" ? this.renderTrace(layoutCluster(state.summary, this.columns)) : nothing}
    `;
  }

  /** The policy table for the traced connection's port: fetched when its disclosure opens. */
  private matrix: { key: string; value?: PolicyMatrix; pods?: number; error?: string } | undefined;

  /** The policies' verdict for the traced connection, who enforces it, the reasons and the table on demand. */
  private renderPolicy(policy: NonNullable<Trace["policy"]>) {
    const key = `${policy.protocol}/${policy.port} ${policy.from} ${policy.to}`;
    const m = this.matrix?.key === key ? this.matrix : undefined;
    return html`<div part="policy" class="policy ${policy.allowed ? "" : "denied"}">
      <p><strong>NetworkPolicy: ${policy.allowed ? "allowed" : "denied"}</strong> by the cluster's policies. ${policy.note}</p>
      <details><summary>Why</summary><pre>${policy.explanation}</pre></details>
      <details part="policy-matrix" @toggle=${(e: Event) => (e.target as HTMLDetailsElement).open && void this.loadMatrix(policy, key)}>
        <summary>Who may talk to whom on ${policy.protocol}/${policy.port}</summary>
        ${!m ? html`<p>…</p>` : m.error ? html`<p>Error: ${m.error}</p>` : m.value ? renderMatrixTable(m.value, m.pods!) : html`<p>…</p>`}
      </details>
    </div>`;
  }

  private async loadMatrix(policy: NonNullable<Trace["policy"]>, key: string): Promise<void> {
    if (this.matrix?.key === key) return;
    this.matrix = { key };
    this.requestUpdate();
    try {
      // The namespaces of the two ends, at most MATRIX_PODS pods, the two ends first.
      const namespaces = new Set([policy.from, policy.to].filter((e) => e.includes("/")).map((e) => e.split("/")[0]!));
      const all = (this.summary?.pods ?? []).map((p) => `${p.namespace}/${p.name}`).sort();
      const pods = [...new Set([policy.from, policy.to].filter((p) => all.includes(p)).concat(all.filter((p) => namespaces.has(p.split("/")[0]!))))].slice(0, MATRIX_PODS);
      const value = await this.engine.policyMatrix({ pods, probes: [{ protocol: policy.protocol, port: policy.port }] });
      if (this.matrix?.key === key) this.matrix = { key, value, pods: all.filter((p) => namespaces.has(p.split("/")[0]!)).length };
    } catch (err) {
      if (this.matrix?.key === key) this.matrix = { key, error: err instanceof Error ? err.message : String(err) };
    }
    this.requestUpdate();
  }

  /** The reader's choice of kube-proxy mode and CNI (every combination Kubernetes allows; the engine refuses the ones that do not exist). */
  private renderSwitches() {
    const mode = this.mode || this.summary?.kubeProxyMode || "";
    const cni = this.cni || (this.summary ? `${this.summary.cni.plugin}/${this.summary.cni.mode}` : "");
    return html`<div class="switches" part="switches">
      <label>kube-proxy
        <select @change=${(e: Event) => (this.mode = (e.target as HTMLSelectElement).value)}>
          ${KUBE_PROXY_MODES.map((m) => html`<option value=${m} ?selected=${m === mode}>${m}</option>`)}
        </select>
      </label>
      <label>CNI
        <select @change=${(e: Event) => (this.cni = (e.target as HTMLSelectElement).value)}>
          ${(Object.keys(CNI_MODES) as CniPlugin[]).flatMap((p) => CNI_MODES[p].map((m) => `${p}/${m}`)).map((c) => html`<option value=${c} ?selected=${c === cni}>${c}</option>`)}
        </select>
      </label>
    </div>`;
  }

  /** With faults: the switch between the broken cluster and the healthy one (each traced). */
  private renderFaultSwitch() {
    const faults = faultList(this.faults);
    if (!faults.length) return nothing;
    return html`<label part="faults" class="faults">
      <input type="checkbox" role="switch" .checked=${this.broken} aria-describedby="faults-state"
        @change=${(e: Event) => void this.setBroken((e.target as HTMLInputElement).checked)}>
      Break the cluster: <code>${faults.join(" ")}</code>
      <span id="faults-state" class="sr">${this.broken ? "The trace shows the broken cluster." : "The trace shows the cluster without the faults."}</span>
    </label>`;
  }

  private renderTrace(layout: Layout) {
    const hops = this.hops;
    const current = hops[Math.min(this.hop, hops.length - 1)];
    return html`
      ${this.renderDiagram(layout, hops, current)}
      <div class="controls" part="controls">
        <button type="button" @click=${() => this.reset()} ?disabled=${this.hop === 0 && !this.playing}>Restart</button>
        <button type="button" @click=${() => this.back()} ?disabled=${this.hop === 0}><span aria-hidden="true">◀</span> Back</button>
        <button type="button" class="play" aria-pressed=${this.playing ? "true" : "false"} @click=${() => this.toggle()}>${this.playing ? "Pause" : "Play"}</button>
        <span aria-hidden="true">Hop ${this.hop + 1} / ${hops.length}</span>
        <button type="button" @click=${() => this.step()} ?disabled=${this.hop >= hops.length - 1}>Next <span aria-hidden="true">▶</span></button>
        <label class="speed">Speed
          <select @change=${(e: Event) => (this.speed = Number((e.target as HTMLSelectElement).value))}>
            ${SPEEDS.map((v) => html`<option value=${v} ?selected=${v === this.speed}>${v} hop${v === 1 ? "" : "s"}/s</option>`)}
            ${SPEEDS.includes(this.speed) ? nothing : html`<option value=${this.speed} selected>${this.speed} hops/s</option>`}
          </select>
        </label>
        ${this.renderFaultSwitch()}
        <span class="view">
          <button type="button" @click=${() => this.setZoom(this.zoom * 2)} ?disabled=${this.zoom >= 8} aria-label="Zoom in on the packet">+</button>
          <button type="button" @click=${() => this.setZoom(this.zoom / 2)} ?disabled=${this.zoom <= 1} aria-label="Zoom out">−</button>
          <button type="button" @click=${() => void this.toggleFullscreen()} aria-label="Full screen">⛶</button>
        </span>
        <span class="export">
          <button type="button" @click=${() => this.save("svg")} aria-label="Download the diagram as SVG">SVG</button>
          <button type="button" @click=${() => void this.save("png")} aria-label="Download the diagram as PNG">PNG</button>
          <button type="button" @click=${() => this.save("json")} aria-label="Download the trace as JSON">JSON</button>
        </span>
      </div>
      ${renderInspector(current, hops[Math.min(this.hop, hops.length - 1) - 1])}
      ${this.renderCommands()}
      <details part="transcript">
        <summary>Transcript</summary>
        <pre>${this.engine.state.status === "ready" ? formatTrace(this.engine.state.trace) : ""}</pre>
      </details>
      <div class="announce" aria-live="polite">${current ? `Hop ${Math.min(this.hop, hops.length - 1) + 1} of ${hops.length}: ${current.text}` : ""}</div>
      <ol part="hops" aria-label="Hops of the packet" @keydown=${this.onListKey}>
        ${hops.map((hop, i) => html`
          <li part="hop" tabindex=${i === this.hop ? 0 : -1} aria-current=${i === this.hop ? "step" : "false"} @click=${() => this.go(i)}>
            <span class="where">${i + 1}. ${hop.node} · ${hop.netns}</span><span class="action">${hop.phase === "request" ? "" : `${hop.phase} · `}${hop.component} · ${hop.action}</span>
            <div class="hdr">${endpoint(hop.packet.src, hop.packet.sport)} → ${endpoint(hop.packet.dst, hop.packet.dport)} · TTL ${hop.packet.ttl}${hop.packet.outer ? ` · outer ${hop.packet.outer.src} → ${hop.packet.outer.dst} ${hop.packet.outer.protocol === "ipip" ? "IP-in-IP" : `UDP ${hop.packet.outer.dport} VNI ${hop.packet.outer.vni}`}` : ""}${hop.inIface ? ` · in ${hop.inIface}` : ""}${hop.outIface ? ` · out ${hop.outIface}` : ""}</div>
            ${renderPolicyVerdict(hop)}
            ${hop.rule ? html`<div><code title=${hop.ruleSource ?? ""}>${hop.rule}</code></div>` : nothing}
            <div>${hop.text}</div>
          </li>`)}
      </ol>
    `;
  }

  private renderDiagram(layout: Layout, hops: Hop[], current: Hop | undefined) {
    const path = hops.flatMap((h) => hopPoints(layout, h));
    const index = Math.min(this.hop, hops.length - 1);
    const here = current ? hopPoints(layout, current).at(-1) : undefined;
    const label = `Cluster diagram: ${layout.nodes.length} nodes; ${current ? `current hop ${index + 1}: ${current.text}` : ""}`;
    // Zoomed in, the view is centred on the packet (big clusters), then wherever it was dragged.
    const w = layout.width / this.zoom;
    const h = layout.height / this.zoom;
    const clamp = (v: number, max: number) => Math.max(0, Math.min(max, v));
    const x = clamp(clamp((here?.x ?? layout.width / 2) - w / 2, layout.width - w) + this.pan.x, layout.width - w);
    const y = clamp(clamp((here?.y ?? layout.height / 2) - h / 2, layout.height - h) + this.pan.y, layout.height - h);
    const active = (n: { name: string }, ...components: string[]) => (current?.node === n.name && components.includes(current.component) ? "active" : "");
    return html`<svg part="diagram" role="img" aria-labelledby="diagram-title diagram-desc" width=${layout.width} height=${layout.height} viewBox="${x} ${y} ${w} ${h}"
        class=${this.zoom > 1 ? "pannable" : ""} @pointerdown=${this.onPanStart} @pointermove=${this.onPanMove} @pointerup=${this.onPanEnd} @pointercancel=${this.onPanEnd}>
      <title id="diagram-title">${label}</title>
      <desc id="diagram-desc">${describe(layout)}</desc>
      ${layout.bus ? svg`<line class="uplink" x1=${layout.bus.x} y1=${layout.bus.y1} x2=${layout.bus.x} y2=${layout.bus.y2}></line>` : nothing}
      ${layout.underlays.map((u) => svg`<g class="underlay">
        <rect x=${u.x} y=${u.y} width=${u.w} height=${u.h} rx="4"></rect>
        <text class="small" x=${u.x + 12} y=${u.y + 19}>${layout.underlayLabel}</text>
      </g>`)}
      ${layout.nodes.map((n) => svg`
        <g class="node ${active(n, "routing", "underlay", "socket")}">
          <rect class="frame" x=${n.x} y=${n.y} width=${n.w} height=${n.h} rx="8"></rect>
          <text class="title" x=${n.x + 14} y=${n.y + 20}>${n.name}</text>
          <text class="small mono" x=${n.x + 14} y=${n.y + 36}>${n.subtitle}</text>
          <line class="uplink" x1=${n.uplink.x} y1=${n.uplink.y} x2=${n.uplink.x} y2=${layout.underlays[n.row]!.y}></line>
        </g>
        ${n.pods.map((p) => svg`
          <g class="pod ${current?.netns === p.key ? "active" : ""}">
            <title>${p.namespace}/${p.name} (${p.labels || "no labels"})</title>
            <rect x=${p.x} y=${p.y} width=${p.w} height=${p.h} rx="6"></rect>
            <text class="title" x=${p.x + 8} y=${p.y + 18}>${p.nameText}</text>
            <text class="small" x=${p.x + 8} y=${p.y + 34}>${p.labelText}</text>
            <text class="mono" x=${p.x + 8} y=${p.y + 52}>${p.ip}</text>
          </g>
          ${current?.component === "policy" && current.policy?.pod === p.key && current.node === n.name ? renderEnforcing(p, current) : nothing}`)}
        <g class="bridge ${active(n, "bridge") || (current?.node === n.name && current.component === "veth" && current.netns === "host" ? "active" : "")}">
          <rect x=${n.bridge.x} y=${n.bridge.y} width=${n.bridge.w} height=${n.bridge.h} rx="4"></rect>
          <text x=${n.bridge.x + 8} y=${n.bridge.y + 17}>${layout.attach.label}</text>
        </g>
        <g class="proxy ${active(n, "netfilter", "conntrack")}">
          <title>${this.kubeProxyMode === "ebpf" ? "No kube-proxy: Cilium's agent loads the service map its eBPF programs translate with" : "kube-proxy programs these rules; the node's kernel (netfilter, conntrack) applies them"}</title>
          <rect x=${n.proxy.x} y=${n.proxy.y} width=${n.proxy.w} height=${n.proxy.h} rx="4"></rect>
          <text x=${n.proxy.x + 8} y=${n.proxy.y + 17}>${this.kubeProxyMode === "ebpf" ? "cilium · socket LB" : `kube-proxy · ${this.kubeProxyMode}`}</text>
        </g>
        ${layout.tunnel ? svg`<g class="vtep ${current?.node === n.name && (current.action === "encap" || current.action === "decap") ? "active" : ""}">
          <rect x=${n.vtep.x} y=${n.vtep.y} width=${n.vtep.w} height=${n.vtep.h} rx="4"></rect>
          <text class="mono" x=${n.vtep.x + 10} y=${n.vtep.y + 17}>${layout.tunnel}</text>
        </g>` : nothing}`)}
      ${path.length > 1 ? svg`<polyline class="path" points=${path.map((p) => `${p.x},${p.y}`).join(" ")}></polyline>` : nothing}
      ${here && current ? svg`<g class="packet ${current.phase}" transform="translate(${here.x} ${here.y})">${renderBadge(badgeOf(current, hops[index - 1]), { left: -here.x, right: layout.width - here.x })}</g>` : nothing}
    </svg>`;
  }

  /** Dragging a zoomed diagram pans it (in drawing units, from where the drag started). */
  private pan: Point = { x: 0, y: 0 };
  private drag: { id: number; x: number; y: number; pan: Point } | undefined;

  private onPanStart = (e: PointerEvent): void => {
    if (this.zoom <= 1 || e.button !== 0) return;
    try {
      (e.currentTarget as Element).setPointerCapture(e.pointerId);
    } catch {
      // Not an active pointer (a synthetic event): the drag still works while over the drawing.
    }
    this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, pan: { ...this.pan } };
  };

  private onPanMove = (e: PointerEvent): void => {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    const drawing = e.currentTarget as SVGSVGElement;
    // CSS pixels → drawing units of the zoomed view.
    const scale = drawing.viewBox.baseVal.width / Math.max(1, drawing.getBoundingClientRect().width);
    this.pan = { x: this.drag.pan.x - (e.clientX - this.drag.x) * scale, y: this.drag.pan.y - (e.clientY - this.drag.y) * scale };
    this.requestUpdate();
  };

  private onPanEnd = (e: PointerEvent): void => {
    if (this.drag?.id === e.pointerId) this.drag = undefined;
  };
}

/** Where a NetworkPolicy verdict hop was enforced: a gate across the pod's veth, marked with the verdict. */
function renderEnforcing(p: { x: number; y: number; w: number; h: number }, hop: Hop) {
  const verdict = hop.policy!.verdict;
  const x = p.x + p.w / 2;
  const y = p.y + p.h;
  return svg`<g class="enforcing ${verdict}">
    <title>policy ${verdict} at ${enforcedAt(hop)}</title>
    <line x1=${x - 16} y1=${y} x2=${x + 16} y2=${y}></line>
    <text x=${x} y=${y + 13} text-anchor="middle">${verdict === "allow" ? "✓" : "✗"} policy ${verdict}</text>
  </g>`;
}

/** Where and why a request denied by a NetworkPolicy stopped (none when it did not). */
function renderStop(stop: string | undefined) {
  return stop ? html`<p class="stop"><strong>Stopped:</strong> ${stop}</p>` : nothing;
}

/** The drawing in words, for the SVG's description. */
function describe(layout: Layout): string {
  const nodes = layout.nodes.map((n) => `${n.name} (${n.subtitle}) with ${n.pods.length === 1 ? "1 pod" : `${n.pods.length} pods`}${n.pods.length ? `: ${n.pods.map((p) => `${p.name} ${p.ip}`).join(", ")}` : ""}`);
  return `${nodes.join("; ")}. Each node's pods attach to its ${layout.attach.label}; the nodes meet on the ${layout.underlayLabel}.`;
}

/** The speed control's choices, in hops per second (the `speed` attribute takes any). */
const SPEEDS = [0.5, 1, 2, 4];

/** What the seed page runs on a node (kube-proxy's rules as its mode keeps them), and inside a pod. */
function nodeCommands(summary: { kubeProxyMode: string; cni: { plugin: string } } | undefined): string[] {
  const mode = summary?.kubeProxyMode ?? "iptables";
  // The service translation's table as its owner keeps it: Cilium's eBPF service map (it
  // translates before netfilter, with or without kube-proxy), else kube-proxy's rules.
  const proxy = summary?.cni.plugin === "cilium" ? ["cilium-dbg service list"] : mode === "nftables" ? ["nft list ruleset"] : mode === "ipvs" ? ["ipvsadm -Ln", "iptables-save -t nat"] : ["iptables-save -t nat"];
  // flannel's pods hang off the cni0 bridge; Calico's and Cilium's veths are routed.
  const attach = summary?.cni.plugin === "flannel" || !summary ? "bridge fdb show" : "ip neigh";
  return ["ip route", ...proxy, "conntrack -L", attach, "ip addr"];
}
const POD_COMMANDS = ["ip route", "ip addr", "cat /etc/resolv.conf"];

/** Whether a length attribute is set (removing a Number attribute leaves null). */
const isSet = (v: number | null | undefined): v is number => v !== undefined && v !== null;

/** `size` and `reply-size`: an IPv4 total length, 20 to 65535 bytes, or unset. */
function checkLength(value: number | null | undefined, attribute: "size" | "reply-size"): void {
  if (!isSet(value)) return;
  if (!Number.isInteger(value) || value < 20 || value > 65535) {
    throw new K8sNetFlowError("invalid-input", `${attribute} is an IPv4 packet's total length in bytes, an integer from 20 to 65535: got ${String(value)}`, attribute);
  }
}

async function fetchCluster(src: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(src);
  } catch (err) {
    throw new K8sNetFlowError("not-found", `could not fetch ${src}: ${err instanceof Error ? err.message : String(err)}`, "src");
  }
  if (!response.ok) throw new K8sNetFlowError("not-found", `could not fetch ${src}: HTTP ${response.status}`, "src");
  return response.text();
}

/** Every problem the cluster input has, each with its path (and line, when it came as text). */
/** Pods in the policy table at most: a table for reading, not for 150,000 pods. */
const MATRIX_PODS = 24;

/** The policy table as an HTML table: rows from, columns to, ✓ allowed, ✗ denied (with words for screen readers). */
function renderMatrixTable(m: PolicyMatrix, inNamespaces: number) {
  return html`<table class="matrix">
    <caption>${m.probes[0]!.protocol}/${m.probes[0]!.port}: rows connect to columns; ${m.pods.length < inNamespaces ? `the first ${m.pods.length} of ${inNamespaces} pods of these namespaces` : `${m.pods.length} pods`}</caption>
    <thead><tr><th scope="col">from \\ to</th>${m.pods.map((p) => html`<th scope="col">${p}</th>`)}</tr></thead>
    <tbody>${m.pods.map((from, i) => html`<tr><th scope="row">${from}</th>${m.pods.map((_, j) => (m.allowed[0]![i]![j] ? html`<td class="ok">✓<span class="sr"> allowed</span></td>` : html`<td class="no">✗<span class="sr"> denied</span></td>`))}</tr>`)}</tbody>
  </table>`;
}

function renderProblems(problems: ModelProblem[] | undefined) {
  const errors = problems?.filter((p) => p.severity === "error") ?? [];
  if (!errors.length) return nothing;
  return html`<ul class="problems" aria-label="Problems in the cluster input">
    ${errors.map((p) => html`<li><code>${p.path || "(input)"}</code>${p.source ? ` (document ${p.source.document}, line ${p.source.line})` : ""}: ${p.message}</li>`)}
  </ul>`;
}

const slug = (text: string) => text.replace(/[^a-z0-9]+/gi, "-");

const endpoint = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

declare global {
  interface HTMLElementTagNameMap {
    "k8s-net-flow": K8sNetFlowElement;
  }
  interface GlobalEventHandlersEventMap {
    "k8s-trace": CustomEvent<{ trace: import("../../src/engine/types.js").Trace }>;
    "k8s-error": CustomEvent<{ error: import("../../src/errors.js").ErrorInfo }>;
    "k8s-hop": CustomEvent<{ index: number; hop: Hop }>;
    "k8s-done": CustomEvent<{ trace: import("../../src/engine/types.js").Trace }>;
  }
}
