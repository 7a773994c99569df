// Cilium: no bridge, no per-packet netfilter for pod traffic. Each pod's host veth (lxc +
// 12 hex digits of sha256 of "<sandbox ID>:eth0") runs cil_from_container, which delivers to
// local endpoints by bpf_redirect (TTL 63), tunnels to other nodes' pod CIDRs through the
// flow-based cilium_vxlan (UDP 8472, VNI = the source's security identity) or, with native
// routing, hands the packet to the stack. kube-proxy mode `ebpf` is Cilium's kube-proxy
// replacement: ClusterIPs are translated at connect()/sendmsg() by the socket LB, so the first
// packet is already addressed to the backend; with kube-proxy still running, bpf_lxc
// translates per packet. Wasm and the reference must agree hop for hop on all of it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDENTITY_MAX, IDENTITY_MIN, identityLabels, lxcName, podIdentities, sandboxId } from "../../../src/compile/cilium.js";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane, flowRecords } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow as resolveAny, type LoadedCluster } from "../../../src/dataplane/forward.js";
import * as A from "../../../src/dataplane/abi.js";
import { createEngine, type Engine, type Trace } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { cidrContains, formatIPv4, parseCidr, parseIPv4 } from "../../../src/net/ipv4.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";
import { ciliumPolicy } from "../../../src/policy/enforcement.js";
import { POLICY_RESOURCES } from "./policy-cluster.js";

const CILIUM = (mode: "vxlan" | "native", kubeProxy = "ebpf") => ({ cni: { plugin: "cilium", mode }, kubeProxy: { mode: kubeProxy } });

let engine: Engine;
let wasm: Uint8Array;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  wasm = readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url));
});
afterAll(() => engine.dispose());

async function trace(input: ModelInput, flow: { from: string; to: string; seed?: number; protocol?: "TCP" | "UDP"; libc?: "glibc" | "musl" }): Promise<Trace> {
  await engine.load(input);
  return engine.trace(flow);
}

const shape = (t: Trace, phase = "request") => t.hops.filter((h) => h.phase === phase).map((h) => `${h.netns === "host" ? h.node : h.netns} ${h.component}/${h.action}${h.program ? ` ${h.program}` : ""}`);

describe("Cilium's names and addresses", () => {
  it("the host veth is lxc + the first 12 hex digits of SHA-256 of '<sandbox container ID>:eth0' (Endpoint2IfName), the ID a stand-in derived from the pod", () => {
    const id = sandboxId("default", "pod-a");
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).toBe(createHash("sha256").update("sandbox/default/pod-a").digest("hex"));
    const name = lxcName("default", "pod-a");
    expect(name).toBe(`lxc${createHash("sha256").update(`${id}:eth0`).digest("hex").slice(0, 12)}`);
    // IFNAMSIZ 16 with its NUL: 15 characters, all the kernel allows.
    expect(name).toHaveLength(15);
    expect(lxcName("default", "pod-b")).not.toBe(name);
  });

  it("cluster-pool IPAM: the router address first, then the pods', each a random free address of the node's CIDR (not .0 or .255); given addresses are kept", () => {
    const { model } = loadModel({ generate: { seed: 3, nodes: 4, pods: 120, services: 4, settings: CILIUM("vxlan") } });
    const seen = new Set<string>();
    for (const node of model.nodes) {
      const cidr = parseCidr(node.podCIDR, "cidr");
      const router = parseIPv4(node.cilium!.routerIP, "router");
      expect(cidrContains(cidr, router)).toBe(true);
      const pods = model.pods.filter((p) => p.node === node.name && !p.hostNetwork).map((p) => parseIPv4(p.ip, "ip"));
      for (const ip of [router, ...pods]) {
        expect(cidrContains(cidr, ip)).toBe(true);
        expect(ip - cidr.address).toBeGreaterThan(0);
        expect(ip - cidr.address).toBeLessThan(255);
        expect(seen.has(formatIPv4(ip))).toBe(false);
        seen.add(formatIPv4(ip));
      }
      // A random scan, not host-local's lowest-free order.
      expect(pods.slice(0, 5)).not.toEqual([...pods.slice(0, 5)].sort((a, b) => a - b));
    }
    // The same cluster, the same addresses.
    expect(loadModel({ generate: { seed: 3, nodes: 4, pods: 120, services: 4, settings: CILIUM("vxlan") } }).model.pods.map((p) => p.ip)).toEqual(model.pods.map((p) => p.ip));
    const scenario = loadModel({ scenario: "pod-to-service", settings: CILIUM("vxlan") }).model;
    expect(scenario.pods.filter((p) => !p.name.startsWith("coredns")).map((p) => p.ip)).toEqual(["10.244.0.10", "10.244.0.15", "10.244.0.16", "10.244.0.17"]);
    expect(["10.244.0.10", "10.244.0.15", "10.244.0.16", "10.244.0.17"]).not.toContain(scenario.nodes[0]!.cilium!.routerIP);
  });

  it("an address outside a node's CIDR names the usable range, without flannel's cni0 gateway", () => {
    expect(() => loadModel({ nodes: [{ name: "n1", podCIDR: "10.244.0.0/24" }], pods: [{ name: "p", node: "n1", ip: "10.244.1.5" }], settings: CILIUM("vxlan") })).toThrow(/usable: 10\.244\.0\.1 to 10\.244\.0\.254; the network and broadcast addresses are not handed out/);
  });

  it("security identities: one per set of identity labels (pod-template-hash left out), 256-65535", () => {
    const { model } = loadModel({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const ids = podIdentities(model);
    const of = (name: string) => ids.get(model.pods.find((p) => p.name === name) ? `${model.pods.find((p) => p.name === name)!.namespace}/${name}` : "")!;
    expect(of("backend-1")).toBe(of("backend-2"));
    expect(of("backend-1")).not.toBe(of("client"));
    const coredns = model.pods.filter((p) => p.name.startsWith("coredns"));
    expect(ids.get(`kube-system/${coredns[0]!.name}`)).toBe(ids.get(`kube-system/${coredns[1]!.name}`));
    expect(identityLabels(coredns[0]!)).toEqual(["k8s:io.cilium.k8s.policy.cluster=default", "k8s:io.cilium.k8s.policy.serviceaccount=default", "k8s:io.kubernetes.pod.namespace=kube-system", "k8s:k8s-app=kube-dns"]);
    for (const id of ids.values()) {
      expect(id).toBeGreaterThanOrEqual(IDENTITY_MIN);
      expect(id).toBeLessThanOrEqual(IDENTITY_MAX);
    }
  });
});

describe("Cilium's routes", () => {
  it("VXLAN: the router address on cilium_host, the node's own CIDR and the others' via it, proto kernel, the others with the route MTU 1450; the pod's default via the router with mtu 1450", async () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CILIUM("vxlan") });
    const [r1, r2] = model.nodes.map((n) => n.cilium!.routerIP);
    await engine.load({ scenario: "cross-node", settings: CILIUM("vxlan") });
    expect((await engine.show({ command: "ip route", node: "worker-node-1" })).stdout).toBe(
      `default via 192.168.1.1 dev eth0 \n10.244.0.0/24 via ${r1} dev cilium_host proto kernel src ${r1} \n${r1} dev cilium_host proto kernel scope link \n10.244.1.0/24 via ${r1} dev cilium_host proto kernel src ${r1} mtu 1450 \n192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10 \n`,
    );
    expect((await engine.show({ command: "ip route", pod: "pod-b" })).stdout).toBe(`default via ${r2} dev eth0 mtu 1450 \n${r2} dev eth0 scope link \n`);
  });

  it("native routing: auto-direct-node-routes via the other nodes' IPs on eth0, proto kernel; the route MTU is the device's 1500", async () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CILIUM("native") });
    const r2 = model.nodes[1]!.cilium!.routerIP;
    await engine.load({ scenario: "cross-node", settings: CILIUM("native") });
    expect((await engine.show({ command: "ip route", node: "worker-node-2" })).stdout).toBe(
      `default via 192.168.1.1 dev eth0 \n10.244.0.0/24 via 192.168.1.10 dev eth0 proto kernel \n10.244.1.0/24 via ${r2} dev cilium_host proto kernel src ${r2} \n${r2} dev cilium_host proto kernel scope link \n192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.11 \n`,
    );
    expect((await engine.show({ command: "ip route", pod: "pod-b" })).stdout).toBe(`default via ${r2} dev eth0 mtu 1500 \n${r2} dev eth0 scope link \n`);
    expect((await engine.show({ command: "ip link show cilium_vxlan" })).stderr).toBe('Device "cilium_vxlan" does not exist.\n');
  });
});

