// What the engine tests share: engines disposed after the file, and the error a call rejects with.
import { afterAll, expect } from "vitest";
import { createEngine, K8sNetFlowError, type Engine } from "../../../src/index.js";

/** Creates engines for one test file and disposes of them after it. */
export function engineFactory(): (options: Parameters<typeof createEngine>[0]) => Promise<Engine> {
  const engines: Engine[] = [];
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
  });
  return async (options) => {
    const e = await createEngine(options);
    engines.push(e);
    return e;
  };
}

/** The K8sNetFlowError `p` rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(p: Promise<unknown>): Promise<K8sNetFlowError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8sNetFlowError);
  return err as K8sNetFlowError;
}
