// dist/custom-elements.json (made by `npm run build`): what editors and docs tools read about
// <k8s-net-flow> and <k8s-flow-sim>. It must list each element's whole public surface.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

interface Declaration {
  name: string;
  tagName?: string;
  attributes?: Array<{ name: string }>;
  events?: Array<{ name: string }>;
  cssParts?: Array<{ name: string }>;
  cssProperties?: Array<{ name: string }>;
  members: Array<{ kind: string; name: string; privacy?: string }>;
}

const manifest = JSON.parse(readFileSync(fileURLToPath(new URL("../../dist/custom-elements.json", import.meta.url)), "utf8")) as { modules: Array<{ declarations?: Declaration[] }> };
const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === "k8s-net-flow");
const sim = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === "k8s-flow-sim");

describe("custom-elements.json", () => {
  it("describes <k8s-net-flow>: attributes, events, parts, CSS properties and methods", () => {
    expect(element?.name).toBe("K8sNetFlowElement");
    expect(element!.attributes!.map((a) => a.name).sort()).toEqual(["autoplay", "cni", "faults", "from", "hop", "loop", "mode", "reply-size", "scenario", "seed", "size", "speed", "src", "switchable", "theme", "to"]);
    expect(element!.events!.map((e) => e.name).sort()).toEqual(["k8s-done", "k8s-error", "k8s-hop", "k8s-trace"]);
    expect(element!.cssParts!.map((p) => p.name).sort()).toEqual(["client", "commands", "controls", "diagram", "faults", "hop", "hops", "inspector", "policy", "policy-matrix", "policy-verdict", "status", "switches", "transcript"]);
    expect(element!.cssProperties!.map((p) => p.name)).toEqual(expect.arrayContaining(["--k8s-bg", "--k8s-fg", "--k8s-accent", "--k8s-dns", "--k8s-focus", "--k8s-font", "--k8s-mono"]));
    const methods = element!.members.filter((m) => m.kind === "method" && !m.privacy).map((m) => m.name).sort();
    expect(methods).toEqual(["back", "exportPng", "exportSvg", "exportTrace", "pause", "play", "reset", "step"]);
  });

  it("describes <k8s-flow-sim>: attributes, events, parts, CSS properties and methods", () => {
    expect(sim?.name).toBe("K8sFlowSimElement");
    expect(sim!.attributes!.map((a) => a.name).sort()).toEqual(["autorun", "churn-endpoints", "churn-events", "cni", "detect-seconds", "fail-at", "fail-node", "flows", "mode", "nodes", "packets-per-flow", "pattern", "pods", "rate", "scenario", "seed", "services", "theme", "workers"]);
    expect(sim!.events!.map((e) => e.name).sort()).toEqual(["k8s-error", "k8s-sim-done", "k8s-sim-progress"]);
    expect(sim!.cssParts!.map((p) => p.name).sort()).toEqual(["cancel", "conntrack-chart", "conntrack-table", "counters", "form", "heatmap", "histogram", "pairs", "progress", "rate-chart", "rate-table", "readout", "run", "status"]);
    expect(sim!.cssProperties!.map((p) => p.name)).toEqual(expect.arrayContaining(["--k8s-bg", "--k8s-fg", "--k8s-bar", "--k8s-heat-low", "--k8s-heat-high", "--k8s-focus", "--k8s-font", "--k8s-mono"]));
    const methods = sim!.members.filter((m) => m.kind === "method" && !m.privacy).map((m) => m.name).sort();
    expect(methods).toEqual(["cancel", "cluster", "plan", "run"]);
  });
});
