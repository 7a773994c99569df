// The br-netfilter-off fault: net.bridge.bridge-nf-call-iptables=0 on every node. Frames cni0
// bridges from one port to another (flannel's same-node pod-to-pod traffic) are then never seen
// by iptables or conntrack: no PREROUTING DNAT, no FORWARD, no POSTROUTING, no un-NAT of a
// reply. Routed traffic (to cni0's own MAC, cross-node) is not affected. The classic symptom:
// a pod → ClusterIP whose backend is on the client's node. The request, for cni0's MAC (the
// ClusterIP is not on the pod's subnet), is DNAT'd and routed as usual; the backend's answer
// to the client's own address is bridged straight back without conntrack's reverse NAT, so it
// reaches the client from the backend's IP:port instead of the ClusterIP's: no socket has
// that peer (TCP answers RST, UDP ICMP port unreachable) — X_NO_CONNECTION at the client.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow } from "../../../src/dataplane/forward.js";
import { encode } from "../../../src/dataplane/layout.js";
import * as A from "../../../src/dataplane/abi.js";
import { createEngine, type Engine, type Hop, type Trace } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import { bothDataplanes, exchangeBoth } from "./both-dataplanes.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";

const OFF = { faults: ["br-netfilter-off"] };
const wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

async function trace(input: Parameters<Engine["load"]>[0], from: string, to: string, seed = 1): Promise<Trace> {
  await engine.load(input);
  return engine.trace({ from, to, seed });
}

const line = (h: Hop) => {
  const p = h.packet;
  const port = (x?: number) => (x === undefined ? "" : `:${x}`);
  return `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${p.src}${port(p.sport)}>${p.dst}${port(p.dport)} ttl${p.ttl} ${h.inIface ?? "-"}>${h.outIface ?? "-"}`;
};

// One node with the client and a backend, another with a second backend; a TCP and a UDP port each.
const TWO_NODES = JSON.stringify({
  nodes: [{ name: "n1" }, { name: "n2" }],
  pods: [
    { name: "client", node: "n1" },
    { name: "near", node: "n1", labels: { app: "near" }, ports: ["http:8080", "dns:5353/UDP"] },
    { name: "far", node: "n2", labels: { app: "far" }, ports: ["http:8080", "dns:5353/UDP"] },
  ],
  services: [
    { name: "near", selector: { app: "near" }, ports: ["http:80:8080", "dns:53:5353/UDP"] },
    { name: "far", selector: { app: "far" }, ports: ["http:80:8080", "dns:53:5353/UDP"] },
  ],
});

/** The raw exchange of `from` → `to` (IP:port) on a fresh dataplane and the reference, with their drop reasons. */
async function rawPair(input: Parameters<typeof loadModel>[0], from: string, to: string, seed: number, protocol?: "TCP" | "UDP") {
  const { dp, ref, cluster } = await bothDataplanes(wasm, loadModel(input).model);
  const r = resolveFlow(cluster, { from, to, ...(protocol ? { protocol } : {}) });
  if (isNamed(r)) throw new Error(`unexpected name ${to}`);
  dp.setSeed(seed);
  ref.setSeed(seed);
  const packet = packetFor(r, ephemeralPort(seed));
  const w = dp.exchange(packet, r.netns, true, true);
  const t = ref.exchange(packet, r.netns, true, true);
  return { w, t, reason: dp.lastDropReason(), dp, ref };
}

const words = A.T_BYTES / 4;
const field = (hops: Uint32Array, h: number, off: number) => hops[h * words + off / 4]!;

