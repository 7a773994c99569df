// br_netfilter's bridged DNAT. With bridge-nf-call-iptables=1 (which kube-proxy requires) a
// frame entering cni0 from a pod's port goes through iptables' PREROUTING in the bridge path;
// when kube-proxy DNATs it there and the route to the new destination leaves by that same
// bridge, br_nf_pre_routing_finish does not route it (net/bridge/br_netfilter_hooks.c,
// `skb_dst(skb)->dev == dev` → bridged_dnat): br_nf_pre_routing_finish_bridge sets the
// destination MAC from the neighbour entry, keeps the sender's source MAC, and the bridge
// forwards it by its FDB (then FORWARD and POSTROUTING as bridged traffic), TTL untouched.
// The FDB may pick the very port the frame came in on (a pod reaching itself through its
// Service): hairpin mode, which flannel's bridge plugin sets (hairpinMode: true), lets it out.
// Checked with tcpdump -e in network namespaces on a 6.x kernel (a bridge, veth "pods",
// bridge-nf-call-iptables=1, an iptables DNAT rule): the backend sees client MAC → backend MAC,
// TTL 64, and the node's IpForwDatagrams does not move; hairpin (with a MASQUERADE rule like
// KUBE-MARK-MASQ's) arrives as pod MAC → pod MAC from cni0's address, TTL 64, and so does its
// reply, whose destination conntrack's un-SNAT restores in the same bridge path.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork, type CompiledNetwork } from "../../../src/compile/network.js";
import { Dataplane } from "../../../src/dataplane/dataplane.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow, type LoadedCluster } from "../../../src/dataplane/forward.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import * as A from "../../../src/dataplane/abi.js";
import { createEngine, type Engine, type Hop, type Trace } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

async function trace(input: Parameters<Engine["load"]>[0], from: string, to: string, seed?: number): Promise<Trace> {
  await engine.load(input);
  return engine.trace({ from, to, ...(seed === undefined ? {} : { seed }) });
}

/** Names for the MACs of a cluster's interfaces: `pod` for a pod's eth0, `node:dev` for a node's. */
function macNames(input: Parameters<Engine["load"]>[0]): Map<string, string> {
  const { model } = loadModel(input);
  const net: CompiledNetwork = compileNetwork(model);
  const names = new Map<string, string>();
  for (const f of net.ifaces) {
    const ns = net.netns[f.netns]!;
    if (ns.kind === "pod" && f.name === "eth0") names.set(f.mac, ns.pod!.name);
    if (ns.kind === "host" && ["eth0", "cni0", "flannel.1"].includes(f.name)) names.set(f.mac, `${model.nodes[ns.node]!.name}:${f.name}`);
  }
  return names;
}

const line = (names: Map<string, string>) => (h: Hop) => {
  const p = h.packet;
  const port = (x?: number) => (x === undefined ? "" : `:${x}`);
  return `${h.phase} ${h.netns} ${h.component}/${h.action} ${p.src}${port(p.sport)}>${p.dst}${port(p.dport)} ttl${p.ttl} ${names.get(p.srcMac) ?? p.srcMac}>${names.get(p.dstMac) ?? p.dstMac} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`;
};

