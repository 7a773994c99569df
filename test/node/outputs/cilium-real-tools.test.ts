// A Cilium node and its pods rebuilt with the real iproute2 in network namespaces, the way
// their owners make them, then dumped: the dump must equal what we print, byte for byte.
//   cilium-agent (pkg/datapath/loader setupBaseDevice, setupTunnelDevice): the veth pair
//     cilium_host/cilium_net with ARP off, the router address as a /32 on cilium_host, the
//     flow-based cilium_vxlan (`external`, dstport 8472, no learning); pkg/datapath/linux
//     node.go: the routes to the node's own and the other nodes' pod CIDRs via the router
//     address on cilium_host, proto kernel, `mtu 1450` on the tunnelled ones; native routing
//     (auto-direct-node-routes) the other nodes' CIDRs via their node IPs.
//   the CNI plugin (plugins/cilium-cni, pkg/datapath/connector): per pod a veth pair made in
//     the node's namespace, lxc<hash> and a temporary peer that moves into the pod and becomes
//     eth0 with the pod's /32, the route to the router address and the default via it.
// What cannot be proven here: anything eBPF — no cilium-agent runs, so no program is attached
// (cil_from_container, cil_sock4_connect, …), no BPF map exists and `cilium-dbg` cannot run;
// the socket LB, the tunnel key's VNI and the ARP responder are modelled from bpf/*.c.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../../src/compile/routes.js";
import { missingTools, netnsFactory } from "./netns.js";
import { sandboxId } from "../../../src/compile/cilium.js";
import { compileNetwork, type CompiledNetwork, type NetnsInfo } from "../../../src/compile/network.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { formatIPv4 } from "../../../src/net/ipv4.js";
import { formatRoute, ipRouteShow } from "../../../src/outputs/ip-route.js";
import { ipAddrShow, ipDetailLinkShow, ipLinkShow, netnsName } from "../../../src/outputs/links.js";

const missing = missingTools({ ip: "iproute2" });
if (missing.length) console.warn(`Cilium real-tool tests skipped: this machine lacks ${missing.join(", ")}`);
else console.warn("Cilium real-tool tests: devices, addresses and routes are proven with the real iproute2; the eBPF programs, BPF maps, socket LB and cilium-dbg cannot be (no cilium-agent here) and are modelled from Cilium's source");

// No duplicate address detection: the link-local addresses are settled at once, as on a node that has been up a while.
const { netns, ipn } = netnsFactory("knfcil", (name) => execFileSync("ip", ["netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"]));

const CILIUM = (mode: string) => ({ cni: { plugin: "cilium", mode }, kubeProxy: { mode: "ebpf" } });
const CLUSTERS: Array<[string, ModelInput]> = ["vxlan", "native"].flatMap((mode): Array<[string, ModelInput]> => [
  [`cross-node, Cilium ${mode}`, { scenario: "cross-node", settings: CILIUM(mode) }],
  [`pod-to-service, Cilium ${mode}`, { scenario: "pod-to-service", settings: CILIUM(mode) }],
  [`generated 6 nodes / 60 pods, Cilium ${mode}`, { generate: { seed: 11, nodes: 6, pods: 60, services: 6, settings: CILIUM(mode) } }],
]);

interface Built {
  host: string;
  /** Our pod namespace id → the namespace made for it here. */
  pods: Map<number, string>;
}

