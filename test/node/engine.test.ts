// The engine API in Node: in a worker thread (Comlink's node adapter) and in-thread.
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, K8sNetFlowError, type Engine, type Trace } from "../../src/index.js";

const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

async function engine(host: "worker" | "inline"): Promise<Engine> {
  const e = await createEngine({ host });
  engines.push(e);
  return e;
}

async function rejection(p: Promise<unknown>): Promise<K8sNetFlowError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8sNetFlowError);
  return err as K8sNetFlowError;
}

const summarize = (t: Trace) => t.hops.map((h) => `${h.node} ${h.netns} ${h.action} ttl=${h.packet.ttl} in=${h.inIface ?? "-"} out=${h.outIface ?? "-"}`);

describe.each(["worker", "inline"] as const)("engine (%s)", (host) => {
  it("traces the seed's cross-node flow: pod → cni0 → flannel.1 → node 2 → cni0 → pod, TTL 64 → 62", async () => {
    const e = await engine(host);
    expect(e.host).toBe(host);
    const summary = await e.load({ scenario: "cross-node" });
    expect(summary.defaultFlow).toEqual({ from: "pod-a", to: "pod-b" });
    // Two nodes, and pod-a, pod-b and the two CoreDNS pods every cluster has.
    expect(summary.routeTables).toBe(6);
    const trace = await e.trace({ from: "pod-a", to: "pod-b" });
    expect(trace.verdict).toBe("delivered");
    expect(summarize(trace)).toEqual([
      "worker-node-1 default/pod-a route ttl=64 in=- out=eth0",
      "worker-node-1 host route ttl=63 in=cni0 out=flannel.1",
      "worker-node-2 host route ttl=62 in=flannel.1 out=cni0",
      expect.stringMatching(/^worker-node-2 host bridge ttl=62 in=cni0 out=veth[0-9a-f]{8}$/),
      "worker-node-2 default/pod-b deliver ttl=62 in=eth0 out=-",
    ]);
    expect(trace.hops.map((h) => h.rule ?? "")).toEqual([
      "10.244.0.0/16 via 10.244.0.1 dev eth0",
      "10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink",
      "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1",
      "",
      "",
    ]);
  });

  it("same node: only the bridge between the pods, TTL unchanged", async () => {
    const e = await engine(host);
    await e.load({ scenario: "pod-to-pod" });
    const trace = await e.trace({ from: "pod-a", to: "10.244.0.6" });
    expect(trace.hops.map((h) => `${h.action}:${h.packet.ttl}`)).toEqual(["route:64", "bridge:64", "deliver:64"]);
    expect(trace.hops[0]!.rule).toBe("10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.5");
  });

  it("an address no pod holds is dropped where ARP fails (on the owning node's cni0)", async () => {
    const e = await engine(host);
    await e.load({ scenario: "cross-node" });
    const trace = await e.trace({ from: "pod-a", to: "10.244.1.77" });
    expect(trace.verdict).toBe("dropped");
    expect(trace.hops.at(-1)).toMatchObject({ node: "worker-node-2", action: "drop", outIface: "cni0" });
  });

  it("keeps error code and path across the boundary, and stays usable afterwards", async () => {
    const e = await engine(host);
    await e.load({ scenario: "cross-node" });
    const bad = await rejection(e.load({ nodes: [{ name: "a", podCIDR: "10.244.0.1/24" }] }));
    expect(bad.code).toBe("invalid-input");
    expect(bad.path).toBe("nodes[0].podCIDR");
    expect(bad.problems).toEqual([expect.objectContaining({ code: "invalid-address", path: "nodes[0].podCIDR" })]);
    const missing = await rejection(e.trace({ from: "pod-z", to: "pod-b" }));
    expect(missing).toMatchObject({ code: "not-found", path: "from" });
    await e.load({ scenario: "pod-to-service" });
    const svc = await rejection(e.trace({ from: "client", to: "backend-svc:80" }));
    expect(svc).toMatchObject({ code: "unsupported", path: "to", message: expect.stringMatching(/Service default\/backend-svc/) });
    expect(await rejection(e.trace({ from: "client", to: "10.96.0.20" }))).toMatchObject({ code: "unsupported" });
    await e.load({ scenario: "cross-node" });
    const outside = await rejection(e.trace({ from: "pod-a", to: "8.8.8.8" }));
    expect(outside).toMatchObject({ code: "unsupported", path: "to" });
    // The failed load left the previous cluster in place.
    expect((await e.trace({ from: "pod-a", to: "pod-b" })).verdict).toBe("delivered");
  });

  it("refuses to trace before a load, and every call after dispose", async () => {
    const e = await engine(host);
    expect(await rejection(e.trace({ from: "a", to: "b" }))).toMatchObject({ code: "no-model" });
    await e.dispose();
    expect(await rejection(e.load({ scenario: "cross-node" }))).toMatchObject({ code: "disposed" });
  });
});

describe("hosts agree", () => {
  it("worker and inline give byte-identical summaries and traces for a generated cluster", async () => {
    const cluster = {
      nodes: Array.from({ length: 6 }, (_, i) => ({ name: `node-${i}` })),
      pods: Array.from({ length: 30 }, (_, i) => ({ name: `pod-${i}`, namespace: i % 2 ? "backend" : "frontend", node: `node-${i % 6}` })),
    };
    const [w, n] = [await engine("worker"), await engine("inline")];
    const [sw, sn] = await Promise.all([w.load(cluster), n.load(cluster)]);
    expect(JSON.stringify(sw)).toBe(JSON.stringify(sn));
    for (let i = 0; i < 30; i += 7) {
      const flow = { from: `${i % 2 ? "backend" : "frontend"}/pod-${i}`, to: `${(i + 3) % 2 ? "backend" : "frontend"}/pod-${(i + 3) % 30}` };
      const [tw, tn] = await Promise.all([w.trace(flow), n.trace(flow)]);
      expect(JSON.stringify(tw)).toBe(JSON.stringify(tn));
    }
  });

  it("rejects an unknown host option", async () => {
    // @ts-expect-error: testing a value outside the type
    expect(await rejection(createEngine({ host: "gpu" }))).toMatchObject({ code: "invalid-input", path: "host" });
  });
});
