// Fault flanneld-stopped=NODE (flannel VXLAN): flanneld on NODE failed after the node rebooted,
// so NODE has none of what flanneld writes per peer lease (flannel-io/flannel
// pkg/backend/vxlan/vxlan_network.go handleSubnetEvents: the VTEP's neighbour entry, its FDB
// entry on flannel.1 and the route `10.244.N.0/24 via 10.244.N.0 dev flannel.1 onlink`; see
// src/compile/routes.ts flanneldStoppedNodes). Scope: NODE's own tables lack its peers' entries;
// the peers still hold NODE's (its lease is its Node object's annotations), so traffic towards
// NODE arrives, and NODE's answers cannot leave: with no route via flannel.1 they follow the
// default route out of the cluster at NODE's eth0. Other CNIs and host-gw: an error.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFault, faultText } from "../../../src/faults/faults.js";
import { createEngine, K8sNetFlowError, type Engine, type Hop } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { bothDataplanes, exchangeBoth } from "./both-dataplanes.js";

const node = (n: number) => ({ name: `worker-node-${n}`, ip: `192.168.1.${9 + n}`, podCIDR: `10.244.${n - 1}.0/24` });
const VXLAN = { plugin: "flannel", mode: "vxlan" };
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
const FAULT = "flanneld-stopped=worker-node-1";
const PAIRS = [["pod-a", "pod-b"], ["pod-b", "pod-a"], ["pod-a", "pod-c"], ["pod-c", "pod-a"], ["pod-b", "pod-c"], ["pod-c", "pod-b"]] as const;
const DEFAULT_ROUTE = "default via 192.168.1.1 dev eth0";

let engine: Engine;
let wasm: Uint8Array;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});
afterAll(() => engine.dispose());

const show = async (command: string, n: number) => (await engine.show({ command, node: `worker-node-${n}` })).stdout;
const COMMANDS = ["ip route", "ip neigh show dev flannel.1", "bridge fdb show dev flannel.1"] as const;
const outputs = async () => {
  const out: Record<string, string[]> = {};
  for (const c of COMMANDS) out[c] = await Promise.all([1, 2, 3].map((n) => show(c, n)));
  return out;
};
const healthyTraces = async () => {
  const out = new Map<string, Hop[]>();
  for (const [f, t] of PAIRS) out.set(`${f}>${t}`, (await engine.trace({ from: f, to: t })).hops);
  return out;
};

