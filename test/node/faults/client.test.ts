// What the client program prints for a traced connection (src/engine/client-view.ts): curl for
// TCP, netcat for UDP, one outcome each, from traces of real faults and from hand-made traces
// for the endings no fault produces yet.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { clientView } from "../../../src/engine/client-view.js";
import type { Hop, Trace } from "../../../src/index.js";
import { engineFactory } from "../engine/helpers.js";

const shop = readFileSync(fileURLToPath(new URL("../../fixtures/shop.yaml", import.meta.url)), "utf8");
const make = engineFactory();

async function shopEngine(faults: string[] = [], settings: Record<string, unknown> = {}) {
  const e = await make({ host: "inline" });
  const s = await e.load({ text: shop, settings: { ...settings, faults } });
  const web = s.pods.filter((p) => p.namespace === "shop" && p.labels.app === "web");
  return { e, s, web };
}

const hop = (over: Partial<Hop>): Hop => ({
  seq: 0,
  phase: "request",
  node: "node-a",
  netns: "host",
  component: "routing",
  action: "route",
  packet: { src: "10.244.0.2", dst: "10.244.1.9", protocol: "tcp", ttl: 64, length: 60, srcMac: "", dstMac: "", flags: [] },
  text: "",
  ...over,
});
const base = (over: Partial<Trace>): Trace => ({
  flow: { from: "client", to: "10.244.1.9:8080", srcIP: "10.244.0.2", dstIP: "10.244.1.9", protocol: "tcp", sport: 40000, dport: 8080 },
  verdict: "delivered",
  replyVerdict: "delivered",
  hops: [],
  ...over,
});

