// Input text (YAML, multi-document, or JSON) → documents, with a locator that maps a path in
// a document back to its line. Hostile input (alias bombs, deep nesting, huge text) becomes a
// problem, never a crash.

import { LineCounter, parseAllDocuments, type Document } from "yaml";
import type { Locator, Problems } from "../problems.js";
import { LIMITS } from "../types.js";

export interface ParsedText {
  docs: unknown[];
  locate: Locator;
}

const ROOT = { path: [] as const };

/** YAML's default alias limit; beyond it expansion is treated as an attack. */
const MAX_ALIASES = 100;

export function parseText(text: string, problems: Problems): ParsedText {
  if (text.length > LIMITS.textBytes) {
    problems.error("too-large", ROOT, [], `the input is ${Math.round(text.length / 1048576)} MiB; at most ${LIMITS.textBytes / 1048576} MiB is read`);
    return { docs: [], locate: () => undefined };
  }
  let yamlDocs: Document.Parsed[] | undefined;
  const lines = new LineCounter();
  const yamlView = () => (yamlDocs ??= parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true }) as Document.Parsed[]);
  const locate: Locator = (doc, path) => {
    const node = yamlView()[doc]?.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? { line: lines.linePos(node.range[0]).line } : undefined;
  };

  // JSON (kubectl -o json) parses much faster natively; lines are found through YAML only
  // when a problem needs one.
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { docs: [JSON.parse(text)], locate };
    } catch {
      // Not strict JSON (YAML flow style, or a JSON error): let the YAML parser report it.
    }
  }
  let parsed: Document.Parsed[];
  try {
    parsed = yamlView();
  } catch (err) {
    problems.error("parse", ROOT, [], `the input could not be parsed: ${(err as Error).message}`);
    return { docs: [], locate: () => undefined };
  }
  const docs: unknown[] = [];
  parsed.forEach((doc, i) => {
    const at = { path: ["documents", i] as const };
    if (doc.errors.length) {
      for (const e of doc.errors.slice(0, 5)) {
        const line = e.linePos?.[0]?.line;
        problems.error("parse", at, [], `${line ? `line ${line}: ` : ""}${e.message.split("\n")[0]}`);
      }
      docs.push(undefined);
      return;
    }
    try {
      docs.push(doc.toJS({ maxAliasCount: MAX_ALIASES }));
    } catch (err) {
      const deep = err instanceof RangeError;
      problems.error("too-large", at, [], deep ? "the document is nested too deeply to read" : `the document could not be read: ${(err as Error).message}`);
      docs.push(undefined);
    }
  });
  return { docs, locate };
}
