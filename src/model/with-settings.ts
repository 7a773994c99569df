// Settings laid over any model input (kube-proxy's mode, the CNI), the way the CLI's --mode
// and the element's `mode`/`cni` attributes ask for them.

import type { ModelInput } from "./types.js";

type Settings = Record<string, unknown>;

export function withSettings(input: ModelInput, settings: Settings | undefined): ModelInput {
  if (!settings || !Object.keys(settings).length) return input;
  // One level deep, so `cni: { mtu }` keeps the input's plugin and mode.
  const merged = (s: unknown) => {
    const out: Settings = { ...(s && typeof s === "object" ? (s as Settings) : {}) };
    for (const [k, v] of Object.entries(settings)) {
      const base = out[k];
      out[k] = v && typeof v === "object" && base && typeof base === "object" ? { ...(base as Settings), ...(v as Settings) } : v;
    }
    return out;
  };
  // A scenario keeps its name, so it keeps its default flow.
  if ("scenario" in input) return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
  if ("generate" in input) return { generate: { ...(input.generate as object), settings: merged((input.generate as Settings).settings) } } as ModelInput;
  if ("text" in input) return { ...input, settings: merged(input.settings) } as ModelInput;
  return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
}
