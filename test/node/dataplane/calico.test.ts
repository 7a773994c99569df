// Calico: no bridge; each pod's veth is routed. The pod has a /32 and `default via
// 169.254.1.1 dev eth0`, a gateway nobody holds, answered by proxy ARP from the host end
// (cali + 11 hex digits of sha1("ns.pod"), MAC ee:ee:ee:ee:ee:ee). The node routes to each
// local pod's /32 on its veth, blackholes its own /26 IPAM blocks, and reaches the other
// nodes' blocks through tunl0 (IP-in-IP, protocol 4, +20 bytes, TTL inherited), vxlan.calico
// (UDP 4789, VNI 4096, +50 bytes) or, with BGP alone, straight via their node IPs on eth0.
// Same-node traffic is routed too: TTL 63 on delivery, 62 across nodes.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileIptables } from "../../../src/compile/iptables.js";
import { calicoVethName } from "../../../src/compile/interfaces.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow as resolveAny, type LoadedCluster } from "../../../src/dataplane/forward.js";
import { decodeHops, tablesFor } from "../../../src/dataplane/decode.js";
import * as A from "../../../src/dataplane/abi.js";
import { createEngine, type Engine, type Hop } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { policyRules } from "../../../src/policy/enforcement.js";
import { addCalicoPolicy } from "../../../src/compile/calico-policy.js";
import type { CompiledNetwork } from "../../../src/compile/network.js";
import type { RulesetBuilder } from "../../../src/compile/ruleset-builder.js";
import type { ClusterModel } from "../../../src/model/types.js";
import { K8sNetFlowError } from "../../../src/errors.js";
import { POLICY_RESOURCES } from "./policy-cluster.js";

const CALICO = (mode: string) => ({ cni: { plugin: "calico", mode } });

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
  const outer = p.outer ? ` [${p.outer.protocol} ${p.outer.src}>${p.outer.dst} ttl${p.outer.ttl} len${p.outer.length}${p.outer.dport ? ` udp${p.outer.dport} vni${p.outer.vni}` : ""}]` : "";
  return `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${p.src}${port(p.sport)}>${p.dst}${port(p.dport)} ttl${p.ttl} len${p.length}${outer} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`;
};

// The host ends of the seed pods' veths (checked against Calico's own test data below).
const A_VETH = calicoVethName("default", "pod-a");
const B_VETH = calicoVethName("default", "pod-b");

describe("Calico: the host veth's name", () => {
  it("is cali + the first 11 hex digits of sha1(\"<namespace>.<pod>\"), as Calico's own tests expect", () => {
    // libcalico-go/lib/backend/k8s/resources/workloadendpoint_test.go: pods in testNamespace.
    expect(calicoVethName("testNamespace", "simplePod")).toBe("caliedff4356bd6");
    expect(calicoVethName("testNamespace", "simplePod2")).toBe("cali4274eb44391");
    expect(calicoVethName("testNamespace", "termPod")).toBe("calidfce31fd9be");
    expect(calicoVethName("testNamespace", "termPod2")).toBe("cali9591578421e");
    expect(A_VETH).toMatch(/^cali[0-9a-f]{11}$/);
    expect(A_VETH.length).toBe(15); // IFNAMSIZ - 1
  });
});

