// Simulation plans in simulated time: conntrack draining after TIME_WAIT, traffic patterns,
// a node failure and endpoint churn with kube-proxy's re-syncs, each checked on small clusters
// whose numbers can be worked out by hand, and the same on one worker or several.
import { describe, expect, it } from "vitest";
import { engineFactory, rejection } from "./helpers.js";

const engine = engineFactory();

/**
 * One node, one client, two backend pods with a container port, no CoreDNS: with the
 * all-to-all pattern every connection goes from the client straight to a backend, its
 * conntrack entry on that node. (The backends live in kube-system, whose pods open nothing.)
 */
const oneNode = (protocol: "TCP" | "UDP") => ({
  nodes: [{ name: "n1" }],
  pods: [{ name: "client" }],
  deployments: [{ name: "api", namespace: "kube-system", replicas: 2, labels: { app: "api" }, ports: [`8080/${protocol}`] }],
  settings: { coreDNSReplicas: 0 },
});

describe("simulated time", () => {
  it("TCP connections close into TIME_WAIT and leave conntrack 120 s later: 10 a second keep 121 seconds' worth", async () => {
    const e = await engine({ host: "inline" });
    await e.load(oneNode("TCP"));
    const r = await e.simulate({ flows: 3000, packetsPerFlow: 2, connectionsPerSecond: 10, pattern: "all-to-all" });
    // The last point is second 299.9: connections that started in seconds 179–299 are alive,
    // 1,210 of them, less the few whose random source port met a TIME_WAIT tuple of the same
    // backend (the SYN replaces that entry: two connections, one entry).
    const last = r.timeline.at(-1)!;
    expect(last).toMatchObject({ flows: 3000, seconds: 300 });
    expect(last.conntrack).toBeLessThanOrEqual(1210);
    expect(last.conntrack).toBeGreaterThan(1190);
    // Before the first ones expire (second 120), every connection is still there (but those reuses).
    for (const p of r.timeline.filter((p) => p.flows <= 1200)) expect(p.flows - p.conntrack).toBeLessThanOrEqual(Math.ceil(p.flows / 200));
    // The plateau holds from second 121 on: what arrives is what leaves.
    const plateau = r.timeline.filter((p) => p.flows > 1300).map((p) => p.conntrack);
    expect(Math.max(...plateau) - Math.min(...plateau)).toBeLessThan(20);
    expect(r.counters.ctFull).toBe(0);
    // SYN, SYN-ACK, one more packet, then FIN, FIN-ACK, ACK: six delivered packets per connection.
    expect(r.counters.delivered).toBe(3000 * 6);
    expect(r.timeline.reduce((s, p) => s + p.delivered, 0)).toBe(r.counters.delivered);
  });

  it("UDP flows are not closed: their entries expire 30 s after the last packet", async () => {
    const e = await engine({ host: "inline" });
    await e.load(oneNode("UDP"));
    const r = await e.simulate({ flows: 3000, packetsPerFlow: 1, connectionsPerSecond: 10, pattern: "all-to-all" });
    expect(r.timeline.at(-1)!.conntrack).toBe(31 * 10);
  });

  it("rejects rates that stretch a plan past 10,000,000 simulated seconds, naming the field", async () => {
    const e = await engine({ host: "inline" });
    await e.load(oneNode("TCP"));
    expect(await rejection(e.simulate({ flows: 1e9, connectionsPerSecond: 10 }))).toMatchObject({ code: "invalid-input", path: "connectionsPerSecond" });
    expect(await rejection(e.simulate({ flows: 10, pattern: "mesh" as never }))).toMatchObject({ path: "pattern" });
  });
});