describe("kube-proxy replacement (mode ebpf): the socket LB", () => {
  it("pod-to-service: connect() is translated in the client's socket layer; the first packet on the wire is already addressed to the backend; no DNAT, no netfilter, no conntrack entry", async () => {
    const t = await trace({ scenario: "pod-to-service", settings: CILIUM("vxlan") }, { from: "client", to: "10.96.0.20:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    expect(shape(t)).toEqual([
      "default/client socket/socket-lb cil_sock4_connect", "default/client pod/route", "default/client veth/xmit",
      "worker-node-1 routing/redirect cil_from_container", "worker-node-1 veth/xmit", expect.stringMatching(/^default\/backend-\d pod\/deliver$/),
    ]);
    const [lb, route] = t.hops;
    expect(lb!.packet.dst).toMatch(/^10\.244\.0\.1[567]$/);
    expect(lb!.packet.dport).toBe(8080);
    // The first packet the pod sends (its route lookup) already carries the backend.
    expect(route!.packet.dst).toBe(lb!.packet.dst);
    expect(t.hops.filter((h) => h.packet.dst === "10.96.0.20" || h.packet.src === "10.96.0.20")).toEqual([]);
    expect(t.hops.some((h) => h.component === "netfilter" || h.component === "conntrack" || h.component === "bridge" || h.action === "dnat" || h.action === "unnat")).toBe(false);
    expect(lb!.text).toMatch(/^Socket LB \(cil_sock4_connect, the cgroup eBPF program at connect\(\)\): the application connects to 10\.96\.0\.20:80, and 10\.96\.0\.20:80\/TCP is a frontend in the service map \(cilium_lb4_services_v2: default\/backend-svc, 3 backends\); a random number \(prandom\) picked slot [123] of 3/);
    expect(lb!.text).toContain("(1 service lookup, however many Services there are)");
    expect(lb!.ruleSource).toBe("cilium-dbg service get 5");
    expect(lb!.rule).toContain("5    10.96.0.20:80/TCP   ClusterIP      1 => 10.244.0.15:8080/TCP (active)");
    // Same node: delivered by bpf_redirect, TTL 63.
    expect(t.hops.find((h) => h.phase === "request" && h.action === "deliver")!.packet.ttl).toBe(63);
    // The reply comes from the backend's own address; the socket is connected to it; getpeername() still says the ClusterIP.
    const delivered = t.hops.at(-1)!;
    expect(delivered.packet.src).toBe(lb!.packet.dst);
    expect(delivered.text).toContain("getpeername() (cil_sock4_getpeername, through cilium_lb4_reverse_sk) still answers 10.96.0.20:80");
    expect((await engine.show({ command: "conntrack -L" })).stdout).toBe("");
  });

  it("the slot is a random draw per connection (seeded): different seeds reach every backend", async () => {
    await engine.load({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const backends = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) backends.add((await engine.trace({ from: "client", to: "10.96.0.20:80", seed })).hops[0]!.packet.dst);
    expect([...backends].sort()).toEqual(["10.244.0.15", "10.244.0.16", "10.244.0.17"]);
    const again = await engine.trace({ from: "client", to: "10.96.0.20:80", seed: 7 });
    expect((await engine.trace({ from: "client", to: "10.96.0.20:80", seed: 7 })).hops[0]!.packet.dst).toBe(again.hops[0]!.packet.dst);
  });

  it("cross-node through a Service: socket LB, then VXLAN with VNI = the client's identity, and back with the backend's", async () => {
    const input = { nodes: [{ name: "n1" }, { name: "n2" }], pods: [{ name: "c", node: "n1", labels: { app: "c" } }, { name: "s", node: "n2", labels: { app: "s" }, ports: ["8080"] }], services: [{ name: "svc", clusterIP: "10.96.0.50", selector: { app: "s" }, ports: ["80:8080"] }], settings: CILIUM("vxlan") };
    const { model } = loadModel(input);
    const ids = podIdentities(model);
    const t = await trace(input, { from: "c", to: "10.96.0.50:80" });
    expect(shape(t)).toEqual(["default/c socket/socket-lb cil_sock4_connect", "default/c pod/route", "default/c veth/xmit", "n1 vxlan/encap cil_from_container", "n1 underlay/wire", "n2 vxlan/decap", "n2 routing/redirect cil_from_overlay", "n2 veth/xmit", "default/s pod/deliver"]);
    const encap = t.hops.find((h) => h.action === "encap")!;
    expect(encap.packet.outer).toMatchObject({ protocol: "udp", dport: 8472, vni: ids.get("default/c"), ttl: 64, src: model.nodes[0]!.internalIP, dst: model.nodes[1]!.internalIP });
    expect(encap.packet.dst).toBe(model.pods.find((p) => p.name === "s")!.ip);
    expect(encap.packet.ttl).toBe(64); // the tunnel spends no TTL
    expect(t.hops.find((h) => h.phase === "request" && h.action === "deliver")!.packet.ttl).toBe(63);
    expect(t.hops.find((h) => h.phase === "reply" && h.action === "encap")!.packet.outer!.vni).toBe(ids.get("default/s"));
  });

  it("DNS to the kube-dns ClusterIP: glibc connect()s its UDP socket (cil_sock4_connect), musl sendto()s (cil_sock4_sendmsg); recvmsg() gives the answer the ClusterIP as source", async () => {
    for (const [libc, program] of [["glibc", "cil_sock4_connect"], ["musl", "cil_sock4_sendmsg"]] as const) {
      const t = await trace({ scenario: "cross-namespace", settings: CILIUM("vxlan") }, { from: "frontend/frontend-pod", to: "api-svc.backend:80", libc });
      expect(t.verdict).toBe("delivered");
      const queries = t.hops.filter((h) => h.phase === "dns-query" && h.action === "socket-lb");
      expect(queries.length).toBeGreaterThan(0);
      expect(queries.every((h) => h.program === program && h.packet.dst !== "10.96.0.10" && h.packet.dport === 53)).toBe(true);
      // glibc's connect() happens once per socket, and a name's A and AAAA share one socket;
      // musl's sendto() is translated per query. recvmsg() runs for every answer.
      const answers = t.hops.filter((h) => h.phase === "dns-answer" && h.action === "socket-lb");
      expect(answers.length).toBe(libc === "glibc" ? 2 * queries.length : queries.length);
      for (const a of answers) {
        expect(a.program).toBe("cil_sock4_recvmsg");
        expect(`${a.packet.src}:${a.packet.sport}`).toBe("10.96.0.10:53");
      }
      // No packet to or from the kube-dns ClusterIP ever crosses a device.
      expect(t.hops.filter((h) => h.component !== "socket" && (h.packet.dst === "10.96.0.10" || h.packet.src === "10.96.0.10"))).toEqual([]);
      // The request to the Service went through the socket LB too.
      expect(t.hops.filter((h) => h.phase === "request")[0]!.action).toBe("socket-lb");
    }
  });

  it("a Service without backends: connect() fails with EHOSTUNREACH and nothing is sent", async () => {
    const t = await trace({ nodes: [{ name: "n1" }], pods: [{ name: "c", node: "n1" }], services: [{ name: "empty", clusterIP: "10.96.0.60", selector: { app: "none" }, ports: ["80"] }], settings: CILIUM("vxlan") }, { from: "c", to: "10.96.0.60:80" });
    expect(t.verdict).toBe("dropped");
    expect(t.hops).toHaveLength(1);
    expect(t.hops[0]).toMatchObject({ component: "socket", action: "drop", program: "cil_sock4_connect", reason: expect.stringMatching(/EHOSTUNREACH/) });
    expect(t.hops[0]!.text).toMatch(/^connect\(\) to 10\.96\.0\.60:80 fails at once with "No route to host"/);
  });

  it("native routing: from the pod to the stack (TTL 63), routed to the peer (62), delivered by cil_from_netdev (61)", async () => {
    const t = await trace({ scenario: "cross-node", settings: CILIUM("native") }, { from: "pod-a", to: "pod-b" });
    expect(shape(t)).toEqual(["default/pod-a pod/route", "default/pod-a veth/xmit", "worker-node-1 routing/to-stack cil_from_container", "worker-node-1 routing/route", "worker-node-1 underlay/wire", "worker-node-2 routing/redirect cil_from_netdev", "worker-node-2 veth/xmit", "default/pod-b pod/deliver"]);
    expect(t.hops.filter((h) => h.phase === "request").map((h) => h.packet.ttl)).toEqual([64, 64, 63, 62, 62, 61, 61, 61]);
    expect(t.hops[3]!.rule).toBe("10.244.1.0/24 via 192.168.1.11 dev eth0 proto kernel");
    expect(t.hops.some((h) => h.packet.outer)).toBe(false);
  });

  it("ebpf is Cilium's: with flannel or Calico it is refused at settings.kubeProxy.mode, naming why", async () => {
    for (const cni of [{ plugin: "flannel", mode: "vxlan" }, { plugin: "calico", mode: "ipip" }]) {
      await expect(engine.load({ scenario: "pod-to-service", settings: { cni, kubeProxy: { mode: "ebpf" } } })).rejects.toMatchObject({ code: "unsupported", path: "settings.kubeProxy.mode", message: expect.stringMatching(/Cilium's kube-proxy replacement.*needs settings\.cni\.plugin cilium/) });
    }
  });
});

describe("Cilium with kube-proxy (no kube-proxy replacement): per-packet LB in bpf_lxc", () => {
  it.each(["iptables", "nftables", "ipvs"])("%s: cil_from_container DNATs in eBPF and reverse-NATs the reply; kube-proxy's rules never see pod traffic", async (mode) => {
    const t = await trace({ scenario: "pod-to-service", settings: CILIUM("vxlan", mode) }, { from: "client", to: "10.96.0.20:80" });
    expect(t.replyVerdict).toBe("delivered");
    expect(shape(t)).toEqual(["default/client pod/route", "default/client veth/xmit", "worker-node-1 routing/dnat cil_from_container", "worker-node-1 routing/redirect cil_from_container", "worker-node-1 veth/xmit", expect.stringMatching(/pod\/deliver$/)]);
    expect(shape(t, "reply")).toEqual([expect.stringMatching(/pod\/route$/), expect.stringMatching(/veth\/xmit$/), "worker-node-1 routing/unnat cil_from_container", "worker-node-1 routing/redirect cil_from_container", "worker-node-1 veth/xmit", "default/client pod/deliver"]);
    expect(t.hops[0]!.packet.dst).toBe("10.96.0.20");
    expect(t.hops.at(-1)!.packet.src).toBe("10.96.0.20");
    expect(t.hops.some((h) => h.component === "netfilter" || h.component === "conntrack")).toBe(false);
  });

  it("a remote backend: DNAT on the client's node, reverse NAT in the client's policy program when the reply arrives", async () => {
    const input = { nodes: [{ name: "n1" }, { name: "n2" }], pods: [{ name: "c", node: "n1" }, { name: "s", node: "n2", labels: { app: "s" }, ports: ["8080"] }], services: [{ name: "svc", clusterIP: "10.96.0.50", selector: { app: "s" }, ports: ["80:8080"] }], settings: CILIUM("vxlan", "iptables") };
    const t = await trace(input, { from: "c", to: "10.96.0.50:80" });
    expect(shape(t, "reply")).toEqual(["default/s pod/route", "default/s veth/xmit", "n2 vxlan/encap cil_from_container", "n2 underlay/wire", "n1 vxlan/decap", "n1 routing/unnat cil_from_overlay", "n1 routing/redirect cil_from_overlay", "n1 veth/xmit", "default/c pod/deliver"]);
    expect(t.hops.at(-1)!.packet.src).toBe("10.96.0.50");
  });

  it("a Service without backends is answered by Cilium itself: ICMP port unreachable from the ClusterIP, back out the client's lxc", async () => {
    const t = await trace({ nodes: [{ name: "n1" }], pods: [{ name: "c", node: "n1" }], services: [{ name: "empty", clusterIP: "10.96.0.60", selector: { app: "none" }, ports: ["80"] }], settings: CILIUM("vxlan", "iptables") }, { from: "c", to: "10.96.0.60:80" });
    expect(t.verdict).toBe("rejected");
    expect(t.replyVerdict).toBe("delivered");
    expect(shape(t, "error")).toEqual(["n1 veth/xmit", "default/c pod/deliver"]);
    expect(t.hops.at(-1)!.packet).toMatchObject({ src: "10.96.0.60", icmp: { type: 3, code: 3 } });
  });

  it("a pod reaching itself through its Service: the source becomes the service loopback address 169.254.42.1, restored on the way back", async () => {
    const input = { nodes: [{ name: "n1" }], pods: [{ name: "s", node: "n1", labels: { app: "s" }, ports: ["8080"] }], services: [{ name: "svc", clusterIP: "10.96.0.70", selector: { app: "s" }, ports: ["80:8080"] }], settings: CILIUM("vxlan", "iptables") };
    const t = await trace(input, { from: "s", to: "10.96.0.70:80" });
    expect(t.replyVerdict).toBe("delivered");
    const dnat = t.hops.find((h) => h.action === "dnat")!;
    expect(dnat.packet.src).toBe("169.254.42.1");
    expect(dnat.text).toContain("since that is the client itself, the source becomes the service loopback address 169.254.42.1");
    const last = t.hops.at(-1)!;
    expect(`${last.packet.src}:${last.packet.sport}`).toBe("10.96.0.70:80");
    expect(last.packet.dst).toBe(loadModel(input).model.pods[0]!.ip);
    // With the socket LB the pod simply connects to itself: the packet never leaves its namespace.
    const s = await trace({ ...input, settings: CILIUM("vxlan") }, { from: "s", to: "10.96.0.70:80" });
    expect(shape(s)).toEqual(["default/s socket/socket-lb cil_sock4_connect", "default/s pod/deliver"]);
  });
});

// ---- Wasm vs reference --------------------------------------------------------------------------

const clusterSpec = fc.record({
  seed: fc.integer({ min: 1, max: 1e6 }),
  nodes: fc.integer({ min: 1, max: 4 }),
  perNode: fc.integer({ min: 1, max: 6 }),
  services: fc.integer({ min: 0, max: 6 }),
  affinity: fc.boolean(),
  mode: fc.constantFrom("vxlan" as const, "native" as const),
  kubeProxy: fc.constantFrom("ebpf", "ebpf", "iptables", "nftables", "ipvs"),
  hostClient: fc.boolean(),
});

async function setup(spec: { seed: number; nodes: number; perNode: number; services: number; affinity: boolean; mode: "vxlan" | "native"; kubeProxy: string; hostClient: boolean }) {
  const { model } = loadModel({ generate: { seed: spec.seed, nodes: spec.nodes, pods: spec.nodes * spec.perNode + spec.services * 3 + 2, services: spec.services, endpointsPerService: { min: 0, max: 3 }, settings: CILIUM(spec.mode, spec.kubeProxy) } });
  if (spec.affinity) for (const s of model.services) if (s.name.startsWith("svc-")) Object.assign(s, { sessionAffinity: "ClientIP", sessionAffinityTimeout: 10800 });
  // A host-network client: its packets leave through cilium_host (cil_from_host).
  if (spec.hostClient) model.pods.push({ ...model.pods[0]!, name: "host-client", hostNetwork: true, ip: model.nodes[0]!.internalIP });
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
  const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
  const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
  return { model, dp, ref, cluster };
}

function targets(c: LoadedCluster): string[] {
  const out: string[] = [];
  for (const s of c.model.services) if (s.clusterIP && s.clusterIP !== "None") for (const p of s.ports) out.push(`${s.clusterIP}:${p.port}`);
  out.push(...c.model.pods.map((p) => `${p.namespace}/${p.name}`));
  out.push(...c.model.nodes.map((n) => `${n.cilium!.routerIP}:80`), `${c.model.nodes[0]!.internalIP}:22`);
  out.push("10.244.0.250:80", "10.244.1.1:80", "10.96.200.1:80", "192.168.1.200:22", "8.8.8.8:53");
  return out;
}

describe("Cilium: Wasm dataplane vs TypeScript reference", () => {
  it("agree hop for hop on random Cilium clusters (VXLAN, native; ebpf, iptables, nftables, ipvs) and flows", async () => {
    // What the runs exercised (component/action/program of every Wasm hop): the comparison means little without it.
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, 2)), { minLength: 1, maxLength: 12 }), async (spec, flows) => {
        const { model, dp, ref, cluster } = await setup(spec);
        const pods = model.pods;
        const all = targets(cluster);
        dp.resetState();
        ref.resetState();
        let previous: [number, number] | undefined;
        for (const [a0, b0, seed, fresh, again, udp] of flows) {
          const [a, b] = again && previous ? previous : [a0, b0];
          previous = [a, b];
          const from = pods[a % pods.length]!;
          const r0 = resolveAny(cluster, { from: `${from.namespace}/${from.name}`, to: all[b % all.length]! });
          if (isNamed(r0)) throw new Error("unexpected DNS name");
          // Some flows as UDP, connected (glibc's resolver) or not (sendto).
          const r = udp ? { ...r0, protocol: "UDP" as const } : r0;
          if (fresh && !(again && previous)) {
            dp.resetState();
            ref.resetState();
          }
          dp.setSeed(seed);
          ref.setSeed(seed);
          const p = packetFor(r, ephemeralPort(seed));
          const packet = udp === 2 ? { ...p, flags: p.flags | A.PF_CONNECTED } : p;
          const w = dp.exchange(packet, r.netns, true, true);
          const t = ref.exchange(packet, r.netns, true, true);
          expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
          expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
          const words = A.T_BYTES / 4;
          for (let h = 0; h < w.hopCount; h++) seen.add(`${w.hops[h * words + A.T_COMPONENT / 4]}/${w.hops[h * words + A.T_ACTION / 4]}/${w.hops[h * words + A.T_EXTRA / 4]! & 255}`);
        }
      }),
      { numRuns: 60, seed: 20261127 },
    );
    const expected = [
      [A.K_SOCK_LB, A.A_SOCK_LB, A.PROG_SOCK_CONNECT], [A.K_SOCK_LB, A.A_SOCK_LB, A.PROG_SOCK_SENDMSG], [A.K_SOCK_LB, A.A_SOCK_LB, A.PROG_SOCK_RECVMSG],
      [A.K_BPF, A.A_REDIRECT, A.PROG_FROM_CONTAINER], [A.K_BPF, A.A_REDIRECT, A.PROG_FROM_OVERLAY], [A.K_BPF, A.A_REDIRECT, A.PROG_FROM_NETDEV], [A.K_BPF, A.A_REDIRECT, A.PROG_FROM_HOST],
      [A.K_BPF, A.A_TO_STACK, A.PROG_FROM_CONTAINER], [A.K_VXLAN, A.A_ENCAP, A.PROG_FROM_CONTAINER], [A.K_VXLAN, A.A_ENCAP, A.PROG_FROM_HOST],
      [A.K_BPF, A.A_DNAT, A.PROG_FROM_CONTAINER], [A.K_BPF, A.A_UNNAT, A.PROG_FROM_CONTAINER], [A.K_BPF, A.A_UNNAT, A.PROG_FROM_OVERLAY], [A.K_BPF, A.A_REJECT, A.PROG_FROM_CONTAINER],
    ].map((x) => x.join("/"));
    expect(expected.filter((x) => !seen.has(x))).toEqual([]);
  });

  it("agree on batch counters and drop reasons (connected sockets and Cilium's conntrack kept across packets)", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), async (spec, packets, seed) => {
        const { model, dp, ref, cluster } = await setup(spec);
        const all = targets(cluster);
        const words: number[] = [];
        model.pods.forEach((p, i) => {
          const r = resolveAny(cluster, { from: `${p.namespace}/${p.name}`, to: all[(i * 7 + seed) % all.length]! });
          if (isNamed(r)) throw new Error("unexpected DNS name");
          words.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i, r.dport, r.protocol === "UDP" || i % 3 === 0 ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919) >>> 0);
        });
        dp.resetState();
        ref.resetState();
        dp.runFlows(flowRecords(words, packets));
        ref.runFlows(flowRecords(words, packets));
        expect(dp.counters()).toEqual(ref.counters);
        for (let reason = 0; reason < 16; reason++) expect(dp.dropCount(reason)).toBe(ref.drops[reason]);
        expect(new Map([...dp.nodePairs()].sort())).toEqual(new Map([...ref.nodePairs].sort()));
      }),
      { numRuns: 30, seed: 12 },
    );
  });
});

