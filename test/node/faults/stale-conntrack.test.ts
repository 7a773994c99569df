// Fault stale-udp-conntrack=NAMESPACE/POD: "DNS stops working after CoreDNS restarts". POD (a
// UDP backend) was deleted and recreated by its controller: a new pod (new name suffix, the
// lowest free address of its node's pod range) replaces it in the API and in kube-proxy's rules,
// but kube-proxy failed to delete the UDP conntrack entries towards the old IP (`conntrack -D -p
// udp --orig-dst CLUSTER_IP --reply-src OLD_IP`, e.g. no conntrack binary on an old kube-proxy).
// Assumption (src/dataplane/forward.ts injectStaleUdp): every traced UDP exchange to one of its
// Services comes from a client socket that outlived the restart, so the entry made for it back
// then is still there (refreshed by every datagram, it never expires) and the datagrams follow
// it to the gone address.
import { describe, expect, it } from "vitest";
import { faultText, parseFault } from "../../../src/faults/faults.js";
import type { Engine, Hop, Trace } from "../../../src/index.js";
import { engineFactory, rejection } from "../engine/helpers.js";

const make = engineFactory();
const node = (n: number) => ({ name: `worker-node-${n}`, ip: `192.168.1.${9 + n}`, podCIDR: `10.244.${n - 1}.0/24` });
const cluster = (faults: string[] = [], settings: Record<string, unknown> = {}) => ({
  name: "stale-udp",
  nodes: [node(1), node(2), node(3)],
  pods: [{ name: "client", node: "worker-node-1", labels: { app: "client" } }],
  deployments: [{ name: "syslog", replicas: 1, labels: { app: "syslog" }, ports: ["syslog:5514/UDP"], node: "worker-node-3" }],
  services: [{ name: "syslog", selector: { app: "syslog" }, ports: ["514:5514/UDP"] }],
  settings: { coreDNSReplicas: 1, faults, ...settings },
});
const load = (e: Engine, faults: string[] = [], settings: Record<string, unknown> = {}) => e.load(cluster(faults, settings) as never);
const sh = async (e: Engine, command: string, where: { node?: string; pod?: string } = {}) => (await e.show({ command, ...where })).stdout;
const byQuery = (t: Trace) => {
  const out = new Map<number, Hop[]>();
  for (const h of t.hops) if (h.phase === "dns-query" || h.phase === "dns-answer") out.set(h.dns!.query, [...(out.get(h.dns!.query) ?? []), h]);
  return out;
};
/** The conntrack hop of the query: the stale entry's DNAT, to the address it held back then. */
const ctHit = (hops: Hop[]) => hops.find((h) => h.phase === "dns-query" && h.component === "conntrack");

async function setup() {
  const e = await make({ host: "inline" });
  const s = await load(e);
  const coredns = s.pods.find((p) => p.labels["k8s-app"] === "kube-dns")!;
  const syslog = s.pods.find((p) => p.labels.app === "syslog")!;
  return { e, coredns, syslog };
}

