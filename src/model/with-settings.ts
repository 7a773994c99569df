// Settings laid over any model input (kube-proxy's mode, the CNI), the way the CLI's --mode
// and the element's `mode`/`cni` attributes ask for them.

import type { ModelInput } from "./types.js";

type Settings = Record<string, unknown>;

export function withSettings(input: ModelInput, settings: Settings | undefined): ModelInput {
  if (!settings || !Object.keys(settings).length) return input;
  const merged = (s: unknown) => layOver(s && typeof s === "object" ? (s as Settings) : {}, settings);
  // A scenario keeps its name, so it keeps its default flow.
  if ("scenario" in input) return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
  if ("generate" in input) return { generate: { ...(input.generate as object), settings: merged((input.generate as Settings).settings) } } as ModelInput;
  if ("text" in input) return { ...input, settings: merged(input.settings) } as ModelInput;
  return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
}

/**
 * `over` laid over `base`, one level deep: `cni: { mtu }` keeps the base's plugin and mode,
 * while another CNI plugin brings its own defaults, and a list (`faults`) replaces the base's.
 */
export function layOver(base: Settings, over: Settings): Settings {
  const out: Settings = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const objects = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b);
    // Another CNI plugin brings its own default mode (and MTU), not the document's plugin's.
    const otherPlugin = k === "cni" && objects && "plugin" in (v as object) && (v as { plugin: unknown }).plugin !== (b as { plugin?: unknown }).plugin;
    out[k] = objects && !otherPlugin ? { ...(b as object), ...(v as object) } : v;
  }
  return out;
}
