// bench/chart.mjs: the hand-written SVG of the benchmark results (bench/results/latest.svg).
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module of the benchmark runner, without types.
import { svgChart } from "../../bench/chart.mjs";

const modes = ["iptables", "nftables", "ipvs", "ebpf"];
const data = {
  meta: { date: "2026-11-26T06:00:00.000Z", machine: { cpu: "Test CPU", cores: 2, node: "v20.0.0" }, versions: { "k8s-net-flow": "0.1.0" } },
  rulesPerConnection: modes.flatMap((mode, m) => [100, 1000, 10000].map((services) => ({ mode, services, wasm: mode === "iptables" ? services * 1.5 : m + 1, reference: 0 }))),
  results: modes.flatMap((mode) => [100, 1000, 10000].map((services) => ({ name: `new connections (SYN + answer), ${mode}, ${services} services`, unit: "connections/s", subject: { label: "Wasm", median: 1e8 / services }, baseline: { label: "TS", median: 1 }, speedup: 1, repeats: 5 }))),
  workerScaling: [{ workers: 1, packetsPerSecond: 1e6 }, { workers: 2, packetsPerSecond: 1.9e6 }],
};

describe("bench chart", () => {
  it("draws rules per connection and connections/s per mode on log axes, and worker scaling, with a title and labels", () => {
    const svg: string = svgChart(data);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 1140 /);
    expect(svg).toContain("<title>k8s-net-flow benchmarks</title>");
    expect(svg).toContain("Rules (or lookups) walked per new connection");
    expect(svg).toContain("Services (log)");
    expect(svg).toContain("rules per new connection (log)");
    expect(svg).toContain("Engine: packets per second by workers");
    // 4 modes × 2 panels, and measured + ideal.
    expect(svg.match(/<polyline/g)).toHaveLength(10);
    for (const m of modes) expect(svg).toContain(`>${m}</text>`);
    // Log ticks at powers of ten: 1 … 100k rules.
    for (const t of [">1<", ">10<", ">100<", ">1k<", ">10k<"]) expect(svg).toContain(t);
    expect(svg).toContain("Test CPU × 2 · Node v20.0.0 · k8s-net-flow 0.1.0");
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    // Every element opened is closed.
    const open = (svg.match(/<(g|svg|text|polyline|circle)[\s>]/g) ?? []).length;
    const closed = (svg.match(/<\/(g|svg|text|polyline|circle)>/g) ?? []).length;
    expect(closed).toBe(open);
  });

  it("says so when there is nothing to chart, and writes the macro line", () => {
    const svg: string = svgChart({ meta: {}, macro: { workers: 2, error: "out of memory <heap>" } });
    expect(svg).toContain("No chart for these suites");
    expect(svg).toContain("did not complete — out of memory &lt;heap&gt;");
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});