describe("Calico IPAM", () => {
  it("each node's pods come from its /26 blocks; the tunnel device takes the block's first address", () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CALICO("ipip") });
    expect(model.nodes.map((n) => n.calico)).toEqual([
      { blocks: ["10.244.0.0/26"], tunnelAddress: "10.244.0.0" },
      { blocks: ["10.244.1.0/26"], tunnelAddress: "10.244.1.0" },
    ]);
    // CoreDNS (placed by the scheduler) takes the next free address of its node's block.
    expect(model.pods.filter((p) => p.namespace === "kube-system").map((p) => `${p.node} ${p.ip}`).sort()).toEqual(["worker-node-1 10.244.0.1", "worker-node-2 10.244.1.1"]);
    // BGP has no tunnel device: the first pod gets the block's first address.
    const bgp = loadModel({ scenario: "cross-node", settings: CALICO("bgp") }).model;
    expect(bgp.nodes.map((n) => n.calico)).toEqual([{ blocks: ["10.244.0.0/26"] }, { blocks: ["10.244.1.0/26"] }]);
    expect(bgp.pods.filter((p) => p.namespace === "kube-system").map((p) => p.ip).sort()).toEqual(["10.244.0.0", "10.244.1.0"]);
  });

  it("a node whose block is full claims the next free block of the pool", () => {
    const { model } = loadModel({ nodes: [{ name: "a" }, { name: "b" }], deployments: [{ name: "web", replicas: 140, labels: { app: "web" }, node: "a" }], settings: { coreDNSReplicas: 0, ...CALICO("ipip") } });
    // a: tunl0 + 140 pods = 141 addresses, three /26 blocks; b took the second free one first.
    expect(model.nodes.map((n) => n.calico!.blocks)).toEqual([["10.244.0.0/26", "10.244.0.128/26", "10.244.0.192/26"], ["10.244.0.64/26"]]);
    expect(new Set(model.pods.map((p) => p.ip)).size).toBe(140);
  });

  it("refuses an address in another node's block, outside the pool, or a pool smaller than a block, naming the field", () => {
    const load = (input: unknown) => {
      try {
        loadModel(input as ModelInput);
      } catch (e) {
        return (e as K8sNetFlowError).problems?.[0] ?? e;
      }
      return undefined;
    };
    const nodes = [{ name: "n1" }, { name: "n2" }];
    expect(load({ nodes, pods: [{ name: "a", node: "n1", ip: "10.244.0.5" }, { name: "b", node: "n2", ip: "10.244.0.9" }], settings: CALICO("ipip") })).toMatchObject({
      path: "pods[1].ip",
      message: expect.stringMatching(/10\.244\.0\.9 \(block 10\.244\.0\.0\/26\) is a Calico IPAM block of node n1, not of n2: addresses borrowed from another node's block are not simulated/),
    });
    expect(load({ nodes, pods: [{ name: "a", node: "n1", ip: "10.250.0.5" }], settings: CALICO("vxlan") })).toMatchObject({ path: "pods[0].ip", message: expect.stringMatching(/not in Calico's IP pool 10\.244\.0\.0\/16/) });
    expect(load({ nodes: [{ name: "n1" }], settings: { clusterCIDR: "10.244.0.0/28", nodeCIDRMaskSize: 28, ...CALICO("ipip") } })).toMatchObject({ path: "settings.clusterCIDR", message: expect.stringMatching(/smaller than one Calico IPAM block \(\/26\)/) });
  });
});

describe.each(["ipip", "vxlan", "bgp"])("Calico %s: the seed flows", (mode) => {
  it("cross-node: pod → cali veth → the node's route → the peer → its cali veth → pod; TTL 62; the reply the same way back", async () => {
    await engine.load({ scenario: "cross-node", settings: CALICO(mode) });
    const t = await engine.trace({ from: "pod-a", to: "pod-b:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const dev = { ipip: "tunl0", vxlan: "vxlan.calico", bgp: "eth0" }[mode]!;
    const cross = (phase: string, n1: string, n2: string, p1: string, p2: string, src: string, dst: string, v1: string, v2: string): string[] => {
      const pkt = (ttl: number) => `${src}>${dst} ttl${ttl} len60`;
      const from = `${phase} ${n1}`;
      const to = `${phase} ${n2}`;
      const [o1, o2] = n1 === "worker-node-1" ? ["192.168.1.10", "192.168.1.11"] : ["192.168.1.11", "192.168.1.10"];
      const tunnel =
        mode === "ipip"
          ? [`${from} host routing/encap ${pkt(63)} [ipip ${o1}>${o2} ttl63 len80] ->tunl0`, `${from} host underlay/wire ${pkt(63)} [ipip ${o1}>${o2} ttl63 len80] eth0>eth0`, `${to} host routing/decap ${pkt(63)} eth0>tunl0`]
          : mode === "vxlan"
            ? [`${from} host vxlan/encap ${pkt(63)} [udp ${o1}>${o2} ttl64 len110 udp4789 vni4096] ->vxlan.calico`, `${from} host underlay/wire ${pkt(63)} [udp ${o1}>${o2} ttl64 len110 udp4789 vni4096] eth0>eth0`, `${to} host vxlan/decap ${pkt(63)} eth0>vxlan.calico`]
            : [`${from} host underlay/wire ${pkt(63)} eth0>eth0`];
      return [
        `${from} ${p1} pod/route ${pkt(64)} ->eth0`,
        `${from} ${p1} veth/xmit ${pkt(64)} ->eth0`,
        `${from} host routing/route ${pkt(63)} ${v1}>${dev}`,
        ...tunnel,
        `${to} host routing/route ${pkt(62)} ${mode === "bgp" ? "eth0" : dev}>${v2}`,
        `${to} host veth/xmit ${pkt(62)} ->${v2}`,
        `${to} ${p2} pod/deliver ${pkt(62)} eth0>-`,
      ];
    };
    expect(t.hops.map(line)).toEqual([
      ...cross("request", "worker-node-1", "worker-node-2", "default/pod-a", "default/pod-b", "10.244.0.5:55971", "10.244.1.10:80", A_VETH, B_VETH),
      ...cross("reply", "worker-node-2", "worker-node-1", "default/pod-b", "default/pod-a", "10.244.1.10:80", "10.244.0.5:55971", B_VETH, A_VETH),
    ]);
    // The deciding routes, as `ip route show` prints them.
    const rules = t.hops.filter((h) => h.action === "route").map((h) => h.rule);
    const remote = { ipip: "10.244.1.0/26 via 192.168.1.11 dev tunl0 proto bird onlink", vxlan: "10.244.1.0/26 via 10.244.1.0 dev vxlan.calico onlink", bgp: "10.244.1.0/26 via 192.168.1.11 dev eth0 proto bird" }[mode];
    expect(rules.slice(0, 3)).toEqual(["default via 169.254.1.1 dev eth0", remote, `10.244.1.10 dev ${B_VETH} scope link`]);
    // Proxy ARP: the pod's frame goes to the host veth's ee:ee:ee:ee:ee:ee; the node's frame to the pod comes from it.
    expect(t.hops[0]!.packet.dstMac).toBe("ee:ee:ee:ee:ee:ee");
    expect(t.hops[0]!.text).toMatch(/169\.254\.1\.1, an address no interface holds: the node's end of the veth answers ARP for it by proxy/);
    const deliver = t.hops.find((h) => h.action === "deliver")!;
    expect(deliver.packet.srcMac).toBe("ee:ee:ee:ee:ee:ee");
    // No bridge anywhere.
    expect(t.hops.some((h) => h.component === "bridge" || h.inIface === "cni0" || h.outIface === "cni0")).toBe(false);
  });

  it("pod-to-service: DNAT on the node, then routed to the backend's cali veth (TTL 63); the reply un-NAT'd", async () => {
    await engine.load({ scenario: "pod-to-service", settings: CALICO(mode) });
    const t = await engine.trace({ from: "client", to: "10.96.0.20:80" });
    const c = calicoVethName("default", "client");
    const b3 = calicoVethName("default", "backend-3");
    expect(t.hops.map(line)).toEqual([
      "request worker-node-1 default/client pod/route 10.244.0.10:55971>10.96.0.20:80 ttl64 len60 ->eth0",
      "request worker-node-1 default/client veth/xmit 10.244.0.10:55971>10.96.0.20:80 ttl64 len60 ->eth0",
      `request worker-node-1 host netfilter/dnat 10.244.0.10:55971>10.244.0.17:8080 ttl64 len60 ${c}>-`,
      `request worker-node-1 host routing/route 10.244.0.10:55971>10.244.0.17:8080 ttl63 len60 ${c}>${b3}`,
      `request worker-node-1 host veth/xmit 10.244.0.10:55971>10.244.0.17:8080 ttl63 len60 ->${b3}`,
      "request worker-node-1 default/backend-3 pod/deliver 10.244.0.10:55971>10.244.0.17:8080 ttl63 len60 eth0>-",
      "reply worker-node-1 default/backend-3 pod/route 10.244.0.17:8080>10.244.0.10:55971 ttl64 len60 ->eth0",
      "reply worker-node-1 default/backend-3 veth/xmit 10.244.0.17:8080>10.244.0.10:55971 ttl64 len60 ->eth0",
      `reply worker-node-1 host conntrack/unnat 10.96.0.20:80>10.244.0.10:55971 ttl64 len60 ${b3}>-`,
      `reply worker-node-1 host routing/route 10.96.0.20:80>10.244.0.10:55971 ttl63 len60 ${b3}>${c}`,
      `reply worker-node-1 host veth/xmit 10.96.0.20:80>10.244.0.10:55971 ttl63 len60 ->${c}`,
      "reply worker-node-1 default/client pod/deliver 10.96.0.20:80>10.244.0.10:55971 ttl63 len60 eth0>-",
    ]);
    expect(t.hops[3]!.rule).toBe(`10.244.0.17 dev ${b3} scope link`);
  });

  it("pod-to-service across nodes (cross-namespace): DNAT on the client's node, un-NAT there; a Service name resolves through the same routes", async () => {
    await engine.load({ scenario: "cross-namespace", settings: CALICO(mode) });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "10.96.0.25:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const request = t.hops.filter((h) => h.phase === "request");
    expect(request.find((h) => h.action === "dnat")!.node).toBe("worker-node-2");
    expect(request.at(-1)).toMatchObject({ node: "worker-node-3", netns: "backend/backend-pod", action: "deliver", packet: { dst: "10.244.2.10", ttl: 62 } });
    expect(t.hops.find((h) => h.action === "unnat")!.node).toBe("worker-node-2");
    expect(t.hops.at(-1)).toMatchObject({ netns: "frontend/frontend-pod", packet: { src: "10.96.0.25", ttl: 62 } });
    const named = await engine.trace({ from: "frontend/frontend-pod", to: "api-svc.backend:80" });
    expect(named.verdict).toBe("delivered");
    expect(named.dns!.attempts.length).toBeGreaterThan(0);
  });
});

describe("Calico: blackholes and MTU", () => {
  it("an address of a node's block that no pod holds meets the blackhole: discarded on that node, no ICMP, TTL not spent", async () => {
    await engine.load({ scenario: "cross-namespace", settings: CALICO("ipip") });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "10.244.2.40:80" });
    expect(t.verdict).toBe("dropped");
    expect(t.replyVerdict).toBeUndefined();
    expect(t.hops.at(-1)).toMatchObject({ node: "worker-node-3", component: "routing", action: "drop", rule: "blackhole 10.244.2.0/26 proto bird", ruleSource: "ip route show", packet: { ttl: 63 } });
    expect(t.hops.at(-1)!.reason).toMatch(/blackhole route/);
    // On the pod's own node, the same for its own block (proto 80 with VXLAN: Felix's).
    await engine.load({ scenario: "cross-namespace", settings: CALICO("vxlan") });
    const local = await engine.trace({ from: "frontend/frontend-pod", to: "10.244.1.33:80" });
    expect(local.hops.at(-1)).toMatchObject({ node: "worker-node-2", action: "drop", rule: "blackhole 10.244.1.0/26 proto 80", packet: { ttl: 64 } });
  });

  async function lowTunnelMtu(mode: string, tunnelMtu: number) {
    // FELIX_IPINIPMTU / FELIX_VXLANMTU set below the pods' veth MTU: the classic mismatch.
    const { model } = loadModel({ scenario: "cross-node", settings: CALICO(mode) });
    const net = compileNetwork(model);
    for (const f of net.ifaces) if (f.name === "tunl0" || f.name === "vxlan.calico") f.mtu = tunnelMtu;
    const rs = compileIptables(model);
    const dp = await Dataplane.create(wasm);
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const ctx = { net, rs, nodeNames: model.nodes.map((n) => n.name) };
    const cluster: LoadedCluster = { model, net, rs, ctx };
    const r = resolveAny(cluster, { from: "pod-a", to: "pod-b:80" });
    if (isNamed(r)) throw new Error("unexpected name");
    return { dp, ref: new ReferenceDataplane(net, rs), r, ctx };
  }

  it.each([["ipip", 1480], ["vxlan", 1450]])("%s: a forwarded DF packet bigger than the tunnel's MTU is answered with ICMP fragmentation needed (type 3, code 4, the next-hop MTU) back to the sender", async (mode, podMtu) => {
    const { dp, ref, r, ctx } = await lowTunnelMtu(mode as string, 1400);
    const spec = { ...packetFor(r, 40000), len: podMtu as number, flags: A.PF_ACK | A.PF_DF };
    const w = dp.exchange(spec, r.netns, true, true);
    expect(w).toEqual(ref.exchange(spec, r.netns, true, true));
    expect([w.verdict, w.replyVerdict]).toEqual([A.V_DROPPED, A.V_DELIVERED]);
    const hops = decodeHops(w.hops, w.hopCount, tablesFor(w.hops, w.hopCount, ctx));
    const drop = hops.find((h) => h.action === "drop")!;
    const dev = mode === "ipip" ? "tunl0" : "vxlan.calico";
    expect(drop).toMatchObject({ phase: "request", node: "worker-node-1", netns: "host", outIface: dev, reason: expect.stringMatching(/Frag needed/) });
    const errors = hops.filter((h) => h.phase === "error");
    expect(errors.map((h) => `${h.netns} ${h.component}/${h.action}`)).toEqual(["host routing/route", "host veth/xmit", "default/pod-a pod/deliver"]);
    // From the node's address (the veth has none), quoting the packet up to 576 bytes.
    expect(errors.at(-1)!.packet).toMatchObject({ src: "192.168.1.10", dst: "10.244.0.5", protocol: "icmp", icmp: { type: 3, code: 4, mtu: 1400 }, length: 576, ttl: 64, flags: [] });
    expect(errors.at(-1)!.text).toMatch(/fragmentation needed, next-hop MTU 1400/);
  });

  it("a packet the pod itself cannot send (bigger than its own eth0) is refused in the pod (EMSGSIZE): no ICMP", async () => {
    const { dp, ref, r } = await lowTunnelMtu("ipip", 1480);
    const spec = { ...packetFor(r, 40000), len: 1500, flags: A.PF_ACK | A.PF_DF };
    const w = dp.exchange(spec, r.netns, true, true);
    expect(w).toEqual(ref.exchange(spec, r.netns, true, true));
    expect([w.verdict, w.replyVerdict, w.hopCount]).toEqual([A.V_DROPPED, 0, 2]); // its route, then the drop
  });
});

describe("Calico: Wasm dataplane vs TypeScript reference", () => {
  const clusterSpec = fc.record({
    mode: fc.constantFrom("ipip", "vxlan", "bgp"),
    seed: fc.integer({ min: 1, max: 1e6 }),
    nodes: fc.integer({ min: 1, max: 5 }),
    perNode: fc.integer({ min: 1, max: 40 }),
    services: fc.integer({ min: 0, max: 6 }),
  });

  async function setup(spec: { mode: string; seed: number; nodes: number; perNode: number; services: number }) {
    const { model } = loadModel({ generate: { seed: spec.seed, nodes: spec.nodes, pods: spec.nodes * spec.perNode + spec.services * 3 + 2, services: spec.services, endpointsPerService: { min: 0, max: 3 }, settings: CALICO(spec.mode) } });
    const net = compileNetwork(model);
    const rs = compileIptables(model);
    const dp = await Dataplane.create(wasm);
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
    const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
    // Targets: every pod, every service port, node IPs, tunnel addresses, free addresses of blocks, and outside.
    const targets: string[] = [];
    for (const s of model.services) if (s.clusterIP && s.clusterIP !== "None") for (const p of s.ports) targets.push(`${s.clusterIP}:${p.port}`);
    targets.push(...model.pods.map((p) => `${p.namespace}/${p.name}`), ...model.nodes.map((n) => `${n.internalIP}:10250`));
    for (const n of model.nodes) {
      if (n.calico?.tunnelAddress) targets.push(`${n.calico.tunnelAddress}:179`);
      for (const b of n.calico!.blocks) targets.push(`${b.replace(/\.\d+\/26$/, "")}.${Number(b.split(".")[3]!.split("/")[0]) + 63}:80`);
    }
    targets.push("169.254.1.1:80", "10.244.200.9:80", "10.96.200.1:80", "192.168.1.200:22", "8.8.8.8:53");
    return { model, dp, ref, cluster, targets };
  }

  it("agree hop for hop on random Calico clusters and flows", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), fc.constantFrom(60, 1400, 1500)), { minLength: 1, maxLength: 16 }), async (spec, flows) => {
        const { model, dp, ref, cluster, targets } = await setup(spec);
        dp.resetState();
        ref.resetState();
        for (const [a, b, seed, fresh, len] of flows) {
          const from = model.pods[a % model.pods.length]!;
          const r = resolveAny(cluster, { from: `${from.namespace}/${from.name}`, to: targets[b % targets.length]! });
          if (isNamed(r)) throw new Error("unexpected name");
          if (fresh) {
            dp.resetState();
            ref.resetState();
          }
          dp.setSeed(seed);
          ref.setSeed(seed);
          const packet = { ...packetFor(r, ephemeralPort(seed)), len };
          const w = dp.exchange(packet, r.netns, true, true);
          const t = ref.exchange(packet, r.netns, true, true);
          expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
          expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
        }
      }),
      { numRuns: 40, seed: 20261126 },
    );
  });

  it("agree on batch counters (encapsulated bytes: 20 per IP-in-IP packet, 50 per VXLAN, none with BGP), drop reasons and node pairs", async () => {
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
        dp.runFlows(flowRecords(words, packets));
        ref.runFlows(flowRecords(words, packets));
        expect(dp.counters()).toEqual(ref.counters);
        const encap = dp.counters().encapBytes;
        if (spec.mode === "bgp") expect(encap).toBe(0);
        else expect(encap % (spec.mode === "ipip" ? 20 : 50)).toBe(0);
        for (let reason = 0; reason < 16; reason++) expect(dp.dropCount(reason)).toBe(ref.drops[reason]);
        expect(cluster.rs.rules.map((r) => dp.ruleHits(r.id))).toEqual(ref.ruleHits);
        expect(new Map([...dp.nodePairs()].sort())).toEqual(new Map([...ref.nodePairs].sort()));
      }),
      { numRuns: 25, seed: 26 },
    );
  });
});

