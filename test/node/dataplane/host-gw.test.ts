// flannel's host-gw backend: no flannel.1, no VXLAN, no FDB/ARP entries for VTEPs. flanneld
// (pkg/backend/hostgw/hostgw.go) adds per remote node a route to its pod CIDR via its node IP
// on the external interface (`10.244.X.0/24 via <node IP> dev eth0`, RTPROT_BOOT, which
// `ip route` does not print), and reports the NIC's MTU (1500) for subnet.env. The packet
// crosses the underlay as it is, node eth0 MAC to node eth0 MAC, routed once on each node:
// TTL 62 on arrival as with VXLAN, but no 50 bytes added and no outer header.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileIptables } from "../../../src/compile/iptables.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow as resolveAny, type LoadedCluster } from "../../../src/dataplane/forward.js";
import * as A from "../../../src/dataplane/abi.js";
import { createEngine, K8sNetFlowError, type Engine, type Hop } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";

const HOST_GW = { cni: { plugin: "flannel", mode: "host-gw" } };

let engine: Engine;
let wasm: Uint8Array;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});
afterAll(() => engine.dispose());

const line = (h: Hop) => {
  const p = h.packet;
  const port = (x?: number) => (x === undefined ? "" : `:${x}`);
  const outer = p.outer ? ` [${p.outer.src}>${p.outer.dst}]` : "";
  return `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${p.src}${port(p.sport)}>${p.dst}${port(p.dport)} ttl${p.ttl} len${p.length}${outer} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`;
};

/** The MAC of a node's eth0, as `ip link show eth0` on that node prints it. */
async function ethMac(node: string): Promise<string> {
  const out = (await engine.show({ command: "ip link show eth0", node })).stdout;
  return out.match(/link\/ether (\S+)/)![1]!;
}