// ---- NetworkPolicy: Wasm vs reference ----------------------------------------------------------

/** The shared policy cluster (policy-cluster.ts) on Cilium. Host-network pods reach pods as host (1) on their node, remote-node (6) elsewhere. */
const POLICY_CLUSTER = (mode: "vxlan" | "native", kubeProxy: string) => ({
  ...POLICY_RESOURCES,
  settings: { ...CILIUM(mode, kubeProxy), coreDNSReplicas: 0 },
});

async function policySetup(mode: "vxlan" | "native", kubeProxy: string) {
  const { model } = loadModel(POLICY_CLUSTER(mode, kubeProxy));
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const policy = ciliumPolicy(model, net)!;
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs, policy), DEFAULT_CAPACITIES);
  const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack, policy);
  const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
  // Targets: every pod on the ports the policies name (and some they do not), the Services, the
  // nodes and their cilium_host, addresses outside the cluster inside and outside the ipBlock.
  const targets: string[] = [];
  for (const p of model.pods) for (const port of [80, 8080, 9090, 5432, 7000, 7100, 7101, 22]) targets.push(`${p.ip}:${port}`);
  for (const s of model.services) for (const sp of s.ports) targets.push(`${s.clusterIP}:${sp.port}`);
  for (const n of model.nodes) targets.push(`${n.internalIP}:10250`, `${n.cilium!.routerIP}:80`);
  targets.push("8.8.8.8:53", "8.8.8.200:53", "1.1.1.1:53");
  return { model, dp, ref, cluster, policy, targets };
}

