// The README's examples, run against the built package (engine entry and CLI), must do and
// print what the README says.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");

function blockAfter(heading: string, lang: string, nth = 0): string {
  const section = readme.slice(readme.indexOf(heading));
  const blocks = [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))];
  const block = blocks[nth]?.[1];
  if (block === undefined) throw new Error(`README: no ${lang} block #${nth} after "${heading}"`);
  return block;
}

function runExample(code: string): string {
  mkdirSync(`${root}build`, { recursive: true });
  const file = `${root}build/readme-example.mjs`;
  writeFileSync(file, code.replace(/from "k8s-net-flow"/g, `from "${root}dist/engine.js"`));
  return execFileSync(process.execPath, [file], { encoding: "utf8", timeout: 20000 });
}

describe("README examples", () => {
  it("the engine example prints what the README shows", () => {
    const out = runExample(blockAfter("## Engine API", "js"));
    expect(out).toBe(blockAfter("## Engine API", "text"));
  });

  it("the custom-cluster example loads", () => {
    const load = blockAfter("## Engine API", "js", 1);
    const out = runExample(`import { createEngine } from "k8s-net-flow";\nconst engine = await createEngine();\n${load}\nconsole.log((await engine.trace({ from: "web", to: "backend/api" })).verdict);\nawait engine.dispose();\n`);
    expect(out).toBe("delivered\n");
  });
});

describe("README input formats", () => {
  const section = readme.slice(readme.indexOf("## Input formats"), readme.indexOf("## Command line"));
  const yamlBlocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it("has the examples", () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(yamlBlocks.map((b, i) => [i, b] as const))("YAML example %i loads without problems", async (_i, text) => {
    const { loadModel } = await import("../../src/model/load.js");
    const { model, warnings } = loadModel({ text });
    expect(warnings).toEqual([]);
    expect(model.pods.length).toBeGreaterThan(0);
  });

  it("the generator example prints what the README shows", () => {
    const out = runExample(blockAfter("**Generated clusters**", "js"));
    expect(out).toBe(blockAfter("**Generated clusters**", "text"));
  });
});

describe("README batch simulation and command line", () => {
  it("the simulate example prints what the README shows", () => {
    const out = runExample(blockAfter("### Simulating many connections", "js"));
    expect(out).toBe(blockAfter("### Simulating many connections", "text"));
  });

  it("every command line in the README runs and exits 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-readme-"));
    // The files the README's lines name besides what they generate themselves.
    copyFileSync(`${root}test/fixtures/policy-shop.yaml`, join(dir, "shop.yaml"));
    const lines = blockAfter("## Command line", "sh").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) {
      expect(line).toMatch(/^npx k8s-net-flow /);
      // Run in order in one directory, so `generate … > cluster.yaml` feeds the lines after it.
      const r = spawnSync("sh", ["-c", line.replace(/^npx k8s-net-flow/, `"${process.execPath}" "${root}dist/cli.js"`)], { cwd: dir, encoding: "utf8", timeout: 60000 });
      // stderr may carry what the real tool warns (kubectl's Endpoints deprecation), never our errors.
      expect({ line, status: r.status, stderr: r.stderr }).toEqual({ line, status: 0, stderr: expect.not.stringContaining("k8s-net-flow:") });
      expect(r.stdout.length + (line.includes(">") ? 1 : 0)).toBeGreaterThan(0);
    }
  }, 180_000);
});
