import { createEngine } from "../../engine/engine.js";
import { LIMITS, type ModelInput } from "../../model/types.js";
import type { SimulationPlan, SimulationResult } from "../../engine/simulate.js";
import { TRAFFIC_PATTERNS, type TrafficPattern } from "../../engine/traffic.js";
import { withSettings } from "../../model/with-settings.js";
import { CLUSTER_HELP, CLUSTER_OPTIONS, clusterInput, COMMON_OPTIONS, hostOption, intOption, parse, UsageError, type Command } from "../args.js";
import { progressBar } from "../progress.js";
import { table } from "../table.js";

export const simulate: Command = {
  name: "simulate",
  summary: "open many connections at once, with counters only, sharded over workers",
  help: `Usage: k8s-net-flow simulate [cluster options | --nodes N [--pods N] [--services N] [--namespaces N]]
                            [--flows N] [--packets N] [--pattern P] [--rate N] [--seed N]
                            [--churn N [--churn-endpoints N]] [--fail-node NODE [--fail-at F] [--detect S]]
                            [--workers N] [--json]

Opens --flows connections in simulated time, --rate a second, each from a random pod (by
default to a random Service port), and sends --packets packets on each (the first opens the
connection and is answered; the rest are established traffic); then the connection closes
(FIN, FIN-ACK, ACK) and its conntrack entries stay two minutes in TIME_WAIT. Prints what the
dataplane counted: packets delivered, dropped and rejected, conntrack, the rules walked, new
connections per Service endpoint and packets per pair of nodes; and statistics: throughput,
same-node vs cross-node connections, the rules (or lookups) each new connection walked as a
distribution, conntrack entries and traffic over simulated time, DNS queries per lookup, what
kube-proxy re-wrote for each event, and per Service port a chi-square test of its endpoints'
shares against a uniform choice. The same seed gives the same numbers, on any number of
workers (but the times).

Plan:
  --flows N         Connections to open (default 100000).
  --packets N       Packets per connection (default 10).
  --pattern P       Where connections go: uniform (default; a random Service port), zipf
                    (popularity 1/rank in the cluster's Service order: a few hot Services),
                    all-to-all (a random pod's container port, no Service), dns (a Service
                    by name, looked up first by the client's resolver: ndots:5, the search
                    list, A and AAAA, each query a UDP packet to kube-dns), external (a name
                    of --upstream, looked up the same way, then port 443).
  --rate N          New connections per simulated second, cluster-wide (default 10000).
  --upstream N=IP   A name outside the cluster and its address (repeat it; for --pattern external).
  --churn N         N times during the run, endpoints leave their Services (those of the
                    time before come back) and kube-proxy re-syncs (iptables, nftables).
  --churn-endpoints N  Endpoints each time (default 10).
  --fail-node NODE  This node fails: frames sent to it are lost, its pods open nothing.
  --fail-at F       When, as the share of the plan's flows started (0 to 1, default 0.5).
  --detect S        Seconds until the node is NotReady and its endpoints leave their
                    Services (default 40, --node-monitor-grace-period).
  --seed N          Seed for the flows and kube-proxy's choices (default 1).
  --workers N       Worker threads to shard the flows over, by flow hash (default 1).
  --top N           Rows in the endpoint and node-pair tables (default 10; --json has all).

${CLUSTER_HELP}
  Without --scenario, --file or --nodes: the pod-to-service scenario.

Generated cluster (as k8s-net-flow generate makes it, seeded by --seed):
  --nodes N         Nodes, 1 to ${LIMITS.nodes.toLocaleString("en-US")}.
  --pods N          Pods in all (default 30 per node; at most ${LIMITS.pods.toLocaleString("en-US")}).
  --services N      Services (at most ${LIMITS.services.toLocaleString("en-US")}).
  --namespaces N    Namespaces the pods and Services are spread over.

Output:
  --json            The engine's SimulationResult as JSON, with "timing": the run's seconds,
                    packets and connections per second, and the cluster's loadSeconds.
  A progress bar goes to stderr when it is a terminal.
`,
  async run(argv, io) {
    const { values } = parse("simulate", argv, { ...CLUSTER_OPTIONS, ...COMMON_OPTIONS, flows: { type: "string" }, packets: { type: "string" }, pattern: { type: "string" }, rate: { type: "string" }, upstream: { type: "string", multiple: true }, churn: { type: "string" }, "churn-endpoints": { type: "string" }, "fail-node": { type: "string" }, "fail-at": { type: "string" }, detect: { type: "string" }, seed: { type: "string" }, workers: { type: "string" }, top: { type: "string" }, host: { type: "string" }, nodes: { type: "string" }, pods: { type: "string" }, services: { type: "string" }, namespaces: { type: "string" } });
    if (values.help) return io.out(simulate.help), 0;
    if (values.pattern !== undefined && !TRAFFIC_PATTERNS.includes(values.pattern as TrafficPattern)) throw new UsageError(`--pattern must be one of ${TRAFFIC_PATTERNS.join(", ")}, not "${values.pattern}"`, "simulate");
    const plan: SimulationPlan = {
      flows: intOption("simulate", "flows", values.flows, 100_000, 1, 1e9),
      packetsPerFlow: intOption("simulate", "packets", values.packets, 10, 1, 1e6),
      pattern: (values.pattern ?? "uniform") as TrafficPattern,
      seed: intOption("simulate", "seed", values.seed, 1, 0, 0xffffffff),
      connectionsPerSecond: intOption("simulate", "rate", values.rate, 10_000, 1, 1e9),
    };
    if (values.churn !== undefined) plan.churn = { events: intOption("simulate", "churn", values.churn, 0, 0, 100), endpoints: intOption("simulate", "churn-endpoints", values["churn-endpoints"], 10, 1, 1e6) };
    else if (values["churn-endpoints"] !== undefined) throw new UsageError("--churn-endpoints needs --churn N", "simulate");
    if (values["fail-node"] !== undefined) {
      const at = values["fail-at"] ?? "0.5";
      if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(at)) throw new UsageError(`--fail-at must be a number from 0 to 1, not "${at}"`, "simulate");
      plan.nodeFailure = { node: values["fail-node"], at: Number(at), detectionSeconds: intOption("simulate", "detect", values.detect, 40, 0, 1e7) };
    } else if (values["fail-at"] !== undefined || values.detect !== undefined) throw new UsageError("--fail-at and --detect need --fail-node NODE", "simulate");
    const upstreamDNS: Record<string, string> = {};
    for (const u of values.upstream ?? []) {
      const m = /^([^=\s]+)=(\d+\.\d+\.\d+\.\d+)$/.exec(u);
      if (!m) throw new UsageError(`--upstream takes NAME=IPv4, e.g. api.example.com=203.0.113.10, not "${u}"`, "simulate");
      upstreamDNS[m[1]!] = m[2]!;
    }
    const workers = intOption("simulate", "workers", values.workers, 1, 1, 64);
    const top = intOption("simulate", "top", values.top, 10, 0, 1e6);
    const host = hostOption("simulate", values.host);
    if (host === "inline" && workers > 1) throw new UsageError("--host inline runs on one thread: drop --workers", "simulate");
    const base = await clusterInput("simulate", values, "pod-to-service", generated(values, plan.seed!));
    const input = Object.keys(upstreamDNS).length ? withSettings(base, { upstreamDNS }) : base;
    const engine = await createEngine({ host, workers });
    const bar = io.errIsTTY && !values.json ? progressBar(io.err, "simulating") : undefined;
    // Ctrl-C stops the workers at their next chunk instead of leaving them running.
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once("SIGINT", interrupt);
    try {
      const loading = performance.now();
      await engine.load(input);
      const loadSeconds = (performance.now() - loading) / 1000;
      const result = await engine.simulate(plan, { signal: controller.signal, onProgress: bar ? (done, total) => bar.update(done, total) : undefined });
      bar?.clear();
      // timing is not enumerable (the rest is the deterministic part): written out explicitly.
      io.out(values.json ? `${JSON.stringify({ ...result, timing: { ...result.timing!, loadSeconds } }, null, 2)}\n` : formatSimulation(result, result.timing!.seconds, top, loadSeconds));
      return 0;
    } finally {
      bar?.clear();
      process.off("SIGINT", interrupt);
      await engine.dispose();
    }
  },
};

