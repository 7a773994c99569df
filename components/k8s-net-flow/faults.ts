// The element's faults: the `faults` attribute laid over the cluster's settings, and what the
// client program would print for the traced connection (trace.client), healthy or broken.

import { html, nothing } from "lit";
import type { Trace } from "../../src/engine/types.js";
import type { ModelInput } from "../../src/model/types.js";

/** The faults of a `faults` attribute: space-separated, each `KIND` or `KIND=ARGUMENT`. */
export function faultList(text: string | undefined): string[] {
  return (text ?? "").split(/\s+/).filter(Boolean);
}

/**
 * `input` with `faults` as its settings' faults (replacing the cluster's own, as the CLI's
 * --fault does); unchanged when `faults` is undefined. A list is not merged key by key, so this
 * sets it whole rather than through withSettings.
 */
export function withFaults(input: ModelInput, faults: string[] | undefined): ModelInput {
  if (!faults) return input;
  type Loose = Record<string, unknown>;
  const over = (settings: unknown): Loose => ({ ...(settings && typeof settings === "object" && !Array.isArray(settings) ? (settings as Loose) : {}), faults: [...faults] });
  if ("generate" in input) {
    const g = (input as { generate: Loose }).generate;
    return { generate: { ...g, settings: over(g.settings) } } as ModelInput;
  }
  return { ...(input as Loose), settings: over((input as Loose).settings) } as ModelInput;
}

/** What a client program prints for the traced connection (curl, nslookup, …). */
export interface ClientView {
  command: string;
  output: string;
  exitCode?: number;
  outcome?: string;
}

/** The trace's client view, when the engine gives one. */
export function clientOf(trace: Trace): ClientView | undefined {
  const client = (trace as Trace & { client?: ClientView }).client;
  return client && typeof client.command === "string" ? client : undefined;
}

/** A small terminal: the command at a prompt, what it printed, and its exit status. */
export function renderClient(client: ClientView | undefined) {
  if (!client) return nothing;
  const status = client.exitCode === undefined ? "" : `exit status ${client.exitCode}`;
  return html`<figure part="client" class="client">
    <figcaption>What the client prints${client.outcome ? html`: <strong>${client.outcome}</strong>` : nothing}</figcaption>
    <pre><code><span class="prompt" aria-hidden="true">$ </span>${client.command}${client.output ? `\n${client.output.replace(/\n$/, "")}` : ""}</code></pre>
    ${status ? html`<p class="exit">${status}</p>` : nothing}
  </figure>`;
}
