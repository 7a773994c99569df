// kube-proxy in nftables mode, end to end through the engine (Wasm dataplane): the seed's
// scenarios trace through one map lookup, a numgen choice and the endpoint chain's DNAT;
// the cost of a new connection does not grow with the number of Services (iptables' does);
// empty Services and unknown ClusterIP ports are rejected where kube-proxy rejects them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork } from "../../../src/compile/network.js";
import * as A from "../../../src/dataplane/abi.js";
import { Dataplane } from "../../../src/dataplane/dataplane.js";
import { isNamed, packetFor, resolveFlow, type LoadedCluster } from "../../../src/dataplane/forward.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import { loadModel } from "../../../src/model/load.js";
import type { Trace } from "../../../src/index.js";
import { engineFactory, rejection } from "./helpers.js";

const engine = engineFactory();
const NFT = { kubeProxy: { mode: "nftables" } };

async function traceIn(input: object, flow: { from: string; to: string; seed?: number }): Promise<Trace> {
  const e = await engine({ host: "inline" });
  await e.load(input as never);
  return e.trace(flow);
}

const dnatOf = (t: Trace) => t.hops.find((h) => h.phase === "request" && h.action === "dnat")!;

describe("kube-proxy nftables mode", () => {
  it("pod-to-service: nat-prerouting → services → service-… → endpoint-…, 6 rules, the reply un-NAT'd", async () => {
    const t = await traceIn({ scenario: "pod-to-service", settings: NFT }, { from: "client", to: "backend-svc:80" });
    expect(t.verdict).toBe("delivered");
    expect(t.replyVerdict).toBe("delivered");
    const dnat = dnatOf(t);
    expect(dnat.rule).toMatch(/^meta l4proto tcp dnat to 10\.244\.0\.1[567]:8080$/);
    expect(dnat.ruleSource).toMatch(/^nft list chain ip kube-proxy endpoint-[A-Z2-7]{8}-default\/backend-svc\/tcp\/__10\.244\.0\.1[567]\/8080$/);
    expect(dnat.text).toMatch(/nat-prerouting → services, where one lookup in the service-ips map finds service-[A-Z2-7]{8}-default\/backend-svc\/tcp\/; its numgen random chose endpoint-/);
    // jump services, the service-ips lookup, the masquerade check, numgen, the hairpin check, dnat.
    expect(dnat.text).toContain("(6 rules evaluated, however many Services there are)");
    const unnat = t.hops.find((h) => h.phase === "reply" && h.action === "unnat")!;
    expect(unnat.packet.src).toBe("10.96.0.20");
    expect(unnat.packet.sport).toBe(80);
    // The path is the iptables mode's path: only the deciding rules differ.
    const ipt = await traceIn({ scenario: "pod-to-service" }, { from: "client", to: "backend-svc:80" });
    // (Which endpoint is chosen differs: numgen and xt_statistic draw their random numbers differently.)
    const shape = (x: Trace) => x.hops.map((h) => `${h.phase} ${h.node} ${h.netns === "host" ? "host" : "pod"} ${h.component}/${h.action}`);
    expect(shape(t)).toEqual(shape(ipt));
  });

  it("cross-node: the same hops as iptables mode, TTL 62 on delivery", async () => {
    const t = await traceIn({ scenario: "cross-node", settings: NFT }, { from: "pod-a", to: "pod-b" });
    const ipt = await traceIn({ scenario: "cross-node" }, { from: "pod-a", to: "pod-b" });
    expect(JSON.stringify(t)).toBe(JSON.stringify(ipt)); // pod to pod: no kube-proxy rule decides anything
    expect(t.hops.filter((h) => h.phase === "request").at(-1)!.packet.ttl).toBe(62);
  });

  it("costs the same rules per connection at 10 and at 1,000 Services; iptables grows with them", async () => {
    const walked = async (services: number, mode: string) => {
      const e = await engine({ host: "inline" });
      await e.load({ generate: { seed: 3, nodes: 40, pods: services * 4 + 20, services, settings: { kubeProxy: { mode } } } } as never);
      const r = await e.simulate({ flows: 400, packetsPerFlow: 1, seed: 5 });
      // The connection's first packet and its answer: what the Service lookup costs (the close
      // handshake's packets walk the filter hooks too, the same in every mode and size).
      return r.rulesPerNewConnection.mean;
    };
    const [n10, n1000, i10, i1000] = [await walked(10, "nftables"), await walked(1000, "nftables"), await walked(10, "iptables"), await walked(1000, "iptables")];
    // Every hook's rules on every node the connection crosses, per new connection (~30 in nftables
    // mode: the share of cross-node connections differs a little between the two clusters).
    expect(Math.abs(n1000 - n10) / n10).toBeLessThan(0.02);
    // iptables walks KUBE-SERVICES rule by rule: 56 → 1,532 here.
    expect(i1000).toBeGreaterThan(20 * i10);
    expect(i1000).toBeGreaterThan(40 * n1000);
  });

  it("numgen spreads new connections evenly over the endpoints, the same for the same seed", async () => {
    const e = await engine({ host: "inline" });
    await e.load({ scenario: "pod-to-service", settings: NFT } as never);
    const run = () => e.simulate({ flows: 30000, packetsPerFlow: 1, seed: 9 });
    const a = await run();
    const backend = a.endpoints.filter((x) => x.servicePort.startsWith("default/backend-svc"));
    expect(backend.map((x) => x.endpoint).sort()).toEqual(["10.244.0.15:8080", "10.244.0.16:8080", "10.244.0.17:8080"]);
    const total = backend.reduce((n, x) => n + x.connections, 0);
    // χ² with 2 degrees of freedom below 13.8 (p > 0.001) for a uniform choice.
    const chi2 = backend.reduce((s, x) => s + (x.connections - total / 3) ** 2 / (total / 3), 0);
    expect(chi2).toBeLessThan(13.8);
    expect(JSON.stringify(await run())).toBe(JSON.stringify(a));
  });

  it("ClientIP affinity: the client's later connections go to the endpoint of its first", async () => {
    const text = "nodes: [{name: a}]\ndeployments: [{name: web, replicas: 4, labels: {app: web}, ports: ['http:8080']}, {name: client, replicas: 1, labels: {app: client}}]\nservices:\n  - {name: web, selector: {app: web}, sessionAffinity: ClientIP, ports: ['http:80:http']}\n";
    const { model } = loadModel({ text, settings: NFT } as never);
    const net = compileNetwork(model);
    const rs = compileKubeProxy(model);
    const dp = await Dataplane.create(readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url)));
    dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
    const cluster: LoadedCluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } };
    const client = model.pods.find((p) => p.name.startsWith("client"))!;
    const flow = resolveFlow(cluster, { from: client.name, to: `${model.services.find((s) => s.name === "web")!.clusterIP}:80` });
    if (isNamed(flow)) throw new Error("not a name");
    // 12 connections from one client, each with its own seed (so numgen would vary).
    for (let seed = 1; seed <= 12; seed++) {
      dp.setSeed(seed);
      expect(dp.exchange(packetFor(flow, 40000 + seed), flow.netns, true, false).verdict).toBe(A.V_DELIVERED);
    }
    const used = rs.rules.filter((r) => r.target.kind === "dnat" && dp.ruleHits(r.id) > 0);
    expect(used.map((r) => dp.ruleHits(r.id))).toEqual([12]);
    // Without affinity the same 12 seeds spread over several endpoints.
    const plain = loadModel({ text: text.replace("sessionAffinity: ClientIP, ", ""), settings: NFT } as never).model;
    const rs2 = compileKubeProxy(plain);
    const net2 = compileNetwork(plain);
    dp.loadCluster(encode(net2, rs2), DEFAULT_CAPACITIES);
    for (let seed = 1; seed <= 12; seed++) {
      dp.setSeed(seed);
      dp.exchange(packetFor(flow, 40000 + seed), flow.netns, true, false);
    }
    expect(rs2.rules.filter((r) => r.target.kind === "dnat" && dp.ruleHits(r.id) > 0).length).toBeGreaterThan(1);
  });

  it("rejects a Service without endpoints through no-endpoint-services → reject-chain", async () => {
    const text = "nodes: [{name: a}]\ndeployments: [{name: client, replicas: 1, labels: {app: client}}]\nservices:\n  - {name: empty, selector: {app: nothing}, ports: [80]}\n";
    const e = await engine({ host: "inline" });
    const { pods } = await e.load({ text, settings: NFT } as never);
    const t = await e.trace({ from: pods.find((p) => p.name.startsWith("client"))!.name, to: "empty:80" });
    expect(t.verdict).toBe("rejected");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toBe("reject");
    expect(reject.ruleSource).toBe("nft list chain ip kube-proxy reject-chain");
    expect(reject.text).toMatch(/^filter-forward → service-endpoints-check: the no-endpoint-services map lists this address and port/);
    expect(reject.text).toContain('"Connection refused"');
  });

  it("rejects a port the ClusterIP does not serve (cluster-ips-check); iptables mode routes it away", async () => {
    const t = await traceIn({ scenario: "pod-to-service", settings: NFT }, { from: "client", to: "10.96.0.20:81" });
    expect(t.verdict).toBe("rejected");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toBe('ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"');
    expect(reject.text).toMatch(/^filter-forward → cluster-ips-check: the address is a ClusterIP, but no Service port matches/);
    const ipt = await traceIn({ scenario: "pod-to-service" }, { from: "client", to: "10.96.0.20:81" });
    expect(ipt.verdict).not.toBe("rejected");
  });

  it("shows nft list ruleset / chain, and says where the rules are when asked for iptables-save", async () => {
    const e = await engine({ host: "inline" });
    await e.load({ scenario: "pod-to-service", settings: NFT } as never);
    const ruleset = await e.show({ command: "nft list ruleset", node: "worker-node-1" });
    expect(ruleset.stdout).toMatch(/^table ip kube-proxy \{/);
    expect(ruleset.stdout).toContain("\t\tip daddr . meta l4proto . th dport vmap @service-ips\n");
    expect((await e.show({ command: "nft list table ip kube-proxy" })).stdout).toBe(ruleset.stdout);
    expect((await e.show({ command: "nft list chain ip kube-proxy services" })).stdout).toBe("table ip kube-proxy {\n\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n\t}\n}\n");
    expect((await e.show({ command: "nft list chain ip kube-proxy nope" })).stderr).toContain("No such file or directory");
    expect(await rejection(e.show({ command: "iptables-save -t nat" }))).toMatchObject({ code: "unsupported", path: "command", message: expect.stringContaining("nft list ruleset") });
    await e.load({ scenario: "pod-to-service" });
    expect(await rejection(e.show({ command: "nft list ruleset" }))).toMatchObject({ code: "unsupported", message: expect.stringContaining("iptables-save") });
  });
});