type PolicySetup = Awaited<ReturnType<typeof policySetup>>;

/** One exchange (request and reply) on both dataplanes, compared hop for hop; the Wasm's result. */
function both(s: PolicySetup, from: string, to: string, opts: { seed?: number; udp?: boolean; sport?: number; flags?: number } = {}) {
  const r0 = resolveAny(s.cluster, { from, to });
  if (isNamed(r0)) throw new Error("unexpected DNS name");
  const r = opts.udp ? { ...r0, protocol: "UDP" as const } : r0;
  const seed = opts.seed ?? 1;
  s.dp.setSeed(seed);
  s.ref.setSeed(seed);
  const p = packetFor(r, opts.sport ?? ephemeralPort(seed));
  const packet = opts.flags === undefined ? p : { ...p, flags: opts.flags };
  const w = s.dp.exchange(packet, r.netns, true, true);
  const t = s.ref.exchange(packet, r.netns, true, true);
  expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }, `${from} → ${to}`).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
  expect(Array.from(w.hops), `${from} → ${to}`).toEqual(Array.from(t.hops));
  const W = A.T_BYTES / 4;
  const hops = Array.from({ length: w.hopCount }, (_, h) => ({
    phase: w.hops[h * W + A.T_PHASE / 4]!,
    component: w.hops[h * W + A.T_COMPONENT / 4]!,
    action: w.hops[h * W + A.T_ACTION / 4]!,
    reason: w.hops[h * W + A.T_REASON / 4]!,
    decider: w.hops[h * W + A.T_DECIDER / 4]!,
    arg: w.hops[h * W + A.T_ARG / 4]!,
    extra: w.hops[h * W + A.T_EXTRA / 4]!,
  }));
  return { verdict: w.verdict, replyVerdict: w.replyVerdict, hops, policyHops: hops.filter((h) => h.component === A.K_POLICY) };
}

