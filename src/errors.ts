import type { ModelProblem } from "./model/types.js";

/**
 * The one error type every layer raises. `code` is stable for scripts, `path` names the
 * field of the user's input that is wrong (e.g. `nodes[1].podCIDR`), `message` says why
 * in a sentence a user can act on.
 */
export class K8sNetFlowError extends Error {
  override readonly name = "K8sNetFlowError";
  /** Every problem found in the input, when there were several (model validation). */
  problems?: ModelProblem[];
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path: string = "",
  ) {
    super(path ? `${path}: ${message}` : message);
  }

  /** A plain object that survives structured cloning (worker boundaries, JSON). */
  toJSON(): ErrorInfo {
    return { code: this.code, path: this.path, message: this.message, ...(this.problems ? { problems: this.problems } : {}) };
  }

  static from(info: ErrorInfo): K8sNetFlowError {
    const err = new K8sNetFlowError(info.code, info.message);
    // `message` already carries the path prefix; keep it as sent.
    Object.defineProperty(err, "path", { value: info.path });
    if (info.problems) err.problems = info.problems;
    return err;
  }
}

export type ErrorCode =
  | "invalid-input" // the user's model, flow or option is malformed
  | "not-found" // a name the user gave does not exist in the model
  | "unsupported" // valid Kubernetes, but not simulated (yet)
  | "no-model" // trace before load
  | "disposed" // call after dispose()
  | "cancelled" // stopped by its AbortSignal
  | "internal"; // a bug in k8s-net-flow

export interface ErrorInfo {
  code: ErrorCode;
  path: string;
  message: string;
  problems?: ModelProblem[];
}

/** Turns anything thrown into an ErrorInfo, so no bare string or foreign error escapes. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof K8sNetFlowError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { code: "internal", path: "", message };
}