describe("flannel host-gw: cross-node traffic", () => {
  it("cross-node: pod-a → pod-b routed via 192.168.1.11 on eth0, not encapsulated, TTL 62 on delivery; the reply the same way back", async () => {
    await engine.load({ scenario: "cross-node", settings: HOST_GW });
    const t = await engine.trace({ from: "pod-a", to: "pod-b:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(t.hops.map(line)).toEqual([
      "request worker-node-1 default/pod-a pod/route 10.244.0.5:55971>10.244.1.10:80 ttl64 len60 ->eth0",
      "request worker-node-1 default/pod-a veth/xmit 10.244.0.5:55971>10.244.1.10:80 ttl64 len60 ->eth0",
      "request worker-node-1 host routing/route 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 cni0>eth0",
      "request worker-node-1 host underlay/wire 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 eth0>eth0",
      "request worker-node-2 host routing/route 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 eth0>cni0",
      "request worker-node-2 host bridge/bridge 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 cni0>veth1cfd396d",
      "request worker-node-2 host veth/xmit 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 ->veth1cfd396d",
      "request worker-node-2 default/pod-b pod/deliver 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 eth0>-",
      "reply worker-node-2 default/pod-b pod/route 10.244.1.10:80>10.244.0.5:55971 ttl64 len60 ->eth0",
      "reply worker-node-2 default/pod-b veth/xmit 10.244.1.10:80>10.244.0.5:55971 ttl64 len60 ->eth0",
      "reply worker-node-2 host routing/route 10.244.1.10:80>10.244.0.5:55971 ttl63 len60 cni0>eth0",
      "reply worker-node-2 host underlay/wire 10.244.1.10:80>10.244.0.5:55971 ttl63 len60 eth0>eth0",
      "reply worker-node-1 host routing/route 10.244.1.10:80>10.244.0.5:55971 ttl62 len60 eth0>cni0",
      "reply worker-node-1 host bridge/bridge 10.244.1.10:80>10.244.0.5:55971 ttl62 len60 cni0>veth19fd34b4",
      "reply worker-node-1 host veth/xmit 10.244.1.10:80>10.244.0.5:55971 ttl62 len60 ->veth19fd34b4",
      "reply worker-node-1 default/pod-a pod/deliver 10.244.1.10:80>10.244.0.5:55971 ttl62 len60 eth0>-",
    ]);
    // The deciding routes, as `ip route show` prints them on each node.
    expect(t.hops[2]).toMatchObject({ rule: "10.244.1.0/24 via 192.168.1.11 dev eth0", ruleSource: "ip route show" });
    expect(t.hops[4]!.rule).toBe("10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1");
    expect(t.hops[10]!.rule).toBe("10.244.0.0/24 via 192.168.1.10 dev eth0");
    // No tunnel anywhere: no flannel.1, no outer header, no VXLAN hop.
    expect(t.hops.some((h) => h.packet.outer !== undefined || h.component === "vxlan" || h.inIface === "flannel.1" || h.outIface === "flannel.1")).toBe(false);
    // On the wire: the node eth0 MACs outside, the pod IPs inside.
    const [mac1, mac2] = [await ethMac("worker-node-1"), await ethMac("worker-node-2")];
    expect(t.hops[3]!.packet).toMatchObject({ src: "10.244.0.5", dst: "10.244.1.10", srcMac: mac1, dstMac: mac2, ttl: 63 });
    expect(t.hops[11]!.packet).toMatchObject({ src: "10.244.1.10", dst: "10.244.0.5", srcMac: mac2, dstMac: mac1, ttl: 63 });
    // The sentences say what happens.
    expect(t.hops[2]!.text).toBe('worker-node-1 routes 10.244.1.10 (TTL now 63): "10.244.1.0/24 via 192.168.1.11 dev eth0" sends it out eth0 to the next hop 192.168.1.11, the node that owns 10.244.1.0/24 — plain IP routing on the node network, no encapsulation.');
    expect(t.hops[3]!.text).toBe(`The packet itself crosses the node network, not encapsulated (still 10.244.0.5 → 10.244.1.10, TTL 63): from worker-node-1's eth0 (192.168.1.10) to the next hop 192.168.1.11, in a frame addressed to its eth0's MAC ${mac2}.`);
    expect(t.hops[7]!.text).toBe("Delivered to default/pod-b on 10.244.1.10:80 with TTL 62.");
  });

  it("pod-to-service across nodes: DNAT on the client's node, routed via worker-node-3's IP, un-NAT'd on the way back", async () => {
    await engine.load({ scenario: "cross-namespace", settings: HOST_GW });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "10.96.0.25:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(t.hops.map((h) => `${h.phase} ${h.node} ${h.component}/${h.action} ${h.packet.src}>${h.packet.dst}:${h.packet.dport} ttl${h.packet.ttl}${h.action === "route" && h.netns === "host" ? ` [${h.rule}]` : ""}`)).toEqual([
      "request worker-node-2 pod/route 10.244.1.5>10.96.0.25:80 ttl64",
      "request worker-node-2 veth/xmit 10.244.1.5>10.96.0.25:80 ttl64",
      "request worker-node-2 netfilter/dnat 10.244.1.5>10.244.2.10:8080 ttl64",
      "request worker-node-2 routing/route 10.244.1.5>10.244.2.10:8080 ttl63 [10.244.2.0/24 via 192.168.1.12 dev eth0]",
      "request worker-node-2 underlay/wire 10.244.1.5>10.244.2.10:8080 ttl63",
      "request worker-node-3 routing/route 10.244.1.5>10.244.2.10:8080 ttl62 [10.244.2.0/24 dev cni0 proto kernel scope link src 10.244.2.1]",
      "request worker-node-3 bridge/bridge 10.244.1.5>10.244.2.10:8080 ttl62",
      "request worker-node-3 veth/xmit 10.244.1.5>10.244.2.10:8080 ttl62",
      "request worker-node-3 pod/deliver 10.244.1.5>10.244.2.10:8080 ttl62",
      "reply worker-node-3 pod/route 10.244.2.10>10.244.1.5:55971 ttl64",
      "reply worker-node-3 veth/xmit 10.244.2.10>10.244.1.5:55971 ttl64",
      "reply worker-node-3 routing/route 10.244.2.10>10.244.1.5:55971 ttl63 [10.244.1.0/24 via 192.168.1.11 dev eth0]",
      "reply worker-node-3 underlay/wire 10.244.2.10>10.244.1.5:55971 ttl63",
      // Only the client's node knows the translation: un-NAT happens there.
      "reply worker-node-2 conntrack/unnat 10.96.0.25>10.244.1.5:55971 ttl63",
      "reply worker-node-2 routing/route 10.96.0.25>10.244.1.5:55971 ttl62 [10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1]",
      "reply worker-node-2 bridge/bridge 10.96.0.25>10.244.1.5:55971 ttl62",
      "reply worker-node-2 veth/xmit 10.96.0.25>10.244.1.5:55971 ttl62",
      "reply worker-node-2 pod/deliver 10.96.0.25>10.244.1.5:55971 ttl62",
    ]);
    expect(t.hops.every((h) => h.packet.outer === undefined && h.packet.length === 60)).toBe(true);
  });

  it("a service name resolves and connects across nodes too (DNS queries to CoreDNS take the same routes)", async () => {
    await engine.load({ scenario: "cross-namespace", settings: HOST_GW });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "api-svc.backend:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.hops.some((h) => h.component === "vxlan" || h.packet.outer)).toBe(false);
  });

  it("simulate: every connection delivered, no VXLAN bytes", async () => {
    await engine.load({ generate: { seed: 3, nodes: 6, pods: 80, services: 8, settings: HOST_GW } });
    const r = await engine.simulate({ flows: 2000, packetsPerFlow: 3, seed: 5 });
    expect(r.counters.encapBytes).toBe(0);
    expect(r.counters.delivered).toBeGreaterThan(0);
    // Traffic crossed between nodes, not only within them.
    expect(r.nodePairs.some((p) => p.from !== p.to)).toBe(true);
  });

  it("MTU 1500 end to end: a 1500-byte DF packet crosses nodes, where VXLAN's pods (MTU 1450) cannot send it", async () => {
    const run = async (settings: Record<string, unknown>) => {
      const { model } = loadModel({ scenario: "cross-node", settings });
      const net = compileNetwork(model);
      const rs = compileIptables(model);
      const dp = await Dataplane.create(wasm);
      dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
      const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
      const r = resolveAny(cluster, { from: "pod-a", to: "pod-b:80" });
      if (isNamed(r)) throw new Error("unexpected name");
      const spec = { ...packetFor(r, 40000), len: 1500, flags: A.PF_ACK | A.PF_DF };
      const ref = new ReferenceDataplane(net, rs);
      const w = dp.exchange(spec, r.netns, false, true);
      expect(w).toEqual(ref.exchange(spec, r.netns, false, true));
      return { verdict: w.verdict, reason: w.hops[(w.hopCount - 1) * (A.T_BYTES / 4) + A.T_REASON / 4] };
    };
    expect(await run(HOST_GW)).toEqual({ verdict: A.V_DELIVERED, reason: A.X_NONE });
    expect(await run({})).toEqual({ verdict: A.V_DROPPED, reason: A.X_FRAG_NEEDED });
  });
});

