// Traces cross the worker boundary packed: hop records in one transferable typed array plus
// only the table entries they name; the receiver decodes them into the same hops.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as A from "../../../src/dataplane/abi.js";
import { unpackTrace } from "../../../src/dataplane/packed-trace.js";
import { EngineCore } from "../../../src/engine/core.js";

const wasm = readFileSync(fileURLToPath(new URL("../../../build/dataplane.wasm", import.meta.url)));

describe("packed traces", () => {
  it("move as one typed array with a small dictionary, and decode to the same trace after a transfer", async () => {
    const core = await EngineCore.create(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const summary = core.load({ generate: { seed: 2, nodes: 40, pods: 2000, services: 300 } });
    const from = summary.pods.find((p) => p.namespace !== "kube-system")!;
    const svc = summary.services.find((s) => s.name.startsWith("svc-"))!;
    // By name: DNS queries first, then the connection across nodes.
    const packed = core.trace({ from: `${from.namespace}/${from.name}`, to: `${svc.name}.${svc.namespace}:${svc.ports[0]!.split("/")[0]}` });
    const hops = packed.records.length / (A.T_BYTES / 4);
    expect(hops).toBeGreaterThan(20);
    expect(packed.dnsRuns.length).toBeGreaterThan(0);
    // Only what the hops name travels: a handful of entries, not the cluster's 2,000 pods' tables.
    expect(Object.keys(packed.tables.netns).length).toBeLessThanOrEqual(8);
    expect(Object.keys(packed.tables.ifaces).length).toBeLessThanOrEqual(24);
    expect(Object.keys(packed.tables.rules).length).toBeLessThanOrEqual(hops);
    const before = JSON.stringify(unpackTrace(packed));
    const moved = structuredClone(packed, { transfer: [packed.records.buffer] });
    expect(packed.records.byteLength).toBe(0); // detached: moved, not copied
    expect(JSON.stringify(unpackTrace(moved))).toBe(before);
    const trace = unpackTrace(moved);
    expect(trace.hops.map((h) => h.seq)).toEqual(trace.hops.map((_, i) => i));
    expect(trace.hops[0]!.phase).toBe("dns-query");
    expect(trace.hops.at(-1)!.phase).toBe("reply");
  });
});
