// Calico's node and pod tables rebuilt with the real iproute2 in network namespaces, the way
// their owners add them (the CNI plugin: the pod's /32, its link-scope route to 169.254.1.1
// and the default via it, the host's /32 route per pod on its cali veth; BIRD: blackholes
// and peer blocks with proto bird, tunl0's onlink; Felix: vxlan.calico, its onlink routes
// and proto 80 blackholes), then dumped: the dump must equal what we print, byte for byte.
// This kernel may lack the ipip module: tunl0 is then stood in for by a veth of that name
// (route lines do not depend on the device's type) and the test says so.
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../../src/compile/routes.js";
import { createEngine } from "../../../src/index.js";
import { missingTools, netnsFactory } from "./netns.js";
import { compileNetwork, type CompiledNetwork } from "../../../src/compile/network.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { formatIPv4 } from "../../../src/net/ipv4.js";
import { formatRoute, ipRouteShow } from "../../../src/outputs/ip-route.js";
import { ipDetailLinkShow } from "../../../src/outputs/links.js";

const missing = missingTools({ ip: "iproute2" });
if (missing.length) console.warn(`Calico real-tool tests skipped: this machine lacks ${missing.join(", ")}`);

const { netns, ipn } = netnsFactory("knfc");

/** Can this kernel make IP-in-IP devices (the ipip module)? */
function ipipAvailable(): boolean {
  if (missing.length) return false;
  const ns = netns();
  return spawnSync("ip", ["-n", ns, "link", "add", "probe", "type", "ipip"]).status === 0;
}

const CALICO = (mode: string) => ({ cni: { plugin: "calico", mode } });
const CLUSTERS: Array<[string, ModelInput]> = ["ipip", "vxlan", "bgp"].flatMap((mode): Array<[string, ModelInput]> => [
  [`cross-node, Calico ${mode}`, { scenario: "cross-node", settings: CALICO(mode) }],
  [`generated 8 nodes / 200 pods, Calico ${mode}`, { generate: { seed: 7, nodes: 8, pods: 200, services: 10, settings: CALICO(mode) } }],
]);

/** Builds node 0's host namespace and one of its pods as Calico would, returns both namespaces. */
function build(net: CompiledNetwork, tunl0IsIpip: boolean): { host: string; pod: string } {
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
  const tunnel = node.vxlan === undefined ? undefined : iface(node.vxlan);
  if (tunnel?.kind === "vxlan") {
    // Felix's vxlan.calico: VNI, port, parent eth0 and source address, its MAC; learning off.
    ipn(n, "link", "add", "vxlan.calico", "address", tunnel.mac, "type", "vxlan", "id", String(tunnel.vni), "local", formatIPv4(eth.addr!), "dev", "eth0", "dstport", String(tunnel.port), "nolearning");
    ipn(n, "link", "set", "vxlan.calico", "mtu", String(tunnel.mtu), "up");
  } else if (tunnel?.kind === "ipip") {
    if (tunl0IsIpip) {
      // Loading ipip creates the fallback tunl0 in every namespace; Felix sets its MTU and brings it up.
      spawnSync("ip", ["-n", n, "link", "add", "probe", "type", "ipip"]);
    } else {
      ipn(n, "link", "add", "tunl0", "type", "veth", "peer", "name", "tunl0peer");
      ipn(n, "link", "set", "tunl0peer", "up"); // carrier, as a real tunl0 always has
    }
    ipn(n, "link", "set", "tunl0", "mtu", String(tunnel.mtu), "up");
  }
  if (tunnel?.addr !== undefined) ipn(n, "addr", "add", `${formatIPv4(tunnel.addr)}/32`, "dev", tunnel.name);
  // Every local pod's host veth (the other ends left in this namespace, up so the links are).
  let podNs: string | undefined;
  for (const f of net.ifaces.filter((x) => x.netns === node.host && x.kind === "veth")) {
    const peer = iface(f.peer!);
    if (!podNs) {
      podNs = netns();
      ipn(n, "link", "add", f.name, "type", "veth", "peer", "name", "eth0", "netns", podNs);
      ipn(podNs, "addr", "add", `${formatIPv4(peer.addr!)}/32`, "dev", "eth0");
      ipn(podNs, "link", "set", "eth0", "up");
    } else {
      ipn(n, "link", "add", f.name, "type", "veth", "peer", "name", `p${peer.id}`);
      ipn(n, "link", "set", `p${peer.id}`, "up");
    }
    ipn(n, "link", "set", f.name, "address", f.mac, "up");
  }
  // The routes as their owners add them: each printed line is what `ip route add` takes.
  for (const r of allRoutes(hostNs).filter((r) => !r.connected)) ipn(n, "route", "add", ...formatRoute(r).replace(/ proto bird/, " proto 12").split(" "));
  const firstPod = net.netns.find((x) => x.kind === "pod" && x.node === 0 && net.ifaces.some((f) => f.netns === x.id))!;
  // The CNI plugin adds the link-scope route to 169.254.1.1 first: the default route's gateway needs it.
  for (const r of [...firstPod.routes].sort((a, b) => Number(!a.scopeLink) - Number(!b.scopeLink))) ipn(podNs!, "route", "add", ...formatRoute(r).split(" "));
  return { host: n, pod: podNs! };
}