describe("flannel host-gw: Wasm dataplane vs TypeScript reference", () => {
  const clusterSpec = fc.record({
    seed: fc.integer({ min: 1, max: 1e6 }),
    nodes: fc.integer({ min: 1, max: 6 }),
    perNode: fc.integer({ min: 1, max: 6 }),
    services: fc.integer({ min: 0, max: 8 }),
  });

  async function setup(spec: { seed: number; nodes: number; perNode: number; services: number }) {
    const { model } = loadModel({ generate: { seed: spec.seed, nodes: spec.nodes, pods: spec.nodes * spec.perNode + spec.services * 3 + 2, services: spec.services, endpointsPerService: { min: 0, max: 3 }, settings: HOST_GW } });
    expect(model.settings.cni).toEqual({ plugin: "flannel", mode: "host-gw" });
    const net = compileNetwork(model);
    const rs = compileIptables(model);
    const dp = await Dataplane.create(wasm);
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
    const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
    // Targets: every pod, every service port, every node's IP, and addresses nobody holds.
    const targets: string[] = [];
    for (const s of model.services) if (s.clusterIP && s.clusterIP !== "None") for (const p of s.ports) targets.push(`${s.clusterIP}:${p.port}`);
    targets.push(...model.pods.map((p) => `${p.namespace}/${p.name}`), ...model.nodes.map((n) => `${n.internalIP}:10250`));
    targets.push("10.244.0.250:80", "10.244.3.77:80", "10.96.200.1:80", "192.168.1.200:22", "8.8.8.8:53");
    return { model, dp, ref, cluster, targets };
  }

  it("agree hop for hop on random host-gw clusters and flows (and no hop is VXLAN)", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean()), { minLength: 1, maxLength: 16 }), async (spec, flows) => {
        const { model, dp, ref, cluster, targets } = await setup(spec);
        dp.resetState();
        ref.resetState();
        for (const [a, b, seed, fresh] of flows) {
          const from = model.pods[a % model.pods.length]!;
          const r = resolveAny(cluster, { from: `${from.namespace}/${from.name}`, to: targets[b % targets.length]! });
          if (isNamed(r)) throw new Error("unexpected name");
          if (fresh) {
            dp.resetState();
            ref.resetState();
          }
          dp.setSeed(seed);
          ref.setSeed(seed);
          const packet = packetFor(r, ephemeralPort(seed));
          const w = dp.exchange(packet, r.netns, true, true);
          const t = ref.exchange(packet, r.netns, true, true);
          expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
          expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
          const words = A.T_BYTES / 4;
          for (let h = 0; h < w.hopCount; h++) {
            expect(w.hops[h * words + A.T_COMPONENT / 4]).not.toBe(A.K_VXLAN);
            expect(w.hops[h * words + A.T_PACKET / 4 + A.P_FLAGS / 4]! & A.PF_ENCAP).toBe(0);
          }
        }
      }),
      { numRuns: 40, seed: 20261127 },
    );
  });

  it("agree on batch counters, per-rule hits, drop reasons and node pairs", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), async (spec, packets, seed) => {
        const { model, dp, ref, cluster, targets } = await setup(spec);
        const words: number[] = [];
        model.pods.forEach((p, i) => {
          const r = resolveAny(cluster, { from: `${p.namespace}/${p.name}`, to: targets[(i * 7 + seed) % targets.length]! });
          if (isNamed(r)) throw new Error("unexpected name");
          words.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i, r.dport, r.protocol === "UDP" ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919) >>> 0);
        });
        dp.resetState();
        ref.resetState();
        dp.setSeed(seed);
        ref.setSeed(seed);
        dp.runFlows(flowRecords(words, packets));
        ref.runFlows(flowRecords(words, packets));
        expect(dp.counters()).toEqual(ref.counters);
        expect(dp.counters().encapBytes).toBe(0);
        for (let reason = 0; reason < 12; reason++) expect(dp.dropCount(reason)).toBe(ref.drops[reason]);
        expect(cluster.rs.rules.map((r) => dp.ruleHits(r.id))).toEqual(ref.ruleHits);
        expect(new Map([...dp.nodePairs()].sort())).toEqual(new Map([...ref.nodePairs].sort()));
      }),
      { numRuns: 25, seed: 12 },
    );
  });
});