describe("br-netfilter-off: bridged frames skip iptables and conntrack", () => {
  it("the fault reaches the dataplane as a flag of every node record (flannel), and only with it", () => {
    for (const [settings, flag] of [[{}, 0], [OFF, A.NFL_BR_NETFILTER_OFF]] as const) {
      const { model } = loadModel({ scenario: "cross-namespace", settings });
      const net = compileNetwork(model);
      const t = encode(net, compileKubeProxy(model));
      const nodes = t.nodes;
      expect(nodes.length).toBe(model.nodes.length * (A.N_BYTES / 4));
      for (let i = 0; i < model.nodes.length; i++) expect(nodes[i * (A.N_BYTES / 4) + A.N_FLAGS / 4]).toBe(flag);
      expect(net.nodes.every((n) => (n.bridgeNfOff ?? false) === (flag !== 0))).toBe(true);
    }
  });

  it("pod → ClusterIP with the backend on the client's node: the request is routed and DNAT'd, the reply bridged back un-NAT'd and dropped at the client (no socket for the backend's address)", async () => {
    // Seed 1: kube-proxy picks backend-3 (10.244.0.17), on the client's node.
    const healthy = await trace({ scenario: "pod-to-service" }, "client", "10.96.0.20:80");
    const faulty = await trace({ scenario: "pod-to-service", settings: OFF }, "client", "10.96.0.20:80");
    expect(healthy.verdict).toBe("delivered");
    expect(healthy.replyVerdict).toBe("delivered");
    expect(faulty.verdict).toBe("delivered");
    expect(faulty.replyVerdict).toBe("dropped");
    const h = healthy.hops.map(line);
    const f = faulty.hops.map(line);
    expect(h).toEqual([
      "request worker-node-1 default/client pod/route 10.244.0.10:55971>10.96.0.20:80 ttl64 ->eth0",
      "request worker-node-1 default/client veth/xmit 10.244.0.10:55971>10.96.0.20:80 ttl64 ->eth0",
      "request worker-node-1 host netfilter/dnat 10.244.0.10:55971>10.244.0.17:8080 ttl64 cni0>-",
      "request worker-node-1 host bridge/bridge 10.244.0.10:55971>10.244.0.17:8080 ttl64 vetha1d4b674>veth4c1593f5",
      "request worker-node-1 host veth/xmit 10.244.0.10:55971>10.244.0.17:8080 ttl64 ->veth4c1593f5",
      "request worker-node-1 default/backend-3 pod/deliver 10.244.0.10:55971>10.244.0.17:8080 ttl64 eth0>-",
      "reply worker-node-1 default/backend-3 pod/route 10.244.0.17:8080>10.244.0.10:55971 ttl64 ->eth0",
      "reply worker-node-1 default/backend-3 veth/xmit 10.244.0.17:8080>10.244.0.10:55971 ttl64 ->eth0",
      "reply worker-node-1 host conntrack/unnat 10.96.0.20:80>10.244.0.10:55971 ttl64 cni0>-",
      "reply worker-node-1 host bridge/bridge 10.96.0.20:80>10.244.0.10:55971 ttl64 veth4c1593f5>vetha1d4b674",
      "reply worker-node-1 host veth/xmit 10.96.0.20:80>10.244.0.10:55971 ttl64 ->vetha1d4b674",
      "reply worker-node-1 default/client pod/deliver 10.96.0.20:80>10.244.0.10:55971 ttl64 eth0>-",
    ]);
    expect(f).toEqual([
      // The client's frame is for cni0's MAC: the node's IP stack takes it, DNAT'd in PREROUTING as always.
      ...h.slice(0, 3),
      // No bridged DNAT without br_netfilter: the node routes it back out cni0 (TTL 63).
      "request worker-node-1 host routing/route 10.244.0.10:55971>10.244.0.17:8080 ttl63 cni0>cni0",
      "request worker-node-1 host bridge/bridge 10.244.0.10:55971>10.244.0.17:8080 ttl63 cni0>veth4c1593f5",
      "request worker-node-1 host veth/xmit 10.244.0.10:55971>10.244.0.17:8080 ttl63 ->veth4c1593f5",
      "request worker-node-1 default/backend-3 pod/deliver 10.244.0.10:55971>10.244.0.17:8080 ttl63 eth0>-",
      ...h.slice(6, 8),
      // Bridged port to port, unseen by conntrack: the backend's own address stays the source.
      "reply worker-node-1 host bridge/bridge 10.244.0.17:8080>10.244.0.10:55971 ttl64 veth4c1593f5>vetha1d4b674",
      "reply worker-node-1 host veth/xmit 10.244.0.17:8080>10.244.0.10:55971 ttl64 ->vetha1d4b674",
      "reply worker-node-1 default/client pod/drop 10.244.0.17:8080>10.244.0.10:55971 ttl64 eth0>-",
    ]);
    // Nothing of netfilter or conntrack in the reply's path.
    expect(faulty.hops.filter((x) => x.phase === "reply" && (x.component === "netfilter" || x.component === "conntrack"))).toEqual([]);

    // The drop's reason, in the raw records of both implementations.
    const { w, t, reason } = await rawPair({ scenario: "pod-to-service", settings: OFF }, "default/client", "10.96.0.20:80", 1);
    expect(reason).toBe(A.X_NO_CONNECTION);
    expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
    const last = w.hopCount - 1;
    expect([field(w.hops, last, A.T_COMPONENT), field(w.hops, last, A.T_ACTION), field(w.hops, last, A.T_REASON), field(w.hops, last, A.T_PHASE)]).toEqual([A.K_POD, A.A_DROP, A.X_NO_CONNECTION, A.PH_REPLY]);
  });

  it("TCP and UDP to a Service whose backend shares the client's node: the answer is dropped at the client; with the backend on another node it is delivered, exactly as without the fault", async () => {
    const text = TWO_NODES;
    await engine.load({ text });
    const ip = async (name: string) => (await engine.load({ text })).services.find((s) => s.name === name)!.clusterIP!;
    const near = await ip("near");
    const far = await ip("far");
    for (const [port, protocol] of [[80, "TCP"], [53, "UDP"]] as const) {
      // Same node: the reply reaches the client from near's own address.
      const { w, t, reason } = await rawPair({ text, settings: OFF }, "default/client", `${near}:${port}`, 3, protocol);
      expect({ v: w.verdict, r: w.replyVerdict }).toEqual({ v: A.V_DELIVERED, r: A.V_DROPPED });
      expect(reason).toBe(A.X_NO_CONNECTION);
      expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
      const last = w.hopCount - 1;
      expect(field(w.hops, last, A.T_REASON)).toBe(A.X_NO_CONNECTION);
      expect(field(w.hops, last, A.T_PACKET + A.P_PROTO)).toBe(protocol === "TCP" ? A.PROTO_TCP : A.PROTO_UDP);
      expect(field(w.hops, last, A.T_PACKET + A.P_SPORT)).toBe(protocol === "TCP" ? 8080 : 5353);
      // Healthy: delivered from the ClusterIP.
      const ok = await rawPair({ text }, "default/client", `${near}:${port}`, 3, protocol);
      expect({ v: ok.w.verdict, r: ok.w.replyVerdict }).toEqual({ v: A.V_DELIVERED, r: A.V_DELIVERED });

      // Another node: routed both ways, conntrack un-NATs the reply on the client's node.
      const a = await rawPair({ text, settings: OFF }, "default/client", `${far}:${port}`, 3, protocol);
      const b = await rawPair({ text }, "default/client", `${far}:${port}`, 3, protocol);
      expect({ v: a.w.verdict, r: a.w.replyVerdict }).toEqual({ v: A.V_DELIVERED, r: A.V_DELIVERED });
      expect(Array.from(a.w.hops)).toEqual(Array.from(b.w.hops));
      expect(Array.from(a.w.hops)).toEqual(Array.from(a.t.hops));
    }
    // The engine's traces, the same: cross-node unchanged, same-node answer dropped.
    for (const to of [`${far}:80`, `${near}:80`]) {
      const healthy = await trace({ text }, "client", to, 3);
      const faulty = await trace({ text, settings: OFF }, "client", to, 3);
      if (to.startsWith(far)) expect(faulty.hops.map(line)).toEqual(healthy.hops.map(line));
      else expect(faulty.hops.at(-1)!).toMatchObject({ phase: "reply", netns: "default/client", component: "pod", action: "drop" });
    }
  });

  it("unchanged with the fault: a backend on another node (cross-namespace), same-node pod → pod, Calico and Cilium (no bridge)", async () => {
    const cases: Array<[Parameters<Engine["load"]>[0], string, string]> = [
      [{ scenario: "cross-namespace" }, "frontend/frontend-pod", "10.96.0.25:80"],
      [{ scenario: "pod-to-pod" }, "pod-a", "pod-b:8080"],
      [{ scenario: "pod-to-service", settings: { cni: { plugin: "flannel", mode: "host-gw" } } }, "client", "10.96.0.20:80"],
      [{ scenario: "pod-to-service", settings: { cni: { plugin: "calico", mode: "ipip" } } }, "client", "10.96.0.20:80"],
      [{ scenario: "pod-to-service", settings: { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "ebpf" } } }, "client", "10.96.0.20:80"],
      [{ scenario: "pod-to-service", settings: { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "iptables" } } }, "client", "10.96.0.20:80"],
    ];
    for (const [input, from, to] of cases) {
      const healthy = await trace(input, from, to);
      const input2 = typeof input === "object" && "scenario" in input ? { ...input, settings: { ...(input.settings ?? {}), ...OFF } } : input;
      const faulty = await trace(input2, from, to);
      const flannelSameNode = JSON.stringify(input).includes("host-gw");
      expect(healthy.replyVerdict, `${JSON.stringify(input)}`).toBe("delivered");
      if (flannelSameNode) {
        // host-gw bridges same-node pods too: the same symptom.
        expect(faulty.replyVerdict).toBe("dropped");
        continue;
      }
      expect(faulty.hops.map(line), `${JSON.stringify(input)} ${from} → ${to}`).toEqual(healthy.hops.map(line));
      expect(faulty.replyVerdict).toBe("delivered");
    }
  });
});

