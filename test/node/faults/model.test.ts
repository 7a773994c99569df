// The faults applied to the API's objects (src/faults/apply.ts), seen the way a learner sees
// them: the hop that stops the packet and why, what the client prints (trace.client), the
// commands' outputs — and the healthy cluster back, hop for hop, once the fault is gone.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Engine, Trace } from "../../../src/index.js";
import { engineFactory, rejection } from "../engine/helpers.js";

const shop = readFileSync(fileURLToPath(new URL("../../fixtures/shop.yaml", import.meta.url)), "utf8");
const make = engineFactory();
const summary = (t: Trace) => t.hops.map((h) => `${h.phase} ${h.node} ${h.netns} ${h.component}/${h.action} ${h.packet.src}>${h.packet.dst}`);
const lastRequest = (t: Trace) => t.hops.filter((h) => h.phase === "request").at(-1)!;

async function setup() {
  const e = await make({ host: "inline" });
  const s = await e.load({ text: shop });
  const web = s.pods.filter((p) => p.namespace === "shop" && p.labels.app === "web");
  const client = `shop/${web[0]!.name}`;
  return { e, web, client };
}
const load = (e: Engine, faults: string[], settings: Record<string, unknown> = {}) => e.load({ text: shop, settings: { ...settings, faults } });
const sh = async (e: Engine, command: string, pod?: string) => (await e.show({ command, ...(pod ? { pod } : {}) })).stdout;

describe("model-level faults", () => {
  it("pod-not-ready: READY 0/1, left out of the endpoints; the only backend gone leaves <none>", async () => {
    const { e, client } = await setup();
    const healthy = await e.trace({ from: client, to: "db-0.db.shop:5432" });
    await load(e, ["pod-not-ready=shop/db-0"]);
    expect(await sh(e, "kubectl get pods -n shop")).toMatch(/^db-0\s+0\/1\s+Running/m);
    expect(await sh(e, "kubectl get endpoints -n shop")).toMatch(/^db\s+10\.244\.0\.4:5432\s/m);
    await load(e, ["pod-not-ready=shop/db-0", "pod-not-ready=shop/db-1"]);
    expect(await sh(e, "kubectl get endpoints -n shop")).toMatch(/^db\s+<none>\s/m);
    // Back to healthy: the same trace, hop for hop.
    await load(e, []);
    expect(summary(await e.trace({ from: client, to: "db-0.db.shop:5432" }))).toEqual(summary(healthy));
  });

  it("selector-mismatch: no endpoints, kube-proxy's REJECT rule, the client refused", async () => {
    const { e, client } = await setup();
    const healthy = await e.trace({ from: client, to: "web.shop:80" });
    expect(healthy.client?.outcome).toBe("connected");
    await load(e, ["selector-mismatch=shop/web"]);
    expect(await sh(e, "kubectl get endpoints -n shop")).toMatch(/^web\s+<none>\s/m);
    expect(await sh(e, "iptables-save -t filter")).toContain('-A KUBE-SERVICES -d 10.96.0.2/32 -p tcp -m comment --comment "shop/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable');
    const t = await e.trace({ from: client, to: "web.shop:80" });
    expect(t.verdict).toBe("rejected");
    expect(lastRequest(t)).toMatchObject({ component: "netfilter", action: "reject", reason: "rejected" });
    expect(t.hops.filter((h) => h.phase === "error").at(-1)?.packet.icmp).toMatchObject({ type: 3, code: 3 });
    expect(t.client).toMatchObject({ outcome: "refused", exitCode: 7 });
    await load(e, []);
    expect(summary(await e.trace({ from: client, to: "web.shop:80" }))).toEqual(summary(healthy));
  });

  it("coredns-down: nslookup reaches no server, the name does not resolve, curl (6)", async () => {
    const { e, client } = await setup();
    const healthy = await e.trace({ from: client, to: "web.shop:80" });
    await load(e, ["coredns-down"]);
    expect(await sh(e, "nslookup web.shop", client)).toBe(";; communications error to 10.96.0.10#53: connection refused\n;; communications error to 10.96.0.10#53: connection refused\n;; no servers could be reached\n\n");
    expect(await sh(e, "kubectl get endpoints -n kube-system")).toMatch(/^kube-dns\s+<none>\s/m);
    const t = await e.trace({ from: client, to: "web.shop:80" });
    expect(t.verdict).toBe("unresolved");
    expect(t.dns?.error).toBe("Temporary failure in name resolution");
    expect(t.dns?.attempts.every((a) => "failure" in a.result && a.result.failure === "refused")).toBe(true);
    expect(t.client).toMatchObject({ outcome: "unresolved", exitCode: 6, output: "curl: (6) Could not resolve host: web.shop\n" });
    await load(e, []);
    expect(summary(await e.trace({ from: client, to: "web.shop:80" }))).toEqual(summary(healthy));
  });

  it("kube-proxy-stale: the KUBE-SEP rule to the deleted pod stays while the endpoints moved on", async () => {
    const { e, web, client } = await setup();
    const gone = web.find((p) => p.node === "node-a" && `shop/${p.name}` !== client)!;
    const healthy = await e.trace({ from: client, to: "web.shop:80" });
    await load(e, [`kube-proxy-stale=shop/${gone.name}`]);
    const nat = await sh(e, "iptables-save -t nat");
    expect(nat).toMatch(new RegExp(`-A KUBE-SEP-\\w+ -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination ${gone.ip.replace(/\./g, "\\.")}:8080`));
    expect(await sh(e, "kubectl get endpoints -n shop")).not.toContain(gone.ip);
    expect(await sh(e, "kubectl get pods -n shop")).not.toContain(gone.name);
    const t = await e.trace({ from: client, to: "web.shop:80" });
    expect(t.hops.find((h) => h.phase === "request" && h.action === "dnat")?.packet.dst).toBe(gone.ip);
    expect(lastRequest(t)).toMatchObject({ action: "drop", node: "node-a", reason: "no neighbour answers ARP (No route to host)" });
    expect(t.client).toMatchObject({ outcome: "unreachable", exitCode: 7 });
    await load(e, []);
    expect(summary(await e.trace({ from: client, to: "web.shop:80" }))).toEqual(summary(healthy));
  });

  it("default-deny: Calico drops at the policy hop; flannel changes nothing but the load's warning", async () => {
    const { e, client } = await setup();
    const calico = { cni: { plugin: "calico", mode: "vxlan" } };
    // Calico's IPAM gives other addresses than flannel's: the target's, as this cluster has them.
    const web = (await load(e, [], calico)).pods.filter((p) => p.namespace === "shop" && p.labels.app === "web" && `shop/${p.name}` !== client);
    web.unshift(web[0]!);
    const healthy = await e.trace({ from: client, to: `${web[1]!.ip}:8080` });
    expect(healthy.verdict).toBe("delivered");
    await load(e, ["default-deny=shop"], calico);
    const t = await e.trace({ from: client, to: `${web[1]!.ip}:8080` });
    expect(t.verdict).toBe("dropped");
    expect(lastRequest(t)).toMatchObject({ component: "policy", action: "drop", policy: { enforcer: "calico", verdict: "deny", direction: "ingress", pod: `shop/${web[1]!.name}` } });
    expect(t.policy).toMatchObject({ allowed: false });
    expect(t.client).toMatchObject({ outcome: "timeout", exitCode: 28 });
    await load(e, [], calico);
    expect(summary(await e.trace({ from: client, to: `${web[1]!.ip}:8080` }))).toEqual(summary(healthy));

    const flannelWeb = (await load(e, [])).pods.find((p) => p.name === web[1]!.name)!;
    const flannelHealthy = await e.trace({ from: client, to: `${flannelWeb.ip}:8080` });
    const s = await load(e, ["default-deny=shop"]);
    expect(s.warnings).toContainEqual(expect.objectContaining({ code: "not-enforced", path: "networkpolicies" }));
    const f = await e.trace({ from: client, to: `${flannelWeb.ip}:8080` });
    expect(summary(f)).toEqual(summary(flannelHealthy));
    expect(f.client?.outcome).toBe("connected");
  });
});