describe("flannel host-gw: what the node holds", () => {
  beforeAll(async () => {
    await engine.load({ nodes: [{ name: "worker-node-1", ip: "192.168.1.10" }, { name: "worker-node-2", ip: "192.168.1.11" }, { name: "worker-node-3", ip: "192.168.1.12" }], pods: [{ name: "pod-a", node: "worker-node-1", ip: "10.244.0.5" }], settings: { coreDNSReplicas: 0, ...HOST_GW } });
  });
  const sh = async (command: string, where: { node?: string; pod?: string } = { node: "worker-node-1" }) => engine.show({ command, ...where });

  it("ip route: a route per peer node via its InternalIP on eth0 (no onlink, no proto shown)", async () => {
    expect((await sh("ip route")).stdout).toBe(
      [
        "default via 192.168.1.1 dev eth0 ",
        "10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1 ",
        "10.244.1.0/24 via 192.168.1.11 dev eth0 ",
        "10.244.2.0/24 via 192.168.1.12 dev eth0 ",
        "192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10 ",
        "",
      ].join("\n"),
    );
    // A pod's table is the bridge plugin's and host-local's, whatever the backend.
    expect((await sh("ip route", { pod: "pod-a" })).stdout).toBe(["default via 10.244.0.1 dev eth0 ", "10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.5 ", "10.244.0.0/16 via 10.244.0.1 dev eth0 ", ""].join("\n"));
  });

  it("ip link / ip addr: lo, eth0, cni0 and the veths, all MTU 1500; no flannel.1", async () => {
    const links = (await sh("ip link")).stdout;
    expect(links).not.toContain("flannel.1");
    expect(links.split("\n").filter((l) => /^\d+: /.test(l)).map((l) => l.replace(/@if\d+/, "").replace(/veth[0-9a-f]{8}/, "vethX").match(/^\d+: (\S+): .* mtu (\d+) /)!.slice(1).join(" "))).toEqual(["lo 65536", "eth0 1500", "cni0 1500", "vethX 1500"]);
    const addr = (await sh("ip addr")).stdout;
    expect(addr).not.toContain("10.244.0.0/32");
    expect(addr).toContain("    inet 10.244.0.1/24 brd 10.244.0.255 scope global cni0\n");
    expect((await sh("ip link", { pod: "pod-a" })).stdout).toMatch(/^2: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000$/m);
  });

  it("no VTEP state: ip neigh has no permanent entries, flannel.1 does not exist for ip or bridge", async () => {
    expect(await sh("ip neigh")).toEqual({ stdout: "", stderr: "" });
    expect(await sh("ip -d link show flannel.1")).toEqual({ stdout: "", stderr: 'Device "flannel.1" does not exist.\n' });
    expect(await sh("bridge fdb show dev flannel.1")).toEqual({ stdout: "", stderr: 'Cannot find device "flannel.1"\n' });
    expect((await sh("bridge fdb show br cni0")).stdout).toContain(" dev cni0 master cni0 permanent\n");
  });

  it("/run/flannel/subnet.env has FLANNEL_MTU=1500; kube-flannel-cfg's net-conf.json says host-gw", async () => {
    expect((await sh("cat /run/flannel/subnet.env")).stdout).toBe("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n");
    const cm = (await sh("kubectl get configmap -n kube-flannel kube-flannel-cfg -o yaml")).stdout;
    expect(cm).toContain('  net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "EnableNFTables": false,\n      "Backend": {\n        "Type": "host-gw"\n      }\n    }\nkind: ConfigMap\n');
    expect(cm).toMatch(/^apiVersion: v1\ndata:\n  cni-conf.json: \|\n    \{\n      "name": "cbr0",/);
    expect(cm).toMatch(/metadata:\n  labels:\n    app: flannel\n    tier: node\n  name: kube-flannel-cfg\n  namespace: kube-flannel\n$/);
    // The conflist is the same for every backend: the CNI plugin reads subnet.env.
    await engine.load({ scenario: "cross-node" });
    const vxlanConflist = (await sh("cat /etc/cni/net.d/10-flannel.conflist")).stdout;
    expect((await sh("cat /run/flannel/subnet.env")).stdout).toContain("FLANNEL_MTU=1450\n");
    expect((await sh("kubectl get cm -n kube-flannel kube-flannel-cfg -o yaml")).stdout).toContain('"Type": "vxlan"');
    await engine.load({ scenario: "cross-node", settings: HOST_GW });
    expect((await sh("cat /etc/cni/net.d/10-flannel.conflist")).stdout).toBe(vxlanConflist);
  });
});

describe("flannel host-gw: settings", () => {
  it("a CNI mode the plugin lacks is refused at settings.cni.mode; Cilium's own modes load", async () => {
    await expect(engine.load({ scenario: "cross-node", settings: { cni: { plugin: "cilium", mode: "host-gw" } } })).rejects.toMatchObject({ code: "invalid-input", problems: [expect.objectContaining({ path: "settings.cni.mode", message: expect.stringMatching(/"host-gw" is not a cilium mode \(vxlan, native\)/) })] });
    expect((await engine.load({ scenario: "cross-node", settings: { cni: { plugin: "cilium", mode: "native" } } })).cni).toEqual({ plugin: "cilium", mode: "native" });
  });

  it("host-gw needs the nodes on one L2 network: a node IP outside settings.nodeNetwork is an error at that node's field", () => {
    let err: unknown;
    try {
      loadModel({ nodes: [{ name: "a", ip: "192.168.1.10" }, { name: "b", ip: "192.168.2.10" }], settings: HOST_GW });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(K8sNetFlowError);
    expect((err as K8sNetFlowError).problems).toContainEqual(expect.objectContaining({ code: "out-of-range", path: "nodes[1].ip", message: expect.stringMatching(/flannel host-gw needs every node on this one L2 network/) }));
  });

  it("compiling a model whose nodes are not on one network names the node's internalIP (the kernel would refuse the route)", () => {
    const { model } = loadModel({ nodes: [{ name: "a" }, { name: "b" }], settings: HOST_GW });
    model.nodes[1]!.internalIP = "10.9.0.7";
    expect(() => compileNetwork(model)).toThrow(expect.objectContaining({ code: "invalid-input", path: "nodes[1].internalIP", message: expect.stringMatching(/Nexthop has invalid gateway/) }));
  });
});
