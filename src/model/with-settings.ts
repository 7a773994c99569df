// Settings laid over any model input (kube-proxy's mode, the CNI), the way the CLI's --mode
// and the element's `mode`/`cni` attributes ask for them.

import type { ModelInput } from "./types.js";

type Settings = Record<string, unknown>;

export function withSettings(input: ModelInput, settings: Settings | undefined): ModelInput {
  if (!settings || !Object.keys(settings).length) return input;
  const merged = (s: unknown) => ({ ...(s && typeof s === "object" ? (s as Settings) : {}), ...settings });
  // A scenario keeps its name, so it keeps its default flow.
  if ("scenario" in input) return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
  if ("generate" in input) return { generate: { ...(input.generate as object), settings: merged((input.generate as Settings).settings) } } as ModelInput;
  if ("text" in input) return { ...input, settings: merged(input.settings) } as ModelInput;
  return { ...input, settings: merged((input as Settings).settings) } as ModelInput;
}
