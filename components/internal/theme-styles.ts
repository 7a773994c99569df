// What both elements' styles share: the fonts, the host box, and the light and dark palettes
// applied by the reader's colour scheme, the `theme` attribute, or an ancestor's data-theme
// (custom states set by AncestorTheme). Each element adds its own colours to each palette.

import { css, type CSSResult } from "lit";

const LIGHT = css`--k8s-bg: #ffffff; --k8s-fg: #1b1f24; --k8s-muted: #57606a; --k8s-border: #d0d7de; --k8s-node-bg: #f6f8fa;
  --k8s-accent: #cf222e; --k8s-focus: #0969da;`;
const DARK = css`--k8s-bg: #0d1117; --k8s-fg: #e6edf3; --k8s-muted: #8d96a0; --k8s-border: #30363d; --k8s-node-bg: #161b22;
  --k8s-accent: #ff7b72; --k8s-focus: #58a6ff;`;

/** The host's box and palettes, `light` and `dark` being the element's own colours on top of the shared ones. */
export function themedHost(light: CSSResult, dark: CSSResult): CSSResult {
  return css`
    :host {
      --k8s-font: system-ui, -apple-system, "Segoe UI", sans-serif;
      --k8s-mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
      ${LIGHT} ${light}
      --k8s-radius: 8px;
      display: block;
      font-family: var(--k8s-font);
      color: var(--k8s-fg);
      background: var(--k8s-bg);
      border: 1px solid var(--k8s-border);
      border-radius: var(--k8s-radius);
      padding: 12px;
    }
    :host([hidden]) { display: none; }
    @media (prefers-color-scheme: dark) {
      :host(:not([theme="light"])) { ${DARK} ${dark} }
    }
    /* theme="auto" under an ancestor's data-theme (custom states: no attribute on the host). */
    :host(:state(dark)), :host([theme="dark"]) { ${DARK} ${dark} }
    :host(:state(light)) { ${LIGHT} ${light} }
  `;
}