describe("stale-udp-conntrack", () => {
  it("parses and prints back", () => {
    expect(parseFault("stale-udp-conntrack=kube-system/coredns-x")).toEqual({ kind: "stale-udp-conntrack", pod: "kube-system/coredns-x" });
    expect(parseFault("stale-udp-conntrack=syslog-x")).toEqual({ kind: "stale-udp-conntrack", pod: "default/syslog-x" });
    expect(faultText(parseFault("stale-udp-conntrack=kube-system/coredns-x"))).toBe("stale-udp-conntrack=kube-system/coredns-x");
    expect(() => parseFault("stale-udp-conntrack")).toThrow(/needs an argument: stale-udp-conntrack=NAMESPACE\/POD/);
  });

  it("CoreDNS recreated (1 replica): the lookup follows the stale entry to the old IP and times out; the API and kube-proxy moved on", async () => {
    const { e, coredns } = await setup();
    const healthy = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" });
    expect(healthy.verdict).toBe("delivered");
    const fault = `stale-udp-conntrack=kube-system/${coredns.name}`;
    const s = await load(e, [fault]);
    // The new pod: same Deployment and node, a new suffix, the node's lowest free address.
    const fresh = s.pods.find((p) => p.labels["k8s-app"] === "kube-dns")!;
    expect(fresh.name).not.toBe(coredns.name);
    expect(fresh.name.replace(/-[^-]+$/, "")).toBe(coredns.name.replace(/-[^-]+$/, ""));
    expect(fresh.node).toBe(coredns.node);
    expect(coredns.ip).toBe("10.244.1.2");
    expect(fresh.ip).toBe("10.244.1.3");
    expect(s.pods.some((p) => p.name === coredns.name)).toBe(false);
    const pods = await sh(e, "kubectl get pods -n kube-system -o wide");
    expect(pods).toMatch(new RegExp(`^${fresh.name}\\s+1/1\\s+Running\\s.*\\s10\\.244\\.1\\.3\\s+${fresh.node}\\s`, "m"));
    expect(pods).not.toContain(coredns.name);
    expect(await sh(e, "kubectl get endpoints -n kube-system kube-dns")).toMatch(/^kube-dns\s+10\.244\.1\.3:53,10\.244\.1\.3:53,10\.244\.1\.3:9153\s/m);
    // kube-proxy's rules lead to the new pod only.
    const nat = await sh(e, "iptables-save -t nat", { node: "worker-node-1" });
    expect(nat).toContain("10.244.1.3:53");
    expect(nat).not.toContain("10.244.1.2");

    const t = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" });
    expect(t.verdict).toBe("unresolved");
    expect(t.dns?.error).toBe("Temporary failure in name resolution");
    expect(t.dns!.attempts.length).toBeGreaterThan(0);
    expect(t.dns!.attempts.every((a) => "failure" in a.result && a.result.failure === "timeout")).toBe(true);
    for (const [q, hops] of byQuery(t)) {
      // On the client's node, conntrack's entry (not the nat table) DNATs to the old IP.
      expect(ctHit(hops), `query ${q}`).toMatchObject({ node: "worker-node-1", netns: "host", action: "conntrack", packet: { src: "10.244.0.2", dst: coredns.ip, dport: 53 } });
      expect(hops.some((h) => h.component === "netfilter" && h.action === "dnat"), `query ${q}`).toBe(false);
      // Carried to the old IP's node, where no neighbour answers ARP for it: no answer.
      const drop = hops.at(-1)!;
      expect(drop, `query ${q}`).toMatchObject({ phase: "dns-query", node: coredns.node, netns: "host", action: "drop", packet: { dst: coredns.ip } });
      expect(drop.reason).toMatch(/no neighbour answers ARP/);
      expect(drop.dns!.result).toBe("no answer");
    }
    expect(t.client).toMatchObject({ outcome: "unresolved", exitCode: 1 });
    // The stale entry on the client's node: orig towards the ClusterIP, reply from the old IP.
    const ct = await e.show({ command: "conntrack -L", node: "worker-node-1" });
    expect(ct.stdout).toMatch(new RegExp(`^udp +17 120 src=10\\.244\\.0\\.2 dst=10\\.96\\.0\\.10 sport=(\\d+) dport=53 src=10\\.244\\.1\\.2 dst=10\\.244\\.0\\.2 sport=53 dport=\\1 \\[ASSURED\\] mark=0 use=1$`, "m"));
    expect(ct.stdout).not.toContain("10.244.1.3");
    // The old IP's node tracked the datagram it could not deliver: never answered.
    expect(await sh(e, "conntrack -L", { node: "worker-node-2" })).toMatch(/^udp +17 30 src=10\.244\.0\.2 dst=10\.244\.1\.2 sport=\d+ dport=53 \[UNREPLIED\] src=10\.244\.1\.2 dst=10\.244\.0\.2 /m);
    // nslookup from the pod: every try times out.
    expect(await sh(e, "nslookup syslog", { pod: "client" })).toBe(";; communications error to 10.96.0.10#53: timed out\n;; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n\n");

    // The fault removed: the healthy trace, exactly.
    await load(e);
    expect(await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" })).toEqual(healthy);
  });

  it("another UDP Service's backend recreated: a traced UDP flow to its ClusterIP dies at the old IP's node", async () => {
    const { e, syslog } = await setup();
    const healthy = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" });
    expect(healthy.verdict).toBe("delivered");
    const s = await load(e, [`stale-udp-conntrack=default/${syslog.name}`]);
    const fresh = s.pods.find((p) => p.labels.app === "syslog")!;
    expect(fresh).toMatchObject({ node: "worker-node-3", ip: "10.244.2.3" });
    expect(await sh(e, "kubectl get endpoints syslog")).toMatch(/^syslog\s+10\.244\.2\.3:5514\s/m);
    const t = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" });
    // DNS (CoreDNS untouched) answers as before; the datagram meets the stale entry.
    expect(t.dns).toEqual(healthy.dns);
    expect(t.verdict).toBe("dropped");
    const request = t.hops.filter((h) => h.phase === "request");
    expect(request.find((h) => h.component === "conntrack")).toMatchObject({ node: "worker-node-1", action: "conntrack", packet: { dst: syslog.ip, dport: 5514 } });
    expect(request.at(-1)).toMatchObject({ node: "worker-node-3", netns: "host", action: "drop", packet: { dst: syslog.ip } });
    expect(request.at(-1)!.reason).toMatch(/no neighbour answers ARP/);
    const ct = await sh(e, "conntrack -L", { node: "worker-node-1" });
    expect(ct).toMatch(new RegExp(`^udp +17 120 src=10\\.244\\.0\\.2 dst=${s.services.find((x) => x.name === "syslog")!.clusterIP!.replace(/\./g, "\\.")} sport=${t.flow.sport} dport=514 src=${syslog.ip.replace(/\./g, "\\.")} dst=10\\.244\\.0\\.2 sport=5514 dport=${t.flow.sport} \\[ASSURED\\] mark=0 use=1$`, "m"));
    // Straight to the new pod's address (no ClusterIP, so no entry of kube-proxy's): delivered.
    const direct = await e.trace({ from: "client", to: `${fresh.ip}:5514`, protocol: "UDP" });
    expect(direct.verdict).toBe("delivered");
    await load(e);
    expect(await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" })).toEqual(healthy);
  });

  it("2 CoreDNS replicas, one recreated: the queries whose sockets' entries pointed at it time out, the others are answered", async () => {
    // What a real client sees: kube-proxy had spread the sockets' first datagrams over both
    // replicas, so each long-lived socket is pinned by its conntrack entry to one of them. The
    // sockets pinned to the recreated pod's old IP time out on every query (retries go out the
    // same socket, through the same entry), as long as they keep sending within 120 s; the others
    // are answered by the untouched replica: "DNS fails intermittently", depending on the socket
    // (here: which source port a lookup uses). A new socket (new source port) would get a fresh
    // entry from kube-proxy's current rules and work.
    const e = await make({ host: "inline" });
    const s0 = await load(e, [], { coreDNSReplicas: 2 });
    const dns = s0.pods.filter((p) => p.labels["k8s-app"] === "kube-dns");
    expect(dns).toHaveLength(2);
    const [gone, kept] = dns as [typeof dns[0], typeof dns[0]];
    await load(e, [`stale-udp-conntrack=kube-system/${gone.name}`], { coreDNSReplicas: 2 });
    let failed = 0;
    let answered = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const t = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP", seed });
      for (const [q, hops] of byQuery(t)) {
        const hit = ctHit(hops)!;
        expect(hit, `seed ${seed} query ${q}`).toBeDefined();
        const result = hops.at(-1)!.dns!.result;
        if (hit.packet.dst === gone.ip) {
          failed++;
          expect(result, `seed ${seed} query ${q}`).toBe("no answer");
          expect(hops.at(-1), `seed ${seed} query ${q}`).toMatchObject({ phase: "dns-query", node: gone.node, action: "drop" });
        } else {
          answered++;
          expect(hit.packet.dst, `seed ${seed} query ${q}`).toBe(kept.ip);
          expect(result, `seed ${seed} query ${q}`).not.toBe("no answer");
          expect(hops.at(-1), `seed ${seed} query ${q}`).toMatchObject({ phase: "dns-answer", action: "deliver" });
        }
      }
      if (t.dns!.addresses.length) expect(t.verdict).toBe("delivered");
    }
    expect(failed).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(0);
  });

  it("Calico: the new address comes from the old one's /26 block, past the tunnel address; the lookup times out the same way", async () => {
    const e = await make({ host: "inline" });
    const calico = { cni: { plugin: "calico", mode: "ipip" } };
    const s0 = await load(e, [], calico);
    const coredns = s0.pods.find((p) => p.labels["k8s-app"] === "kube-dns")!;
    const s = await load(e, [`stale-udp-conntrack=kube-system/${coredns.name}`], calico);
    const fresh = s.pods.find((p) => p.labels["k8s-app"] === "kube-dns")!;
    const block = (ip: string) => ip.split(".").slice(0, 3).join(".") + "." + (Number(ip.split(".")[3]) & ~63);
    expect(block(fresh.ip)).toBe(block(coredns.ip));
    expect(fresh.ip).not.toBe(coredns.ip);
    // calico-node's tunl0 holds the block's first address (ordinal 0).
    expect(fresh.ip).not.toBe(block(coredns.ip));
    expect(s.pods.filter((p) => p.ip === fresh.ip)).toHaveLength(1);
    const t = await e.trace({ from: "client", to: "syslog:514", protocol: "UDP" });
    expect(t.verdict).toBe("unresolved");
    expect(t.hops.at(-1)).toMatchObject({ node: coredns.node, action: "drop", packet: { dst: coredns.ip } });
  });

  it("errors name settings.faults[i]: no such pod, a pod that backs no UDP Service", async () => {
    const { e, syslog } = await setup();
    const cases: Array<[string[], number, RegExp]> = [
      [["stale-udp-conntrack=kube-system/nosuch"], 0, /stale-udp-conntrack=kube-system\/nosuch: no pod kube-system\/nosuch/],
      [["br-netfilter-off", "stale-udp-conntrack=client"], 1, /stale-udp-conntrack=default\/client: default\/client backs no UDP port of a Service/],
    ];
    for (const [faults, i, reason] of cases) {
      const err = await rejection(load(e, faults));
      expect(err.path).toBe(`settings.faults[${i}]`);
      expect(err.message).toMatch(reason);
      expect(err.problems).toContainEqual(expect.objectContaining({ severity: "error", path: `settings.faults[${i}]` }));
    }
    // The last good cluster is still loaded.
    expect((await e.trace({ from: "client", to: `default/${syslog.name}:5514`, protocol: "UDP" })).verdict).toBe("delivered");
  });
});
