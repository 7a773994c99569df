// IPVS mode against the real tools, as far as this machine's kernel allows: kube-proxy's ipsets
// created with the real ipset and its nat and filter rules loaded with iptables-restore into a
// network namespace, then dumped with iptables-save: the dump must equal our iptables-save for
// that node line for line. kube-ipvs0 built with iproute2 must print as our `ip addr show
// kube-ipvs0`. IPVS itself (ipvsadm -Ln) is replayed only where the kernel has it.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { has, missingTools, netnsFactory } from "./netns.js";
import { compileIpvs } from "../../../src/compile/ipvs.js";
import { loadModel } from "../../../src/model/load.js";
import type { ModelInput } from "../../../src/model/types.js";
import { formatIPv4 } from "../../../src/net/ipv4.js";
import { iptablesSave } from "../../../src/outputs/iptables-save.js";
import { ipvsadmList, ipvsDeviceAddr, ipvsDeviceMac } from "../../../src/outputs/ipvsadm.js";
import type { NfSet } from "../../../src/compile/iptables.js";

const missing = missingTools({ ip: "iproute2", "iptables-restore": "iptables", ipset: "ipset" });
if (missing.length) console.warn(`IPVS-mode real-tool tests skipped: this machine lacks ${missing.join(", ")} (CI installs them)`);
// IPVS lives in the kernel (CONFIG_IP_VS): without it nothing can replay the virtual servers.
const ipvsKernel = existsSync("/proc/net/ip_vs") && has("ipvsadm");
if (!ipvsKernel) console.warn("IPVS itself is not replayed: this kernel has no IPVS (/proc/net/ip_vs is missing; CONFIG_IP_VS unset) — the virtual servers and their schedulers are modelled from net/netfilter/ipvs/*.c, and what is proven here is kube-proxy's iptables rules, ipsets and kube-ipvs0");

const { netns } = netnsFactory("knf-ipvs");
const inNs = (ns: string, cmd: string, args: string[], input?: string) => execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", ...(input !== undefined ? { input } : {}) });

/** A member as kube-proxy's ipset Entry.String() writes it (`ip,proto:port[,ip2]`, or a port). */
function member(set: NfSet, e: NfSet["elements"][number]): string {
  const proto = ({ 6: "tcp", 17: "udp", 132: "sctp" } as Record<number, string>)[e.proto] ?? "tcp";
  if (set.type === "bitmap:port") return String(e.port);
  if (set.type === "hash:ip") return formatIPv4(e.addr);
  return `${formatIPv4(e.addr)},${proto}:${e.port}${e.addr2 !== undefined ? `,${formatIPv4(e.addr2)}` : ""}`;
}

/** `ipset restore` input for a node's sets, created as kube-proxy's ipset util does. */
function ipsetRestore(sets: NfSet[], node: number): string {
  const lines: string[] = [];
  for (const s of sets) {
    lines.push(s.type === "bitmap:port" ? `create ${s.name} bitmap:port range 0-65535` : `create ${s.name} ${s.type} family inet hashsize 1024 maxelem 65536`);
    for (const e of s.elements) if (e.node === undefined || e.node === node) lines.push(`add ${s.name} ${member(s, e)}`);
  }
  return `${lines.join("\n")}\n`;
}

const AFFINITY = "nodes: [{name: a}, {name: b}]\ndeployments: [{name: web, replicas: 3, labels: {app: web}, ports: ['http:8080', 'metrics:9090']}]\nservices:\n  - {name: web, selector: {app: web}, sessionAffinity: ClientIP, ports: ['http:80:http', 'metrics:9090:metrics']}\n  - {name: dns-like, selector: {app: web}, ports: ['dns:53/UDP', 'dns-tcp:53/TCP']}\n  - {name: empty, selector: {app: nothing}, ports: [80]}\n";
const NO_ENDPOINTS_ON_B = "nodes: [{name: a}, {name: b}]\npods:\n  - {name: client, node: b}\n  - {name: web, node: a, labels: {app: web}, ports: ['8080']}\nservices:\n  - {name: web, selector: {app: web}, ports: ['80:8080']}\nsettings: {coreDNSReplicas: 0}\n";
const CLUSTERS: Array<[string, ModelInput, number]> = [
  ["pod-to-service", { scenario: "pod-to-service" }, 0],
  ["cross-namespace, node 3", { scenario: "cross-namespace" }, 2],
  ["affinity, named ports and an empty service", { text: AFFINITY }, 1],
  ["a node without endpoints (no KUBE-LOOP-BACK rule)", { text: NO_ENDPOINTS_ON_B }, 1],
  ["generated, 12 nodes / 40 services", { generate: { seed: 4, nodes: 12, pods: 300, services: 40 } }, 5],
];