/** Builds node 0's namespace and its pods' as cilium-agent and the Cilium CNI plugin would. */
function build(net: CompiledNetwork): Built {
  const node = net.nodes[0]!;
  const hostNs = net.netns[node.host]!;
  const iface = (id: number) => net.ifaces[id]!;
  const eth = iface(node.eth);
  const n = netns();
  const underlay = netns();
  ipn(n, "link", "set", "lo", "up");
  ipn(n, "link", "add", "eth0", "type", "veth", "peer", "name", "wire", "netns", underlay);
  ipn(underlay, "link", "set", "wire", "up");
  ipn(n, "addr", "add", `${formatIPv4(eth.addr!)}/${eth.prefixLength}`, "dev", "eth0");
  ipn(n, "link", "set", "eth0", "up");
  // setupBaseDevice: netlink.Veth{Name: cilium_host, PeerName: cilium_net}, both ARP off, up.
  const host = iface(node.ciliumHost!);
  const cnet = iface(host.peer!);
  ipn(n, "link", "add", host.name, "address", host.mac, "mtu", String(host.mtu), "type", "veth", "peer", "name", cnet.name, "address", cnet.mac, "mtu", String(cnet.mtu));
  for (const d of [host, cnet]) ipn(n, "link", "set", d.name, "arp", "off", "up");
  ipn(n, "addr", "add", `${formatIPv4(host.addr!)}/32`, "dev", host.name);
  if (node.vxlan !== undefined) {
    const vx = iface(node.vxlan);
    // netlink.Vxlan{FlowBased: true, Port: 8472}: collect_metadata, learning off, no VNI, no local address.
    ipn(n, "link", "add", vx.name, "address", vx.mac, "mtu", String(vx.mtu), "type", "vxlan", "external", "dstport", String(vx.port), "nolearning");
    ipn(n, "link", "set", vx.name, "up");
  }
  // The CNI plugin, pod by pod: the pair in the node's namespace, the peer into the pod as eth0.
  const pods = new Map<number, string>();
  for (const lxc of net.ifaces.filter((f) => f.netns === node.host && f.bpf === "lxc")) {
    const podEnd = iface(lxc.peer!);
    const p = netns();
    pods.set(podEnd.netns, p);
    // Endpoint2TempIfName: "tmp" + the endpoint ID's first 5 characters (the container ID's).
    const pod = net.netns[podEnd.netns]!.pod!;
    const tmp = `tmp${sandboxId(pod.namespace, pod.name).slice(0, 5)}`;
    ipn(n, "link", "add", lxc.name, "address", lxc.mac, "mtu", String(lxc.mtu), "type", "veth", "peer", "name", tmp, "address", podEnd.mac, "mtu", String(podEnd.mtu));
    ipn(n, "link", "set", lxc.name, "up");
    ipn(n, "link", "set", tmp, "netns", p);
    ipn(p, "link", "set", tmp, "name", "eth0");
    ipn(p, "link", "set", "lo", "up");
    ipn(p, "addr", "add", `${formatIPv4(podEnd.addr!)}/32`, "dev", "eth0");
    ipn(p, "link", "set", "eth0", "up");
    // IPv4Routes: the router's /32 first (the default route's gateway needs it), then the default.
    for (const r of [...net.netns[podEnd.netns]!.routes].sort((a, b) => Number(!a.scopeLink) - Number(!b.scopeLink))) ipn(p, "route", "add", ...formatRoute(r).split(" "));
  }
  // The agent's routes (the route to the router address first: the others go through it).
  const own = allRoutes(hostNs).filter((r) => !r.connected).sort((a, b) => Number(!a.scopeLink) - Number(!b.scopeLink));
  for (const r of own) ipn(n, "route", "add", ...formatRoute(r).split(" "));
  return { host: n, pods };
}

/** Their `link-netns` names are ours: the namespaces made here stand for the pods'. */
function renameNetns(text: string, net: CompiledNetwork, built: Built): string {
  let out = text;
  for (const [id, name] of built.pods) out = out.replaceAll(`link-netns ${name}`, `link-netns ${netnsName(net.netns[id]!)}`);
  return out;
}

/** `ip link`/`ip addr` blocks by device, without lo and eth0 (a veth here, a NIC in the model). */
function blocks(text: string): string[] {
  return text
    .split(/\n(?=\d+: )/)
    .map((b) => b.trimEnd())
    .filter((b) => !/^\d+: (lo|eth0)[:@]/.test(b));
}

describe.skipIf(missing.length > 0)("Cilium with the real iproute2", () => {
  it.each(CLUSTERS)("a node's and its pods' routes, added as cilium-agent and the CNI plugin add them, dump as our ip route: %s", (_name, input) => {
    const { model } = loadModel(input);
    const net = compileNetwork(model);
    const built = build(net);
    expect(ipn(built.host, "route", "show")).toBe(ipRouteShow(net.netns[net.nodes[0]!.host]!));
    expect(built.pods.size).toBeGreaterThan(0);
    for (const [id, p] of built.pods) expect(ipn(p, "route", "show")).toBe(ipRouteShow(net.netns[id]!));
  });

  it.each(CLUSTERS)("ip link and ip addr — ifindexes, @peers, NOARP, MACs, MTUs, the /32s, link-local addresses — are ours: %s", (_name, input) => {
    const { model } = loadModel(input);
    const net = compileNetwork(model);
    const built = build(net);
    const hostNs = net.netns[net.nodes[0]!.host]!;
    expect(blocks(renameNetns(ipn(built.host, "link", "show"), net, built))).toEqual(blocks(ipLinkShow(net, hostNs)));
    expect(blocks(renameNetns(ipn(built.host, "addr", "show"), net, built))).toEqual(blocks(ipAddrShow(net, hostNs)));
    for (const [id, p] of built.pods) {
      const podNs: NetnsInfo = net.netns[id]!;
      // The whole of the pod's view: lo, and eth0 with the index its peer had on the node. The
      // node's namespace is named here, so iproute2 names it; a real node's is the unnamed initial one.
      const fromPod = (text: string) => text.replaceAll(`link-netns ${built.host}`, "link-netnsid 0");
      expect(fromPod(ipn(p, "addr", "show"))).toBe(ipAddrShow(net, podNs));
      expect(fromPod(ipn(p, "link", "show"))).toBe(ipLinkShow(net, podNs));
    }
  });

  it("cilium_vxlan: ip -d link shows what we print, header included", () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CILIUM("vxlan") });
    const net = compileNetwork(model);
    const built = build(net);
    expect(ipn(built.host, "-d", "link", "show", "cilium_vxlan")).toBe(ipDetailLinkShow(net, net.netns[net.nodes[0]!.host]!, "cilium_vxlan"));
    // Flow-based: no forwarding database entries (each packet's tunnel key names the remote node).
    expect(execFileSync("bridge", ["-n", built.host, "fdb", "show", "dev", "cilium_vxlan"], { encoding: "utf8" })).toBe("");
  });
});
