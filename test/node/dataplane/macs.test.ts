// The Ethernet header after each hop, as a capture at that point would show it (checked with
// tcpdump -e on a real kernel: veth pairs, a cni0 bridge and flannel-style VXLAN / host-gw
// routes in network namespaces):
// - a route lookup builds the frame: source = the outgoing interface's MAC, destination = the
//   next hop's (a pod's gateway is cni0; an on-link destination is the pod itself; on a node,
//   flannel.1's route is to the peer VTEP by its permanent ARP entry, host-gw's to the peer
//   node's eth0, cni0's to the destination pod);
// - veth pairs, the bridge, NAT and conntrack leave the MACs alone, but for br_netfilter's
//   bridged DNAT: a frame whose destination a bridge port's PREROUTING rewrote to an address
//   behind that same bridge is not routed; its bridge hop gets the new destination's MAC and
//   keeps the sender's as the source (br_nf_pre_routing_finish_bridge);
// - VXLAN: the inner frame is flannel.1 → the peer's flannel.1 from encapsulation through
//   decapsulation until the peer routes it (the outer frame, eth0 → eth0, is not in the record);
// - every packet (request, reply, DNS query and answer, ICMP error) starts with its own frame:
//   nothing is left over from the packet before.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileNetwork, podMac, type CompiledNetwork } from "../../../src/compile/network.js";
import { createEngine, type Engine, type Hop, type Trace } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";

const HOST_GW = { cni: { plugin: "flannel", mode: "host-gw" } };

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

/** The MACs of a loaded cluster's interfaces, from the same compilation the dataplane runs on. */
function macsOf(input: Parameters<Engine["load"]>[0]) {
  const { model } = loadModel(input);
  const net: CompiledNetwork = compileNetwork(model);
  const nodeIndex = (node: string) => model.nodes.findIndex((n) => n.name === node);
  const ifaceIn = (netns: number, name: string) => net.ifaces.find((f) => f.netns === netns && f.name === name)!.mac;
  return {
    /** A node's eth0, cni0 or flannel.1. */
    node: (node: string, dev: "eth0" | "cni0" | "flannel.1") => ifaceIn(net.nodes[nodeIndex(node)]!.host, dev),
    /** A pod's eth0 (`namespace/name`); the bridge plugin's 0a:58 + its IPv4 address. */
    pod: (pod: string) => {
      const mac = ifaceIn(net.podNetns.get(pod)!, "eth0");
      const ip = model.pods.find((p) => `${p.namespace}/${p.name}` === pod)!.ip;
      expect(mac).toBe(podMac(parseIPv4(ip, "ip")));
      return mac;
    },
  };
}

const macLine = (h: Hop) => `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${h.packet.srcMac} > ${h.packet.dstMac}`;

async function trace(input: Parameters<Engine["load"]>[0], from: string, to: string, seed?: number): Promise<Trace> {
  await engine.load(input);
  return engine.trace({ from, to, ...(seed === undefined ? {} : { seed }) });
}

/** Hops that never touch the Ethernet header: everything but a route lookup (and a bridged DNAT's destination MAC). */
function expectOnlyRoutesRewriteMacs(t: Trace): void {
  t.hops.forEach((h, i) => {
    const prev = t.hops[i - 1];
    const newPacket = i === 0 || prev!.phase !== h.phase || prev!.action === "deliver";
    if (h.action === "route" || newPacket) return;
    if (h.action === "bridge" && h.text.startsWith("br_netfilter:")) {
      expect({ hop: h.seq, src: h.packet.srcMac }).toEqual({ hop: h.seq, src: prev!.packet.srcMac });
      return;
    }
    expect({ hop: h.seq, src: h.packet.srcMac, dst: h.packet.dstMac }).toEqual({ hop: h.seq, src: prev!.packet.srcMac, dst: prev!.packet.dstMac });
  });
}