describe("curl (TCP)", () => {
  it("connected: the handshake completes, curl's output is left empty (no HTTP response is made up)", async () => {
    const { e, web } = await shopEngine();
    const t = await e.trace({ from: `shop/${web[0]!.name}`, to: "web.shop:80" });
    expect(t.client).toEqual({ command: "curl -sS --connect-timeout 5 http://web.shop/", output: "", exitCode: 0, outcome: "connected" });
    // A pod IP and port as typed: the URL keeps them.
    const direct = await e.trace({ from: `shop/${web[0]!.name}`, to: `${web[1]!.ip}:8080` });
    expect(direct.client?.command).toBe(`curl -sS --connect-timeout 5 http://${web[1]!.ip}:8080/`);
  });

  it("refused: a Service without endpoints is REJECTed (ICMP port unreachable) — curl (7) at once", async () => {
    const { e, web } = await shopEngine(["selector-mismatch=shop/web"]);
    const t = await e.trace({ from: `shop/${web[0]!.name}`, to: "web.shop:80" });
    expect(t.verdict).toBe("rejected");
    expect(t.client).toEqual({
      command: "curl -sS --connect-timeout 5 http://web.shop/",
      output: "curl: (7) Failed to connect to web.shop port 80 after 0 ms: Couldn't connect to server\n",
      exitCode: 7,
      outcome: "refused",
    });
    // By ClusterIP: the host is the address typed.
    const byIP = await e.trace({ from: `shop/${web[0]!.name}`, to: "10.96.0.2:80" });
    expect(byIP.client?.output).toBe("curl: (7) Failed to connect to 10.96.0.2 port 80 after 0 ms: Couldn't connect to server\n");
  });

  it("unresolved: CoreDNS down — curl (6)", async () => {
    const { e, web } = await shopEngine(["coredns-down"]);
    const t = await e.trace({ from: `shop/${web[0]!.name}`, to: "web.shop:80" });
    expect(t.client).toEqual({ command: "curl -sS --connect-timeout 5 http://web.shop/", output: "curl: (6) Could not resolve host: web.shop\n", exitCode: 6, outcome: "unresolved" });
  });

  it("timeout: a NetworkPolicy drop — curl (28) after the connect timeout", async () => {
    const { e, web } = await shopEngine(["default-deny=shop"], { cni: { plugin: "calico", mode: "vxlan" } });
    const t = await e.trace({ from: `shop/${web[0]!.name}`, to: `${web[1]!.ip}:8080` });
    expect(t.verdict).toBe("dropped");
    expect(t.client).toEqual({
      command: `curl -sS --connect-timeout 5 http://${web[1]!.ip}:8080/`,
      output: `curl: (28) Failed to connect to ${web[1]!.ip} port 8080 after 5002 ms: Timeout was reached\n`,
      exitCode: 28,
      outcome: "timeout",
    });
  });

  it("unreachable: kube-proxy's stale rule to a deleted pod — ARP fails, EHOSTUNREACH after the probes", async () => {
    const { web } = await shopEngine();
    const gone = web.find((p) => p.node === "node-a" && p !== web[0])!;
    const { e } = await shopEngine([`kube-proxy-stale=shop/${gone.name}`]);
    const t = await e.trace({ from: `shop/${web[0]!.name}`, to: "web.shop:80" });
    expect(t.hops.filter((h) => h.phase === "request").at(-1)).toMatchObject({ action: "drop", reason: expect.stringMatching(/No route to host/) });
    expect(t.client).toMatchObject({ output: "curl: (7) Failed to connect to web.shop port 80 after 3069 ms: Couldn't connect to server\n", exitCode: 7, outcome: "unreachable" });
  });

  it("unreachable from an ICMP host/network unreachable that reaches the client", () => {
    const icmp = (code: number) => hop({ phase: "error", action: "deliver", netns: "default/client", component: "pod", packet: { ...hop({}).packet, protocol: "icmp", icmp: { type: 3, code } } });
    const drop = hop({ action: "drop", reason: "dropped by a netfilter rule" });
    for (const code of [0, 1, 13]) {
      const c = clientView(base({ verdict: "dropped", replyVerdict: "delivered", hops: [drop, icmp(code)] }))!;
      expect(c).toMatchObject({ exitCode: 7, outcome: "unreachable", output: "curl: (7) Failed to connect to 10.244.1.9 port 8080 after 0 ms: Couldn't connect to server\n" });
    }
    // Rejected with port unreachable: refused; with host-prohibited: unreachable.
    expect(clientView(base({ verdict: "rejected", hops: [hop({ action: "reject" }), icmp(3)] }))!.outcome).toBe("refused");
    expect(clientView(base({ verdict: "rejected", hops: [hop({ action: "reject" }), icmp(10)] }))!.outcome).toBe("unreachable");
    // No route inside the client pod itself: connect() fails with ENETUNREACH at once.
    const local = clientView(base({ verdict: "dropped", replyVerdict: undefined, hops: [hop({ netns: "default/client", component: "pod", action: "drop", reason: "no route (Network is unreachable)" })] }))!;
    expect(local).toMatchObject({ outcome: "unreachable", exitCode: 7 });
    // On a forwarding node, without an ICMP error in the trace: the client just waits.
    const far = clientView(base({ verdict: "dropped", replyVerdict: undefined, hops: [hop({ action: "drop", reason: "no route (Network is unreachable)" })] }))!;
    expect(far).toMatchObject({ outcome: "timeout", exitCode: 28 });
  });

  it("timeout when the answer is lost: the reply dropped (e.g. at the client, from the wrong source), or the ICMP error lost", () => {
    const lostReply = clientView(base({ verdict: "delivered", replyVerdict: "dropped", hops: [hop({ action: "deliver" }), hop({ phase: "reply", action: "drop", reason: "reply from an unexpected source" })] }))!;
    expect(lostReply).toEqual({ command: "curl -sS --connect-timeout 5 http://10.244.1.9:8080/", output: "curl: (28) Failed to connect to 10.244.1.9 port 8080 after 5002 ms: Timeout was reached\n", exitCode: 28, outcome: "timeout" });
    const lostError = clientView(base({ verdict: "rejected", replyVerdict: "dropped", hops: [hop({ action: "reject" })] }))!;
    expect(lostError.outcome).toBe("timeout");
  });

  it("Cilium's socket LB with no backend: connect() fails with EHOSTUNREACH", () => {
    const c = clientView(base({ verdict: "dropped", replyVerdict: undefined, hops: [hop({ component: "socket", action: "drop", reason: "the Service has no backend: the socket call fails with EHOSTUNREACH (No route to host)" })] }))!;
    expect(c).toMatchObject({ outcome: "unreachable", exitCode: 7, output: expect.stringMatching(/after 0 ms: Couldn't connect to server/) });
  });
});

describe("netcat (UDP)", () => {
  it("nc -vzu reports success unless ICMP port unreachable comes back; a name that does not resolve fails in getaddrinfo", async () => {
    const { e, web } = await shopEngine();
    const ok = await e.trace({ from: `shop/${web[0]!.name}`, to: "10.96.0.10:53", protocol: "UDP" });
    expect(ok.client).toEqual({ command: "nc -vzu -w 3 10.96.0.10 53", output: "Connection to 10.96.0.10 53 port [udp/domain] succeeded!\n", exitCode: 0, outcome: "connected" });
    const named = await e.trace({ from: `shop/${web[0]!.name}`, to: "kube-dns.kube-system:53", protocol: "UDP" });
    expect(named.client?.output).toBe("Connection to kube-dns.kube-system (10.96.0.10) 53 port [udp/domain] succeeded!\n");
    const refused = clientView(base({ flow: { ...base({}).flow, protocol: "udp", dport: 9999 }, verdict: "rejected", hops: [hop({ action: "reject" })] }))!;
    expect(refused).toEqual({ command: "nc -vzu -w 3 10.244.1.9 9999", output: "", exitCode: 1, outcome: "refused" });
    // A drop is not seen by nc: UDP has no handshake.
    const dropped = clientView(base({ flow: { ...base({}).flow, protocol: "udp", dport: 9999 }, verdict: "dropped", replyVerdict: undefined, hops: [hop({ action: "drop", reason: "denied by NetworkPolicy" })] }))!;
    expect(dropped).toMatchObject({ exitCode: 0, outcome: "timeout", output: "Connection to 10.244.1.9 9999 port [udp/*] succeeded!\n" });
    const down = await shopEngine(["coredns-down"]);
    const unresolved = await down.e.trace({ from: `shop/${web[0]!.name}`, to: "kube-dns.kube-system:53", protocol: "UDP" });
    expect(unresolved.client).toEqual({ command: "nc -vzu -w 3 kube-dns.kube-system 53", output: 'nc: getaddrinfo for host "kube-dns.kube-system" port 53: Temporary failure in name resolution\n', exitCode: 1, outcome: "unresolved" });
  });
});

describe("the CLI", () => {
  const run = async (...argv: string[]) => {
    let out = "";
    const code = await main(argv, { out: (s: string) => void (out += s), err: () => {} } as never);
    return { code, out };
  };
  const file = fileURLToPath(new URL("../../fixtures/shop.yaml", import.meta.url));

  it("prints a client: section, and --json carries trace.client", async () => {
    const { web } = await shopEngine();
    const args = ["trace", "--file", file, "--from", `shop/${web[0]!.name}`, "--to", "web.shop:80", "--fault", "selector-mismatch=shop/web", "--host", "inline"];
    const text = await run(...args);
    expect(text.code).toBe(0);
    expect(text.out).toContain("\nclient:\n  $ curl -sS --connect-timeout 5 http://web.shop/\n  curl: (7) Failed to connect to web.shop port 80 after 0 ms: Couldn't connect to server\n  exit 7 — refused: rejected with ICMP port unreachable");
    const json = JSON.parse((await run(...args, "--json")).out) as Trace;
    expect(json.client).toMatchObject({ exitCode: 7, outcome: "refused" });
  });
});