/** Counters after single exchanges: the reference fills ctLive at the end of a batch only (runFlows). */
const exchangeCounters = (c: Record<string, number>) => ({ ...c, ctLive: undefined });

const POLICY_MODES = [["vxlan", "ebpf"], ["vxlan", "iptables"], ["native", "ebpf"], ["native", "iptables"]] as const;

describe("Cilium NetworkPolicy: Wasm dataplane vs TypeScript reference", () => {
  it.each(POLICY_MODES)("%s, kube-proxy %s: allowed and denied connections, their replies, and the verdicts the policies call for", async (mode, kubeProxy) => {
    const s = await policySetup(mode, kubeProxy);
    const { model, policy } = s;
    const ip = (ns: string, name: string) => model.pods.find((p) => p.namespace === ns && p.name === name)!.ip;
    const ids = podIdentities(model);
    const svc = (ns: string, name: string) => model.services.find((x) => x.namespace === ns && x.name === name)!.clusterIP;
    const entry = (arg: number) => policy.entries[arg]!;
    s.dp.resetState();
    s.ref.resetState();
    const allowed = (x: ReturnType<typeof both>) => x.policyHops.filter((h) => h.phase === A.PH_REQUEST && h.action === A.A_ALLOW);
    const denied = (x: ReturnType<typeof both>) => x.policyHops.filter((h) => h.action === A.A_DROP);

    // client → web-1 (same node) on its http port: client's egress rule 0, web's ingress rule 0; the reply passes by conntrack.
    let x = both(s, "client", `${ip("default", "web-1")}:80`);
    expect([x.verdict, x.replyVerdict]).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
    expect(allowed(x).map((h) => [entry(h.arg).policy, entry(h.arg).rule, h.extra])).toEqual([["default/client-out", 0, ids.get("default/web-1")], ["default/web-in", 0, ids.get("default/client")]]);
    expect(x.policyHops.filter((h) => h.phase !== A.PH_REQUEST)).toEqual([]);
    // web-2 names its http port 8080: the egress name resolves cluster-wide (80 and 8080), the ingress one to web-2's own.
    x = both(s, "client", `${ip("default", "web-2")}:8080`);
    expect([x.verdict, x.replyVerdict]).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
    x = both(s, "client", `${ip("default", "web-2")}:80`);
    expect(x.verdict).toBe(A.V_DROPPED);
    expect(denied(x).map((h) => [h.reason, h.decider, h.arg, h.extra])).toEqual([[A.X_POLICY_DENIED, A.D_POLICY, A.NONE, ids.get("default/client")]]);
    // Through the web Service (targetPort http): the policy sees the backend.
    for (let seed = 1; seed <= 4; seed++) expect(both(s, "client", `${svc("default", "web")}:80`, { seed }).replyVerdict).toBe(A.V_DELIVERED);
    // client → other: not in client's egress rules (denied at the source, egress).
    x = both(s, "client", `${ip("default", "other")}:80`);
    expect(x.verdict).toBe(A.V_DROPPED);
    expect(denied(x)[0]!.extra).toBe(ids.get("default/other"));
    expect(both(s, "client", `${svc("default", "other")}:80`).verdict).toBe(A.V_DROPPED);
    // other (no egress policy) → web's metrics port: rule 1 of web-in (any peer); its http port: denied at ingress.
    x = both(s, "other", `${ip("default", "web-1")}:9090`);
    expect([x.verdict, x.replyVerdict]).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
    expect(allowed(x).map((h) => (h.arg === A.NONE ? "all" : `${entry(h.arg).policy}#${entry(h.arg).rule}`))).toEqual(["all", "default/web-in#1"]);
    expect(both(s, "other", `${ip("default", "web-1")}:80`).verdict).toBe(A.V_DROPPED);
    // namespaceSelector + podSelector: prod/api reaches db on sql, dev/api does not; client reaches prod (egress rule 2) but db's ingress stops it.
    x = both(s, "prod/api", `${ip("prod", "db")}:5432`);
    expect([x.verdict, x.replyVerdict]).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
    expect(both(s, "prod/api", `${svc("prod", "db")}:5432`).replyVerdict).toBe(A.V_DELIVERED);
    expect(both(s, "dev/api", `${ip("prod", "db")}:5432`).verdict).toBe(A.V_DROPPED);
    expect(both(s, "client", `${ip("prod", "db")}:5432`).verdict).toBe(A.V_DROPPED);
    // A namespace by its kubernetes.io/metadata.name label: default reaches prod/api:8080, dev does not.
    expect(both(s, "client", `${ip("prod", "api")}:8080`).replyVerdict).toBe(A.V_DELIVERED);
    expect(both(s, "client", `${svc("prod", "api")}:80`).replyVerdict).toBe(A.V_DELIVERED);
    expect(both(s, "other", `${svc("prod", "api")}:80`).replyVerdict).toBe(A.V_DELIVERED);
    expect(both(s, "dev/api", `${ip("prod", "api")}:8080`).verdict).toBe(A.V_DROPPED);
    expect(both(s, "client", `${ip("prod", "api")}:80`).verdict).toBe(A.V_DROPPED);
    // endPort: 7000-7100 from the same namespace only.
    expect(both(s, "prod/api", `${ip("prod", "batch")}:7100`).replyVerdict).toBe(A.V_DELIVERED);
    expect(both(s, "prod/api", `${ip("prod", "batch")}:7101`).verdict).toBe(A.V_DROPPED);
    expect(both(s, "other", `${ip("prod", "batch")}:7000`).verdict).toBe(A.V_DROPPED);
    // ipBlock 8.8.8.0/24 except 8.8.8.128/25, UDP 53: allowed (then it leaves the cluster), the excepted half and TCP denied.
    x = both(s, "client", "8.8.8.8:53", { udp: true });
    expect(allowed(x).map((h) => [entry(h.arg).policy, entry(h.arg).rule, h.extra])).toEqual([["default/client-out", 1, A.IDENTITY_WORLD]]);
    expect(x.hops.at(-1)!.reason).not.toBe(A.X_POLICY_DENIED);
    expect(denied(both(s, "client", "8.8.8.200:53", { udp: true }))).toHaveLength(1);
    expect(denied(both(s, "client", "8.8.8.8:53"))).toHaveLength(1);
    expect(denied(both(s, "client", "1.1.1.1:53", { udp: true }))).toHaveLength(1);
    // Default deny egress: locked reaches nothing, not even its node; default deny ingress: prod/db from hn3 (remote-node or host).
    for (const to of [`${ip("default", "web-1")}:9090`, `${model.nodes[2]!.internalIP}:10250`, "8.8.8.8:53"]) expect(both(s, "locked", to).verdict).toBe(A.V_DROPPED);
    // Host-network pods: the local host is always allowed in (allow-localhost), a remote node only by a rule for any peer.
    x = both(s, "hn1", `${ip("prod", "api")}:8080`);
    expect([x.verdict, x.replyVerdict]).toEqual([A.V_DELIVERED, A.V_DELIVERED]);
    expect(allowed(x).map((h) => [entry(h.arg).identity, h.extra])).toEqual([[A.IDENTITY_HOST, A.IDENTITY_HOST]]);
    x = both(s, "hn3", `${ip("prod", "api")}:8080`);
    expect(denied(x).map((h) => h.extra)).toEqual([A.IDENTITY_REMOTE_NODE]);
    expect(both(s, "hn3", `${ip("default", "web-1")}:9090`).replyVerdict).toBe(A.V_DELIVERED);
    // A later packet of an allowed connection (same ports, ACK) passes without a lookup; a reply from the server's side, too.
    const later = both(s, "client", `${ip("default", "web-1")}:80`, { sport: 40000 });
    expect(allowed(later)).toHaveLength(2);
    expect(both(s, "client", `${ip("default", "web-1")}:80`, { sport: 40000, flags: A.PF_ACK | A.PF_DF }).policyHops).toEqual([]);
    // The counters agree, Policy denied among the drop reasons.
    expect(exchangeCounters(s.dp.counters())).toEqual(exchangeCounters(s.ref.counters));
    for (let reason = 0; reason < A.X_REASONS; reason++) expect(s.dp.dropCount(reason), `reason ${reason}`).toBe(s.ref.drops[reason]);
    expect(s.dp.dropCount(A.X_POLICY_DENIED)).toBeGreaterThan(10);
  });

  it("agree hop for hop on random flows (VXLAN, native; ebpf, iptables, nftables, ipvs), connections kept across flows", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("vxlan" as const, "native" as const),
        fc.constantFrom("ebpf", "ebpf", "iptables", "nftables", "ipvs"),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), fc.constantFrom(0, 0, 1, 2), fc.boolean()), { minLength: 1, maxLength: 24 }),
        async (mode, kubeProxy, flows) => {
          const s = await policySetup(mode, kubeProxy);
          const pods = s.model.pods;
          s.dp.resetState();
          s.ref.resetState();
          let previous: [number, number, number] | undefined;
          for (const [a0, b0, seed0, fresh, udp, again] of flows) {
            // Some flows repeat the one before (same ports): later packets of a connection.
            const [a, b, seed] = again && previous ? previous : [a0, b0, seed0];
            previous = [a, b, seed];
            if (fresh && !again) {
              s.dp.resetState();
              s.ref.resetState();
            }
            const from = pods[a % pods.length]!;
            const r0 = resolveAny(s.cluster, { from: `${from.namespace}/${from.name}`, to: s.targets[b % s.targets.length]! });
            if (isNamed(r0)) throw new Error("unexpected DNS name");
            const r = udp ? { ...r0, protocol: "UDP" as const } : r0;
            s.dp.setSeed(seed);
            s.ref.setSeed(seed);
            const p = packetFor(r, ephemeralPort(seed));
            const packet = udp === 2 ? { ...p, flags: p.flags | A.PF_CONNECTED } : again ? { ...p, flags: A.PF_ACK | A.PF_DF } : p;
            const w = s.dp.exchange(packet, r.netns, true, true);
            const t = s.ref.exchange(packet, r.netns, true, true);
            expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }).toEqual({ v: t.verdict, r: t.replyVerdict, n: t.hopCount });
            expect(Array.from(w.hops)).toEqual(Array.from(t.hops));
            const W = A.T_BYTES / 4;
            for (let h = 0; h < w.hopCount; h++) {
              if (w.hops[h * W + A.T_COMPONENT / 4] !== A.K_POLICY) continue;
              const extra = w.hops[h * W + A.T_EXTRA / 4]!;
              seen.add(`${w.hops[h * W + A.T_ACTION / 4]}/${w.hops[h * W + A.T_ARG / 4] === A.NONE ? "none" : "entry"}/${extra >= 256 ? "pod" : extra}`);
            }
          }
          expect(exchangeCounters(s.dp.counters())).toEqual(exchangeCounters(s.ref.counters));
          for (let reason = 0; reason < A.X_REASONS; reason++) expect(s.dp.dropCount(reason)).toBe(s.ref.drops[reason]);
        },
      ),
      { numRuns: 40, seed: 20261128 },
    );
    // Allowed by an entry and by a direction no policy enforces, denied; pods, the world, host and
    // remote-node as the remote identity (the ipBlock entry: in the test above).
    const expected = [`${A.A_ALLOW}/entry/pod`, `${A.A_ALLOW}/none/pod`, `${A.A_ALLOW}/none/${A.IDENTITY_WORLD}`, `${A.A_ALLOW}/entry/${A.IDENTITY_HOST}`, `${A.A_DROP}/none/pod`, `${A.A_DROP}/none/${A.IDENTITY_WORLD}`, `${A.A_DROP}/none/${A.IDENTITY_REMOTE_NODE}`];
    expect(expected.filter((x) => !seen.has(x))).toEqual([]);
  });

  it("agree on batch counters and drop reasons (Policy denied counted once per denied packet)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("vxlan" as const, "native" as const), fc.constantFrom("ebpf", "iptables", "ipvs"), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), async (mode, kubeProxy, packets, seed) => {
        const s = await policySetup(mode, kubeProxy);
        const words: number[] = [];
        s.model.pods.forEach((p, i) => {
          for (let k = 0; k < 6; k++) {
            const r = resolveAny(s.cluster, { from: `${p.namespace}/${p.name}`, to: s.targets[(i * 13 + k * 7 + seed) % s.targets.length]! });
            if (isNamed(r)) throw new Error("unexpected DNS name");
            words.push(r.netns, parseIPv4(p.ip, "ip"), r.dst, 32768 + i * 8 + k, r.dport, k % 3 === 0 ? A.PROTO_UDP : A.PROTO_TCP, 60, (seed + i * 7919 + k) >>> 0);
          }
        });
        s.dp.resetState();
        s.ref.resetState();
        s.dp.runFlows(flowRecords(words, packets));
        s.ref.runFlows(flowRecords(words, packets));
        expect(s.dp.counters()).toEqual(s.ref.counters);
        for (let reason = 0; reason < A.X_REASONS; reason++) expect(s.dp.dropCount(reason)).toBe(s.ref.drops[reason]);
        expect(new Map([...s.dp.nodePairs()].sort())).toEqual(new Map([...s.ref.nodePairs].sort()));
      }),
      { numRuns: 20, seed: 28 },
    );
  });
});