describe("traffic patterns", () => {
  const twoNamespaces = {
    nodes: [{ name: "n1" }, { name: "n2" }],
    namespaces: ["shop"],
    pods: [{ name: "client" }],
    deployments: [
      { name: "api", replicas: 2, labels: { app: "api" }, ports: ["8080"] },
      { name: "cart", namespace: "shop", replicas: 2, labels: { app: "cart" }, ports: ["9090"] },
    ],
    services: [
      { name: "api", selector: { app: "api" }, ports: ["80:8080"] },
      { name: "cart", namespace: "shop", selector: { app: "cart" }, ports: ["80:9090"] },
    ],
    settings: { upstreamDNS: { "api.example.com": "203.0.113.10" } },
  };

  it("dns: `api` from its own namespace takes an A and an AAAA query; `cart.shop` from default takes four (ndots:5 tries default.svc.cluster.local first)", async () => {
    const e = await engine({ host: "inline" });
    await e.load(twoNamespaces);
    const r = await e.simulate({ flows: 2000, packetsPerFlow: 1, pattern: "dns", seed: 4 });
    const q = r.dnsQueriesPerLookup;
    expect(q.count).toBe(2000);
    // Clients are default/client and the api pods; kube-system's CoreDNS pods open nothing.
    expect(q.min).toBeGreaterThanOrEqual(2);
    expect(q.max).toBe(4);
    expect(q.counts.filter((_, i) => i !== 2 && i !== 4).every((c) => c === 0)).toBe(true);
    const queries = q.counts[2]! * 2 + q.counts[4]! * 4;
    expect(r.timeline.reduce((s, p) => s + p.dnsQueries, 0)).toBe(queries);
    // Every lookup found its Service: one connection each. kube-dns's DNAT chose an endpoint once
    // per name tried (its A and AAAA share a socket: the AAAA follows the A's conntrack entry),
    // and once per connection that chose kube-dns's own port 53/UDP as its Service.
    expect(r.flows).toBe(2000);
    const dns = r.endpoints.filter((x) => x.servicePort === "kube-system/kube-dns:dns").reduce((s, x) => s + x.connections, 0);
    expect(dns).toBeGreaterThanOrEqual(queries / 2);
    expect(dns - queries / 2).toBeLessThan(2000 / 3);
  });

  it("dns with CoreDNS down: every lookup stops at its first refused query and no connection is made; on one worker and on two the same", async () => {
    const down = { ...twoNamespaces, settings: { ...twoNamespaces.settings, faults: ["coredns-down"] } };
    const results = [];
    for (const workers of [1, 2]) {
      const e = await engine(workers === 1 ? { host: "inline" } : { host: "worker", workers });
      await e.load(down);
      results.push(await e.simulate({ flows: 500, packetsPerFlow: 1, pattern: "dns", seed: 4 }));
    }
    const [one, two] = [results[0]!, results[1]!];
    // One query each (refused: kube-dns has no endpoints, kube-proxy REJECTs), its ICMP error back; nothing else.
    expect(one.counters.failedLookups).toBe(500);
    expect(one.counters.rejected).toBe(500);
    expect(one.counters.delivered).toBe(500);
    expect(one.locality.sameNode + one.locality.crossNode).toBe(0);
    expect(two.counters).toEqual(one.counters);
    // Healthy, no lookup fails.
    const e = await engine({ host: "inline" });
    await e.load(twoNamespaces);
    expect((await e.simulate({ flows: 500, packetsPerFlow: 1, pattern: "dns", seed: 4 })).counters.failedLookups).toBe(0);
  });

  it("external: api.example.com (2 dots < ndots:5) goes through all three search domains first: 8 queries, then port 443 leaves the cluster", async () => {
    const e = await engine({ host: "inline" });
    await e.load(twoNamespaces);
    const r = await e.simulate({ flows: 100, packetsPerFlow: 1, pattern: "external" });
    expect(r.dnsQueriesPerLookup).toMatchObject({ count: 100, min: 8, max: 8 });
    expect(r.flows).toBe(100);
    expect(r.drops["leaves the simulated cluster"]).toBe(100);
  });

  it("external without upstream names is refused, naming settings.upstreamDNS", async () => {
    const e = await engine({ host: "inline" });
    await e.load(oneNode("TCP"));
    expect(await rejection(e.simulate({ flows: 10, pattern: "external" }))).toMatchObject({ code: "invalid-input", path: "settings.upstreamDNS" });
  });

  it("all-to-all: straight to pods' container ports, no Service: no DNAT, every connection delivered", async () => {
    const e = await engine({ host: "inline" });
    await e.load(twoNamespaces);
    const r = await e.simulate({ flows: 1000, packetsPerFlow: 1, pattern: "all-to-all" });
    expect(r.endpoints).toEqual([]);
    expect(r.drops).toEqual({});
    expect(r.locality.sameNode + r.locality.crossNode).toBe(1000);
  });
});

