// The engine API in Node: in a worker thread (Comlink's node adapter) and in-thread.
import { describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../src/index.js";
import { engineFactory, rejection } from "./engine/helpers.js";

const make = engineFactory();
const engine = (host: "worker" | "inline"): Promise<Engine> => make({ host });


describe.each(["worker", "inline"] as const)("engine (%s)", (host) => {
  it("loads a scenario and traces its flow (the hop lists themselves: test/node/dataplane)", async () => {
    const e = await engine(host);
    expect(e.host).toBe(host);
    const summary = await e.load({ scenario: "cross-node" });
    expect(summary.defaultFlow).toEqual({ from: "pod-a", to: "pod-b" });
    // Two host namespaces, and pod-a, pod-b and the two CoreDNS pods every cluster has.
    expect(summary.routeTables).toBe(6);
    const trace = await e.trace({ from: "pod-a", to: "pod-b" });
    expect(trace.verdict).toBe("delivered");
    expect(trace.replyVerdict).toBe("delivered");
    expect(trace.hops.filter((h) => h.phase === "request").at(-1)).toMatchObject({ node: "worker-node-2", netns: "default/pod-b", action: "deliver", packet: { ttl: 62 } });
  });

  it("the same seed gives the same endpoint; seeds spread connections over the endpoints", async () => {
    const e = await engine(host);
    await e.load({ scenario: "pod-to-service" });
    const backend = async (seed: number) => (await e.trace({ from: "client", to: "10.96.0.20:80", seed })).hops.find((h) => h.action === "dnat")!.packet.dst;
    expect(await backend(7)).toBe(await backend(7));
    const seen = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) seen.add(await backend(seed));
    expect([...seen].sort()).toEqual(["10.244.0.15", "10.244.0.16", "10.244.0.17"]);
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
    const unknown = await e.trace({ from: "pod-a", to: "nosuch-svc:80" });
    expect(unknown.verdict).toBe("unresolved");
    expect(unknown.dns?.error).toBe("Name or service not known");
    expect(await rejection(e.trace({ from: "pod-a", to: "pod-b:70000" }))).toMatchObject({ code: "invalid-input", path: "to" });
    expect(await rejection(e.trace({ from: "pod-a", to: "kube-dns.kube-system" }))).toMatchObject({ code: "invalid-input", message: expect.stringMatching(/several ports/) });
    expect(await rejection(e.trace({ from: "pod-a", to: "pod-b", seed: -1 }))).toMatchObject({ code: "invalid-input", path: "seed" });
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
    // (services and their endpoints are part of the generated cluster: DNAT on both hosts alike)
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

describe("scenario settings", () => {
  it("a scenario takes settings next to its name and keeps its default flow", async () => {
    const e = await engine("inline");
    const summary = await e.load({ scenario: "pod-to-service", settings: { kubeProxy: { mode: "iptables" }, coreDNSReplicas: 1 } });
    expect(summary.defaultFlow).toEqual({ from: "client", to: "10.96.0.20:80" });
    expect(summary.pods.filter((p) => p.name.startsWith("coredns"))).toHaveLength(1);
    expect(await rejection(e.load({ scenario: "pod-to-service", settings: { kubeProxy: { mode: "ebpf" } } }))).toMatchObject({ code: "unsupported", path: "settings.kubeProxy.mode" });
    expect(await rejection(e.load({ scenario: "pod-to-service", settings: 3 }))).toMatchObject({ code: "invalid-input", path: "settings" });
  });
});
