// The seed page's four flows, forwarded by the Wasm dataplane, with every hop written out:
// node, namespace, component, action, the packet after the hop (addresses, ports, TTL, IP
// length, VXLAN outer headers) and the interfaces. Reviewed against the kernel's behaviour
// (networking.md): bridged hops keep the TTL, each routed hop takes one, the request to a
// ClusterIP is DNAT'd in the client node's PREROUTING and the reply un-NAT'd by conntrack,
// VXLAN adds 50 bytes between 192.168.1.x nodes on UDP 8472 with VNI 1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Hop } from "../../../src/index.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

const line = (h: Hop) => {
  const p = h.packet;
  const port = (x?: number) => (x === undefined ? "" : `:${x}`);
  const outer = p.outer ? ` [${p.outer.src}>${p.outer.dst} udp${port(p.outer.dport)} vni${p.outer.vni} len${p.outer.length}]` : "";
  return `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${p.src}${port(p.sport)}>${p.dst}${port(p.dport)} ttl${p.ttl} len${p.length}${outer} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`;
};

async function trace(scenario: string, from: string, to: string, seed?: number) {
  await engine.load({ scenario });
  return engine.trace({ from, to, ...(seed === undefined ? {} : { seed }) });
}

describe("seed flows through the Wasm dataplane", () => {
  it("pod-to-pod: frontend 10.244.0.5 → backend 10.244.0.6 through cni0, and back", async () => {
    const t = await trace("pod-to-pod", "pod-a", "pod-b:80");
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(t.hops.map(line)).toEqual([
      "request worker-node-1 default/pod-a pod/route 10.244.0.5:55971>10.244.0.6:80 ttl64 len60 ->eth0",
      "request worker-node-1 default/pod-a veth/xmit 10.244.0.5:55971>10.244.0.6:80 ttl64 len60 ->eth0",
      "request worker-node-1 host bridge/bridge 10.244.0.5:55971>10.244.0.6:80 ttl64 len60 veth19fd34b4>veth1cfd396d",
      "request worker-node-1 host veth/xmit 10.244.0.5:55971>10.244.0.6:80 ttl64 len60 ->veth1cfd396d",
      "request worker-node-1 default/pod-b pod/deliver 10.244.0.5:55971>10.244.0.6:80 ttl64 len60 eth0>-",
      "reply worker-node-1 default/pod-b pod/route 10.244.0.6:80>10.244.0.5:55971 ttl64 len60 ->eth0",
      "reply worker-node-1 default/pod-b veth/xmit 10.244.0.6:80>10.244.0.5:55971 ttl64 len60 ->eth0",
      "reply worker-node-1 host bridge/bridge 10.244.0.6:80>10.244.0.5:55971 ttl64 len60 veth1cfd396d>veth19fd34b4",
      "reply worker-node-1 host veth/xmit 10.244.0.6:80>10.244.0.5:55971 ttl64 len60 ->veth19fd34b4",
      "reply worker-node-1 default/pod-a pod/deliver 10.244.0.6:80>10.244.0.5:55971 ttl64 len60 eth0>-",
    ]);
    expect(t.hops[0]!.rule).toBe("10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.5");
    // Same subnet: the pods talk MAC to MAC, the bridge's FDB decides.
    expect(t.hops[2]!.packet).toMatchObject({ srcMac: "0a:58:0a:f4:00:05", dstMac: "0a:58:0a:f4:00:06" });
  });

  it("pod-to-service: client 10.244.0.10 → 10.96.0.20:80 DNAT'd to 10.244.0.17:8080, the reply un-NAT'd", async () => {
    // kube-proxy's random choice, made repeatable: seed 1 draws the third endpoint.
    const t = await trace("pod-to-service", "client", "10.96.0.20:80", 1);
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(t.hops.map(line)).toEqual([
      "request worker-node-1 default/client pod/route 10.244.0.10:55971>10.96.0.20:80 ttl64 len60 ->eth0",
      "request worker-node-1 default/client veth/xmit 10.244.0.10:55971>10.96.0.20:80 ttl64 len60 ->eth0",
      "request worker-node-1 host netfilter/dnat 10.244.0.10:55971>10.244.0.17:8080 ttl64 len60 cni0>-",
      // br_netfilter's bridged DNAT: the backend is on this cni0, so the frame is bridged from
      // the client's port to the backend's, not routed: TTL stays 64.
      "request worker-node-1 host bridge/bridge 10.244.0.10:55971>10.244.0.17:8080 ttl64 len60 vetha1d4b674>veth4c1593f5",
      "request worker-node-1 host veth/xmit 10.244.0.10:55971>10.244.0.17:8080 ttl64 len60 ->veth4c1593f5",
      "request worker-node-1 default/backend-3 pod/deliver 10.244.0.10:55971>10.244.0.17:8080 ttl64 len60 eth0>-",
      "reply worker-node-1 default/backend-3 pod/route 10.244.0.17:8080>10.244.0.10:55971 ttl64 len60 ->eth0",
      "reply worker-node-1 default/backend-3 veth/xmit 10.244.0.17:8080>10.244.0.10:55971 ttl64 len60 ->eth0",
      "reply worker-node-1 host conntrack/unnat 10.96.0.20:80>10.244.0.10:55971 ttl64 len60 cni0>-",
      "reply worker-node-1 host bridge/bridge 10.96.0.20:80>10.244.0.10:55971 ttl64 len60 veth4c1593f5>vetha1d4b674",
      "reply worker-node-1 host veth/xmit 10.96.0.20:80>10.244.0.10:55971 ttl64 len60 ->vetha1d4b674",
      "reply worker-node-1 default/client pod/deliver 10.96.0.20:80>10.244.0.10:55971 ttl64 len60 eth0>-",
    ]);
    expect(t.hops[2]!.rule).toBe('-A KUBE-SEP-KKDLJGN3P55XHPPU -p tcp -m comment --comment "default/backend-svc" -m tcp -j DNAT --to-destination 10.244.0.17:8080');
    expect(t.hops[2]!.text).toMatch(/KUBE-SERVICES → KUBE-SVC-DXX5KTAD3CFGMPWS → KUBE-SEP-KKDLJGN3P55XHPPU/);
  });

  it("cross-node: 10.244.0.5 on worker-node-1 → 10.244.1.10 on worker-node-2 through VXLAN 192.168.1.10 → 192.168.1.11, TTL 62", async () => {
    const t = await trace("cross-node", "pod-a", "pod-b:80");
    expect(t.hops.filter((h) => h.phase === "request").map(line)).toEqual([
      "request worker-node-1 default/pod-a pod/route 10.244.0.5:55971>10.244.1.10:80 ttl64 len60 ->eth0",
      "request worker-node-1 default/pod-a veth/xmit 10.244.0.5:55971>10.244.1.10:80 ttl64 len60 ->eth0",
      "request worker-node-1 host routing/route 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 cni0>flannel.1",
      "request worker-node-1 host vxlan/encap 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 [192.168.1.10>192.168.1.11 udp:8472 vni1 len110] ->flannel.1",
      "request worker-node-1 host underlay/wire 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 [192.168.1.10>192.168.1.11 udp:8472 vni1 len110] eth0>eth0",
      "request worker-node-2 host vxlan/decap 10.244.0.5:55971>10.244.1.10:80 ttl63 len60 eth0>flannel.1",
      "request worker-node-2 host routing/route 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 flannel.1>cni0",
      "request worker-node-2 host bridge/bridge 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 cni0>veth1cfd396d",
      "request worker-node-2 host veth/xmit 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 ->veth1cfd396d",
      "request worker-node-2 default/pod-b pod/deliver 10.244.0.5:55971>10.244.1.10:80 ttl62 len60 eth0>-",
    ]);
    expect(t.hops[2]!.rule).toBe("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink");
    expect(t.hops[3]!.packet.outer!.sport).toBeGreaterThanOrEqual(32768);
    // The reply takes the tunnel the other way and arrives with TTL 62 too.
    expect(t.hops.at(-1)).toMatchObject({ phase: "reply", netns: "default/pod-a", action: "deliver", packet: { ttl: 62 } });
    expect(t.hops.filter((h) => h.action === "encap").map((h) => `${h.packet.outer!.src}>${h.packet.outer!.dst}`)).toEqual(["192.168.1.10>192.168.1.11", "192.168.1.11>192.168.1.10"]);
  });

  it("cross-namespace (the HTTP leg): frontend-pod → api-svc.backend:80 = 10.96.0.25, DNAT'd to 10.244.2.10:8080 on another node", async () => {
    const t = await trace("cross-namespace", "frontend/frontend-pod", "api-svc.backend:80");
    expect(t.flow).toMatchObject({ srcIP: "10.244.1.5", dstIP: "10.96.0.25", dport: 80, protocol: "tcp" });
    // (The DNS lookup before it has its own tests: test/node/dns.)
    expect(t.hops.filter((h) => h.phase === "request" || h.phase === "reply").map((h) => `${h.phase} ${h.node} ${h.component}/${h.action} ${h.packet.src}>${h.packet.dst}:${h.packet.dport}`)).toEqual([
      "request worker-node-2 pod/route 10.244.1.5>10.96.0.25:80",
      "request worker-node-2 veth/xmit 10.244.1.5>10.96.0.25:80",
      "request worker-node-2 netfilter/dnat 10.244.1.5>10.244.2.10:8080",
      "request worker-node-2 routing/route 10.244.1.5>10.244.2.10:8080",
      "request worker-node-2 vxlan/encap 10.244.1.5>10.244.2.10:8080",
      "request worker-node-2 underlay/wire 10.244.1.5>10.244.2.10:8080",
      "request worker-node-3 vxlan/decap 10.244.1.5>10.244.2.10:8080",
      "request worker-node-3 routing/route 10.244.1.5>10.244.2.10:8080",
      "request worker-node-3 bridge/bridge 10.244.1.5>10.244.2.10:8080",
      "request worker-node-3 veth/xmit 10.244.1.5>10.244.2.10:8080",
      "request worker-node-3 pod/deliver 10.244.1.5>10.244.2.10:8080",
      "reply worker-node-3 pod/route 10.244.2.10>10.244.1.5:55971",
      "reply worker-node-3 veth/xmit 10.244.2.10>10.244.1.5:55971",
      "reply worker-node-3 routing/route 10.244.2.10>10.244.1.5:55971",
      "reply worker-node-3 vxlan/encap 10.244.2.10>10.244.1.5:55971",
      "reply worker-node-3 underlay/wire 10.244.2.10>10.244.1.5:55971",
      "reply worker-node-2 vxlan/decap 10.244.2.10>10.244.1.5:55971",
      // Only the client's node knows the translation: un-NAT happens there.
      "reply worker-node-2 conntrack/unnat 10.96.0.25>10.244.1.5:55971",
      "reply worker-node-2 routing/route 10.96.0.25>10.244.1.5:55971",
      "reply worker-node-2 bridge/bridge 10.96.0.25>10.244.1.5:55971",
      "reply worker-node-2 veth/xmit 10.96.0.25>10.244.1.5:55971",
      "reply worker-node-2 pod/deliver 10.96.0.25>10.244.1.5:55971",
    ]);
  });

  it("a service without endpoints is rejected: ICMP port unreachable back from the node, at once", async () => {
    await engine.load({ nodes: [{ name: "n1" }], pods: [{ name: "c" }], services: [{ name: "empty", clusterIP: "10.96.0.30", selector: { app: "none" }, ports: [80] }] });
    const t = await engine.trace({ from: "c", to: "empty:80" });
    expect(t.verdict).toBe("rejected");
    expect(t.replyVerdict).toBe("delivered");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toBe('-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "default/empty has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable');
    expect(reject.text).toMatch(/Connection refused/);
    expect(t.hops.at(-1)).toMatchObject({ phase: "error", netns: "default/c", action: "deliver", packet: { src: "10.244.0.1", dst: "10.244.0.2", protocol: "icmp", icmp: { type: 3, code: 3 }, length: 56 } });
  });

  it("a packet to an address no pod holds is dropped where ARP fails", async () => {
    const t = await trace("cross-node", "pod-a", "10.244.1.77:80");
    expect(t.verdict).toBe("dropped");
    expect(t.hops.at(-1)).toMatchObject({ node: "worker-node-2", netns: "host", action: "drop", reason: "no neighbour answers ARP (No route to host)" });
  });
});
