// `k8s-net-flow bench compare`: the built bin on two small results files (test/fixtures/bench-*.json).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const a = fixture("bench-a.json");
const b = fixture("bench-b.json");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
});

describe("k8s-net-flow bench compare", () => {
  it("--help describes the command and its exit codes", () => {
    const r = run("bench", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: k8s-net-flow bench compare/);
    expect(r.stdout).toMatch(/--threshold/);
    expect(r.stdout).toMatch(/--fail-on-regression/);
    expect(r.stdout).toMatch(/--json/);
  });

  it("is listed in the top-level help", () => {
    expect(run("--help").stdout).toMatch(/\n {2}bench +compare two benchmark results/);
  });

  it("prints B/A per common measurement, marks regressions and counter mismatches, exits 0", () => {
    const r = run("bench", "compare", a, b);
    expect(r.code).toBe(0);
    const line = (id: string) => r.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
    // 400,000 / 500,000 connections/s: 20% fewer per second, beyond 10%.
    expect(line("dataplane/new connections, nftables")).toMatch(/500,000 +400,000 +0\.800× +REGRESSION$/);
    // 4% fewer per second: within the threshold.
    expect(line("engine/workers 1")).toMatch(/0\.960×$/);
    // ms: lower is better, 600 after 800 is faster.
    expect(line("model/generate")).toMatch(/0\.750× +faster$/);
    expect(r.stdout).toMatch(/Not compared: 1 only in A \(fib\/only in a\), 0 only in B/);
    expect(r.stdout).toMatch(/COUNTERS DIFFER for the same seeds[^\n]*\n {2}engine\/simulate: cccc3333dddd → eeee5555ffff\n/);
    expect(r.stdout).not.toMatch(/dataplane\/nftables, 1000 services: /);
    expect(r.stdout).toMatch(/1 regression beyond 10% \(B slower than A\), 1 counter mismatch, 4 measurements compared\.\n$/);
  });

  it("--threshold moves the line: 25% lets the 20% drop pass", () => {
    const r = run("bench", "compare", a, b, "--threshold", "25%", "--json");
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.threshold).toBe(0.25);
    expect(c.regressions).toBe(0);
    expect(c.rows.map((x: { verdict: string }) => x.verdict)).toEqual(["same", "same", "improvement", "same"]);
    expect(c.counterMismatches).toBe(1);
    expect(c.sameSeeds).toBe(true);
  });

  it("--json has ratios and verdicts; a file against itself has none", () => {
    const r = run("bench", "compare", a, a, "--json");
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.rows).toHaveLength(5);
    expect(c.rows.every((x: { ratio: number; verdict: string }) => x.ratio === 1 && x.verdict === "same")).toBe(true);
    expect(c.regressions).toBe(0);
    expect(c.counterMismatches).toBe(0);
  });

  it("--fail-on-regression exits 1 on a regression or counter mismatch (the CLI's codes are 0/1/2), 0 without", () => {
    expect(run("bench", "compare", a, b, "--fail-on-regression").code).toBe(1);
    expect(run("bench", "compare", b, b, "--fail-on-regression").code).toBe(0);
  });

  it("different seeds: counters are not compared", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-bench-"));
    const other = join(dir, "seed.json");
    const data = JSON.parse(readFileSync(b, "utf8"));
    data.meta.seeds.engine = 2;
    writeFileSync(other, JSON.stringify(data));
    const r = run("bench", "compare", a, other, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sameSeeds: false, counterMismatches: 0 });
    expect(run("bench", "compare", a, other).stdout).toContain("Counters not compared: the two runs used different seeds.");
  });

  it("invalid input exits 1: a missing file, not JSON, not a results file, a bad threshold, no subcommand", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-bench-"));
    const notJson = join(dir, "x.json");
    writeFileSync(notJson, "{ nope");
    const notResults = join(dir, "y.json");
    writeFileSync(notResults, JSON.stringify({ results: [] }));
    const missing = run("bench", "compare", a, join(dir, "missing.json"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*missing\.json: ENOENT/);
    expect(run("bench", "compare", a, notJson).stderr).toMatch(/not JSON/);
    expect(run("bench", "compare", notResults, a).stderr).toMatch(/not a benchmark results file .*no measurements array/);
    const json = run("bench", "compare", notResults, a, "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe("invalid-input");
    expect(run("bench", "compare", a, b, "--threshold", "ten").code).toBe(1);
    expect(run("bench", "compare", a).code).toBe(1);
    expect(run("bench").stderr).toMatch(/bench needs a subcommand: compare/);
    expect(run("bench", "nope", a, b).code).toBe(1);
  });
});
