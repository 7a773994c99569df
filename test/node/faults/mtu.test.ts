// Fault mtu-mismatch: pods get MTU 1500 over flannel's VXLAN (flannel.1 has 1450). Small
// requests and answers work; a small request whose answer is large (FlowQuery.replySize) has
// that answer stopped where it enters the tunnel: the answering pod's node sends ICMP
// "fragmentation needed" (next-hop MTU 1450) back to the answering pod, the client gets nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, K8sNetFlowError, type Engine, type Trace } from "../../../src/index.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

async function trace(faults: string[], size: number, replySize?: number): Promise<Trace> {
  await engine.load({ scenario: "cross-node", settings: { faults } } as never);
  return engine.trace({ from: "pod-a", to: "pod-b:53", protocol: "UDP", size, ...(replySize !== undefined ? { replySize } : {}) });
}

describe("mtu-mismatch: small requests work, large responses black-hole", () => {
  it("a 100-byte request and a 100-byte answer work", async () => {
    const t = await trace(["mtu-mismatch"], 100);
    expect(t).toMatchObject({ verdict: "delivered", replyVerdict: "delivered" });
    expect(t.hops.filter((h) => h.phase === "reply").every((h) => h.packet.length === 100)).toBe(true);
  });

  it("a 100-byte request with a 1500-byte answer: fragmentation needed at pod-b's node, sent back to pod-b", async () => {
    const t = await trace(["mtu-mismatch"], 100, 1500);
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("dropped");
    expect(t.hops.filter((h) => h.phase === "request").every((h) => h.packet.length === 100)).toBe(true);
    const reply = t.hops.filter((h) => h.phase === "reply");
    expect(reply[0]).toMatchObject({ node: "worker-node-2", netns: "default/pod-b", packet: { src: "10.244.1.10", dst: "10.244.0.5", length: 1500 } });
    expect(reply.at(-1)).toMatchObject({ node: "worker-node-2", netns: "host", action: "drop", outIface: "flannel.1", reason: expect.stringContaining("Frag needed") });
    const error = t.hops.filter((h) => h.phase === "error");
    expect(error.length).toBeGreaterThan(0);
    expect(error.every((h) => h.node === "worker-node-2")).toBe(true);
    expect(error.at(-1)).toMatchObject({ netns: "default/pod-b", action: "deliver", packet: { src: "10.244.1.1", dst: "10.244.1.10", protocol: "icmp", icmp: { type: 3, code: 4, mtu: 1450 } } });
    // Nothing reached the client's node on the way back.
    expect(reply.some((h) => h.node === "worker-node-1")).toBe(false);
  });

  it("the largest answer that fits the tunnel (1450) still works", async () => {
    const t = await trace(["mtu-mismatch"], 100, 1450);
    expect(t).toMatchObject({ verdict: "delivered", replyVerdict: "delivered" });
    expect(t.hops.at(-1)).toMatchObject({ phase: "reply", netns: "default/pod-a", action: "deliver", packet: { length: 1450 } });
  });

  it("without the fault the same flow works at any size up to the healthy pod MTU (1450)", async () => {
    for (const [size, replySize] of [[100, 100], [100, 1450], [1450, 100], [1450, 1450], [28, 20]] as const) {
      const t = await trace([], size, replySize);
      expect({ size, replySize, verdict: t.verdict, reply: t.replyVerdict, error: t.hops.some((h) => h.phase === "error") }).toEqual({ size, replySize, verdict: "delivered", reply: "delivered", error: false });
      expect(t.hops.at(-1)!.packet.length).toBe(replySize);
    }
    // replySize equal to the request's is the default: the same trace.
    await engine.load({ scenario: "cross-node" });
    const a = await engine.trace({ from: "pod-a", to: "pod-b:53", protocol: "UDP", size: 300 });
    const b = await engine.trace({ from: "pod-a", to: "pod-b:53", protocol: "UDP", size: 300, replySize: 300 });
    expect(b.hops).toEqual(a.hops);
  });

  it("refuses reply sizes out of range, naming replySize", async () => {
    await engine.load({ scenario: "cross-node" });
    for (const replySize of [19, 65536, 1.5]) {
      const err = await engine.trace({ from: "pod-a", to: "pod-b", replySize }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(K8sNetFlowError);
      expect(err).toMatchObject({ code: "invalid-input", path: "replySize", message: expect.stringContaining("20 to 65535") });
    }
  });
});