/** --nodes and the rest: a generated cluster, seeded like the plan (undefined without --nodes). */
/** Simulated seconds, to a tenth below 100. */
function secs(s: number): string {
  return s < 100 ? s.toFixed(1) : Math.round(s).toLocaleString("en-US");
}

function generated(values: { nodes?: string; pods?: string; services?: string; namespaces?: string }, seed: number): ModelInput | undefined {
  if (values.nodes === undefined) {
    const stray = (["pods", "services", "namespaces"] as const).find((k) => values[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} generates a cluster: give --nodes N too`, "simulate");
    return undefined;
  }
  return {
    generate: {
      seed,
      nodes: intOption("simulate", "nodes", values.nodes, 0, 1, LIMITS.nodes),
      ...(values.pods !== undefined ? { pods: intOption("simulate", "pods", values.pods, 0, 0, LIMITS.pods) } : {}),
      ...(values.services !== undefined ? { services: intOption("simulate", "services", values.services, 0, 0, LIMITS.services) } : {}),
      ...(values.namespaces !== undefined ? { namespaces: intOption("simulate", "namespaces", values.namespaces, 0, 1, LIMITS.namespaces) } : {}),
    },
  };
}

const n = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 1 });
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pval = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));

export function formatSimulation(r: SimulationResult, seconds: number, top: number, loadSeconds?: number): string {
  const c = r.counters;
  const d = r.rulesPerNewConnection;
  const lines = [
    `${n(r.flows)} connections × ${n(r.plan.packetsPerFlow)} packets (${r.plan.pattern}, seed ${r.plan.seed}) on ${r.workers} worker${r.workers === 1 ? "" : "s"} in ${seconds.toFixed(2)} s (${n(Math.round(r.packets / seconds))} packets/s, ${n(Math.round(r.flows / seconds))} connections/s)${loadSeconds !== undefined ? `; cluster loaded in ${loadSeconds.toFixed(2)} s` : ""}`,
    "",
    table(
      ["counter", "value"],
      [
        ["packets delivered", n(c.delivered)],
        ["packets dropped", n(c.dropped)],
        ["packets rejected (ICMP sent back)", n(c.rejected)],
        ["bytes delivered", n(c.bytes)],
        ["VXLAN bytes on the wire", n(c.encapBytes)],
        ["conntrack lookups: hit / miss", `${n(c.ctHits)} / ${n(c.ctMisses)}`],
        ["conntrack entries created", n(c.ctInserts)],
        ["conntrack table full drops", n(c.ctFull)],
        ["netfilter rules walked", n(c.rulesWalked)],
        ["rules walked per connection", n(r.rulesPerConnection)],
        ["rules per new connection: min / median / p99 / max", `${n(d.min)} / ${n(d.median)} / ${n(d.p99)} / ${n(d.max)}`],
        ["connections same-node / cross-node", `${n(r.locality.sameNode)} / ${n(r.locality.crossNode)} (${pct(r.locality.sameNodeShare)} same-node)`],
        ...(c.failedLookups ? [["connections not made: their lookup got no answer", n(c.failedLookups)]] : []),
      ],
      ["left", "right"],
    ),
  ];
  if (d.count) {
    const rows = d.counts.map((count, i) => [i + 1 < d.edges.length ? `${n(d.edges[i]!)}–${n(d.edges[i + 1]! - 1)}` : `${n(d.edges[i]!)} and more`, n(count), pct(count / d.count)]).filter((_, i) => d.counts[i]);
    lines.push("", "Rules (or lookups) walked per new connection:", table(["rules", "connections", "share"], rows, ["left", "right", "right"]));
  }
  // Every fourth timeline point, with rates over the four intervals up to it.
  const tl = r.timeline.flatMap((pt, i) => {
    if (i % 4 !== 3) return [];
    const span = r.timeline.slice(i - 3, i + 1);
    const seconds = pt.seconds - (i >= 4 ? r.timeline[i - 4]!.seconds : 0);
    const rate = (f: "delivered" | "dropped" | "newConnections" | "dnsQueries") => n(Math.round(span.reduce((s, x) => s + x[f], 0) / seconds));
    return [[secs(pt.seconds), n(pt.flows), n(pt.conntrack), rate("newConnections"), rate("delivered"), rate("dropped"), rate("dnsQueries")]];
  });
  if (tl.length) lines.push("", "Over simulated time (rates per simulated second):", table(["second", "flows", "conntrack entries", "new conns/s", "delivered/s", "dropped/s", "DNS queries/s"], tl, ["right", "right", "right", "right", "right", "right", "right"]));
  if (r.events.length) lines.push("", table(["second", "event", "rule lines written (full re-sync)"], r.events.map((e) => [secs(e.seconds), e.detail, e.rulesWritten === undefined ? "" : `${n(e.rulesWritten)} (${n(e.fullSync ?? 0)})`]), ["right", "left", "right"]));
  const q = r.dnsQueriesPerLookup;
  if (q.count) lines.push("", `DNS lookups: ${n(q.count)}, queries per lookup: min ${n(q.min)} / median ${n(q.median)} / max ${n(q.max)} (mean ${q.mean.toFixed(2)})`);
  const tested = r.serviceUniformity.filter((u) => u.df > 0);
  if (tested.length) {
    const below = (p: number) => tested.filter((u) => u.pValue < p).length;
    lines.push("", `Endpoint shares against a uniform choice (chi-square), ${n(tested.length)} Service port${tested.length === 1 ? "" : "s"} with 2+ endpoints: p < 0.05 for ${n(below(0.05))} (${pct(below(0.05) / tested.length)}; about 5% by chance alone), p < 0.001 for ${n(below(0.001))}`);
    if (top > 0) {
      const rows = [...tested].sort((a, b) => a.pValue - b.pValue || (a.servicePort < b.servicePort ? -1 : 1)).slice(0, top);
      lines.push(table(["service port", "endpoints", "connections", "chi-square", "df", "p-value"], rows.map((u) => [u.servicePort, n(u.endpoints), n(u.connections), u.chiSquare.toFixed(2), n(u.df), pval(u.pValue)]), ["left", "right", "right", "right", "right", "right"]));
    }
  }
  const drops = Object.entries(r.drops);
  if (drops.length) lines.push("", table(["dropped because", "packets"], drops.map(([why, count]) => [why, n(count)]), ["left", "right"]));
  if (top > 0 && r.endpoints.length) {
    const rows = [...r.endpoints].sort((a, b) => b.connections - a.connections || (a.servicePort < b.servicePort ? -1 : 1)).slice(0, top);
    lines.push("", `New connections per endpoint (top ${rows.length} of ${r.endpoints.length}):`, table(["service port", "endpoint", "connections"], rows.map((e) => [e.servicePort, e.endpoint, n(e.connections)]), ["left", "left", "right"]));
  }
  if (top > 0 && r.nodePairs.length) {
    const rows = [...r.nodePairs].sort((a, b) => b.packets - a.packets).slice(0, top);
    lines.push("", `Delivered packets per node pair (top ${rows.length} of ${r.nodePairs.length}):`, table(["from node", "to node", "packets"], rows.map((p) => [p.from, p.to, n(p.packets)]), ["left", "left", "right"]));
  }
  return `${lines.join("\n")}\n`;
}
