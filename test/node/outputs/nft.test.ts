// kube-proxy's nftables table as `nft list ruleset` prints it, proven with the real nft: our
// listing is loaded with `nft -f` into a network namespace and listed back, and the two
// must be equal line for line (the listing is nft's canonical form, so it reloads as is).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { missingTools, netnsFactory } from "./netns.js";
import { compileNftables, nftEndpointChain, nftServiceChain, servicePortChainBase } from "../../../src/compile/nftables.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { nftDuration, nftListChain, nftListTable } from "../../../src/outputs/nft.js";

const missing = missingTools({ ip: "iproute2", nft: "nftables" });
if (missing.length) console.warn(`nft round-trip tests skipped: this machine lacks ${missing.join(", ")} (CI installs them)`);

const { netns } = netnsFactory("knf-nft");

const AFFINITY = "nodes: [{name: a}, {name: b}]\ndeployments: [{name: web, replicas: 3, labels: {app: web}, ports: ['http:8080', 'metrics:9090']}]\nservices:\n  - {name: web, selector: {app: web}, sessionAffinity: ClientIP, ports: ['http:80:http', 'metrics:9090:metrics']}\n  - {name: dns-like, selector: {app: web}, ports: ['dns:53/UDP', 'dns-tcp:53/TCP']}\n  - {name: empty, selector: {app: nothing}, ports: [80]}\n";
const CLUSTERS: Array<[string, ModelInput]> = [
  ["pod-to-service", { scenario: "pod-to-service" }],
  ["cross-namespace", { scenario: "cross-namespace" }],
  ["affinity, named ports and an empty service", { text: AFFINITY }],
  ["generated, 12 nodes / 40 services", { generate: { seed: 4, nodes: 12, pods: 300, services: 40 } }],
];

describe("kube-proxy nftables names", () => {
  it("hashes chain names as kube-proxy does (its own test's expected names)", () => {
    // pkg/proxy/nftables/proxier_test.go: service-ULMVA6XW-ns1/svc1/tcp/p80 and
    // endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80.
    const base = servicePortChainBase("ns1", "svc1", "TCP", "p80");
    expect(nftServiceChain(base)).toBe("service-ULMVA6XW-ns1/svc1/tcp/p80");
    expect(nftEndpointChain(base, "10.180.0.1", 80)).toBe("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
    expect(nftEndpointChain(servicePortChainBase("ns5", "svc5", "TCP", "p80"), "10.180.0.3", 80)).toBe("endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80");
  });

  it("prints timeouts as nft does", () => {
    expect(nftDuration(10800)).toBe("3h");
    expect(nftDuration(90)).toBe("1m30s");
    expect(nftDuration(86400 + 61)).toBe("1d1m1s");
  });

  it("lists the pod-to-service table: one service-ips lookup leads to the service chain", () => {
    const rs = compileNftables(loadModel({ scenario: "pod-to-service" }).model);
    const text = nftListTable(rs);
    expect(text).toMatch(/^table ip kube-proxy \{\n\tcomment "rules for kube-proxy"\n\tset cluster-ips \{/);
    expect(text).toContain("\t\tip daddr . meta l4proto . th dport vmap @service-ips\n");
    expect(text).toMatch(/10\.96\.0\.20 \. tcp \. 80 : goto service-\w{8}-default\/backend-svc\/tcp\//);
    expect(text).toMatch(/numgen random mod 3 vmap \{ 0 : goto endpoint-\w{8}-default\/backend-svc\/tcp\/__10\.244\.0\.15\/8080, 1 : goto /);
    const chain = rs.chains.find((c) => c.name.startsWith("endpoint-") && c.name.endsWith("__10.244.0.15/8080"))!;
    expect(nftListChain(rs, chain.name)).toBe(`table ip kube-proxy {\n\tchain ${chain.name} {\n\t\tip saddr 10.244.0.15 jump mark-for-masquerade\n\t\tmeta l4proto tcp dnat to 10.244.0.15:8080\n\t}\n}\n`);
  });
});

describe.skipIf(missing.length > 0)("nft list ruleset, round trip through the real nft", () => {
  it.each(CLUSTERS)("%s", (_name, input) => {
    const ours = nftListTable(compileNftables(loadModel(input).model));
    const ns = netns();
    execFileSync("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: ours });
    const theirs = execFileSync("ip", ["netns", "exec", ns, "nft", "list", "ruleset"], { encoding: "utf8" });
    expect(theirs).toBe(ours);
  });
});