describe("a node failure and endpoint churn", () => {
  const cluster = { generate: { seed: 7, nodes: 6, pods: 90, services: 12, settings: { kubeProxy: { mode: "nftables" } } } };

  it("frames to the failed node are lost until it is NotReady; then its endpoints leave the Services and nothing more is lost", async () => {
    const e = await engine({ host: "inline" });
    await e.load(cluster as never);
    const ruleset = await e.show({ command: "nft list ruleset", node: "node-1" });
    const r = await e.simulate({ flows: 40_000, packetsPerFlow: 1, connectionsPerSecond: 200, nodeFailure: { node: "node-3", at: 0.25, detectionSeconds: 40 } });
    // Afterwards the cluster is as loaded again: the rules, and node-3 answering.
    expect(await e.show({ command: "nft list ruleset", node: "node-1" })).toEqual(ruleset);
    // Flow 10,000 starts at second 50; 40 s later (flow 18,000) kube-proxy re-syncs.
    expect(r.events.map((x) => [x.kind, x.flows, x.seconds])).toEqual([["node-down", 10_000, 50], ["endpoints-removed", 18_000, 90]]);
    expect(r.events[1]!.rulesWritten).toBeGreaterThan(0);
    const lost = r.drops["the next hop's node is down: nothing receives the frame"]!;
    expect(lost).toBeGreaterThan(0);
    // Drops only in the timeline's intervals between the failure and the re-sync (points of 1,000 flows).
    r.timeline.forEach((p) => {
      if (p.flows <= 10_000 || p.flows > 19_000) expect(p.dropped, `at ${p.flows} flows`).toBe(0);
    });
    expect(r.timeline.reduce((s, p) => s + p.dropped, 0)).toBe(lost);
  });

  it("churn: each event re-syncs; iptables rewrites KUBE-SERVICES every time, nftables only what changed", async () => {
    const run = async (mode: string) => {
      const e = await engine({ host: "inline" });
      await e.load({ generate: { ...cluster.generate, nodes: 12, services: 200, pods: 900, settings: { kubeProxy: { mode } } } } as never);
      return e.simulate({ flows: 5000, packetsPerFlow: 1, churn: { events: 3, endpoints: 4 } });
    };
    const [ipt, nft] = [await run("iptables"), await run("nftables")];
    expect(ipt.events.map((x) => x.kind)).toEqual(["churn", "churn", "churn"]);
    expect(ipt.events.map((x) => x.flows)).toEqual([1250, 2500, 3750]);
    for (const r of [ipt, nft]) for (const x of r.events) expect(x.rulesWritten!).toBeLessThan(x.fullSync!);
    // KUBE-SERVICES alone holds a rule per Service port: iptables' partial syncs stay above it.
    for (const x of ipt.events) expect(x.rulesWritten!).toBeGreaterThan(200);
    for (let k = 0; k < 3; k++) expect(nft.events[k]!.rulesWritten!).toBeLessThan(ipt.events[k]!.rulesWritten! / 4);
  });

  it("IPVS mode refuses churn for now, naming the field", async () => {
    const e = await engine({ host: "inline" });
    await e.load({ generate: { ...cluster.generate, settings: { kubeProxy: { mode: "ipvs" } } } } as never);
    expect(await rejection(e.simulate({ flows: 10, churn: { events: 1, endpoints: 1 } }))).toMatchObject({ code: "unsupported", path: "churn" });
    expect(await rejection(e.simulate({ flows: 10, nodeFailure: { node: "nope", at: 0.5 } }))).toMatchObject({ path: "nodeFailure" });
  });

  it("the same plan gives the same numbers on one worker and on three", async () => {
    const plan = { flows: 20_000, packetsPerFlow: 2, connectionsPerSecond: 100, pattern: "dns" as const, seed: 12, nodeFailure: { node: "node-2", at: 0.4 }, churn: { events: 2, endpoints: 3 } };
    const one = await engine({ host: "inline" });
    await one.load(cluster as never);
    const three = await engine({ host: "worker", workers: 3 });
    await three.load(cluster as never);
    const [a, b] = [await one.simulate(plan), await three.simulate(plan)];
    expect({ ...b, workers: 1 }).toEqual(a);
    expect(a.timeline.some((p) => p.dropped > 0)).toBe(true);
  }, 60_000);
});

describe("load options", () => {
  it("lists: false leaves the pods and Services lists out of the summary, the counts in", async () => {
    const e = await engine({ host: "worker", workers: 2 });
    const full = await e.load({ scenario: "pod-to-service" });
    const counts = await e.load({ scenario: "pod-to-service" }, { lists: false });
    expect(full.lists).toBe(true);
    expect(full.pods.length).toBe(full.counts.pods);
    expect(counts).toEqual({ ...full, pods: [], services: [], lists: false });
  });
});