describe("Ethernet MACs hop by hop", () => {
  it("cross-node over VXLAN: pod-a → cni0, flannel.1 → flannel.1 across the tunnel and after decapsulation, cni0 → pod-b; the reply starts with its own frame", async () => {
    const input = { scenario: "cross-node" };
    const t = await trace(input, "pod-a", "pod-b:80");
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    // Written out once, so a reader can see the sequence (pod-a 0a:58:0a:f4:00:05, pod-b
    // 0a:58:0a:f4:01:0a, worker-node-1's cni0 26:6b:3f:09:01:5e and flannel.1
    // 8a:3c:f8:1a:68:51, worker-node-2's cni0 22:6b:3a:50:ff:cb and flannel.1 8a:3c:f6:87:63:98).
    expect(t.hops.map(macLine)).toEqual([
      "request worker-node-1 default/pod-a pod/route 0a:58:0a:f4:00:05 > 26:6b:3f:09:01:5e",
      "request worker-node-1 default/pod-a veth/xmit 0a:58:0a:f4:00:05 > 26:6b:3f:09:01:5e",
      "request worker-node-1 host routing/route 8a:3c:f8:1a:68:51 > 8a:3c:f6:87:63:98",
      "request worker-node-1 host vxlan/encap 8a:3c:f8:1a:68:51 > 8a:3c:f6:87:63:98",
      "request worker-node-1 host underlay/wire 8a:3c:f8:1a:68:51 > 8a:3c:f6:87:63:98",
      "request worker-node-2 host vxlan/decap 8a:3c:f8:1a:68:51 > 8a:3c:f6:87:63:98",
      "request worker-node-2 host routing/route 22:6b:3a:50:ff:cb > 0a:58:0a:f4:01:0a",
      "request worker-node-2 host bridge/bridge 22:6b:3a:50:ff:cb > 0a:58:0a:f4:01:0a",
      "request worker-node-2 host veth/xmit 22:6b:3a:50:ff:cb > 0a:58:0a:f4:01:0a",
      "request worker-node-2 default/pod-b pod/deliver 22:6b:3a:50:ff:cb > 0a:58:0a:f4:01:0a",
      "reply worker-node-2 default/pod-b pod/route 0a:58:0a:f4:01:0a > 22:6b:3a:50:ff:cb",
      "reply worker-node-2 default/pod-b veth/xmit 0a:58:0a:f4:01:0a > 22:6b:3a:50:ff:cb",
      "reply worker-node-2 host routing/route 8a:3c:f6:87:63:98 > 8a:3c:f8:1a:68:51",
      "reply worker-node-2 host vxlan/encap 8a:3c:f6:87:63:98 > 8a:3c:f8:1a:68:51",
      "reply worker-node-2 host underlay/wire 8a:3c:f6:87:63:98 > 8a:3c:f8:1a:68:51",
      "reply worker-node-1 host vxlan/decap 8a:3c:f6:87:63:98 > 8a:3c:f8:1a:68:51",
      "reply worker-node-1 host routing/route 26:6b:3f:09:01:5e > 0a:58:0a:f4:00:05",
      "reply worker-node-1 host bridge/bridge 26:6b:3f:09:01:5e > 0a:58:0a:f4:00:05",
      "reply worker-node-1 host veth/xmit 26:6b:3f:09:01:5e > 0a:58:0a:f4:00:05",
      "reply worker-node-1 default/pod-a pod/deliver 26:6b:3f:09:01:5e > 0a:58:0a:f4:00:05",
    ]);
    // The same values, from the compiled interfaces.
    const m = macsOf(input);
    const [podA, podB] = [m.pod("default/pod-a"), m.pod("default/pod-b")];
    const [cni1, cni2] = [m.node("worker-node-1", "cni0"), m.node("worker-node-2", "cni0")];
    const [vtep1, vtep2] = [m.node("worker-node-1", "flannel.1"), m.node("worker-node-2", "flannel.1")];
    const pairs = t.hops.map((h) => [h.packet.srcMac, h.packet.dstMac]);
    expect(pairs).toEqual([
      ...Array(2).fill([podA, cni1]),
      ...Array(4).fill([vtep1, vtep2]),
      ...Array(4).fill([cni2, podB]),
      ...Array(2).fill([podB, cni2]),
      ...Array(4).fill([vtep2, vtep1]),
      ...Array(4).fill([cni1, podA]),
    ]);
    // The underlay NICs never appear: the record holds the inner frame while encapsulated.
    const eths = [m.node("worker-node-1", "eth0"), m.node("worker-node-2", "eth0")];
    expect(pairs.flat().filter((mac) => eths.includes(mac))).toEqual([]);
    // The outer headers are there while the inner frame crosses.
    expect(t.hops.filter((h) => h.packet.outer).map((h) => h.action)).toEqual(["encap", "wire", "encap", "wire"]);
  });

  it("cross-node with flannel host-gw: the node routes pod-a's packet to the peer's eth0 MAC, no encapsulation", async () => {
    const input = { scenario: "cross-node", settings: HOST_GW };
    const t = await trace(input, "pod-a", "pod-b:80");
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const m = macsOf(input);
    const [podA, podB] = [m.pod("default/pod-a"), m.pod("default/pod-b")];
    const [cni1, cni2] = [m.node("worker-node-1", "cni0"), m.node("worker-node-2", "cni0")];
    const [eth1, eth2] = [m.node("worker-node-1", "eth0"), m.node("worker-node-2", "eth0")];
    const name = new Map([[podA, "pod-a"], [podB, "pod-b"], [cni1, "cni0@1"], [cni2, "cni0@2"], [eth1, "eth0@1"], [eth2, "eth0@2"]]);
    expect(t.hops.map((h) => `${h.phase} ${h.node} ${h.component}/${h.action} ${name.get(h.packet.srcMac)} > ${name.get(h.packet.dstMac)}`)).toEqual([
      "request worker-node-1 pod/route pod-a > cni0@1",
      "request worker-node-1 veth/xmit pod-a > cni0@1",
      "request worker-node-1 routing/route eth0@1 > eth0@2",
      "request worker-node-1 underlay/wire eth0@1 > eth0@2",
      "request worker-node-2 routing/route cni0@2 > pod-b",
      "request worker-node-2 bridge/bridge cni0@2 > pod-b",
      "request worker-node-2 veth/xmit cni0@2 > pod-b",
      "request worker-node-2 pod/deliver cni0@2 > pod-b",
      "reply worker-node-2 pod/route pod-b > cni0@2",
      "reply worker-node-2 veth/xmit pod-b > cni0@2",
      "reply worker-node-2 routing/route eth0@2 > eth0@1",
      "reply worker-node-2 underlay/wire eth0@2 > eth0@1",
      "reply worker-node-1 routing/route cni0@1 > pod-a",
      "reply worker-node-1 bridge/bridge cni0@1 > pod-a",
      "reply worker-node-1 veth/xmit cni0@1 > pod-a",
      "reply worker-node-1 pod/deliver cni0@1 > pod-a",
    ]);
  });

  it("pod-to-service on one node: client → cni0 (the gateway for the ClusterIP), unchanged by the DNAT, then bridged as client → the backend (br_netfilter's bridged DNAT); the reply goes on-link, backend → client", async () => {
    const input = { scenario: "pod-to-service" };
    // Seed 1: kube-proxy's random choice is backend-3 (10.244.0.17).
    const t = await trace(input, "client", "10.96.0.20:80", 1);
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const m = macsOf(input);
    const [client, backend, cni] = [m.pod("default/client"), m.pod("default/backend-3"), m.node("worker-node-1", "cni0")];
    const name = new Map([[client, "client"], [backend, "backend-3"], [cni, "cni0"]]);
    expect(t.hops.map((h) => `${h.phase} ${h.netns} ${h.component}/${h.action} ${h.packet.dst} ${name.get(h.packet.srcMac)} > ${name.get(h.packet.dstMac)}`)).toEqual([
      "request default/client pod/route 10.96.0.20 client > cni0",
      "request default/client veth/xmit 10.96.0.20 client > cni0",
      "request host netfilter/dnat 10.244.0.17 client > cni0",
      // Not routed: the bridge path sets the backend's MAC as the destination, the source stays the client's.
      "request host bridge/bridge 10.244.0.17 client > backend-3",
      "request host veth/xmit 10.244.0.17 client > backend-3",
      "request default/backend-3 pod/deliver 10.244.0.17 client > backend-3",
      // The client is on backend-3's own subnet: no gateway, straight to the client's MAC,
      // and the bridge forwards it (conntrack restores the ClusterIP as the source on the way).
      "reply default/backend-3 pod/route 10.244.0.10 backend-3 > client",
      "reply default/backend-3 veth/xmit 10.244.0.10 backend-3 > client",
      "reply host conntrack/unnat 10.244.0.10 backend-3 > client",
      "reply host bridge/bridge 10.244.0.10 backend-3 > client",
      "reply host veth/xmit 10.244.0.10 backend-3 > client",
      "reply default/client pod/deliver 10.244.0.10 backend-3 > client",
    ]);
    expect(cni).toBe("26:6b:3f:09:01:5e");
    // As tcpdump -e in the backend's namespace shows on a real kernel with br_netfilter
    // (bridge-nf-call-iptables=1): client's MAC → backend's MAC, TTL 64.
    expect(t.hops.find((h) => h.netns === "default/backend-3" && h.action === "deliver")!.packet).toMatchObject({ srcMac: client, dstMac: backend, ttl: 64 });
  });

  it("DNS: every query and every answer starts with its own frame (the resolver's pod → its gateway, CoreDNS's pod → its gateway)", async () => {
    const input = { scenario: "cross-namespace" };
    const t = await trace(input, "frontend/frontend-pod", "api-svc.backend:80");
    expect(t.verdict).toBe("delivered");
    const m = macsOf(input);
    const starts = t.hops.filter((h, i) => i === 0 || t.hops[i - 1]!.action === "deliver");
    expect(starts.map((h) => h.phase)).toEqual([...Array(4).fill(["dns-query", "dns-answer"]).flat(), "request", "reply"]);
    for (const h of starts) {
      expect(h).toMatchObject({ component: "pod", action: "route", outIface: "eth0" });
      // The pod's eth0 → its node's cni0: every destination here is off-link (the ClusterIP,
      // the resolver on another node's pod CIDR).
      const node = h.node as "worker-node-1" | "worker-node-2" | "worker-node-3";
      expect({ phase: h.phase, src: h.packet.srcMac, dst: h.packet.dstMac }).toEqual({ phase: h.phase, src: m.pod(h.netns), dst: m.node(node, "cni0") });
    }
    // The first answer, written out: coredns-…-pzfr4 (10.244.0.3) on worker-node-1 answers
    // 10.244.1.5, off-link, through worker-node-1's cni0 — not the query's last frame
    // (cni0 → 0a:58:0a:f4:00:03).
    const answer = t.hops.find((h) => h.phase === "dns-answer")!;
    expect(answer.packet).toMatchObject({ src: "10.244.0.3", dst: "10.244.1.5", srcMac: "0a:58:0a:f4:00:03", dstMac: "26:6b:3f:09:01:5e" });
    expectOnlyRoutesRewriteMacs(t);
  });

  it("the ICMP error of a REJECT starts with the node's frame: cni0 → the client", async () => {
    const input = { nodes: [{ name: "n1" }], pods: [{ name: "c" }], services: [{ name: "empty", clusterIP: "10.96.0.30", selector: { app: "none" }, ports: [80] }] };
    const t = await trace(input, "c", "empty:80");
    expect(t.verdict).toBe("rejected");
    const m = macsOf(input);
    const error = t.hops.filter((h) => h.phase === "error");
    expect(error[0]).toMatchObject({ netns: "host", component: "routing", action: "route", outIface: "cni0" });
    expect(error.map((h) => [h.action, h.packet.srcMac, h.packet.dstMac])).toEqual([
      ["route", m.node("n1", "cni0"), m.pod("default/c")],
      ["bridge", m.node("n1", "cni0"), m.pod("default/c")],
      ["xmit", m.node("n1", "cni0"), m.pod("default/c")],
      ["deliver", m.node("n1", "cni0"), m.pod("default/c")],
    ]);
  });

  it("no neighbour answers ARP: the route's frame has the outgoing interface's MAC and no destination MAC", async () => {
    const input = { scenario: "cross-node" };
    const t = await trace(input, "pod-a", "10.244.1.77:80");
    expect(t.verdict).toBe("dropped");
    const m = macsOf(input);
    expect(t.hops.slice(-2).map((h) => [h.node, h.action, h.outIface, h.packet.srcMac, h.packet.dstMac])).toEqual([
      ["worker-node-2", "route", "cni0", m.node("worker-node-2", "cni0"), "00:00:00:00:00:00"],
      ["worker-node-2", "drop", "cni0", m.node("worker-node-2", "cni0"), "00:00:00:00:00:00"],
    ]);
  });

  it("in every seed flow, both backends: a route hop's source MAC is its outgoing interface's, and only route hops change the MACs", async () => {
    for (const settings of [{}, HOST_GW]) {
      for (const [scenario, from, to] of [
        ["pod-to-pod", "pod-a", "pod-b:80"],
        ["pod-to-service", "client", "10.96.0.20:80"],
        ["cross-namespace", "frontend/frontend-pod", "api-svc.backend:80"],
        ["cross-node", "pod-a", "pod-b:80"],
      ] as const) {
        const input = { scenario, settings };
        const t = await trace(input, from, to);
        expect(t.replyVerdict).toBe("delivered");
        const m = macsOf(input);
        for (const h of t.hops) {
          expect(h.packet.srcMac).not.toBe("00:00:00:00:00:00");
          expect(h.packet.dstMac).not.toBe("00:00:00:00:00:00");
          if (h.action !== "route") continue;
          const expected = h.netns === "host" ? m.node(h.node, h.outIface as "eth0" | "cni0" | "flannel.1") : m.pod(h.netns);
          expect({ hop: `${scenario} ${h.seq}`, src: h.packet.srcMac }).toEqual({ hop: `${scenario} ${h.seq}`, src: expected });
        }
        expectOnlyRoutesRewriteMacs(t);
      }
    }
  });
});
