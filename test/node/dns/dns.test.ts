// DNS as it happens in a pod: resolv.conf, the libc's search order, CoreDNS's records, and
// every query a UDP packet through kube-proxy to a CoreDNS pod.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterZone } from "../../../src/dns/records.js";
import { formatResolvConf, podResolvConf } from "../../../src/dns/resolv-conf.js";
import { candidates } from "../../../src/dns/resolver.js";
import { createEngine, type Engine, type Trace } from "../../../src/index.js";
import { loadModel } from "../../../src/model/load.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
});
afterAll(() => engine.dispose());

const asked = (t: Trace) => t.dns!.attempts.map((a) => `${a.type} ${a.name} ${"failure" in a.result ? a.result.failure : a.result.rcode}`);

describe("resolv.conf", () => {
  const { model } = loadModel({
    nodes: [{ name: "n1" }],
    pods: [
      { name: "web", namespace: "frontend" },
      { name: "host", hostNetwork: true },
      { name: "host-cluster", hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" },
      { name: "plain", dnsPolicy: "Default" },
    ],
  });
  const conf = (name: string) => formatResolvConf(podResolvConf(model, model.pods.find((p) => p.name === name)!));

  it("ClusterFirst: kube-dns, the namespace's search list, ndots:5 (as containerd writes it)", () => {
    expect(conf("web")).toBe("search frontend.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  });
  it("Default and host-network pods get the node's file; ClusterFirstWithHostNet the cluster's", () => {
    expect(conf("plain")).toBe("nameserver 192.168.1.1\n");
    expect(conf("host")).toBe("nameserver 192.168.1.1\n");
    expect(conf("host-cluster")).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  });
  it("None takes dnsConfig alone; dnsConfig merges into the others", () => {
    const text = ["apiVersion: v1", "kind: Pod", "metadata: {name: custom}", "spec:", "  dnsPolicy: None", "  dnsConfig: {nameservers: [1.1.1.1], searches: [corp.example], options: [{name: ndots, value: '2'}, {name: edns0}]}", "  containers: [{name: c}]", "---", "apiVersion: v1", "kind: Pod", "metadata: {name: tuned}", "spec:", "  dnsConfig: {options: [{name: ndots, value: '1'}]}", "  containers: [{name: c}]", "---", "nodes: [{name: n1}]"].join("\n");
    const { model: m } = loadModel({ text });
    const get = (n: string) => formatResolvConf(podResolvConf(m, m.pods.find((p) => p.name === n)!));
    expect(get("custom")).toBe("search corp.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n");
    expect(get("tuned")).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:1\n");
  });
});

describe("search order", () => {
  const conf = { nameservers: ["10.96.0.10"], searches: ["frontend.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: [{ name: "ndots", value: "5" }] };
  it("fewer dots than ndots: the search list first, the bare name last (both libcs)", () => {
    const want = ["api-svc.backend.frontend.svc.cluster.local.", "api-svc.backend.svc.cluster.local.", "api-svc.backend.cluster.local.", "api-svc.backend."];
    expect(candidates("api-svc.backend", conf, "glibc")).toEqual(want);
    expect(candidates("api-svc.backend", conf, "musl")).toEqual(want);
  });
  it("ndots or more: glibc tries the name first and then searches; musl tries only the name", () => {
    expect(candidates("a.b.c.d.e.example.com", conf, "glibc")).toEqual(["a.b.c.d.e.example.com.", "a.b.c.d.e.example.com.frontend.svc.cluster.local.", "a.b.c.d.e.example.com.svc.cluster.local.", "a.b.c.d.e.example.com.cluster.local."]);
    expect(candidates("a.b.c.d.e.example.com", conf, "musl")).toEqual(["a.b.c.d.e.example.com."]);
  });
  it("a final dot: only the name", () => {
    expect(candidates("api-svc.backend.svc.cluster.local.", conf, "glibc")).toEqual(["api-svc.backend.svc.cluster.local."]);
  });
});

describe("CoreDNS records", () => {
  const { model } = loadModel({
    nodes: [{ name: "n1" }],
    pods: [
      { name: "db-0", labels: { app: "db" }, ports: ["pg:5432"] },
      { name: "db-1", labels: { app: "db" }, ports: ["pg:5432"], ready: false },
    ],
    services: [
      { name: "db", clusterIP: "None", selector: { app: "db" }, ports: ["pg:5432:pg"] },
      { name: "empty", clusterIP: "None", selector: { app: "none" }, ports: [80] },
      { name: "api", clusterIP: "10.96.0.40", selector: { app: "db" }, ports: ["http:80:8080", "grpc:9090"] },
      { name: "ext", type: "ExternalName", externalName: "db.corp.example" },
    ],
    settings: { upstreamDNS: { "db.corp.example": "203.0.113.7" } },
  });
  const zone = new ClusterZone(model);
  const a = (name: string, type: "A" | "AAAA" | "SRV" = "A") => {
    const r = zone.answer(name, type);
    return `${r.rcode} ${r.answers.map((x) => `${x.type} ${x.data}`).join(", ")}`.trim();
  };
  it("answers a Service with its ClusterIP (TTL 30), and NODATA for AAAA", () => {
    expect(a("api.default.svc.cluster.local")).toBe("NOERROR A 10.96.0.40");
    expect(zone.answer("api.default.svc.cluster.local.", "A").answers[0]!.ttl).toBe(30);
    expect(a("api.default.svc.cluster.local", "AAAA")).toBe("NOERROR");
  });
  it("answers a headless Service with its ready endpoints; none ready is NXDOMAIN", () => {
    expect(a("db.default.svc.cluster.local")).toBe("NOERROR A 10.244.0.2");
    expect(a("empty.default.svc.cluster.local")).toBe("NXDOMAIN");
    expect(a("10-244-0-2.db.default.svc.cluster.local")).toBe("NOERROR A 10.244.0.2");
  });
  it("answers SRV per named port", () => {
    expect(a("_http._tcp.api.default.svc.cluster.local", "SRV")).toBe("NOERROR SRV 10 100 80 api.default.svc.cluster.local.");
    expect(a("_pg._tcp.db.default.svc.cluster.local", "SRV")).toBe("NOERROR SRV 10 100 5432 10-244-0-2.db.default.svc.cluster.local.");
    expect(a("_nope._tcp.api.default.svc.cluster.local", "SRV")).toBe("NXDOMAIN");
  });
  it("answers pod records without checking the pod (pods insecure), ExternalName with a CNAME, others upstream", () => {
    expect(a("10-244-9-9.default.pod.cluster.local")).toBe("NOERROR A 10.244.9.9");
    expect(a("ext.default.svc.cluster.local")).toBe("NOERROR CNAME db.corp.example., A 203.0.113.7");
    expect(a("db.corp.example")).toBe("NOERROR A 203.0.113.7");
    expect(a("nowhere.example")).toBe("NXDOMAIN");
    expect(a("nope.default.svc.cluster.local")).toBe("NXDOMAIN");
  });
});

describe("lookups as packets", () => {
  it("cross-namespace: api-svc.backend from frontend — NXDOMAIN in frontend's domain, then 10.96.0.25, then the HTTP leg", async () => {
    await engine.load({ scenario: "cross-namespace" });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "api-svc.backend:80" });
    expect(asked(t)).toEqual([
      "A api-svc.backend.frontend.svc.cluster.local. NXDOMAIN",
      "AAAA api-svc.backend.frontend.svc.cluster.local. NXDOMAIN",
      "A api-svc.backend.svc.cluster.local. NOERROR",
      "AAAA api-svc.backend.svc.cluster.local. NOERROR",
    ]);
    expect(t.dns!.addresses).toEqual(["10.96.0.25"]);
    expect(t.verdict).toBe("delivered");
    // Every query went to 10.96.0.10:53 over UDP. A name's A and AAAA leave one socket (one
    // source port): the A query's packet is DNAT'd to a CoreDNS pod, the AAAA query's follows
    // that conntrack entry to the same pod.
    const queries = t.hops.filter((h) => h.phase === "dns-query" && h.action === "dnat");
    expect(queries).toHaveLength(2);
    const followed = t.hops.filter((h) => h.phase === "dns-query" && h.action === "conntrack");
    expect(followed).toHaveLength(2);
    for (const q of [...queries, ...followed]) expect(q.packet).toMatchObject({ protocol: "udp", dport: 53 });
    for (const q of queries) expect(["10.244.0.2", "10.244.0.3"]).toContain(q.packet.dst);
    expect(followed.map((q) => `${q.packet.sport}>${q.packet.dst}`)).toEqual(queries.map((q) => `${q.packet.sport}>${q.packet.dst}`));
    // Answers come back from the ClusterIP (un-NAT'd), then the connection to 10.96.0.25 starts.
    const answers = t.hops.filter((h) => h.phase === "dns-answer" && h.action === "deliver");
    for (const a of answers) expect(a.packet.src).toBe("10.96.0.10");
    const firstRequest = t.hops.findIndex((h) => h.phase === "request");
    expect(t.hops[firstRequest]!.packet.dst).toBe("10.96.0.25");
    expect(t.hops.slice(firstRequest).every((h) => h.phase === "request" || h.phase === "reply")).toBe(true);
  });

  it("a short name in the same namespace answers at the first try", async () => {
    await engine.load({ scenario: "cross-namespace" });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "web-svc:80" });
    expect(asked(t)).toEqual(["A web-svc.frontend.svc.cluster.local. NOERROR", "AAAA web-svc.frontend.svc.cluster.local. NOERROR"]);
  });

  it("a fully qualified name with a final dot is one query pair", async () => {
    await engine.load({ scenario: "cross-namespace" });
    const t = await engine.trace({ from: "frontend/frontend-pod", to: "api-svc.backend.svc.cluster.local.:80" });
    expect(asked(t)).toEqual(["A api-svc.backend.svc.cluster.local. NOERROR", "AAAA api-svc.backend.svc.cluster.local. NOERROR"]);
  });

  it("an external name costs glibc four rounds of NXDOMAIN before the real answer (ndots:5)", async () => {
    await engine.load({ nodes: [{ name: "n1" }], pods: [{ name: "app" }], settings: { upstreamDNS: { "api.example.com": "203.0.113.10" } } });
    const t = await engine.trace({ from: "app", to: "api.example.com:443" });
    expect(asked(t).filter((a) => a.startsWith("A "))).toEqual([
      "A api.example.com.default.svc.cluster.local. NXDOMAIN",
      "A api.example.com.svc.cluster.local. NXDOMAIN",
      "A api.example.com.cluster.local. NXDOMAIN",
      "A api.example.com. NOERROR",
    ]);
    expect(t.dns!.attempts).toHaveLength(8);
    expect(t.dns!.addresses).toEqual(["203.0.113.10"]);
  });

  it("glibc and musl differ on a name with ndots dots that does not exist", async () => {
    await engine.load({ nodes: [{ name: "n1" }], pods: [{ name: "debian" }, { name: "alpine", libc: "musl" }] });
    const glibc = await engine.trace({ from: "debian", to: "a.b.c.d.e.example.com:80" });
    const musl = await engine.trace({ from: "alpine", to: "a.b.c.d.e.example.com:80" });
    expect(glibc.dns!.attempts).toHaveLength(8);
    expect(musl.dns!.attempts.map((a) => a.name)).toEqual(["a.b.c.d.e.example.com.", "a.b.c.d.e.example.com."]);
    expect(glibc.verdict).toBe("unresolved");
    expect(glibc.dns!.error).toBe("Name or service not known");
  });

  it("a headless Service resolves to its pod", async () => {
    await engine.load({ nodes: [{ name: "n1" }, { name: "n2" }], pods: [{ name: "client" }, { name: "db-0", node: "n2", labels: { app: "db" }, ports: ["pg:5432"] }], services: [{ name: "db", clusterIP: "None", selector: { app: "db" }, ports: ["pg:5432:pg"] }] });
    const t = await engine.trace({ from: "client", to: "db:5432" });
    expect(t.dns!.addresses).toEqual(["10.244.1.2"]);
    expect(t.hops.filter((h) => h.phase === "request").at(-1)).toMatchObject({ netns: "default/db-0", action: "deliver" });
  });

  it("an ExternalName Service answers with a CNAME and the upstream's address", async () => {
    await engine.load({ nodes: [{ name: "n1" }], pods: [{ name: "app" }], services: [{ name: "payments", type: "ExternalName", externalName: "pay.example.net" }], settings: { upstreamDNS: { "pay.example.net": "198.51.100.4" } } });
    const t = await engine.trace({ from: "app", to: "payments:443" });
    expect(t.dns!.addresses).toEqual(["198.51.100.4"]);
    const first = t.dns!.attempts[0]!;
    expect("failure" in first.result ? [] : first.result.answers.map((a) => `${a.type} ${a.data}`)).toEqual(["CNAME pay.example.net.", "A 198.51.100.4"]);
    // The address is outside the cluster: the connection leaves it.
    expect(t.hops.at(-1)).toMatchObject({ action: "drop", reason: "leaves the simulated cluster" });
  });

  it("CoreDNS down (no ready endpoints): each query is refused at once, retried, and the lookup fails", async () => {
    await engine.load({ nodes: [{ name: "n1" }], pods: [{ name: "app" }], settings: { coreDNSReplicas: 0 } });
    const t = await engine.trace({ from: "app", to: "web:80" });
    expect(t.verdict).toBe("unresolved");
    expect(asked(t)).toEqual(["A web.default.svc.cluster.local. refused", "A web.default.svc.cluster.local. refused", "AAAA web.default.svc.cluster.local. refused", "AAAA web.default.svc.cluster.local. refused"]);
    expect(t.dns!.error).toBe("Temporary failure in name resolution");
    const reject = t.hops.find((h) => h.action === "reject")!;
    expect(reject.rule).toMatch(/"kube-system\/kube-dns:dns has no endpoints" -m udp --dport 53 -j REJECT/);
    expect(t.hops.filter((h) => h.phase === "error" && h.action === "deliver")).toHaveLength(4);
  });
});