describe.skipIf(missing.length > 0)("IPVS mode with the real tools", () => {
  it.each(CLUSTERS)("ipset + iptables-restore, then iptables-save gives back our iptables-save, line for line: %s", (_name, input, node) => {
    const { model } = loadModel(input);
    model.settings.kubeProxy.mode = "ipvs";
    const rs = compileIpvs(model);
    const ns = netns();
    inNs(ns, "ipset", ["restore"], ipsetRestore(rs.sets, node));
    const ours = iptablesSave(rs, "filter", undefined, node) + iptablesSave(rs, "nat", undefined, node);
    inNs(ns, "iptables-restore", [], ours);
    const theirs = inNs(ns, "iptables-save", []);
    expect(theirs.split("\n").filter((l) => !l.startsWith("#")).join("\n")).toBe(ours);
    // The members kube-proxy would hold, as the kernel's sets list them back.
    for (const s of rs.sets) {
      const listed = inNs(ns, "ipset", ["list", "-sorted", s.name]).split("Members:\n")[1]!.split("\n").filter(Boolean);
      const mine = s.elements.filter((e) => e.node === undefined || e.node === node).map((e) => member(s, e));
      expect([...listed].sort()).toEqual([...mine].sort());
    }
  });

  it("kube-ipvs0 built with iproute2 prints as our ip addr show kube-ipvs0", () => {
    const { model } = loadModel({ scenario: "cross-namespace", settings: { kubeProxy: { mode: "ipvs" } } } as ModelInput);
    const rs = compileIpvs(model);
    const mac = ipvsDeviceMac("worker-node-1");
    const ns = netns();
    // kube-proxy's netlink EnsureDummyDevice: a dummy, never set up. This kernel may lack the
    // dummy driver (CONFIG_DUMMY): then an ifb device, whose flags are a dummy's (NOARP, no
    // MULTICAST), with ether_setup's queue length, which a dummy keeps.
    const dummy = spawnSync("ip", ["-n", ns, "link", "add", "kube-ipvs0", "address", mac, "type", "dummy"], { encoding: "utf8" });
    if (dummy.status !== 0) {
      console.warn(`kube-ipvs0 as an ifb device: this kernel has no dummy driver (${dummy.stderr.trim()})`);
      execFileSync("ip", ["-n", ns, "link", "add", "kube-ipvs0", "address", mac, "txqueuelen", "1000", "type", "ifb"]);
    }
    for (const ip of rs.ipvs!.bound) execFileSync("ip", ["-n", ns, "addr", "add", `${formatIPv4(ip)}/32`, "dev", "kube-ipvs0"]);
    const theirs = execFileSync("ip", ["-n", ns, "addr", "show", "kube-ipvs0"], { encoding: "utf8" });
    const index = Number(/^(\d+):/.exec(theirs)![1]);
    expect(theirs).toBe(ipvsDeviceAddr(index, mac, rs.ipvs!.bound));
  });

  it.skipIf(!ipvsKernel)("ipvsadm: the virtual servers kube-proxy adds list as our ipvsadm -Ln", () => {
    const { model } = loadModel({ scenario: "cross-namespace", settings: { kubeProxy: { mode: "ipvs" } } } as ModelInput);
    const rs = compileIpvs(model);
    const ns = netns();
    const rules: string[] = [];
    for (const vs of rs.ipvs!.virtualServers) {
      const svc = `${vs.protocol === "UDP" ? "-u" : vs.protocol === "SCTP" ? "--sctp-service" : "-t"} ${formatIPv4(vs.addr)}:${vs.port}`;
      rules.push(`-A ${svc} -s ${vs.scheduler}${vs.timeout ? ` -p ${vs.timeout}` : ""}`);
      // kube-proxy adds them in its order; the kernel's list is that reversed.
      for (const d of [...vs.dests].reverse()) rules.push(`-a ${svc} -r ${formatIPv4(d.addr)}:${d.port} -m -w ${d.weight}`);
    }
    inNs(ns, "ipvsadm", ["-R"], `${rules.join("\n")}\n`);
    expect(inNs(ns, "ipvsadm", ["-Ln"])).toBe(ipvsadmList(rs.ipvs!, () => [0, 0]));
  });
});
