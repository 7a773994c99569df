import { css } from "lit";
import { themedHost } from "../internal/theme-styles.js";

const light = css`--k8s-bar: #0969da; --k8s-heat-low: #ddf4ff; --k8s-heat-high: #b3101d;`;
const dark = css`--k8s-bar: #58a6ff; --k8s-heat-low: #1f3a5f; --k8s-heat-high: #ffd33d;`;

export const styles = [
  themedHost(light, dark),
  css`
  h2 { font-size: 1rem; margin: 0 0 8px; }
  h3 { font-size: 0.9375rem; margin: 16px 0 6px; }
  form { display: grid; gap: 8px; font-size: 0.875rem; }
  fieldset { border: 1px solid var(--k8s-border); border-radius: 6px; margin: 0; padding: 6px 10px 10px; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; }
  legend { font-weight: 600; padding: 0 4px; }
  label { display: flex; flex-direction: column; gap: 2px; color: var(--k8s-muted); }
  input, select { font: inherit; color: var(--k8s-fg); background: var(--k8s-bg); border: 1px solid var(--k8s-border); border-radius: 4px; padding: 3px 6px; }
  input[type="number"] { width: 9ch; }
  input.wide { width: 13ch; }
  .actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  button {
    font: inherit; font-size: 0.875rem; padding: 4px 14px; border-radius: 6px; cursor: pointer;
    border: 1px solid var(--k8s-border); background: var(--k8s-node-bg); color: var(--k8s-fg);
  }
  button.run { border-color: var(--k8s-focus); font-weight: 600; }
  button:disabled { opacity: 0.5; cursor: default; }
  :focus-visible { outline: 2px solid var(--k8s-focus); outline-offset: 2px; }
  [part="progress"] { margin: 10px 0 4px; height: 10px; border: 1px solid var(--k8s-border); border-radius: 5px; overflow: hidden; background: var(--k8s-node-bg); }
  [part="progress"] .fill { height: 100%; width: 100%; background: var(--k8s-bar); transform-origin: left; transform: scaleX(0); transition: transform 0.15s linear; }
  [part="progress"].indeterminate .fill { opacity: 0.35; transform: scaleX(1); animation: pulse 1.2s ease-in-out infinite alternate; }
  @keyframes pulse { from { opacity: 0.15; } to { opacity: 0.5; } }
  [part="status"] { font-size: 0.875rem; color: var(--k8s-muted); min-height: 1.25em; margin-top: 4px; }
  [part="status"].error { color: var(--k8s-accent); }
  ul.problems { margin: 6px 0 0; padding-left: 1.25rem; font-size: 0.875rem; overflow-wrap: anywhere; }
  code { font-family: var(--k8s-mono); font-size: 0.8125rem; overflow-wrap: anywhere; }
  svg { max-width: 100%; height: auto; display: block; font-family: var(--k8s-font); }
  svg .bar { fill: var(--k8s-bar); }
  svg .bar:hover { fill: var(--k8s-accent); }
  svg .axis { stroke: var(--k8s-muted); }
  svg .tick { fill: var(--k8s-muted); font-size: 11px; }
  /* Time series: the first series a filled line, the others dashed so they differ without colour. */
  svg .grid { stroke: var(--k8s-border); }
  svg .series { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
  svg .dot { stroke: none; }
  svg .s0 { stroke: var(--k8s-bar); }
  svg .s1 { stroke: var(--k8s-accent); stroke-dasharray: 6 3; }
  svg .s2 { stroke: var(--k8s-heat-high); stroke-dasharray: 2 3; }
  svg .s3 { stroke: var(--k8s-fg); stroke-dasharray: 8 3 2 3; }
  svg .dot.s0 { fill: var(--k8s-bar); }
  svg .dot.s1 { fill: var(--k8s-accent); }
  svg .dot.s2 { fill: var(--k8s-heat-high); }
  svg .dot.s3 { fill: var(--k8s-fg); }
  svg .area.s0 { fill: var(--k8s-bar); fill-opacity: 0.14; stroke: none; }
  svg .event .marker { stroke: var(--k8s-muted); stroke-dasharray: 3 3; }
  svg .event-label, svg .legend-label { fill: var(--k8s-fg); font-size: 11px; }
  /* Labels over lines stay readable: a halo in the background colour. */
  svg .event-label { paint-order: stroke; stroke: var(--k8s-bg); stroke-width: 3px; stroke-linejoin: round; }
  details.series-table { margin-top: 4px; }
  details.series-table table { margin-top: 4px; }
  details.series-table .scroll { max-height: 16em; overflow-y: auto; width: max-content; max-width: 100%; }
  .heat { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
  canvas[part="heatmap"] { width: 360px; height: 360px; max-width: 100%; aspect-ratio: 1; border: 1px solid var(--k8s-border); image-rendering: pixelated; cursor: crosshair; }
  [part="readout"] { font-size: 0.8125rem; min-height: 2.6em; max-width: 36ch; overflow-wrap: anywhere; }
  .legend { font-size: 0.75rem; color: var(--k8s-muted); }
  table { border-collapse: collapse; font-size: 0.8125rem; }
  th, td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid var(--k8s-border); }
  td.num, th.num { text-align: right; font-family: var(--k8s-mono); font-variant-numeric: tabular-nums; }
  details { margin-top: 8px; font-size: 0.875rem; }
  .tables { display: flex; flex-wrap: wrap; gap: 16px 32px; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  @media (forced-colors: active) {
    svg .series, svg .event .marker, svg .axis, svg .grid { stroke: CanvasText; }
    svg .dot, svg .tick, svg .event-label, svg .legend-label { fill: CanvasText; }
    svg .area.s0 { fill: none; }
  }
  @media (prefers-reduced-motion: reduce) {
    * { transition: none !important; animation: none !important; }
  }
`,
];
