// Fault missing-route=NODE>PEER: NODE's routing table lacks the route to PEER's pod network
// (flanneld never added it, BIRD did not learn it). NODE's pods' packets to PEER's pods follow
// the default route to the node network's gateway and leave the simulated cluster there; PEER's
// pods still reach NODE's, but the answer fails on NODE; every other node and direction is as
// healthy. `ip route` on NODE lacks exactly that line. Cilium forwards by its ipcache: an error.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, K8sNetFlowError, type Engine, type Hop } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { bothDataplanes, exchangeBoth } from "./both-dataplanes.js";

const node = (n: number) => ({ name: `worker-node-${n}`, ip: `192.168.1.${9 + n}`, podCIDR: `10.244.${n - 1}.0/24` });
const cluster = (cni: object, faults: string[] = []) => ({
  name: "three-nodes",
  nodes: [node(1), node(2), node(3)],
  pods: [
    { name: "pod-a", node: "worker-node-1", ip: "10.244.0.5", labels: { app: "a" } },
    { name: "pod-b", node: "worker-node-2", ip: "10.244.1.10", labels: { app: "b" } },
    { name: "pod-c", node: "worker-node-3", ip: "10.244.2.7", labels: { app: "c" } },
  ],
  settings: { cni, faults },
});
const FAULT = "missing-route=worker-node-1>worker-node-2";

const CASES = [
  { name: "flannel VXLAN", cni: { plugin: "flannel", mode: "vxlan" }, podDev: "cni0", missing: "10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink" },
  { name: "flannel host-gw", cni: { plugin: "flannel", mode: "host-gw" }, podDev: "cni0", missing: "10.244.1.0/24 via 192.168.1.11 dev eth0" },
  { name: "Calico IP-in-IP", cni: { plugin: "calico", mode: "ipip" }, podDev: "cali", missing: "10.244.1.0/26 via 192.168.1.11 dev tunl0 proto bird onlink" },
] as const;

let engine: Engine;
let wasm: Uint8Array;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});
afterAll(() => engine.dispose());

const ipRoute = async (n: string) => (await engine.show({ command: "ip route", node: n })).stdout;
const PAIRS = [["pod-a", "pod-b"], ["pod-b", "pod-a"], ["pod-a", "pod-c"], ["pod-c", "pod-a"], ["pod-b", "pod-c"], ["pod-c", "pod-b"]] as const;

describe.each(CASES)("missing-route with $name", ({ cni, podDev, missing }) => {
  it("NODE's pods → PEER's pods leave by the default route at NODE's eth0; the other direction's answer fails on NODE; others unchanged", async () => {
    await engine.load(cluster(cni) as never);
    const healthy = new Map<string, Hop[]>();
    for (const [f, t] of PAIRS) healthy.set(`${f}>${t}`, (await engine.trace({ from: f, to: t })).hops);
    const healthyRoutes = await Promise.all([1, 2, 3].map((n) => ipRoute(`worker-node-${n}`)));
    expect(healthyRoutes[0]).toContain(`${missing} \n`);

    await engine.load(cluster(cni, [FAULT]) as never);
    const out = await engine.trace({ from: "pod-a", to: "pod-b" });
    expect(out.verdict).toBe("dropped");
    const drop = out.hops.at(-1)!;
    expect(drop).toMatchObject({ phase: "request", node: "worker-node-1", netns: "host", component: "routing", action: "drop", outIface: "eth0", rule: "default via 192.168.1.1 dev eth0" });
    expect(drop.reason).toMatch(/leaves the simulated cluster/);
    expect(drop.inIface!.startsWith(podDev)).toBe(true);
    // Up to the node's routing decision, the same path as when healthy.
    const before = healthy.get("pod-a>pod-b")!;
    expect(out.hops.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(out.hops[2]).toMatchObject({ action: "route", outIface: "eth0", rule: "default via 192.168.1.1 dev eth0" });

    const back = await engine.trace({ from: "pod-b", to: "pod-a" });
    expect(back.verdict).toBe("delivered");
    expect(back.replyVerdict).toBe("dropped");
    const healthyBack = healthy.get("pod-b>pod-a")!;
    expect(back.hops.filter((h) => h.phase === "request")).toEqual(healthyBack.filter((h) => h.phase === "request"));
    expect(back.hops.at(-1)).toMatchObject({ phase: "reply", node: "worker-node-1", netns: "host", action: "drop", outIface: "eth0", rule: "default via 192.168.1.1 dev eth0" });

    // Every other node and direction: exactly as healthy.
    for (const [f, t] of PAIRS.slice(2)) expect((await engine.trace({ from: f, to: t })).hops, `${f} → ${t}`).toEqual(healthy.get(`${f}>${t}`));

    // `ip route` on NODE lacks exactly that line; the other nodes' tables are unchanged.
    const faulty = await Promise.all([1, 2, 3].map((n) => ipRoute(`worker-node-${n}`)));
    expect(faulty[0]).toBe(healthyRoutes[0]!.replace(`${missing} \n`, ""));
    expect(faulty[0]).not.toBe(healthyRoutes[0]);
    expect(faulty.slice(1)).toEqual(healthyRoutes.slice(1));

    // Without the fault, the healthy traces again, hop for hop.
    await engine.load(cluster(cni) as never);
    for (const [f, t] of PAIRS) expect((await engine.trace({ from: f, to: t })).hops).toEqual(healthy.get(`${f}>${t}`));
  });

  it("the Wasm dataplane and the reference agree hop for hop", async () => {
    const both = await bothDataplanes(wasm, loadModel(cluster(cni, [FAULT, "missing-route=worker-node-3>worker-node-1"]) as never).model);
    let dropped = 0;
    for (const [f, t] of [...PAIRS, ["pod-a", "10.244.1.99:80"], ["pod-c", "10.244.0.77:80"]] as const) {
      const w = exchangeBoth(both, f, t);
      if (w.verdict !== 1 || w.replyVerdict !== 1) dropped++;
    }
    expect(dropped).toBeGreaterThanOrEqual(4);
  });
});

describe("missing-route errors", () => {
  it("Cilium has no per-peer routes: an error at load, naming settings.faults", async () => {
    const err = await engine.load(cluster({ plugin: "cilium", mode: "vxlan" }, [FAULT]) as never).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(K8sNetFlowError);
    expect(err).toMatchObject({ code: "unsupported", path: "settings.faults", message: expect.stringContaining("Cilium has no per-node routes to peers' pod networks") });
  });

  it("unknown nodes are named", async () => {
    const err = await engine.load(cluster({ plugin: "flannel", mode: "vxlan" }, ["missing-route=worker-node-1>worker-node-9"]) as never).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(K8sNetFlowError);
    expect(String((err as Error).message)).toContain("no node worker-node-9");
  });
});