describe("flanneld-stopped with flannel VXLAN", () => {
  it("parses and prints back", () => {
    expect(parseFault(FAULT)).toEqual({ kind: "flanneld-stopped", node: "worker-node-1" });
    expect(faultText(parseFault(FAULT))).toBe(FAULT);
    expect(() => parseFault("flanneld-stopped")).toThrow(/needs an argument: flanneld-stopped=NODE/);
  });

  it("NODE's pod → a peer's pod: no route via flannel.1 on NODE, out by the default route at NODE's eth0", async () => {
    await engine.load(cluster(VXLAN) as never);
    const healthy = await healthyTraces();
    await engine.load(cluster(VXLAN, [FAULT]) as never);
    for (const to of ["pod-b", "pod-c"]) {
      const out = await engine.trace({ from: "pod-a", to });
      expect(out.verdict, to).toBe("dropped");
      const drop = out.hops.at(-1)!;
      expect(drop, to).toMatchObject({ phase: "request", node: "worker-node-1", netns: "host", component: "routing", action: "drop", outIface: "eth0", rule: DEFAULT_ROUTE });
      expect(drop.reason).toMatch(/leaves the simulated cluster/);
      expect(drop.inIface!.startsWith("cni0")).toBe(true);
      // Up to NODE's routing decision, the healthy path; there the healthy one took flannel.1.
      const before = healthy.get(`pod-a>${to}`)!;
      const at = out.hops.findIndex((h) => h.node === "worker-node-1" && h.netns === "host" && h.action === "route");
      expect(at).toBeGreaterThan(0);
      expect(out.hops.slice(0, at)).toEqual(before.slice(0, at));
      expect(before[at]).toMatchObject({ action: "route", outIface: "flannel.1" });
      expect(out.hops[at]).toMatchObject({ action: "route", outIface: "eth0", rule: DEFAULT_ROUTE });
      // No hop on flannel.1 anywhere: NODE never encapsulates.
      expect(out.hops.some((h) => h.component === "vxlan")).toBe(false);
    }
  });

  it("a peer's pod → NODE's pod: the request arrives (the peers keep NODE's entries), the answer dies on NODE", async () => {
    await engine.load(cluster(VXLAN) as never);
    const healthy = await healthyTraces();
    await engine.load(cluster(VXLAN, [FAULT]) as never);
    for (const from of ["pod-b", "pod-c"]) {
      const back = await engine.trace({ from, to: "pod-a" });
      expect(back.verdict, from).toBe("delivered");
      expect(back.replyVerdict, from).toBe("dropped");
      const healthyBack = healthy.get(`${from}>pod-a`)!;
      // The request is the healthy one, hop for hop: encapsulated by the peer, decapsulated by NODE's flannel.1.
      expect(back.hops.filter((h) => h.phase === "request")).toEqual(healthyBack.filter((h) => h.phase === "request"));
      expect(back.hops.some((h) => h.phase === "request" && h.node === "worker-node-1" && h.component === "vxlan" && h.action === "decap")).toBe(true);
      const drop = back.hops.at(-1)!;
      expect(drop).toMatchObject({ phase: "reply", node: "worker-node-1", netns: "host", component: "routing", action: "drop", outIface: "eth0", rule: DEFAULT_ROUTE });
      expect(drop.reason).toMatch(/leaves the simulated cluster/);
      expect(back.hops.some((h) => h.phase === "reply" && h.component === "vxlan")).toBe(false);
    }
    // Between the peers: exactly as healthy.
    for (const [f, t] of PAIRS.slice(4)) expect((await engine.trace({ from: f, to: t })).hops, `${f} → ${t}`).toEqual(healthy.get(`${f}>${t}`));
  });

  it("ip route, ip neigh and bridge fdb on NODE lack every peer's entry; the peers' are unchanged (NODE's included)", async () => {
    await engine.load(cluster(VXLAN) as never);
    const healthy = await outputs();
    // flanneld's entries when running: per peer a route, a neighbour and an FDB entry.
    expect(healthy["ip route"]![0]).toContain("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink \n");
    expect(healthy["ip route"]![0]).toContain("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink \n");
    expect(healthy["ip neigh show dev flannel.1"]![0]!.split("\n").filter(Boolean)).toHaveLength(2);
    expect(healthy["ip neigh show dev flannel.1"]![0]).toMatch(/^10\.244\.1\.0 dev flannel\.1 lladdr [0-9a-f:]{17} PERMANENT \n/m);
    expect(healthy["bridge fdb show dev flannel.1"]![0]).toMatch(/^[0-9a-f:]{17} dst 192\.168\.1\.11 self permanent\n/m);
    expect(healthy["bridge fdb show dev flannel.1"]![0]).toMatch(/^[0-9a-f:]{17} dst 192\.168\.1\.12 self permanent\n/m);

    await engine.load(cluster(VXLAN, [FAULT]) as never);
    const faulty = await outputs();
    expect(faulty["ip neigh show dev flannel.1"]![0]).toBe("");
    expect(faulty["bridge fdb show dev flannel.1"]![0]).toBe("");
    expect(faulty["ip route"]![0]).toBe(
      healthy["ip route"]![0]!.replace("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink \n", "").replace("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink \n", ""),
    );
    expect(faulty["ip route"]![0]).not.toContain("flannel.1");
    // The other nodes still hold everything, NODE's VTEP and route included.
    for (const c of COMMANDS) expect(faulty[c]!.slice(1), c).toEqual(healthy[c]!.slice(1));
    expect(faulty["ip route"]![1]).toContain("10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink \n");
    expect(faulty["bridge fdb show dev flannel.1"]![1]).toMatch(/ dst 192\.168\.1\.10 self permanent\n/);
    // flannel.1 itself is there, with its address.
    expect(await show("ip -d link show flannel.1", 1)).toContain("vxlan id 1 local 192.168.1.10 dev eth0");
  });

  it("removing the fault restores the healthy traces exactly", async () => {
    await engine.load(cluster(VXLAN) as never);
    const healthy = await healthyTraces();
    const healthyOut = await outputs();
    await engine.load(cluster(VXLAN, [FAULT]) as never);
    for (const [f, t] of PAIRS.slice(0, 4)) expect((await engine.trace({ from: f, to: t })).hops, `${f} → ${t}`).not.toEqual(healthy.get(`${f}>${t}`));
    await engine.load(cluster(VXLAN) as never);
    for (const [f, t] of PAIRS) expect((await engine.trace({ from: f, to: t })).hops, `${f} → ${t}`).toEqual(healthy.get(`${f}>${t}`));
    expect(await outputs()).toEqual(healthyOut);
  });

  it("the Wasm dataplane and the reference agree hop for hop", async () => {
    const both = await bothDataplanes(wasm, loadModel(cluster(VXLAN, [FAULT]) as never).model);
    let dropped = 0;
    for (const [f, t] of [...PAIRS, ["pod-a", "10.244.1.99:80"], ["pod-b", "10.244.0.77:80"], ["pod-a", "10.244.0.9:80"]] as const) {
      const w = exchangeBoth(both, f, t);
      if (w.verdict !== 1 || w.replyVerdict !== 1) dropped++;
    }
    expect(dropped).toBeGreaterThanOrEqual(5);
  });
});

describe("flanneld-stopped errors", () => {
  for (const cni of [{ plugin: "flannel", mode: "host-gw" }, { plugin: "calico", mode: "vxlan" }, { plugin: "cilium", mode: "vxlan" }]) {
    it(`${cni.plugin} ${cni.mode}: an error at load, naming settings.faults`, async () => {
      const err = await engine.load(cluster(cni, [FAULT]) as never).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(K8sNetFlowError);
      expect(err).toMatchObject({ code: "unsupported", path: "settings.faults", message: expect.stringContaining("flanneld-stopped=worker-node-1 (settings.faults) needs flannel's VXLAN backend") });
      expect((err as Error).message).toContain(`this cluster runs ${cni.plugin} ${cni.mode}`);
    });
  }

  it("an unknown node is named", async () => {
    const err = await engine.load(cluster(VXLAN, ["flanneld-stopped=worker-node-9"]) as never).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(K8sNetFlowError);
    expect(String((err as Error).message)).toContain("no node worker-node-9");
  });
});
