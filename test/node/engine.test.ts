import { afterAll, describe, expect, it } from "vitest";
import { createEngine, K8sNetFlowError, type Engine } from "../../src/index.js";

const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

async function engine(host: "worker" | "inline"): Promise<Engine> {
  const e = await createEngine({ host });
  engines.push(e);
  return e;
}

describe("engine", () => {
  it("runs in a Node worker thread and in-thread with identical results", async () => {
    const worker = await engine("worker");
    const inline = await engine("inline");
    expect(worker.host).toBe("worker");
    expect(inline.host).toBe("inline");
    const [a, b] = await Promise.all([worker.load({ scenario: "cross-node" }), inline.load({ scenario: "cross-node" })]);
    expect(a).toEqual(b);
    const flow = { from: "pod-a", to: "pod-b" };
    const [ta, tb] = await Promise.all([worker.trace(flow), inline.trace(flow)]);
    expect(JSON.stringify(ta)).toBe(JSON.stringify(tb));
    expect(ta.outcome).toBe("delivered");
  });
});