describe("br-netfilter-off: Wasm and the reference agree byte for byte", () => {
  it("every pod → every Service port and pod of pod-to-service and generated flannel clusters, seeds 1-4, iptables, nftables and IPVS, vxlan and host-gw", async () => {
    let noConnection = 0;
    let batchNoConnection = 0;
    const inputs: Array<Parameters<typeof loadModel>[0]> = [{ scenario: "pod-to-service", settings: OFF }];
    for (const [seed, mode, proxy] of [[3, "vxlan", "iptables"], [4, "host-gw", "nftables"], [5, "vxlan", "ipvs"]] as const) {
      inputs.push({ generate: { seed, nodes: 2, pods: 10, services: 3, endpointsPerService: { min: 1, max: 3 }, settings: { cni: { plugin: "flannel", mode }, kubeProxy: { mode: proxy }, ...OFF } } });
    }
    for (const mode of ["nftables", "ipvs"] as const) inputs.push({ scenario: "pod-to-service", settings: { kubeProxy: { mode }, ...OFF } });
    for (const input of inputs) {
      const { model } = loadModel(input);
      expect(model.settings.faults.map((f) => f.kind)).toEqual(["br-netfilter-off"]);
      const both = await bothDataplanes(wasm, model);
      const { dp, ref, cluster } = both;
      const targets = model.services.flatMap((s) => (s.clusterIP && s.clusterIP !== "None" ? s.ports.map((p) => `${s.clusterIP}:${p.port}`) : []));
      targets.push(...model.pods.filter((p) => !p.hostNetwork).map((p) => `${p.ip}:8080`));
      for (const pod of model.pods) {
        for (const to of targets) {
          for (let seed = 1; seed <= 4; seed++) {
            const w = exchangeBoth(both, `${pod.namespace}/${pod.name}`, to, seed);
            if (w.replyVerdict === A.V_DROPPED && field(w.hops, w.hopCount - 1, A.T_REASON) === A.X_NO_CONNECTION) noConnection++;
          }
        }
      }
      // Batch: every pod's flows to every target, the same counters and drop reasons.
      const flows: number[] = [];
      model.pods.forEach((p, i) => {
        targets.forEach((to, k) => {
          const r = resolveFlow(cluster, { from: `${p.namespace}/${p.name}`, to });
          if (isNamed(r)) throw new Error("unexpected DNS name");
          flows.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i * 64 + k, r.dport, k % 3 === 0 ? A.PROTO_UDP : A.PROTO_TCP, 60, (i * 7919 + k) >>> 0, 3, 0, k % 2 === 0 ? A.RF_CLOSE : 0);
        });
      });
      dp.resetState();
      ref.resetState();
      dp.runFlows(Uint32Array.from(flows));
      ref.runFlows(Uint32Array.from(flows));
      expect(dp.counters()).toEqual(ref.counters);
      for (let reason = 0; reason < A.X_REASONS; reason++) expect(dp.dropCount(reason), `reason ${reason}`).toBe(ref.drops[reason]);
      batchNoConnection += dp.dropCount(A.X_NO_CONNECTION);
    }
    expect(noConnection).toBeGreaterThan(20);
    expect(batchNoConnection).toBeGreaterThan(5);
  });
});