describe("br_netfilter's bridged DNAT", () => {
  it("pod-to-service on one node: DNAT in cni0's bridge path, then bridged from the client's port to the backend's — client MAC → backend MAC, TTL 64, no routing hop", async () => {
    const input = { scenario: "pod-to-service" };
    // Seed 1: kube-proxy's random choice is backend-3 (10.244.0.17), on the client's node.
    const t = await trace(input, "client", "10.96.0.20:80", 1);
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(t.hops.map(line(macNames(input)))).toEqual([
      "request default/client pod/route 10.244.0.10:55971>10.96.0.20:80 ttl64 client>worker-node-1:cni0 ->eth0",
      "request default/client veth/xmit 10.244.0.10:55971>10.96.0.20:80 ttl64 client>worker-node-1:cni0 ->eth0",
      "request host netfilter/dnat 10.244.0.10:55971>10.244.0.17:8080 ttl64 client>worker-node-1:cni0 cni0>-",
      "request host bridge/bridge 10.244.0.10:55971>10.244.0.17:8080 ttl64 client>backend-3 vetha1d4b674>veth4c1593f5",
      "request host veth/xmit 10.244.0.10:55971>10.244.0.17:8080 ttl64 client>backend-3 ->veth4c1593f5",
      "request default/backend-3 pod/deliver 10.244.0.10:55971>10.244.0.17:8080 ttl64 client>backend-3 eth0>-",
      // The reply is bridged as it always was (on-link to the client's MAC); conntrack
      // restores the ClusterIP as its source on the way.
      "reply default/backend-3 pod/route 10.244.0.17:8080>10.244.0.10:55971 ttl64 backend-3>client ->eth0",
      "reply default/backend-3 veth/xmit 10.244.0.17:8080>10.244.0.10:55971 ttl64 backend-3>client ->eth0",
      "reply host conntrack/unnat 10.96.0.20:80>10.244.0.10:55971 ttl64 backend-3>client cni0>-",
      "reply host bridge/bridge 10.96.0.20:80>10.244.0.10:55971 ttl64 backend-3>client veth4c1593f5>vetha1d4b674",
      "reply host veth/xmit 10.96.0.20:80>10.244.0.10:55971 ttl64 backend-3>client ->vetha1d4b674",
      "reply default/client pod/deliver 10.96.0.20:80>10.244.0.10:55971 ttl64 backend-3>client eth0>-",
    ]);
    expect(t.hops.some((h) => h.component === "routing")).toBe(false);
    const bridged = t.hops[3]!;
    expect(bridged.rule).toBe("0a:58:0a:f4:00:11 dev veth4c1593f5 master cni0");
    expect(bridged.text).toBe(
      "br_netfilter: the DNAT'd destination 10.244.0.17 is on this bridge (its route leads back out cni0), so the frame stays bridged: its destination MAC becomes 0a:58:0a:f4:00:11, 10.244.0.17's, which cni0's FDB has behind port veth4c1593f5. No routing: TTL stays 64.",
    );
    // Plain bridged frames keep their sentence.
    expect(t.hops[9]!.text).toMatch(/^cni0 forwards the frame by its FDB/);
  });

  it("the same with flannel host-gw and with kube-proxy's nftables mode: the backend on the client's bridge is bridged", async () => {
    for (const settings of [{ cni: { plugin: "flannel", mode: "host-gw" } }, { kubeProxy: { mode: "nftables" } }]) {
      const input = { scenario: "pod-to-service", settings };
      const t = await trace(input, "client", "10.96.0.20:80", 1);
      const names = macNames(input);
      expect(t.hops.filter((h) => h.phase === "request").map((h) => `${h.component}/${h.action} ttl${h.packet.ttl} ${names.get(h.packet.srcMac)}>${names.get(h.packet.dstMac)}`)).toEqual([
        "pod/route ttl64 client>worker-node-1:cni0",
        "veth/xmit ttl64 client>worker-node-1:cni0",
        "netfilter/dnat ttl64 client>worker-node-1:cni0",
        "bridge/bridge ttl64 client>backend-3",
        "veth/xmit ttl64 client>backend-3",
        "pod/deliver ttl64 client>backend-3",
      ]);
    }
  });

  it("hairpin: backend-3 calling its own Service gets itself — bridged back out the port it came in on, masqueraded to cni0's address; its reply, un-NAT'd, takes the same way back", async () => {
    const input = { scenario: "pod-to-service" };
    // Seed 1 again draws backend-3: here the client is backend-3 itself.
    const t = await trace(input, "backend-3", "10.96.0.20:80", 1);
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const snat = t.hops.find((h) => h.action === "snat")!;
    const port = snat.packet.sport!;
    expect(t.hops.map(line(macNames(input)))).toEqual([
      "request default/backend-3 pod/route 10.244.0.17:55971>10.96.0.20:80 ttl64 backend-3>worker-node-1:cni0 ->eth0",
      "request default/backend-3 veth/xmit 10.244.0.17:55971>10.96.0.20:80 ttl64 backend-3>worker-node-1:cni0 ->eth0",
      "request host netfilter/dnat 10.244.0.17:55971>10.244.0.17:8080 ttl64 backend-3>worker-node-1:cni0 cni0>-",
      "request host bridge/bridge 10.244.0.17:55971>10.244.0.17:8080 ttl64 backend-3>backend-3 veth4c1593f5>veth4c1593f5",
      // KUBE-SEP's `-s 10.244.0.17/32 -j KUBE-MARK-MASQ`, then KUBE-POSTROUTING's MASQUERADE
      // in the bridge path's POSTROUTING: the output device is cni0, so cni0's address.
      `request host netfilter/snat 10.244.0.1:${port}>10.244.0.17:8080 ttl64 backend-3>backend-3 ->cni0`,
      `request host veth/xmit 10.244.0.1:${port}>10.244.0.17:8080 ttl64 backend-3>backend-3 ->veth4c1593f5`,
      `request default/backend-3 pod/deliver 10.244.0.1:${port}>10.244.0.17:8080 ttl64 backend-3>backend-3 eth0>-`,
      // The answer goes to 10.244.0.1, cni0 itself; conntrack's un-SNAT in PREROUTING turns
      // its destination back into 10.244.0.17, on the same bridge: bridged again, hairpin.
      `reply default/backend-3 pod/route 10.244.0.17:8080>10.244.0.1:${port} ttl64 backend-3>worker-node-1:cni0 ->eth0`,
      `reply default/backend-3 veth/xmit 10.244.0.17:8080>10.244.0.1:${port} ttl64 backend-3>worker-node-1:cni0 ->eth0`,
      "reply host conntrack/unnat 10.96.0.20:80>10.244.0.17:55971 ttl64 backend-3>worker-node-1:cni0 cni0>-",
      "reply host bridge/bridge 10.96.0.20:80>10.244.0.17:55971 ttl64 backend-3>backend-3 veth4c1593f5>veth4c1593f5",
      "reply host veth/xmit 10.96.0.20:80>10.244.0.17:55971 ttl64 backend-3>backend-3 ->veth4c1593f5",
      "reply default/backend-3 pod/deliver 10.96.0.20:80>10.244.0.17:55971 ttl64 backend-3>backend-3 eth0>-",
    ]);
    expect(snat.rule).toMatch(/KUBE-POSTROUTING .* -j MASQUERADE --random-fully/);
    expect(t.hops[3]!.text).toMatch(/behind port veth4c1593f5, the port it came in on: hairpin mode sends it back out there\. No routing: TTL stays 64\.$/);
    expect(t.hops[10]!.text).toMatch(/^br_netfilter: the reply's destination, restored by conntrack to 10\.244\.0\.17, is on this bridge/);
  });

  it("a backend on another node is still routed: out flannel.1, TTL 63 on the client's node", async () => {
    const t = await trace({ scenario: "cross-namespace" }, "frontend/frontend-pod", "10.96.0.25:80");
    const request = t.hops.filter((h) => h.phase === "request");
    const dnat = request.findIndex((h) => h.action === "dnat");
    expect(request.slice(dnat, dnat + 2).map((h) => `${h.node} ${h.component}/${h.action} ttl${h.packet.ttl} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`)).toEqual([
      "worker-node-2 netfilter/dnat ttl64 cni0>-",
      "worker-node-2 routing/route ttl63 cni0>flannel.1",
    ]);
    expect(t.hops.some((h) => h.text.startsWith("br_netfilter"))).toBe(false);
  });

  it("an endpoint on the bridge's subnet that nobody answers ARP for: the bridged DNAT has no neighbour entry and the packet is dropped", async () => {
    const text = `
apiVersion: v1
kind: Service
metadata: { name: stale }
spec: { clusterIP: 10.96.5.5, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: stale }
subsets:
  - addresses: [{ ip: 10.244.0.250 }]
    ports: [{ port: 8080 }]
---
{ nodes: [{ name: n1 }], pods: [{ name: c, node: n1 }] }
`;
    const t = await trace({ text }, "c", "10.96.5.5:80");
    expect(t.verdict).toBe("dropped");
    expect(t.hops.slice(-2).map((h) => `${h.component}/${h.action} ${h.packet.dst} ttl${h.packet.ttl} ${h.reason ?? ""}`)).toEqual([
      "netfilter/dnat 10.244.0.250 ttl64 ",
      "routing/drop 10.244.0.250 ttl64 no neighbour answers ARP (No route to host)",
    ]);
  });
});

describe("bridged DNAT: Wasm and the reference agree byte for byte", () => {
  it("every pod → every Service port of pod-to-service (same-node backends, hairpin, replies), seeds 1-8, iptables and nftables", async () => {
    const wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
    let bridged = 0;
    for (const mode of ["iptables", "nftables"] as const) {
      const { model } = loadModel({ scenario: "pod-to-service" });
      model.settings.kubeProxy.mode = mode;
      const net = compileNetwork(model);
      const rs = compileKubeProxy(model);
      const dp = await Dataplane.create(wasm);
      dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
      const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
      const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
      const targets = model.services.flatMap((s) => (s.clusterIP && s.clusterIP !== "None" ? s.ports.map((p) => `${s.clusterIP}:${p.port}`) : []));
      for (const pod of model.pods) {
        for (const to of targets) {
          for (let seed = 1; seed <= 8; seed++) {
            const r = resolveFlow(cluster, { from: `${pod.namespace}/${pod.name}`, to });
            if (isNamed(r)) throw new Error(`unexpected name ${to}`);
            dp.resetState();
            ref.resetState();
            dp.setSeed(seed);
            ref.setSeed(seed);
            const packet = packetFor(r, ephemeralPort(seed));
            const w = dp.exchange(packet, r.netns, true, true);
            const t = ref.exchange(packet, r.netns, true, true);
            expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
            expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
            // Bridged-DNAT hops: bridge hops with extra 1.
            const words = A.T_BYTES / 4;
            for (let h = 0; h < t.hopCount; h++) if (t.hops[h * words + A.T_ACTION / 4] === A.A_BRIDGE && t.hops[h * words + A.T_EXTRA / 4] === 1) bridged++;
          }
        }
      }
    }
    // Each client reaches some backend on its own bridge for some seed; backends reach themselves.
    expect(bridged).toBeGreaterThan(50);
  });
});
