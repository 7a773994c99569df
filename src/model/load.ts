// Every input → one validated ClusterModel. Problems from the whole input are collected and
// thrown together (K8sNetFlowError.problems); warnings come back with the model.

import { K8sNetFlowError } from "../errors.js";
import { buildModel } from "./build.js";
import { emptyDraft, type Draft } from "./draft.js";
import { generateDraft } from "./generate.js";
import { isCompact, parseCompact } from "./parse/compact.js";
import { isKubernetesObject, parseManifests, type SourceObject } from "./parse/manifests.js";
import { describe, isRecord } from "./parse/reader.js";
import { parseText } from "./parse/text.js";
import { Problems } from "./problems.js";
import { SCENARIOS } from "./scenarios.js";
import type { LoadedModel, ModelInput } from "./types.js";

/** Validates any accepted input and fills in what a real cluster would have. */
export function loadModel(input: ModelInput | unknown): LoadedModel {
  if (!isRecord(input)) throw new K8sNetFlowError("invalid-input", `expected a cluster (an object), got ${describe(input)}`);
  let problems = new Problems();
  let draft: Draft | undefined;
  let extraSettings: Record<string, unknown> | undefined;
  const only = (keys: string[]) => {
    for (const k of Object.keys(input)) if (!keys.includes(k)) problems.error("unknown-field", { path: [] }, [k], `unknown field "${k}" next to "${keys[0]}" (allowed: ${keys.join(", ")})`);
  };

  if ("scenario" in input) {
    only(["scenario", "settings"]);
    if (input.settings !== undefined && !isRecord(input.settings)) throw new K8sNetFlowError("invalid-input", `expected an object, got ${describe(input.settings)}`, "settings");
    extraSettings = input.settings as Record<string, unknown> | undefined;
    const name = input.scenario;
    const scenario = typeof name === "string" ? SCENARIOS[name] : undefined;
    if (!scenario) throw new K8sNetFlowError("not-found", `unknown scenario ${describe(name)} (built in: ${Object.keys(SCENARIOS).join(", ")})`, "scenario");
    draft = parseCompact(scenario.cluster, { path: [] }, problems);
  } else if ("generate" in input) {
    only(["generate"]);
    draft = generateDraft(input.generate, problems);
  } else if ("text" in input) {
    only(["text", "settings"]);
    if (typeof input.text !== "string") throw new K8sNetFlowError("invalid-input", `expected the manifests as text, got ${describe(input.text)}`, "text");
    if (input.settings !== undefined && !isRecord(input.settings)) throw new K8sNetFlowError("invalid-input", `expected an object, got ${describe(input.settings)}`, "settings");
    extraSettings = input.settings as Record<string, unknown> | undefined;
    const parsed = parseText(input.text, problems);
    problems = rebind(problems, parsed.locate);
    draft = fromDocuments(parsed.docs, problems);
  } else if (isKubernetesObject(input)) {
    draft = emptyDraft();
    parseManifests([{ value: input, docPath: [] }], problems, draft);
  } else {
    draft = parseCompact(input, { path: [] }, problems);
  }
  const model = draft ? buildModel(draft, problems, extraSettings) : undefined;
  problems.throwIfErrors();
  if (!model) throw new K8sNetFlowError("internal", "the model could not be built, and no problem was reported");
  return { model, warnings: problems.warnings };
}

/** A collector that can also find lines, keeping what was already collected. */
function rebind(old: Problems, locate: ConstructorParameters<typeof Problems>[0]): Problems {
  const next = new Problems(locate);
  next.list.push(...old.list);
  return next;
}

function fromDocuments(docs: unknown[], problems: Problems): Draft {
  const draft = emptyDraft();
  const objects: SourceObject[] = [];
  docs.forEach((doc, i) => {
    if (doc === undefined || doc === null) return;
    if (isKubernetesObject(doc)) objects.push({ value: doc, doc: i, docPath: [] });
    else if (isRecord(doc) && (isCompact(doc) || "settings" in doc)) parseCompact(doc, { path: [], doc: i, docPath: [] }, problems, draft);
    else problems.error("unknown-kind", { path: ["documents", i], doc: i, docPath: [] }, [], `document ${i + 1} is neither a Kubernetes object (no "kind") nor a compact cluster (nodes, pods, services): ${describe(doc)}`);
  });
  parseManifests(objects, problems, draft);
  return draft;
}