// ---- NetworkPolicy: Wasm vs reference ----------------------------------------------------------

/** The shared policy cluster (policy-cluster.ts) under Felix's filter chains: what the walk decides (policy hops, Policy denied drops), with kube-proxy's iptables or IPVS rules around it. */
const CALICO_POLICY_CLUSTER = (mode: string, kubeProxy: string) => ({
  ...POLICY_RESOURCES,
  settings: { ...CALICO(mode), kubeProxy: { mode: kubeProxy }, coreDNSReplicas: 0 },
});

/**
 * Felix's chains added whatever kube-proxy's mode: the engine enforces with iptables only (with
 * IPVS, Felix's extra chains are not simulated, src/policy/enforcement.ts), but the walk over
 * IPVS's INPUT/OUTPUT paths is the same code in both dataplanes, so the differential runs it too.
 */
function felixChains(model: ClusterModel, net: CompiledNetwork): (b: RulesetBuilder) => void {
  const enforced = policyRules(model, net);
  if (enforced) return enforced;
  const byName = new Map<string, number>();
  for (const f of net.ifaces) if (f.kind === "veth" && net.netns[f.netns]!.kind === "host") byName.set(f.name, f.id);
  return (b) => addCalicoPolicy(b, { model, vethOf: (pod) => { const name = calicoVethName(pod.namespace, pod.name); return { id: byName.get(name)!, name }; } });
}

