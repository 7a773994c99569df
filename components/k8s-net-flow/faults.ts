// The element's faults: the `faults` attribute's list, and what the client program would print
// for the traced connection (trace.client), healthy or broken.

import { html, nothing } from "lit";
import type { Trace } from "../../src/engine/types.js";

/** The faults of a `faults` attribute: space-separated, each `KIND` or `KIND=ARGUMENT`. */
export function faultList(text: string | undefined): string[] {
  return (text ?? "").split(/\s+/).filter(Boolean);
}

/** What a client program prints for the traced connection (curl, nc, …). */
export type ClientView = NonNullable<Trace["client"]>;

/** The trace's client view, when the engine gives one. */
export function clientOf(trace: Trace): ClientView | undefined {
  return trace.client;
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
