// Collects every problem of an input instead of stopping at the first, each with a code, a
// path and, for text input, the document and line it came from.

import { K8sNetFlowError } from "../errors.js";
import type { ModelProblem, ProblemCode } from "./types.js";

export type Path = ReadonlyArray<string | number>;

/** Where an object of the input came from: its display path and its place in the source text. */
export interface Origin {
  /** Display path prefix, e.g. ["services", 2]. */
  path: Path;
  /** 0-based document index in the source text, when the input was text. */
  doc?: number;
  /** Path of the object inside that document (e.g. ["items", 7] in a List). */
  docPath?: Path;
}

export type Locator = (doc: number, path: Path) => { line: number } | undefined;

export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The most problems reported at once: past that, one more line says how many were left out. */
const MAX_REPORTED = 200;

export class Problems {
  readonly list: ModelProblem[] = [];
  private dropped = 0;

  constructor(private readonly locate?: Locator) {}

  error(code: ProblemCode, at: Origin, sub: Path, message: string): void {
    this.add("error", code, at, sub, message);
  }

  warn(code: ProblemCode, at: Origin, sub: Path, message: string): void {
    this.add("warning", code, at, sub, message);
  }

  get errorCount(): number {
    return this.list.filter((p) => p.severity === "error").length + this.dropped;
  }

  get warnings(): ModelProblem[] {
    return this.sorted().filter((p) => p.severity === "warning");
  }

  /** Problems in input order: by document and line where known, then by path. */
  sorted(): ModelProblem[] {
    const key = (p: ModelProblem) => [p.source?.document ?? 0, p.source?.line ?? 0] as const;
    return [...this.list].sort((a, b) => {
      const [da, la] = key(a);
      const [db, lb] = key(b);
      return da - db || la - lb || a.path.localeCompare(b.path, "en", { numeric: true });
    });
  }

  /** Throws one K8sNetFlowError carrying every problem, if any is an error. */
  throwIfErrors(): void {
    const all = this.sorted();
    const errors = all.filter((p) => p.severity === "error");
    if (errors.length === 0 && this.dropped === 0) return;
    const first = errors[0]!;
    const more = this.errorCount - 1;
    const err = new K8sNetFlowError("invalid-input", `${first.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""})` : ""}`, first.path);
    err.problems = this.dropped ? [...all, { severity: "error", code: "too-large", path: "", message: `${this.dropped} more problems not listed` }] : all;
    throw err;
  }

  private add(severity: ModelProblem["severity"], code: ProblemCode, at: Origin, sub: Path, message: string): void {
    if (this.list.length >= MAX_REPORTED) {
      if (severity === "error") this.dropped++;
      return;
    }
    const problem: ModelProblem = { severity, code, path: formatPath([...at.path, ...sub]), message };
    if (this.locate && at.doc !== undefined) {
      // The field itself may be absent (a missing field): fall back to its nearest parent.
      const full = [...(at.docPath ?? []), ...sub];
      for (let n = full.length; n >= 0; n--) {
        const found = this.locate(at.doc, full.slice(0, n));
        if (found) {
          problem.source = { document: at.doc + 1, line: found.line };
          break;
        }
      }
    }
    this.list.push(problem);
  }
}
