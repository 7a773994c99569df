// The README's engine example, run against the built package entry, must print what the
// README says it prints.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
