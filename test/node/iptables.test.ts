// The kube-proxy ruleset, compared line for line with the dump worked out from kube-proxy's
// and iptables' sources in docs/kube-proxy-iptables.md §4 (chain hashes checked there
// against kube-proxy's own test expectations).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chainHash, compileIptables, endpointChainName, formatProbability, serviceChainName, statisticThreshold } from "../../src/compile/iptables.js";
import { loadModel } from "../../src/model/load.js";
import { iptablesSave } from "../../src/outputs/iptables-save.js";

const doc = readFileSync(new URL("../../docs/kube-proxy-iptables.md", import.meta.url), "utf8");
const dump = (table: string) => {
  const start = doc.indexOf("```\n*" + table);
  return doc.slice(start + 4, doc.indexOf("```", start + 4));
};

describe("kube-proxy iptables rules", () => {
  it("hashes chain names as kube-proxy does", () => {
    expect(serviceChainName("default/backend-svc", "TCP")).toBe("KUBE-SVC-DXX5KTAD3CFGMPWS");
    expect(endpointChainName("default/backend-svc", "TCP", "10.244.0.15:8080")).toBe("KUBE-SEP-W5V5XNG2JIIG7LAU");
    expect(chainHash("kube-system/kube-dns:dnsudp")).toBe("TCOU7JCQXEZGVUNU");
  });

  it("prints probabilities as the kernel stores them", () => {
    expect([2, 3, 4, 5].map((n) => formatProbability(statisticThreshold(0, n)))).toEqual(["0.50000000000", "0.33333333349", "0.25000000000", "0.20000000019"]);
  });

  it("writes the nat and filter tables of the documented example cluster, line for line", () => {
    const { model } = loadModel({
      nodes: [{ name: "n1", podCIDR: "10.244.0.0/24" }],
      pods: [
        ...[15, 16, 17].map((x) => ({ name: `b${x}`, ip: `10.244.0.${x}`, labels: { app: "backend" } })),
      ],
      services: [
        { name: "backend-svc", clusterIP: "10.96.0.20", selector: { app: "backend" }, ports: ["80:8080"] },
        { name: "empty-svc", clusterIP: "10.96.0.30", selector: { app: "nothing" }, ports: ["80"] },
      ],
    });
    const rs = compileIptables(model);
    expect(iptablesSave(rs, "nat")).toBe(dump("nat"));
    // The doc's filter dump is v1.31+ with nfacct; we write the plain form kube-proxy falls back to (doc §4.2).
    expect(iptablesSave(rs, "filter")).toBe(dump("filter").replace(" -m nfacct --nfacct-name ct_state_invalid_dropped_pkts", ""));
  });
});
