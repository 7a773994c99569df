// kube-proxy in IPVS mode, end to end through the engine: the seed's scenarios traced through
// kube-ipvs0, IPVS's LOCAL_IN translation and its reply un-NAT; the flat cost per new connection
// (iptables' grows with the Services); rejections where IPVS and KUBE-IPVS-FILTER reject; what
// ipvsadm -Ln, ip addr show kube-ipvs0 and iptables-save show.
import { describe, expect, it } from "vitest";
import type { Trace } from "../../../src/index.js";
import { engineFactory, rejection } from "./helpers.js";

const engine = engineFactory();
const IPVS = { kubeProxy: { mode: "ipvs" } };

async function traceIn(input: object, flow: { from: string; to: string; seed?: number }): Promise<Trace> {
  const e = await engine({ host: "inline" });
  await e.load(input as never);
  return e.trace(flow);
}

const shape = (x: Trace) => x.hops.map((h) => `${h.phase} ${h.node} ${h.netns === "host" ? "host" : "pod"} ${h.component}/${h.action}`);

describe("kube-proxy IPVS mode", () => {
  it("pod-to-service: the ClusterIP is on kube-ipvs0, IPVS translates at LOCAL_IN and sends it on (TTL 63), the reply gets the ClusterIP back", async () => {
    const t = await traceIn({ scenario: "pod-to-service", settings: IPVS }, { from: "client", to: "backend-svc:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const request = t.hops.filter((h) => h.phase === "request");
    expect(request.map((h) => `${h.netns === "host" ? "host" : "pod"} ${h.component}/${h.action}`)).toEqual([
      "pod pod/route", "pod veth/xmit", "host netfilter/dnat", "host routing/route", "host bridge/bridge", "host veth/xmit", "pod pod/deliver",
    ]);
    const dnat = request[2]!;
    // A fresh node's rr starts at the list's head: the endpoint kube-proxy added last.
    expect(dnat.text).toMatch(/^IPVS on worker-node-1: virtual server 10\.96\.0\.20:80 \(rr\) → real server 10\.244\.0\.17:8080\. The ClusterIP is an address of kube-ipvs0/);
    expect(dnat.text).toContain("(13 rules and 1 virtual-server lookup evaluated, however many Services there are)");
    expect(dnat.rule).toBe("TCP  10.96.0.20:80 rr\n  -> 10.244.0.17:8080             Masq    1      0          1         ");
    expect(dnat.ruleSource).toBe("ipvsadm -Ln");
    // IPVS's xmit decrements the TTL like forwarding (decrement_ttl).
    expect(request.at(-1)!.packet.ttl).toBe(63);
    const unnat = t.hops.find((h) => h.phase === "reply" && h.action === "unnat")!;
    expect(unnat.component).toBe("netfilter");
    expect(unnat.packet.src).toBe("10.96.0.20");
    expect(unnat.packet.sport).toBe(80);
    expect(unnat.text).toMatch(/^IPVS on worker-node-1 recognises the reply of its connection to 10\.96\.0\.20:80/);
    // The client's ACK made the connection ESTABLISHED: IPVS counts it active.
    const e = await engine({ host: "inline" });
    await e.load({ scenario: "pod-to-service", settings: IPVS } as never);
    await e.trace({ from: "client", to: "10.96.0.20:80" });
    expect((await e.show({ command: "ipvsadm -Ln" })).stdout).toBe(
      "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
        "TCP  10.96.0.1:443 rr\n  -> 192.168.1.2:6443             Masq    1      0          0         \n" +
        "TCP  10.96.0.10:53 rr\n  -> 10.244.0.2:53                Masq    1      0          0         \n  -> 10.244.0.3:53                Masq    1      0          0         \n" +
        "TCP  10.96.0.10:9153 rr\n  -> 10.244.0.2:9153              Masq    1      0          0         \n  -> 10.244.0.3:9153              Masq    1      0          0         \n" +
        "TCP  10.96.0.20:80 rr\n  -> 10.244.0.15:8080             Masq    1      0          0         \n  -> 10.244.0.16:8080             Masq    1      0          0         \n  -> 10.244.0.17:8080             Masq    1      1          0         \n" +
        "UDP  10.96.0.10:53 rr\n  -> 10.244.0.2:53                Masq    1      0          0         \n  -> 10.244.0.3:53                Masq    1      0          0         \n",
    );
    // conntrack holds the translation's tuples (net.ipv4.vs.conntrack=1).
    expect((await e.show({ command: "conntrack -L" })).stdout).toMatch(/^tcp +6 432000 ESTABLISHED src=10\.244\.0\.10 dst=10\.96\.0\.20 sport=\d+ dport=80 src=10\.244\.0\.17 dst=10\.244\.0\.10 sport=8080 dport=\d+ \[ASSURED\]/m);
  });

  it("cross-namespace: DNS and the Service each through IPVS on the client's node, then VXLAN to the endpoint's node (TTL 62)", async () => {
    const t = await traceIn({ scenario: "cross-namespace", settings: IPVS }, { from: "frontend/frontend-pod", to: "api-svc.backend:80" });
    expect(t.verdict).toBe("delivered");
    const request = t.hops.filter((h) => h.phase === "request");
    const dnat = request.find((h) => h.action === "dnat")!;
    expect(dnat.node).toBe("worker-node-2");
    expect(dnat.text).toMatch(/^IPVS on worker-node-2: virtual server 10\.96\.0\.25:80 \(rr\) → real server 10\.244\.2\.10:8080\./);
    expect(request.slice(request.indexOf(dnat)).map((h) => `${h.node} ${h.component}/${h.action}`)).toEqual([
      "worker-node-2 netfilter/dnat", "worker-node-2 routing/route", "worker-node-2 vxlan/encap", "worker-node-2 underlay/wire", "worker-node-3 vxlan/decap", "worker-node-3 routing/route", "worker-node-3 bridge/bridge", "worker-node-3 veth/xmit", "worker-node-3 pod/deliver",
    ]);
    expect(request.at(-1)!.packet.ttl).toBe(62);
    // The DNS queries went the same way, to CoreDNS's virtual server 10.96.0.10:53/UDP.
    expect(t.hops.filter((h) => h.phase === "dns-query" && h.action === "dnat").every((h) => h.rule!.startsWith("UDP  10.96.0.10:53 rr\n"))).toBe(true);
    // The reply is un-NATed by IPVS where the connection was made.
    expect(t.hops.find((h) => h.phase === "reply" && h.action === "unnat")!.node).toBe("worker-node-2");
  });

  it("cross-node pod to pod: nothing of kube-proxy's decides, the same hops as iptables mode", async () => {
    const t = await traceIn({ scenario: "cross-node", settings: IPVS }, { from: "pod-a", to: "pod-b" });
    const ipt = await traceIn({ scenario: "cross-node" }, { from: "pod-a", to: "pod-b" });
    expect(shape(t)).toEqual(shape(ipt));
    expect(t.hops.filter((h) => h.phase === "request").at(-1)!.packet.ttl).toBe(62);
  });

  it("costs the same per connection at 10 and at 1,000 Services; iptables grows with them", async () => {
    const walked = async (services: number, mode: string) => {
      const e = await engine({ host: "inline" });
      await e.load({ generate: { seed: 3, nodes: 40, pods: services * 4 + 20, services, settings: { kubeProxy: { mode } } } } as never);
      // The first packet and its answer (the close handshake walks the filter hooks in every mode alike).
      return (await e.simulate({ flows: 400, packetsPerFlow: 1, seed: 5 })).rulesPerNewConnection.mean;
    };
    const [v10, v1000, i1000] = [await walked(10, "ipvs"), await walked(1000, "ipvs"), await walked(1000, "iptables")];
    expect(Math.abs(v1000 - v10) / v10).toBeLessThan(0.03);
    expect(i1000).toBeGreaterThan(30 * v1000);
  });

  it("rr spreads new connections over a node's real servers exactly evenly; N workers give one worker's numbers", async () => {
    const plan = { flows: 3000, packetsPerFlow: 1, seed: 9 };
    const one = await engine({ host: "inline" });
    await one.load({ scenario: "pod-to-service", settings: IPVS } as never);
    const a = await one.simulate(plan);
    const backend = a.endpoints.filter((x) => x.servicePort === "default/backend-svc");
    expect(backend.map((x) => x.endpoint)).toEqual(["10.244.0.15:8080", "10.244.0.16:8080", "10.244.0.17:8080"]);
    const counts = backend.map((x) => x.connections);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const two = await engine({ host: "worker", workers: 2 });
    await two.load({ generate: { seed: 4, nodes: 6, pods: 80, services: 12, settings: { kubeProxy: { mode: "ipvs", ipvsScheduler: "lc" } } } } as never);
    await one.load({ generate: { seed: 4, nodes: 6, pods: 80, services: 12, settings: { kubeProxy: { mode: "ipvs", ipvsScheduler: "lc" } } } } as never);
    const b = await two.simulate({ ...plan, packetsPerFlow: 2 });
    const c = await one.simulate({ ...plan, packetsPerFlow: 2 });
    expect({ ...b, workers: 1 }).toEqual(c);
  });

  it("a Service without endpoints: IPVS has no real server and answers with ICMP port unreachable from the ClusterIP", async () => {
    const text = "nodes: [{name: a}]\ndeployments: [{name: client, replicas: 1, labels: {app: client}}]\nservices:\n  - {name: empty, selector: {app: nothing}, ports: [80]}\n";
    const e = await engine({ host: "inline" });
    const { pods, services } = await e.load({ text, settings: IPVS } as never);
    const vip = services.find((s) => s.name === "empty")!.clusterIP!;
    const t = await e.trace({ from: pods.find((p) => p.name.startsWith("client"))!.name, to: "empty:80" });
    expect(t.verdict).toBe("rejected");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toBe(`TCP  ${vip}:80 rr`);
    expect(reject.ruleSource).toBe("ipvsadm -Ln");
    expect(reject.text).toMatch(new RegExp(`^IPVS on a: virtual server ${vip.replace(/\./g, "\\.")}:80 \\(rr\\) has no real server`));
    const error = t.hops.filter((h) => h.phase === "error");
    expect(error[0]!.packet.src).toBe(vip);
    expect(error.at(-1)!.text).toContain('"Connection refused"');
  });

  it("a port no virtual server serves: KUBE-IPVS-FILTER rejects the new connection, the ICMP error from the ClusterIP", async () => {
    const t = await traceIn({ scenario: "pod-to-service", settings: IPVS }, { from: "client", to: "10.96.0.20:81" });
    expect(t.verdict).toBe("rejected");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toBe("-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable");
    expect(reject.ruleSource).toBe("iptables-save -t filter");
    expect(reject.text).toMatch(/^filter INPUT → KUBE-IPVS-FILTER: 10\.96\.0\.20 is on kube-ipvs0, but no virtual server serves port 81\/tcp: REJECT/);
    expect(t.hops.find((h) => h.phase === "error")!.packet.src).toBe("10.96.0.20");
  });

  it("ClientIP affinity: persistent 10800 on the virtual server, the client's later connections to the same real server", async () => {
    const text = "nodes: [{name: a}]\ndeployments: [{name: web, replicas: 4, labels: {app: web}, ports: ['http:8080']}, {name: client, replicas: 1, labels: {app: client}}]\nservices:\n  - {name: web, selector: {app: web}, sessionAffinity: ClientIP, ports: ['http:80:http']}\n";
    const e = await engine({ host: "inline" });
    const { pods } = await e.load({ text, settings: IPVS } as never);
    const client = pods.find((p) => p.name.startsWith("client"))!.name;
    const t = await e.trace({ from: client, to: "web:80" });
    const dnat = t.hops.find((h) => h.phase === "request" && h.action === "dnat")!;
    expect(dnat.rule!.split("\n")[0]).toMatch(/^TCP  10\.96\.\d+\.\d+:80 rr persistent 10800$/);
  });

  it("shows kube-ipvs0 (a dummy, DOWN, every ClusterIP /32), and iptables-save with the hairpin rule only where a node has endpoints", async () => {
    const text = "nodes: [{name: a}, {name: b}]\npods:\n  - {name: client, node: b}\n  - {name: web, node: a, labels: {app: web}, ports: ['8080']}\nservices:\n  - {name: web, selector: {app: web}, ports: ['80:8080']}\nsettings: {coreDNSReplicas: 0}\n";
    const e = await engine({ host: "inline" });
    const { services } = await e.load({ text, settings: IPVS } as never);
    const addr = (await e.show({ command: "ip addr show kube-ipvs0", node: "a" })).stdout;
    expect(addr).toMatch(/^\d+: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default qlen 1000\n    link\/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff\n/);
    for (const s of services.filter((x) => x.clusterIP)) expect(addr).toContain(`    inet ${s.clusterIP}/32 scope global kube-ipvs0\n       valid_lft forever preferred_lft forever\n`);
    // After the devices there: the last in `ip addr`.
    expect((await e.show({ command: "ip addr", node: "a" })).stdout.endsWith(addr)).toBe(true);
    expect((await e.show({ command: "ip link show kube-ipvs0", node: "a" })).stdout).toMatch(/^\d+: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n/);
    const loopBack = '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE\n';
    expect((await e.show({ command: "iptables-save -t nat", node: "a" })).stdout).toContain(loopBack);
    expect((await e.show({ command: "iptables-save -t nat", node: "b" })).stdout).not.toContain(loopBack);
    // ipvsadm and nft name what this mode shows; ipvsadm elsewhere says why it has nothing.
    expect(await rejection(e.show({ command: "nft list ruleset" }))).toMatchObject({ code: "unsupported", message: expect.stringContaining("ipvsadm -Ln") });
    expect(await rejection(e.show({ command: "ipvsadm -Lnc" }))).toMatchObject({ code: "unsupported", path: "command" });
    await e.load({ scenario: "pod-to-service" });
    expect(await rejection(e.show({ command: "ipvsadm -Ln" }))).toMatchObject({ code: "unsupported", message: expect.stringContaining("iptables mode") });
  });

  it("hairpin: a pod reaching itself through its Service is masqueraded by the KUBE-LOOP-BACK rule", async () => {
    const text = "nodes: [{name: a}]\npods:\n  - {name: web, node: a, labels: {app: web}, ports: ['8080']}\nservices:\n  - {name: web, selector: {app: web}, ports: ['80:8080']}\n";
    const e = await engine({ host: "inline" });
    const { services } = await e.load({ text, settings: IPVS } as never);
    const vip = services.find((x) => x.name === "web")!.clusterIP!;
    const t = await e.trace({ from: "web", to: `${vip}:80` });
    expect(t.verdict).toBe("delivered");
    const snat = t.hops.find((h) => h.phase === "request" && h.action === "snat")!;
    expect(snat.rule).toContain("--match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE");
    expect(snat.packet.src).toBe("10.244.0.1");
    expect(t.replyVerdict).toBe("delivered");
    // The reply: conntrack undoes the masquerade, br_netfilter keeps it bridged, and IPVS's
    // FORWARD hook restores the ClusterIP as its source.
    const reply = t.hops.filter((h) => h.phase === "reply");
    expect(reply.map((h) => `${h.component}/${h.action}`)).toEqual(["pod/route", "veth/xmit", "conntrack/unnat", "bridge/bridge", "netfilter/unnat", "veth/xmit", "pod/deliver"]);
    expect(`${reply.at(-1)!.packet.src}:${reply.at(-1)!.packet.sport}`).toBe(`${vip}:80`);
  });

  it("rejects an unknown scheduler at settings.kubeProxy.ipvsScheduler", async () => {
    const e = await engine({ host: "inline" });
    expect(await rejection(e.load({ scenario: "pod-to-service", settings: { kubeProxy: { mode: "ipvs", ipvsScheduler: "fo" } } } as never))).toMatchObject({ code: "invalid-input", path: "settings.kubeProxy.ipvsScheduler" });
  });
});