describe("Calico NetworkPolicy: Wasm dataplane vs TypeScript reference", () => {
  async function setup(mode: string, kubeProxy: string) {
    const { model } = loadModel(CALICO_POLICY_CLUSTER(mode, kubeProxy));
    const net = compileNetwork(model);
    const rs = compileKubeProxy(model, felixChains(model, net));
    const dp = await Dataplane.create(wasm);
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
    const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
    const targets: string[] = [];
    for (const p of model.pods) for (const port of [80, 8080, 9090, 5432, 7000, 7100, 7101]) targets.push(`${p.ip}:${port}`);
    for (const s of model.services) for (const sp of s.ports) targets.push(`${s.clusterIP}:${sp.port}`);
    targets.push(...model.nodes.map((n) => `${n.internalIP}:10250`), "8.8.8.8:53", "8.8.8.200:53", "1.1.1.1:53");
    return { model, dp, ref, cluster, targets };
  }
  type Setup = Awaited<ReturnType<typeof setup>>;
  const W = A.T_BYTES / 4;
  // Each connection its own source port: a DNAT'd connection whose reply tuple equals an open
  // one's is a clash the two dataplanes settle differently (the kernel would remap the port).
  let nextPort = 30000;

  function both(s: Setup, from: string, to: string, opts: { seed?: number; udp?: boolean; sport?: number; flags?: number } = {}) {
    const r0 = resolveAny(s.cluster, { from, to });
    if (isNamed(r0)) throw new Error("unexpected name");
    const r = opts.udp ? { ...r0, protocol: "UDP" as const } : r0;
    const seed = opts.seed ?? 1;
    s.dp.setSeed(seed);
    s.ref.setSeed(seed);
    const p = packetFor(r, opts.sport ?? nextPort++);
    const packet = opts.flags === undefined ? p : { ...p, flags: opts.flags };
    const w = s.dp.exchange(packet, r.netns, true, true);
    const t = s.ref.exchange(packet, r.netns, true, true);
    expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }, `${from} → ${to}`).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
    expect(Array.from(w.hops), `${from} → ${to}`).toEqual(Array.from(t.hops));
    const policy = Array.from({ length: w.hopCount }, (_, h) => h)
      .filter((h) => w.hops[h * W + A.T_COMPONENT / 4] === A.K_POLICY)
      .map((h) => ({ phase: w.hops[h * W + A.T_PHASE / 4]!, action: w.hops[h * W + A.T_ACTION / 4]!, reason: w.hops[h * W + A.T_REASON / 4]!, rule: s.cluster.rs.rules[w.hops[h * W + A.T_ARG / 4]!]! }));
    return { verdict: w.verdict, replyVerdict: w.replyVerdict, policy };
  }

  const MODES = [["ipip", "iptables"], ["vxlan", "iptables"], ["bgp", "iptables"], ["ipip", "ipvs"], ["vxlan", "ipvs"], ["bgp", "ipvs"]] as const;

  it.each(MODES.filter(([, kubeProxy]) => kubeProxy === "iptables"))("%s, kube-proxy %s: allowed and denied connections, their replies, the verdicts the policies call for", async (mode, kubeProxy) => {
    const s = await setup(mode, kubeProxy);
    const ip = (ns: string, name: string) => s.model.pods.find((p) => p.namespace === ns && p.name === name)!.ip;
    const svc = (ns: string, name: string) => s.model.services.find((x) => x.namespace === ns && x.name === name)!.clusterIP;
    s.dp.resetState();
    s.ref.resetState();
    const ok = (from: string, to: string, opts = {}) => {
      const x = both(s, from, to, opts);
      expect([x.verdict, x.replyVerdict], `${from} → ${to}`).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
      // Replies pass as established: no verdict rule decides them.
      expect(x.policy.filter((h) => h.phase !== A.PH_REQUEST), `${from} → ${to}`).toEqual([]);
      return x;
    };
    const denied = (from: string, to: string, opts = {}) => {
      const x = both(s, from, to, opts);
      expect(x.verdict, `${from} → ${to}`).toBe(A.V_DROPPED);
      const drops = x.policy.filter((h) => h.action === A.A_DROP);
      expect(drops.map((h) => h.reason), `${from} → ${to}`).toEqual([A.X_POLICY_DENIED]);
      return drops[0]!.rule.policy!;
    };

    // client → web-1 (same node): client-out's egress rule 0, then web-in's ingress rule 0.
    const x = ok("client", `${ip("default", "web-1")}:80`);
    expect(x.policy.map((h) => `${h.rule.policy!.direction} ${h.rule.policy!.policy ?? "-"}#${h.rule.policy!.rule ?? "-"}`)).toEqual(["egress default/client-out#0", "ingress default/web-in#0"]);
    ok("client", `${ip("default", "web-2")}:8080`);
    // Egress named ports are the destination's own (Felix's named-port ipset of ip,port): web-2's http is 8080.
    expect(denied("client", `${ip("default", "web-2")}:80`).direction).toBe("egress");
    for (let seed = 1; seed <= 4; seed++) ok("client", `${svc("default", "web")}:80`, { seed });
    expect(denied("client", `${ip("default", "other")}:80`).direction).toBe("egress");
    denied("client", `${svc("default", "other")}:80`);
    ok("other", `${ip("default", "web-1")}:9090`);
    denied("other", `${ip("default", "web-1")}:80`);
    // namespaceSelector (+ podSelector), a namespace by its name label.
    ok("prod/api", `${ip("prod", "db")}:5432`);
    ok("prod/api", `${svc("prod", "db")}:5432`);
    denied("dev/api", `${ip("prod", "db")}:5432`);
    denied("client", `${ip("prod", "db")}:5432`);
    ok("client", `${ip("prod", "api")}:8080`);
    ok("client", `${svc("prod", "api")}:80`);
    ok("other", `${svc("prod", "api")}:80`);
    denied("dev/api", `${ip("prod", "api")}:8080`);
    // endPort (multiport ranges), TCP and UDP.
    ok("prod/api", `${ip("prod", "batch")}:7100`);
    ok("prod/api", `${ip("prod", "batch")}:7000`, { udp: true });
    denied("prod/api", `${ip("prod", "batch")}:7101`);
    denied("prod/api", `${ip("prod", "batch")}:7001`, { udp: true });
    denied("other", `${ip("prod", "batch")}:7000`);
    // ipBlock with except, to outside the cluster: allowed (then it leaves), the excepted half, TCP and elsewhere denied.
    expect(both(s, "client", "8.8.8.8:53", { udp: true }).policy.map((h) => h.action)).toEqual([A.A_ALLOW]);
    denied("client", "8.8.8.200:53", { udp: true });
    denied("client", "8.8.8.8:53");
    denied("client", "1.1.1.1:53", { udp: true });
    // Default deny egress; a host-network pod into an isolated pod.
    for (const to of [`${ip("default", "web-1")}:9090`, `${s.model.nodes[2]!.internalIP}:10250`, "8.8.8.8:53"]) denied("locked", to);
    both(s, "hn1", `${ip("prod", "api")}:8080`);
    ok("hn1", `${ip("default", "web-1")}:9090`);
    // A later packet of an allowed connection (ACK, same ports) is ESTABLISHED: no policy rule decides it.
    ok("client", `${ip("default", "web-2")}:8080`, { sport: 40000 });
    expect(ok("client", `${ip("default", "web-2")}:8080`, { sport: 40000, flags: A.PF_ACK | A.PF_DF }).policy).toEqual([]);
    const { ctLive: _w, ...wc } = s.dp.counters();
    const { ctLive: _r, ...rc } = s.ref.counters;
    expect(wc).toEqual(rc);
    for (let reason = 0; reason < A.X_REASONS; reason++) expect(s.dp.dropCount(reason), `reason ${reason}`).toBe(s.ref.drops[reason]);
    expect(s.cluster.rs.rules.map((r) => s.dp.ruleHits(r.id))).toEqual(s.ref.ruleHits);
  });

  it("agree hop for hop on random flows (ipip, vxlan, bgp; iptables, ipvs), connections kept across flows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MODES),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 24 }),
        async ([mode, kubeProxy], flows) => {
          const s = await setup(mode, kubeProxy);
          const pods = s.model.pods;
          s.dp.resetState();
          s.ref.resetState();
          let previous: [number, number, number] | undefined;
          for (const [a0, b0, seed0, fresh, udp, again] of flows) {
            const [a, b, seed] = again && previous ? previous : [a0, b0, seed0];
            previous = [a, b, seed];
            if (fresh && !again) {
              s.dp.resetState();
              s.ref.resetState();
            }
            const from = pods[a % pods.length]!;
            const r0 = resolveAny(s.cluster, { from: `${from.namespace}/${from.name}`, to: s.targets[b % s.targets.length]! });
            if (isNamed(r0)) throw new Error("unexpected name");
            const r = udp ? { ...r0, protocol: "UDP" as const } : r0;
            s.dp.setSeed(seed);
            s.ref.setSeed(seed);
            const p = packetFor(r, ephemeralPort(seed));
            const packet = again ? { ...p, flags: A.PF_ACK | A.PF_DF } : p;
            const w = s.dp.exchange(packet, r.netns, true, true);
            const t = s.ref.exchange(packet, r.netns, true, true);
            expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
            expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
          }
          expect(s.cluster.rs.rules.map((r) => s.dp.ruleHits(r.id))).toEqual(s.ref.ruleHits);
        },
      ),
      { numRuns: 30, seed: 20261129 },
    );
  });

  it("agree on batch counters, drop reasons (Policy denied), rule hits and node pairs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...MODES), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), async ([mode, kubeProxy], packets, seed) => {
        const s = await setup(mode, kubeProxy);
        const words: number[] = [];
        s.model.pods.forEach((p, i) => {
          for (let k = 0; k < 6; k++) {
            const r = resolveAny(s.cluster, { from: `${p.namespace}/${p.name}`, to: s.targets[(i * 13 + k * 7 + seed) % s.targets.length]! });
            if (isNamed(r)) throw new Error("unexpected name");
            words.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i * 8 + k, r.dport, k % 3 === 0 ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919 + k) >>> 0);
          }
        });
        s.dp.resetState();
        s.ref.resetState();
        s.dp.runFlows(flowRecords(words, packets));
        s.ref.runFlows(flowRecords(words, packets));
        expect(s.dp.counters()).toEqual(s.ref.counters);
        for (let reason = 0; reason < A.X_REASONS; reason++) expect(s.dp.dropCount(reason)).toBe(s.ref.drops[reason]);
        expect(s.dp.dropCount(A.X_POLICY_DENIED)).toBeGreaterThan(0);
        expect(s.cluster.rs.rules.map((r) => s.dp.ruleHits(r.id))).toEqual(s.ref.ruleHits);
        expect(new Map([...s.dp.nodePairs()].sort())).toEqual(new Map([...s.ref.nodePairs].sort()));
      }),
      { numRuns: 20, seed: 29 },
    );
  });
});

