// The CLI as users run it: the built bin (dist/cli.js, made by `npm run build`, which
// `npm test` runs first) in a child process, checking output and exit codes.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
});

describe("k8s-net-flow CLI", () => {
  it("--help lists the commands and exit codes", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
    expect(r.stdout).toMatch(/trace/);
    expect(r.stdout).toMatch(/Exit codes: 0/);
  });

  it.each(["trace", "simulate", "show", "validate", "generate", "scenarios"])("%s --help describes the command and exits 0", (command) => {
    const r = run(command, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: k8s-net-flow ${command} `));
    expect(r.stdout).toMatch(/--json/);
  });

  it("--version prints the package version", () => {
    const r = run("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("trace (default scenario) prints the hops with the routes that decided them", () => {
    const r = run("trace");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pod-a \(10\.244\.0\.5:\d+\) → pod-b \(10\.244\.1\.10:80\/tcp\): delivered; answer delivered — 20 hops\n/);
    expect(r.stdout).toContain("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink    [ip route show]");
    expect(r.stdout).toMatch(/outer 192\.168\.1\.10 → 192\.168\.1\.11 udp \d+→8472 vni 1/);
  });

  it("trace --json is the engine's Trace, byte for byte in-thread and in a worker", () => {
    const worker = run("trace", "--scenario", "pod-to-pod", "--json");
    const inline = run("trace", "--scenario", "pod-to-pod", "--json", "--host", "inline");
    expect(worker.code).toBe(0);
    expect(worker.stdout).toBe(inline.stdout);
    const trace = JSON.parse(worker.stdout);
    expect(trace.verdict).toBe("delivered");
    expect(trace.hops).toHaveLength(10);
  });

  it("traces a service by name with a seed, and says where the DNAT went", () => {
    const target = (seed: string) => {
      const r = run("trace", "--scenario", "pod-to-service", "--to", "backend-svc:80", "--seed", seed, "--json");
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).hops.find((h: { action: string; phase: string }) => h.action === "dnat" && h.phase === "request").packet.dst;
    };
    expect(["10.244.0.15", "10.244.0.16", "10.244.0.17"]).toContain(target("4"));
    expect(target("4")).toBe(target("4"));
    expect(run("trace", "--seed", "x").code).toBe(1);
    expect(run("trace", "--protocol", "icmp").code).toBe(1);
  });

  it("exits 0 when the packet is dropped: the simulation worked, its verdict is the answer", () => {
    const r = run("trace", "--to", "10.244.1.77", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).verdict).toBe("dropped");
  });

  it("exits 1 with the field path for a rejected cluster file, as JSON with --json", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-"));
    const file = join(dir, "cluster.json");
    writeFileSync(file, JSON.stringify({ nodes: [{ name: "n1" }], pods: [{ name: "p", node: "n2" }] }));
    const r = run("trace", "--file", file, "--from", "p", "--to", "p", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "invalid-input", path: "pods[0].node", message: expect.stringMatching(/no node named "n2"/), problems: [expect.objectContaining({ code: "not-found", path: "pods[0].node", source: { document: 1, line: 1 } })] } });
  });

  it("traces a cluster file", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-"));
    const file = join(dir, "cluster.json");
    writeFileSync(file, JSON.stringify({ nodes: [{ name: "n1" }, { name: "n2" }], pods: [{ name: "a", node: "n1" }, { name: "b", node: "n2" }] }));
    const r = run("trace", "--file", file, "--from", "a", "--to", "b");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^a \(10\.244\.0\.2:\d+\) → b \(10\.244\.1\.2:80\/tcp\): delivered/);
  });

  it.each([
    [["trace", "--bogus"], /Unknown option '--bogus'/],
    [["fly"], /unknown command "fly"/],
    [[], /no command given/],
    [["trace", "--scenario", "cross-node", "--file", "x.json"], /not both/],
    [["trace", "--host", "gpu"], /--host must be/],
    [["simulate", "--flows", "0"], /--flows must be a whole number from 1/],
    [["simulate", "--workers", "2", "--host", "inline"], /one thread/],
    [["simulate", "--mode", "userspace"], /--mode must be one of iptables, ipvs, nftables, ebpf/],
    [["simulate", "--pattern", "pareto"], /--pattern must be one of uniform, zipf, all-to-all, dns, external/],
    [["simulate", "--fail-at", "0.5"], /--fail-at and --detect need --fail-node NODE/],
    [["simulate", "--fail-node", "n1", "--fail-at", "2"], /--fail-at must be a number from 0 to 1/],
    [["simulate", "--churn-endpoints", "3"], /--churn-endpoints needs --churn N/],
    [["simulate", "--upstream", "example.com"], /--upstream takes NAME=IPv4/],
    [["generate"], /needs --nodes/],
    [["generate", "--nodes", "5001"], /--nodes must be a whole number from 1 to 5,000/],
  ])("exits 1 on usage errors, pointing at --help: %j", (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/--help/);
  });

  it("lists the built-in scenarios", () => {
    const r = run("scenarios", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((s: { name: string }) => s.name)).toEqual(["pod-to-pod", "pod-to-service", "cross-namespace", "cross-node"]);
  });

  it("validate prints a one-line summary for a valid file", () => {
    const r = run("validate", fixture("shop.yaml"));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("valid: 2 nodes, 9 pods, 5 services, 8 endpoints (6 namespaces, 4 EndpointSlices)\n");
  });

  it("validate prints warnings on stderr and keeps the summary on stdout", () => {
    const r = run("validate", fixture("kubectl-dump.json"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: 2 nodes, 3 pods, 3 services, 4 endpoints .*, 4 warnings\n$/);
    expect(r.stderr).toMatch(/warning pods\[3\]\.status\.phase \(document 1, line \d+\): .*Succeeded/);
  });

  it("validate prints every problem with its path and line and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "nodes:\n  - name: A\n  - name: b\n    ip: 1.2.3\npods:\n  - name: p\n    node: zz\n");
    const r = run("validate", file);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      expect.stringMatching(/^error {3}nodes\[0\]\.name \(document 1, line 2\): "A" is not a valid name.* \[invalid-name\]$/),
      expect.stringMatching(/^error {3}nodes\[1\]\.ip \(document 1, line 4\): "1\.2\.3" is not an IPv4 address.* \[invalid-address\]$/),
      expect.stringMatching(/^error {3}pods\[0\]\.node \(document 1, line 7\): no node named "zz".* \[not-found\]$/),
      "invalid: 3 errors, 0 warnings",
      "",
    ]);
    const j = run("validate", file, "--json");
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ valid: false, problems: [{ path: "nodes[0].name" }, { path: "nodes[1].ip" }, { path: "pods[0].node" }] });
  });

  it("validate reads standard input with -", () => {
    const r = spawnSync(process.execPath, [bin, "validate", "-"], { encoding: "utf8", input: "nodes: [{name: n1}]\n" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("valid: 1 nodes, 2 pods, 2 services, 3 endpoints (4 namespaces, 2 EndpointSlices)\n");
  });

  it("show resolv.conf and nslookup print what the real tools print, in the scenario that has the pod", () => {
    const conf = run("show", "cat", "/etc/resolv.conf", "--pod", "frontend/frontend-pod");
    expect(conf.code).toBe(0);
    expect(conf.stdout).toBe("search frontend.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    const ns = run("show", "nslookup", "api-svc.backend", "--pod", "frontend/frontend-pod");
    expect(ns.stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tapi-svc.backend.svc.cluster.local\nAddress: 10.96.0.25\n\n");
    expect(run("show", "iptables-save", "-t", "nat", "--scenario", "pod-to-service").stdout).toContain("-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/backend-svc cluster IP\" -m tcp --dport 80 -j KUBE-SVC-DXX5KTAD3CFGMPWS");
    expect(run("show", "ip", "route", "--pod", "pod-a").stdout).toBe("default via 10.244.0.1 dev eth0 \n10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.5 \n10.244.0.0/16 via 10.244.0.1 dev eth0 \n");
    expect(run("show", "tcpdump").code).toBe(1);
    expect(run("show", "tcpdump").stderr).toMatch(/not simulated \(commands: iptables-save/);
    expect(run("show", "--list").stdout).toMatch(/kubectl get pods\|svc\|endpoints/);
  });

  it("trace --scenario cross-namespace shows the DNS attempts before the request", () => {
    const r = run("trace", "--scenario", "cross-namespace");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("DNS lookup of api-svc.backend (glibc): 10.96.0.25");
    expect(r.stdout).toContain("  A    api-svc.backend.frontend.svc.cluster.local.  → NXDOMAIN");
    expect(r.stdout).toContain("DNS query: A api-svc.backend.svc.cluster.local. (query 3)");
    expect(r.stdout.indexOf("DNS answer:")).toBeLessThan(r.stdout.indexOf("\nrequest:"));
    const musl = JSON.parse(run("trace", "--scenario", "cross-namespace", "--to", "a.b.c.d.e.example.com:80", "--libc", "musl", "--json").stdout);
    expect(musl.verdict).toBe("unresolved");
    expect(musl.dns.attempts).toHaveLength(2);
  });

  it("validate needs exactly one file", () => {
    expect(run("validate").code).toBe(1);
    expect(run("validate", "a", "b").code).toBe(1);
  });

  it("simulate: the same seed gives the same counters on 1 and 2 workers; tables by default", () => {
    const one = run("simulate", "--scenario", "cross-namespace", "--flows", "20000", "--packets", "3", "--seed", "5", "--json");
    const two = run("simulate", "--scenario", "cross-namespace", "--flows", "20000", "--packets", "3", "--seed", "5", "--workers", "2", "--json");
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stderr).toBe(""); // no progress bar when stderr is not a terminal
    const [a, b] = [JSON.parse(one.stdout), JSON.parse(two.stdout)];
    expect(a.workers).toBe(1);
    expect(b.workers).toBe(2);
    // Everything but the workers and the wall time (timing) is the same.
    expect({ ...b, workers: 1, timing: undefined }).toEqual({ ...a, timing: undefined });
    expect(a.flows).toBe(20000);
    expect(Object.keys(a.timing).sort()).toEqual(["connectionsPerSecond", "loadSeconds", "packetsPerSecond", "seconds"]);
    expect(a.timing.packetsPerSecond).toBeCloseTo(a.packets / a.timing.seconds, 3);
    const text = run("simulate", "--scenario", "pod-to-service", "--flows", "3000");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^3,000 connections × 10 packets \(uniform, seed 1\) on 1 worker in [\d.]+ s/);
    // One client, random source ports: a few of the 3,000 connections reuse a 5-tuple still in conntrack.
    expect(Number(/\nconntrack entries created +([\d,]+)\n/.exec(text.stdout)![1]!.replace(/,/g, ""))).toBeGreaterThan(2950);
    expect(text.stdout).toMatch(/\ndefault\/backend-svc +10\.244\.0\.1[567]:8080 +[\d,]+\n/);
  });

  it("simulate --nodes/--pods/--services/--namespaces generates the cluster, seeded by --seed; statistics in JSON and tables", () => {
    const args = ["simulate", "--nodes", "4", "--pods", "80", "--services", "10", "--namespaces", "2", "--flows", "4000", "--packets", "2", "--seed", "3"];
    const one = run(...args, "--json");
    const two = run(...args, "--workers", "2", "--json");
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    const [a, b] = [JSON.parse(one.stdout), JSON.parse(two.stdout)];
    expect({ ...b, workers: 1, timing: undefined }).toEqual({ ...a, timing: undefined });
    // The generator's namespaces and node names.
    expect(new Set(a.endpoints.map((e: { servicePort: string }) => e.servicePort.split("/")[0]))).toEqual(new Set(["kube-system", "ns-1", "ns-2"]));
    expect(a.nodePairs.some((p: { from: string }) => p.from === "node-4")).toBe(true);
    expect(a.rulesPerNewConnection.count).toBe(4000);
    expect(a.locality.sameNode + a.locality.crossNode).toBe(4000 - a.counters.rejected / 2);
    expect(a.timeline).toHaveLength(40);
    expect(a.timeline.at(-1).conntrack).toBe(a.counters.ctLive);
    expect(a.serviceUniformity.length).toBeGreaterThan(0);
    // The same flags with --file of what generate prints: the same cluster, the same numbers.
    const file = join(mkdtempSync(join(tmpdir(), "k8s-net-flow-")), "gen.yaml");
    writeFileSync(file, run("generate", "--nodes", "4", "--pods", "80", "--services", "10", "--namespaces", "2", "--seed", "3").stdout);
    const fromFile = JSON.parse(run("simulate", "--file", file, "--flows", "4000", "--packets", "2", "--seed", "3", "--json").stdout);
    expect({ ...fromFile, timing: undefined }).toEqual({ ...a, timing: undefined });
    const text = run(...args, "--mode", "nftables");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^4,000 connections × 2 packets \(uniform, seed 3\) on 1 worker in [\d.]+ s \([\d,]+ packets\/s, [\d,]+ connections\/s\); cluster loaded in [\d.]+ s\n/);
    expect(text.stdout).toMatch(/\nrules per new connection: min \/ median \/ p99 \/ max +[\d,]+ \/ [\d,]+ \/ [\d,]+ \/ [\d,]+\n/);
    expect(text.stdout).toMatch(/\nconnections same-node \/ cross-node +[\d,]+ \/ [\d,]+ \([\d.]+% same-node\)\n/);
    expect(text.stdout).toMatch(/\nRules \(or lookups\) walked per new connection:\n/);
    expect(text.stdout).toMatch(/\nOver simulated time \(rates per simulated second\):\nsecond +flows +conntrack entries +new conns\/s +delivered\/s +dropped\/s +DNS queries\/s\n/);
    expect(text.stdout).toMatch(/\nEndpoint shares against a uniform choice \(chi-square\), \d+ Service ports with 2\+ endpoints: p < 0.05 for \d+/);
    expect(run("simulate", "--pods", "10").stderr).toMatch(/--pods generates a cluster: give --nodes N too/);
    expect(run("simulate", "--nodes", "2", "--scenario", "pod-to-service").stderr).toMatch(/give --scenario, --file or --nodes, not more than one/);
    expect(run("simulate", "--nodes", "5001").stderr).toMatch(/--nodes must be a whole number from 1 to 5,000/);
  });

  it("simulate --fail-node/--churn/--pattern dns: events with what kube-proxy re-wrote, DNS lookups, over simulated time", () => {
    const args = ["simulate", "--nodes", "4", "--pods", "80", "--services", "10", "--flows", "4000", "--packets", "1", "--rate", "100", "--mode", "nftables", "--pattern", "dns", "--fail-node", "node-2", "--fail-at", "0.2", "--detect", "10", "--churn", "1", "--churn-endpoints", "2"];
    const json = JSON.parse(run(...args, "--json").stdout);
    expect(json.plan).toMatchObject({ connectionsPerSecond: 100, pattern: "dns", churn: { events: 1, endpoints: 2 }, nodeFailure: { node: "node-2", at: 0.2, detectionSeconds: 10 } });
    expect(json.events.map((e: { kind: string; seconds: number }) => [e.kind, e.seconds])).toEqual([["node-down", 8], ["endpoints-removed", 18], ["churn", 20]]);
    expect(json.dnsQueriesPerLookup.count).toBe(4000);
    const text = run(...args).stdout;
    expect(text).toMatch(/\n +8\.0 +node node-2 fails: frames sent to it are lost/);
    expect(text).toMatch(/\n +18\.0 +node node-2 is NotReady: its \d+ pod\(s\) leave their Services' endpoints; kube-proxy re-syncs +[\d,]+ \([\d,]+\)\n/);
    expect(text).toMatch(/\nDNS lookups: 4,000, queries per lookup: min \d+ \/ median \d+ \/ max \d+/);
    expect(text).toMatch(/\nthe next hop's node is down: nothing receives the frame +[\d,]+\n/);
  });

  it("simulate --mode names what is not simulated yet, as invalid input", () => {
    const r = run("simulate", "--mode", "ebpf", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "unsupported", path: "settings.kubeProxy.mode" });
  });

  it("--cni flannel/host-gw: trace routes via the peer node's IP without a tunnel; show prints that node's tables", () => {
    const r = run("trace", "--cni", "flannel/host-gw");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pod-a \(10\.244\.0\.5:\d+\) → pod-b \(10\.244\.1\.10:80\/tcp\): delivered; answer delivered — 16 hops\n/);
    expect(r.stdout).toContain("10.244.1.0/24 via 192.168.1.11 dev eth0    [ip route show]");
    expect(r.stdout).not.toMatch(/flannel\.1|outer|8472/);
    expect(run("show", "ip", "route", "--cni", "flannel/host-gw", "--node", "worker-node-2").stdout).toBe(
      "default via 192.168.1.1 dev eth0 \n10.244.0.0/24 via 192.168.1.10 dev eth0 \n10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 \n192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.11 \n",
    );
    expect(run("show", "cat", "/run/flannel/subnet.env", "--cni", "flannel/host-gw").stdout).toContain("FLANNEL_MTU=1500\n");
    // A plugin alone takes its first mode, as the element's cni attribute does: flannel → vxlan.
    expect(run("trace", "--cni", "flannel").stdout).toContain("dev flannel.1 onlink");
  });

  it("--cni: a mode the plugin lacks is a usage error; a combination that does not exist is unsupported at the field", () => {
    const bad = run("trace", "--cni", "flannel/ipip");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--cni: "ipip" is not a flannel mode \(vxlan, host-gw\)/);
    expect(run("show", "ip", "route", "--cni", "weave").stderr).toMatch(/--cni must be PLUGIN or PLUGIN\/MODE/);
    // kube-proxy mode ebpf is Cilium's kube-proxy replacement: with flannel or Calico it does not exist.
    for (const cni of ["flannel", "calico/vxlan"]) {
      const ebpf = run("simulate", "--cni", cni, "--mode", "ebpf", "--json");
      expect(ebpf.code).toBe(1);
      expect(JSON.parse(ebpf.stdout).error).toMatchObject({ code: "unsupported", path: "settings.kubeProxy.mode" });
      expect(JSON.parse(ebpf.stdout).error.message).toMatch(/needs settings\.cni\.plugin cilium/);
    }
  });

  it("--cni cilium --mode ebpf: the socket translates the ClusterIP at connect(), the first packet is already addressed to the backend", () => {
    const r = run("trace", "--scenario", "pod-to-service", "--cni", "cilium", "--mode", "ebpf", "--json");
    expect(r.code).toBe(0);
    const trace = JSON.parse(r.stdout);
    expect(trace.verdict).toBe("delivered");
    expect(trace.replyVerdict).toBe("delivered");
    const [first, ...rest] = trace.hops;
    expect(first).toMatchObject({ component: "socket", action: "socket-lb", program: "cil_sock4_connect", netns: "default/client" });
    expect(first.rule).toMatch(/^ID +Frontend +Service Type +Backend/);
    const backends = ["10.244.0.15", "10.244.0.16", "10.244.0.17"].filter((ip) => first.rule.includes(`${ip}:8080/TCP (active)`));
    expect(backends).toHaveLength(3);
    // Every packet on the wire carries the backend's address: no hop ever sees the ClusterIP, nothing is DNATed.
    expect(backends).toContain(first.packet.dst);
    for (const hop of rest) {
      expect([hop.packet.src, hop.packet.dst]).not.toContain("10.96.0.20");
      expect(["dnat", "unnat", "snat", "masquerade"]).not.toContain(hop.action);
      expect(hop.component).not.toBe("netfilter");
    }
    expect(rest.filter((h: { action: string }) => h.action === "redirect").length).toBeGreaterThan(0);
    expect(rest.at(-1).text).toMatch(/getpeername\(\) \(cil_sock4_getpeername.*\) still answers 10\.96\.0\.20:80/);

    const text = run("trace", "--scenario", "pod-to-service", "--cni", "cilium/vxlan", "--mode", "ebpf");
    expect(text.stdout).toMatch(/^client \(10\.244\.0\.10:\d+\) → 10\.96\.0\.20:80 \(10\.96\.0\.20:80\/tcp\): delivered; answer delivered/);
    expect(text.stdout).toMatch(/socket\/socket-lb/);
    expect(text.stdout).toMatch(/default via 10\.244\.0\.\d+ dev eth0 mtu 1450 {4}\[kubectl exec client -- ip route\]/);

    const list = run("show", "cilium-dbg", "service", "list", "--scenario", "pod-to-service", "--cni", "cilium", "--mode", "ebpf");
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID {3}Frontend {14}Service Type {3}Backend {2,}$/);
    expect(list.stdout).toMatch(/\n1 {4}10\.96\.0\.1:443\/TCP {5}ClusterIP {6}1 => 192\.168\.1\.\d+:6443\/TCP \(active\)/);
    expect(list.stdout).toMatch(/10\.96\.0\.20:80\/TCP/);
    // kube-proxy is replaced: no KUBE-* chain to show, and the command says why.
    const save = run("show", "iptables-save", "--cni", "cilium", "--mode", "ebpf");
    expect(save.code).toBe(1);
    expect(save.stderr).toMatch(/no KUBE-\* chain exists/);
    const links = run("show", "ip", "-d", "link", "show", "cilium_vxlan", "--cni", "cilium", "--mode", "ebpf");
    expect(links.code).toBe(0);
    expect(links.stdout).toMatch(/vxlan external id 0 srcport 0 0 dstport 8472 nolearning ttl auto/);
  });

  it("--cni cilium/native with kube-proxy iptables: Cilium without its kube-proxy replacement DNATs per packet in cil_from_container", () => {
    const r = run("trace", "--scenario", "pod-to-service", "--cni", "cilium/native", "--mode", "iptables", "--json");
    expect(r.code).toBe(0);
    const trace = JSON.parse(r.stdout);
    expect(trace.verdict).toBe("delivered");
    expect(trace.hops.some((h: { action: string }) => h.action === "socket-lb")).toBe(false);
    const dnat = trace.hops.find((h: { action: string }) => h.action === "dnat");
    expect(dnat).toMatchObject({ program: "cil_from_container" });
    expect(trace.hops[0].packet.dst).toBe("10.96.0.20");
  });

  it("generate prints manifests that validate and simulate read back; the same seed, the same bytes", () => {
    const r = run("generate", "--nodes", "6", "--pods", "90", "--services", "12", "--namespaces", "3", "--seed", "4");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(run("generate", "--nodes", "6", "--pods", "90", "--services", "12", "--namespaces", "3", "--seed", "4").stdout);
    expect(r.stdout).not.toBe(run("generate", "--nodes", "6", "--pods", "90", "--services", "12", "--namespaces", "3", "--seed", "5").stdout);
    expect(r.stdout).toMatch(/^---\napiVersion: v1\nkind: Namespace\n/);
    const dir = mkdtempSync(join(tmpdir(), "k8s-net-flow-"));
    const file = join(dir, "generated.yaml");
    writeFileSync(file, r.stdout);
    const v = run("validate", file);
    expect(v.code).toBe(0);
    // 90 pods in all (CoreDNS's two among them); the 12 Services asked for, plus kube-dns and kubernetes.
    expect(v.stdout).toMatch(/^valid: 6 nodes, 90 pods, 14 services, /);
    const s = run("simulate", "--file", file, "--flows", "5000", "--json");
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).nodePairs.length).toBeGreaterThan(6);
    const list = JSON.parse(run("generate", "--nodes", "2", "--json").stdout);
    expect(list.kind).toBe("List");
    expect(list.items.filter((o: { kind: string }) => o.kind === "Node")).toHaveLength(2);
  });
});