describe.skipIf(missing.length > 0)("Calico with the real iproute2", () => {
  const ipip = ipipAvailable();
  if (!ipip) console.warn("Calico real-tool tests: this kernel has no ipip module (Error: Unknown device type): tunl0 is stood in for by a veth named tunl0; its `ip -d link` output is modelled from iproute2's iptnl_print_opt, not proven here");

  it.each(CLUSTERS)("a node's and a pod's routes, added as the CNI plugin, BIRD and Felix add them, dump as our ip route: %s", (_name, input) => {
    const { model } = loadModel(input);
    const net = compileNetwork(model);
    const { host, pod } = build(net, ipip);
    const hostNs = net.netns[net.nodes[0]!.host]!;
    expect(ipn(host, "route", "show")).toBe(ipRouteShow(hostNs));
    const firstPod = net.netns.find((x) => x.kind === "pod" && x.node === 0 && net.ifaces.some((f) => f.netns === x.id))!;
    expect(ipn(pod, "route", "show")).toBe(ipRouteShow(firstPod));
    // The pod's address: a /32, so no broadcast and no subnet route.
    expect(ipn(pod, "addr", "show", "dev", "eth0")).toMatch(new RegExp(`\n    inet ${formatIPv4(net.ifaces.find((f) => f.netns === firstPod.id)!.addr!).replace(/\./g, "\\.")}/32 scope global eth0\n`));
  });

  it("vxlan.calico: ip -d link shows what we print (after the header line, whose ifindex differs here)", () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CALICO("vxlan") });
    const net = compileNetwork(model);
    const { host } = build(net, ipip);
    const theirs = ipn(host, "-d", "link", "show", "vxlan.calico").split("\n").slice(1);
    const ours = ipDetailLinkShow(net, net.netns[net.nodes[0]!.host]!, "vxlan.calico").split("\n").slice(1);
    expect(theirs).toEqual(ours);
  });

  it.skipIf(!ipip)("tunl0: ip -d link shows what we print (after the header line)", () => {
    const { model } = loadModel({ scenario: "cross-node", settings: CALICO("ipip") });
    const net = compileNetwork(model);
    const { host } = build(net, true);
    const theirs = ipn(host, "-d", "link", "show", "tunl0").split("\n").slice(1);
    const ours = ipDetailLinkShow(net, net.netns[net.nodes[0]!.host]!, "tunl0").split("\n").slice(1);
    expect(theirs).toEqual(ours);
  });
});

// Felix's filter chains for NetworkPolicies (src/compile/calico-policy.ts), loaded with the real
// iptables-restore into a namespace where the ipsets they name exist (ipset is per network
// namespace), then dumped: iptables prints every rule back as we do, so the syntax and the
// canonical order of matches are iptables' own.
const missingIptables = missingTools({ ip: "iproute2", "iptables-restore": "iptables", ipset: "ipset" });
if (missingIptables.length) console.warn(`Calico policy real-tool test skipped: this machine lacks ${missingIptables.join(", ")}`);