describe("Calico: what the node and the pod hold", () => {
  const sh = async (command: string, where: { node?: string; pod?: string } = { node: "worker-node-1" }) => engine.show({ command, ...where });
  const load = (mode: string) => engine.load({ scenario: "cross-node", settings: CALICO(mode) });
  const coredns1 = () => calicoVethName("kube-system", "coredns-8b9748dd6-wxqkp");

  it.each([
    ["ipip", ["blackhole 10.244.0.0/26 proto bird ", "10.244.1.0/26 via 192.168.1.11 dev tunl0 proto bird onlink "]],
    ["vxlan", ["blackhole 10.244.0.0/26 proto 80 ", "10.244.1.0/26 via 10.244.1.0 dev vxlan.calico onlink "]],
    ["bgp", ["blackhole 10.244.0.0/26 proto bird ", "10.244.1.0/26 via 192.168.1.11 dev eth0 proto bird "]],
  ])("%s: ip route on a node: its blackholed block, a /32 per local pod on its cali veth, the peers' blocks", async (mode, [blackhole, remote]) => {
    await load(mode as string);
    const first = mode === "bgp" ? ["default via 192.168.1.1 dev eth0 ", `10.244.0.0 dev ${coredns1()} scope link `, blackhole] : ["default via 192.168.1.1 dev eth0 ", blackhole, `10.244.0.1 dev ${coredns1()} scope link `];
    expect((await sh("ip route")).stdout).toBe([...first, `10.244.0.5 dev ${A_VETH} scope link `, remote, "192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10 ", ""].join("\n"));
    // The pod: its /32 and the link-local gateway.
    expect((await sh("ip route", { pod: "pod-a" })).stdout).toBe("default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n");
    expect((await sh("ip addr", { pod: "pod-a" })).stdout).toContain("    inet 10.244.0.5/32 scope global eth0\n");
    expect((await sh("ip neigh", { pod: "pod-a" })).stdout).toBe("169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee REACHABLE\n");
    // No cni0, no flannel files.
    expect((await sh("ip link show cni0")).stderr).toBe('Device "cni0" does not exist.\n');
    expect((await sh("bridge fdb show br cni0")).stderr).toBe('Cannot find bridge device "cni0"\n');
    expect((await sh("cat /run/flannel/subnet.env")).stderr).toBe("cat: /run/flannel/subnet.env: No such file or directory\n");
    await expect(sh("cat /etc/cni/net.d/*")).rejects.toMatchObject({ code: "unsupported", path: "command" });
  });

  it("ip link / ip addr: the host veths carry ee:ee:ee:ee:ee:ee and no IPv4; MTU 1480 (IP-in-IP), 1450 (VXLAN), 1500 (BGP)", async () => {
    for (const [mode, mtu] of [["ipip", 1480], ["vxlan", 1450], ["bgp", 1500]] as const) {
      await load(mode);
      const links = (await sh("ip link")).stdout;
      expect(links).toMatch(new RegExp(`^\\d+: ${A_VETH}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ${mtu} qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-`, "m"));
      expect((await sh("ip link", { pod: "pod-a" })).stdout).toMatch(new RegExp(`^2: eth0@if\\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ${mtu} `, "m"));
      const addr = (await sh("ip addr")).stdout;
      const veth = addr.slice(addr.indexOf(`: ${A_VETH}@`));
      expect(veth.split("\n").slice(2, 3)).toEqual(["    inet6 fe80::ecee:eeff:feee:eeee/64 scope link "]);
    }
  });

  it("ipip: tunl0 holds the node's tunnel address as a /32, no link layer, no IPv6; ip -d link shows the kernel's fallback tunnel", async () => {
    await load("ipip");
    const addr = (await sh("ip addr")).stdout;
    expect(addr).toContain("3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n    inet 10.244.0.0/32 scope global tunl0\n       valid_lft forever preferred_lft forever\n4: ");
    expect((await sh("ip -d link show tunl0")).stdout).toBe(
      "3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65515 \n    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n",
    );
    expect((await sh("ip neigh")).stdout).toBe("");
    expect((await sh("ip link show vxlan.calico")).stderr).toBe('Device "vxlan.calico" does not exist.\n');
  });

  it("vxlan: vxlan.calico (VNI 4096, port 4789) with the tunnel address; Felix's ARP and FDB entries for each peer VTEP", async () => {
    await load("vxlan");
    const detail = (await sh("ip -d link show vxlan.calico")).stdout;
    expect(detail).toMatch(/^3: vxlan\.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n {4}link\/ether (\S+) brd ff:ff:ff:ff:ff:ff promiscuity 0 {2}allmulti 0 minmtu 68 maxmtu 65535 \n {4}vxlan id 4096 local 192\.168\.1\.10 dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 /);
    expect((await sh("ip addr")).stdout).toContain("    inet 10.244.0.0/32 scope global vxlan.calico\n");
    const peerMac = (await sh("ip link show vxlan.calico", { node: "worker-node-2" })).stdout.match(/link\/ether (\S+)/)![1]!;
    expect((await sh("ip neigh")).stdout).toBe(`10.244.1.0 dev vxlan.calico lladdr ${peerMac} PERMANENT \n`);
    expect((await sh("bridge fdb show dev vxlan.calico")).stdout).toBe(`${peerMac} dst 192.168.1.11 self permanent\n`);
  });

  it("the CLI takes --cni calico/MODE; a plugin alone is Calico's first mode, IP-in-IP", async () => {
    const summary = await engine.load({ scenario: "cross-node", settings: { cni: { plugin: "calico" } } });
    expect(summary.cni).toEqual({ plugin: "calico", mode: "ipip" });
  });
});
