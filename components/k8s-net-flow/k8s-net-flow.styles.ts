import { css } from "lit";
import { themedHost } from "../internal/theme-styles.js";

const light = css`--k8s-pod-bg: #ddf4ff; --k8s-bridge-bg: #fff8c5; --k8s-tunnel-bg: #fbefff; --k8s-proxy-bg: #dafbe1; --k8s-dns: #8250df; --k8s-policy-allow: #1a7f37; --k8s-policy-deny: #cf222e;`;
const dark = css`--k8s-pod-bg: #0c2d4a; --k8s-bridge-bg: #3b2e00; --k8s-tunnel-bg: #2f1a3a; --k8s-proxy-bg: #0f2e1a; --k8s-dns: #d2a8ff; --k8s-policy-allow: #3fb950; --k8s-policy-deny: #ff7b72;`;

export const styles = [
  themedHost(light, dark),
  css`
  :host { container-type: inline-size; }
  h2 { font-size: 1rem; margin: 0 0 4px; }
  p.summary { margin: 0 0 8px; color: var(--k8s-muted); font-size: 0.875rem; }
  .policy { margin: 6px 0; padding: 6px 8px; border: 1px solid var(--k8s-border); border-radius: 4px; font-size: 0.875rem; }
  .policy.denied { border-color: var(--k8s-accent); }
  .policy p { margin: 0; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .policy table.matrix { border-collapse: collapse; margin-top: 4px; font-family: var(--k8s-mono); font-size: 0.75rem; }
  .policy .matrix th, .policy .matrix td { border: 1px solid var(--k8s-border); padding: 1px 4px; text-align: center; }
  .policy .matrix th[scope="row"] { text-align: left; }
  .policy .matrix caption { text-align: left; color: var(--k8s-muted); }
  .policy .matrix td.no { color: var(--k8s-accent); }
  .policy pre { margin: 4px 0 0; font-family: var(--k8s-mono); font-size: 0.8125rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  [part="status"] { font-size: 0.875rem; color: var(--k8s-muted); min-height: 1.25em; }
  [part="status"].error { color: var(--k8s-accent); }
  [part="status"] .stop { margin: 4px 0; padding: 2px 8px; border-left: 3px solid var(--k8s-policy-deny); color: var(--k8s-fg); overflow-wrap: anywhere; }
  [part="status"] .stop strong { color: var(--k8s-policy-deny); }
  ul.problems { margin: 6px 0 0; padding-left: 1.25rem; font-size: 0.875rem; overflow-wrap: anywhere; }
  ul.problems code { font-family: var(--k8s-mono); }
  svg { max-width: 100%; height: auto; display: block; margin: 0 auto; font-family: var(--k8s-font); }
  .node rect.frame { fill: var(--k8s-node-bg); stroke: var(--k8s-border); }
  .pod rect { fill: var(--k8s-pod-bg); stroke: var(--k8s-border); }
  .bridge rect { fill: var(--k8s-bridge-bg); stroke: var(--k8s-border); }
  .vtep rect { fill: var(--k8s-tunnel-bg); stroke: var(--k8s-border); }
  .proxy rect { fill: var(--k8s-proxy-bg); stroke: var(--k8s-border); }
  .underlay rect { fill: none; stroke: var(--k8s-muted); stroke-dasharray: 6 4; }
  .uplink { stroke: var(--k8s-muted); }
  text { fill: var(--k8s-fg); font-size: 12px; }
  text.title { font-weight: 600; font-size: 14px; }
  text.small { font-size: 10.5px; fill: var(--k8s-muted); }
  text.mono { font-family: var(--k8s-mono); }
  .active rect { stroke: var(--k8s-accent); stroke-width: 2.5; }
  .path { fill: none; stroke: var(--k8s-accent); stroke-width: 2; stroke-dasharray: 5 4; opacity: 0.7; }
  .packet .dot { fill: var(--k8s-accent); }
  .packet.dns-query .dot, .packet.dns-answer .dot { fill: var(--k8s-dns); }
  .packet text { font-family: var(--k8s-mono); font-size: 10px; }
  .packet .inner rect { fill: var(--k8s-bg); stroke: var(--k8s-accent); stroke-width: 1.5; }
  .packet .inner.dns rect { stroke: var(--k8s-dns); }
  .packet .outer rect { fill: var(--k8s-tunnel-bg); stroke: var(--k8s-muted); stroke-dasharray: 4 3; }
  .packet text.was { fill: var(--k8s-muted); text-decoration: line-through; }
  .packet text.dns { fill: var(--k8s-dns); font-weight: 600; }
  svg.pannable { cursor: grab; touch-action: none; }
  .controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
  .export { margin-left: auto; display: flex; gap: 4px; }
  .view { display: flex; gap: 4px; }
  :host(:fullscreen) { overflow: auto; }
  /* Read by screen readers, not shown: the hop list already shows the sentence. */
  .announce { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  button {
    font: inherit; font-size: 0.875rem; padding: 4px 12px; border-radius: 6px; cursor: pointer;
    border: 1px solid var(--k8s-border); background: var(--k8s-node-bg); color: var(--k8s-fg);
  }
  button:disabled { opacity: 0.5; cursor: default; }
  :focus-visible { outline: 2px solid var(--k8s-focus); outline-offset: 2px; }
  ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
  li {
    border: 1px solid var(--k8s-border); border-radius: 6px; padding: 6px 10px; cursor: pointer;
    font-size: 0.875rem; line-height: 1.4; overflow-wrap: anywhere; /* long DNS names in narrow columns */
  }
  li[aria-current="step"] { border-color: var(--k8s-accent); box-shadow: inset 3px 0 0 var(--k8s-accent); }
  .where { font-weight: 600; }
  .action { text-transform: uppercase; font-size: 0.75rem; letter-spacing: 0.04em; color: var(--k8s-accent); margin-left: 6px; }
  code { font-family: var(--k8s-mono); font-size: 0.8125rem; overflow-wrap: anywhere; }
  [part="inspector"] { margin-top: 8px; font-size: 0.8125rem; }
  [part="inspector"] h3 { font-size: 0.875rem; margin: 0 0 4px; font-family: var(--k8s-mono); }
  [part="inspector"] table { border-collapse: collapse; width: 100%; }
  [part="inspector"] th, [part="inspector"] td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--k8s-border); }
  [part="inspector"] td:last-child { font-family: var(--k8s-mono); overflow-wrap: anywhere; }
  [part="inspector"] mark { background: none; color: var(--k8s-accent); font-weight: 600; }
  [part="inspector"] .was { color: var(--k8s-muted); }
  [part="inspector"] .decided { margin: 4px 0 0; }
  [part="commands"] { margin-top: 8px; font-size: 0.875rem; }
  [part="commands"] [role="tablist"] { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
  [part="commands"] [role="tab"] { font-family: var(--k8s-mono); font-size: 0.75rem; padding: 2px 8px; }
  [part="commands"] [role="tab"][aria-selected="true"] { border-color: var(--k8s-accent); box-shadow: inset 0 -2px 0 var(--k8s-accent); }
  .speed select { font: inherit; font-size: 0.875rem; margin-left: 4px; }
  .faults { display: inline-flex; align-items: center; gap: 6px; font-size: 0.875rem; padding: 2px 8px; border: 1px solid var(--k8s-border); border-radius: 6px; }
  .faults input { margin: 0; width: 1rem; height: 1rem; accent-color: var(--k8s-accent); cursor: pointer; }
  .faults:has(input:checked) { border-color: var(--k8s-accent); }
  [part="client"] { margin: 6px 0; font-size: 0.875rem; }
  [part="client"] figcaption { color: var(--k8s-muted); }
  [part="client"] figcaption strong { color: var(--k8s-fg); }
  [part="client"] pre {
    margin: 4px 0 0; padding: 6px 10px; border: 1px solid var(--k8s-border); border-radius: 6px;
    background: var(--k8s-node-bg); color: var(--k8s-fg); font-family: var(--k8s-mono); font-size: 0.8125rem;
    white-space: pre-wrap; overflow-wrap: anywhere;
  }
  [part="client"] .prompt { color: var(--k8s-muted); }
  [part="client"] .exit { margin: 2px 0 0; font-family: var(--k8s-mono); font-size: 0.75rem; color: var(--k8s-muted); }
  .switches { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 8px; font-size: 0.875rem; }
  .switches select { font: inherit; margin-left: 4px; }
  [part="commands"] pre { font-family: var(--k8s-mono); font-size: 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 0; }
  [part="transcript"] { margin-top: 8px; font-size: 0.875rem; }
  [part="transcript"] pre { font-family: var(--k8s-mono); font-size: 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 0; }
  .verdict { margin: 2px 0; }
  .verdict .mark {
    display: inline-block; margin-right: 4px; padding: 0 6px; border: 1px solid currentColor; border-radius: 4px;
    font-size: 0.75rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em;
  }
  .verdict.allow .mark { color: var(--k8s-policy-allow); }
  .verdict.deny .mark { color: var(--k8s-policy-deny); }
  .enforcing line { stroke-width: 4; stroke-linecap: round; }
  .enforcing.allow line { stroke: var(--k8s-policy-allow); }
  .enforcing.deny line { stroke: var(--k8s-policy-deny); }
  .enforcing text { font-size: 10.5px; font-weight: 600; }
  .enforcing.allow text { fill: var(--k8s-policy-allow); }
  .enforcing.deny text { fill: var(--k8s-policy-deny); }
  .hdr { color: var(--k8s-muted); font-family: var(--k8s-mono); font-size: 0.8125rem; }
  @media (prefers-reduced-motion: reduce) {
    * { transition: none !important; animation: none !important; }
  }
`,
];