describe("healthy clusters: every answer the client's socket gets is one it takes", () => {
  it("no X_NO_CONNECTION drop without the fault (flannel, Calico, Cilium; iptables, nftables, IPVS, eBPF), Wasm and reference", async () => {
    const settings = [
      { cni: { plugin: "flannel", mode: "vxlan" }, kubeProxy: { mode: "iptables" } },
      { cni: { plugin: "flannel", mode: "host-gw" }, kubeProxy: { mode: "ipvs" } },
      { cni: { plugin: "flannel", mode: "vxlan" }, kubeProxy: { mode: "nftables" } },
      { cni: { plugin: "calico", mode: "ipip" }, kubeProxy: { mode: "iptables" } },
      { cni: { plugin: "calico", mode: "bgp" }, kubeProxy: { mode: "ipvs" } },
      { cni: { plugin: "cilium", mode: "vxlan" }, kubeProxy: { mode: "ebpf" } },
      { cni: { plugin: "cilium", mode: "native" }, kubeProxy: { mode: "iptables" } },
    ];
    let replies = 0;
    for (const [k, s] of settings.entries()) {
      const { model } = loadModel({ generate: { seed: 40 + k, nodes: 2, pods: 10, services: 3, endpointsPerService: { min: 1, max: 3 }, settings: s } });
      const both = await bothDataplanes(wasm, model);
      const { dp, ref, cluster } = both;
      const targets = model.services.flatMap((sv) => (sv.clusterIP && sv.clusterIP !== "None" ? sv.ports.map((p) => `${sv.clusterIP}:${p.port}`) : []));
      targets.push(...model.pods.filter((p) => !p.hostNetwork).map((p) => `${p.ip}:8080`));
      let dropped = 0;
      for (const pod of model.pods) {
        for (const to of targets) {
          for (const protocol of ["TCP", "UDP"] as const) {
            for (let seed = 1; seed <= 2; seed++) {
              const r = resolveFlow(cluster, { from: `${pod.namespace}/${pod.name}`, to, protocol });
              if (isNamed(r)) throw new Error(`unexpected name ${to}`);
              // Each from a fresh cluster, as a trace is (a connection left over with the same
              // tuple would be a clash the kernel's NAT resolves by another port, not modelled).
              dp.resetState();
              ref.resetState();
              dp.setSeed(seed);
              ref.setSeed(seed);
              const packet = packetFor(r, ephemeralPort(seed));
              const w = dp.exchange(packet, r.netns, true, false);
              ref.exchange(packet, r.netns, true, false);
              if (w.replyVerdict) replies++;
              dropped += dp.dropCount(A.X_NO_CONNECTION) + ref.drops[A.X_NO_CONNECTION]!;
            }
          }
        }
      }
      expect(dropped, JSON.stringify(s)).toBe(0);
    }
    expect(replies).toBeGreaterThan(1000);
  });
});