describe("Cilium: what the tools print", () => {
  it("cilium-dbg service list: ID, Frontend, Service Type, Backend through Go's tabwriter (minwidth 5, padding 3, every cell padded), one frontend per port and protocol", async () => {
    await engine.load({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const { model } = loadModel({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const dns = model.pods.filter((p) => p.name.startsWith("coredns")).map((p) => p.ip).sort();
    const out = (await engine.show({ command: "cilium-dbg service list" })).stdout;
    const lines = out.split("\n");
    expect(lines[0]).toBe("ID   Frontend              Service Type   Backend                               ");
    expect(lines[1]).toBe("1    10.96.0.1:443/TCP     ClusterIP      1 => 192.168.1.2:6443/TCP (active)    ");
    expect(lines[2]).toBe(`2    10.96.0.10:53/UDP     ClusterIP      ${`1 => ${dns[0]}:53/UDP (active)`.padEnd(38)}`);
    expect(lines[3]).toBe(`                                          ${`2 => ${dns[1]}:53/UDP (active)`.padEnd(38)}`);
    expect(out).toContain("\n5    10.96.0.20:80/TCP     ClusterIP      1 => 10.244.0.15:8080/TCP (active)    \n                                          2 => 10.244.0.16:8080/TCP (active)    \n                                          3 => 10.244.0.17:8080/TCP (active)    \n");
    expect((await engine.show({ command: "cilium-dbg service get 5" })).stdout).toBe(
      "ID   Frontend            Service Type   Backend                              \n5    10.96.0.20:80/TCP   ClusterIP      1 => 10.244.0.15:8080/TCP (active)   \n                                        2 => 10.244.0.16:8080/TCP (active)   \n                                        3 => 10.244.0.17:8080/TCP (active)   \n",
    );
    await expect(engine.show({ command: "cilium-dbg service get 99" })).rejects.toMatchObject({ code: "not-found" });
  });

  it("ip link and ip addr: cilium_net/cilium_host (a NOARP veth pair named after each other, the router /32 on cilium_host), cilium_vxlan, the lxc veths; no cni0", async () => {
    await engine.load({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const { model } = loadModel({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    const links = (await engine.show({ command: "ip link" })).stdout;
    expect(links).toMatch(/^3: cilium_net@cilium_host: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link\/ether [0-9a-f:]{17} brd ff:ff:ff:ff:ff:ff\n4: cilium_host@cilium_net: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 /m);
    expect(links).toMatch(/^5: cilium_vxlan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN /m);
    // Each pair is made on the node: its temporary peer takes an index first and keeps it in the pod as eth0.
    expect(links).toContain(`7: ${lxcName("default", "client")}@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n`);
    expect((await engine.show({ command: "ip link", pod: "client" })).stdout).toMatch(/\n6: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 .*\n.* link-netnsid 0\n$/);
    expect(links).not.toMatch(/cni0|flannel|veth/);
    expect((await engine.show({ command: "ip addr" })).stdout).toContain(`    inet ${model.nodes[0]!.cilium!.routerIP}/32 scope global cilium_host\n`);
    expect((await engine.show({ command: "ip addr", pod: "client" })).stdout).toContain("    inet 10.244.0.10/32 scope global eth0\n");
    expect((await engine.show({ command: "ip -d link show cilium_vxlan" })).stdout).toMatch(/\n    vxlan external id 0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx /);
    // The pod's gateway, answered by the lxc's ARP responder with its MAC.
    const lxc = compileNetwork(model).ifaces.find((f) => f.name === lxcName("default", "client"))!;
    expect((await engine.show({ command: "ip neigh", pod: "client" })).stdout).toBe(`${model.nodes[0]!.cilium!.routerIP} dev eth0 lladdr ${lxc.mac} REACHABLE\n`);
  });

  it("iptables-save is refused on Cilium (its own CILIUM_* chains are not simulated), saying that ebpf mode has no KUBE-* chain; there is no kube-proxy to ask for logs", async () => {
    await engine.load({ scenario: "pod-to-service", settings: CILIUM("vxlan") });
    await expect(engine.show({ command: "iptables-save -t nat" })).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/CILIUM_\*|CILIUM_INPUT.*not simulated; kube-proxy is replaced \(kube-proxy mode ebpf\), so no KUBE-\* chain exists/) });
    await expect(engine.show({ command: "kubectl logs -n kube-system kube-proxy" })).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/no kube-proxy in this cluster/) });
    await expect(engine.show({ command: "cat /run/flannel/subnet.env" })).resolves.toEqual({ stdout: "", stderr: "cat: /run/flannel/subnet.env: No such file or directory\n" });
    await engine.load({ scenario: "pod-to-service" });
    await expect(engine.show({ command: "cilium-dbg service list" })).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/CNI is flannel/) });
  });
});