/** Selector and namespace peers, ipBlock with except, named ports, endPort ranges (over multiport's 15 slots), several protocols, egress. */
const POLICIES = `nodes: [{ name: n1 }, { name: n2 }]
namespaces: [shop, { name: ops, labels: { team: ops } }]
pods:
  - { name: web-1, namespace: shop, labels: { app: web }, node: n1, ports: ["http:8080"] }
  - { name: db-1, namespace: shop, labels: { app: db }, node: n2, ports: ["pg:5432", "metrics:9100"] }
  - { name: cache-1, namespace: shop, labels: { app: cache }, node: n2, ports: ["redis:6379", "stats:8125/UDP"] }
  - { name: mon-1, namespace: ops, labels: { app: mon }, node: n1, ports: ["metrics:9100"] }
settings: { cni: { plugin: calico, mode: ipip }, coreDNSReplicas: 0 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db, namespace: shop }
spec:
  podSelector: { matchLabels: { app: db } }
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }]
      ports: [{ protocol: TCP, port: 5432 }, { protocol: UDP, port: 5432 }, { protocol: SCTP, port: 5433 }]
    - from: [{ namespaceSelector: { matchLabels: { team: ops } } }, { namespaceSelector: { matchLabels: { team: ops } }, podSelector: { matchExpressions: [{ key: app, operator: In, values: [mon, probe] }] } }]
      ports: [{ port: metrics }, { port: 9200, endPort: 9300 }]
    - from: [{ ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16] } }, { ipBlock: { cidr: 172.16.0.0/12, except: [172.16.5.0/24] } }]
      ports: [{ port: 8000, endPort: 8010 }, { port: 8020, endPort: 8030 }, { port: 8040, endPort: 8050 }, { port: 8060, endPort: 8070 }, { port: 8080, endPort: 8090 }, { port: 8100, endPort: 8110 }, { port: 8120, endPort: 8130 }, { port: 8140, endPort: 8150 }, { port: 8160 }]
  egress:
    - to: [{ podSelector: { matchLabels: { app: cache } } }]
      ports: [{ port: redis }, { port: 6380 }, { protocol: UDP, port: stats }]
    - to: [{ ipBlock: { cidr: 192.168.0.0/16, except: [192.168.1.0/24] } }]
    - ports: [{ protocol: UDP, port: 53 }, { protocol: TCP, port: 53 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-egress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Egress]
  egress:
    - to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: db } } }]
      ports: [{ port: pg }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: ops }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`;

describe.skipIf(missingIptables.length > 0)("Calico NetworkPolicy chains with the real iptables and ipset", () => {
  it.each(["n1", "n2"])("iptables-restore then iptables-save gives back our filter table, line for line: node %s", async (node) => {
    const e = await createEngine({ host: "inline" });
    let ours: string;
    try {
      await e.load({ text: POLICIES });
      ours = (await e.show({ command: "iptables-save -t filter", node })).stdout;
    } finally {
      await e.dispose();
    }
    // The policy set is rich enough to exercise what it claims (n2 has db-1, n1 has web-1 and mon-1).
    if (node === "n2") {
      expect(ours).toMatch(/--match-set cali40n:\S+ dst,dst/);
      expect(ours).toMatch(/-j MARK --set-xmark 0x40000\/0xc0000/); // match block starting with a negated CIDR
      expect(ours).toMatch(/--dports (\d+:\d+,){6}\d+:\d+ .*\n.*--dports 8140:8150,8160 /); // 15 slots, then the rest
      expect(ours).toMatch(/^-A cali-po-\S+ /m);
      expect(ours).toMatch(/^-A cali-pi-\S+ -p sctp /m);
    }
    const ns = netns();
    const sets = [...new Set([...ours.matchAll(/--match-set (\S+)/g)].map((m) => m[1]!))];
    for (const set of sets) execFileSync("ip", ["netns", "exec", ns, "ipset", "create", set, set.startsWith("cali40n:") ? "hash:ip,port" : "hash:net"]);
    execFileSync("ip", ["netns", "exec", ns, "iptables-restore"], { input: ours });
    const theirs = execFileSync("ip", ["netns", "exec", ns, "iptables-save", "-t", "filter"], { encoding: "utf8" });
    // iptables-save adds "# Generated by…" and "# Completed on…" lines with the date.
    expect(theirs.split("\n").filter((l) => !l.startsWith("#"))).toEqual(ours.split("\n"));
  });
});