describe("fault errors", () => {
  it("name settings.faults[i] and the reason; the engine stays usable after a failed load", async () => {
    const { e, client } = await setup();
    const cases: Array<[string[], number, RegExp]> = [
      [["nope"], 0, /unknown fault "nope" \(faults: pod-not-ready, /],
      [["pod-not-ready"], 0, /fault pod-not-ready needs an argument: pod-not-ready=NAMESPACE\/POD/],
      [["coredns-down=x"], 0, /fault coredns-down takes no argument/],
      [["coredns-down", "pod-not-ready=shop/nosuch"], 1, /pod-not-ready=shop\/nosuch: no pod shop\/nosuch/],
      [["selector-mismatch=shop/nosuch"], 0, /no Service shop\/nosuch/],
      [["missing-route=node-a>node-z"], 0, /no node node-z/],
      [["default-deny=nosuch"], 0, /default-deny=nosuch: no namespace nosuch/],
      [["kube-proxy-stale=nosuch"], 0, /no pod default\/nosuch/],
    ];
    for (const [faults, i, reason] of cases) {
      const err = await rejection(load(e, faults));
      expect(err.path).toBe(`settings.faults[${i}]`);
      expect(err.message).toMatch(reason);
      expect(err.problems).toContainEqual(expect.objectContaining({ severity: "error", path: `settings.faults[${i}]` }));
    }
    // The last good cluster is still loaded, and a good one loads after.
    expect((await e.trace({ from: client, to: "web.shop:80" })).verdict).toBe("delivered");
    await load(e, ["selector-mismatch=shop/web"]);
    expect((await e.trace({ from: client, to: "web.shop:80" })).verdict).toBe("rejected");
  });
});
