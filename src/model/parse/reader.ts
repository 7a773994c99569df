// Typed reading of untrusted objects (parsed YAML/JSON): every field read is checked, every
// wrong or unknown field becomes a problem with its path, and nothing throws.

import type { Origin, Path, Problems } from "../problems.js";
import { checkLabelKey, checkLabelValue } from "../names.js";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

export interface FieldRules {
  /** Fields this reader reads. */
  read: readonly string[];
  /** Valid Kubernetes fields with no effect on the network: accepted quietly. */
  ignore?: readonly string[];
  /** Valid Kubernetes fields that would change the network but are not simulated: a warning each. */
  unsupported?: readonly string[];
  /** What unknown fields are: errors (compact format) or warnings (Kubernetes objects). */
  unknown: "error" | "warning";
}

/** A view of one object of the input at `sub` below `at`. */
export class Reader {
  constructor(
    readonly obj: Record<string, unknown>,
    readonly at: Origin,
    readonly sub: Path,
    readonly problems: Problems,
  ) {}

  static of(value: unknown, at: Origin, sub: Path, problems: Problems, rules?: FieldRules): Reader | undefined {
    if (!isRecord(value)) {
      problems.error("type", at, sub, `expected an object, got ${describe(value)}`);
      return undefined;
    }
    const r = new Reader(value, at, sub, problems);
    if (rules) r.checkFields(rules);
    return r;
  }

  path(key: string | number): Path {
    return [...this.sub, key];
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== undefined && this.obj[key] !== null;
  }

  checkFields(rules: FieldRules): void {
    for (const key of Object.keys(this.obj)) {
      if (rules.read.includes(key) || rules.ignore?.includes(key)) continue;
      if (rules.unsupported?.includes(key)) {
        this.problems.warn("unsupported", this.at, this.path(key), `"${key}" is not simulated: the model ignores it`);
      } else if (rules.unknown === "error") {
        this.problems.error("unknown-field", this.at, this.path(key), `unknown field "${key}" (allowed here: ${rules.read.join(", ")})`);
      } else {
        this.problems.warn("unknown-field", this.at, this.path(key), `unknown field "${key}": ignored`);
      }
    }
  }

  error(key: string | number | Path, message: string, code: Parameters<Problems["error"]>[0] = "invalid-value"): void {
    this.problems.error(code, this.at, Array.isArray(key) ? [...this.sub, ...key] : this.path(key as string | number), message);
  }

  str(key: string, required = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error("required", this.at, this.path(key), `"${key}" is required`);
      return undefined;
    }
    if (typeof v !== "string") {
      this.problems.error("type", this.at, this.path(key), `expected a string, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  int(key: string, min: number, max: number, required = false): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error("required", this.at, this.path(key), `"${key}" is required`);
      return undefined;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.problems.error("type", this.at, this.path(key), `expected an integer, got ${describe(v)}`);
      return undefined;
    }
    if (v < min || v > max) {
      this.problems.error("out-of-range", this.at, this.path(key), `${v} is out of range (${min} to ${max})`);
      return undefined;
    }
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") {
      this.problems.error("type", this.at, this.path(key), `expected true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) {
      this.problems.error("invalid-value", this.at, this.path(key), `"${v}" is not one of ${allowed.join(", ")}`);
      return undefined;
    }
    return v as T;
  }

  child(key: string, rules?: FieldRules): Reader | undefined {
    if (!this.has(key)) return undefined;
    return Reader.of(this.obj[key], this.at, this.path(key), this.problems, rules);
  }

  list(key: string): Array<{ value: unknown; sub: Path }> {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problems.error("type", this.at, this.path(key), `expected a list, got ${describe(v)}`);
      return [];
    }
    return v.map((value, i) => ({ value, sub: [...this.sub, key, i] }));
  }

  /** A map of label keys to values (labels, selectors, nodeSelector), validated. */
  labels(key: string): Record<string, string> | undefined {
    if (!this.has(key)) return undefined;
    const r = Reader.of(this.obj[key], this.at, this.path(key), this.problems);
    if (!r) return undefined;
    const entries: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(r.obj)) {
      const keyProblem = checkLabelKey(k);
      if (keyProblem) {
        r.error(k, keyProblem, "invalid-label");
        continue;
      }
      // YAML turns `version: 1` or `enabled: true` into numbers and booleans; Kubernetes rejects them.
      if (typeof v !== "string") {
        r.error(k, `label values must be strings, got ${describe(v)} (quote it in YAML)`, "type");
        continue;
      }
      const valueProblem = checkLabelValue(v);
      if (valueProblem) {
        r.error(k, valueProblem, "invalid-label");
        continue;
      }
      entries.push([k, v]);
    }
    // fromEntries defines own properties, so a "__proto__" key could never reach a prototype.
    return Object.fromEntries(entries);
  }
}
