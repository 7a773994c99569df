import { createEngine } from "../../engine/engine.js";
import type { SimulationResult } from "../../engine/simulate.js";
import { CLUSTER_HELP, CLUSTER_OPTIONS, clusterInput, COMMON_OPTIONS, hostOption, intOption, parse, UsageError, type Command } from "../args.js";
import { progressBar } from "../progress.js";
import { table } from "../table.js";

export const simulate: Command = {
  name: "simulate",
  summary: "open many connections at once, with counters only, sharded over workers",
  help: `Usage: k8s-net-flow simulate [cluster options] [--flows N] [--packets N] [--seed N] [--workers N] [--json]

Opens --flows connections, each from a random pod to a random Service port of the cluster,
and sends --packets packets on each (the first opens the connection and is answered; the
rest are established traffic). Prints what the dataplane counted: packets delivered, dropped
and rejected, conntrack, the rules walked, new connections per Service endpoint and packets
per pair of nodes. The same seed gives the same numbers, on any number of workers.

Plan:
  --flows N         Connections to open (default 100000).
  --packets N       Packets per connection (default 10).
  --pattern P       Which Service each connection goes to: uniform (default), or zipf
                    (popularity 1/rank in the cluster's Service order: a few hot Services).
  --seed N          Seed for the flows and kube-proxy's choices (default 1).
  --workers N       Worker threads to shard the flows over, by flow hash (default 1).
  --top N           Rows in the endpoint and node-pair tables (default 10; --json has all).

${CLUSTER_HELP}
  Without --scenario or --file: the pod-to-service scenario.

Output:
  --json            The engine's SimulationResult as JSON.
  A progress bar goes to stderr when it is a terminal.
`,
  async run(argv, io) {
    const { values } = parse("simulate", argv, { ...CLUSTER_OPTIONS, ...COMMON_OPTIONS, flows: { type: "string" }, packets: { type: "string" }, pattern: { type: "string" }, seed: { type: "string" }, workers: { type: "string" }, top: { type: "string" }, host: { type: "string" } });
    if (values.help) return io.out(simulate.help), 0;
    if (values.pattern !== undefined && values.pattern !== "uniform" && values.pattern !== "zipf") throw new UsageError(`--pattern must be uniform or zipf, not "${values.pattern}"`, "simulate");
    const plan = {
      flows: intOption("simulate", "flows", values.flows, 100_000, 1, 1e9),
      packetsPerFlow: intOption("simulate", "packets", values.packets, 10, 1, 1e6),
      pattern: (values.pattern ?? "uniform") as "uniform" | "zipf",
      seed: intOption("simulate", "seed", values.seed, 1, 0, 0xffffffff),
    };
    const workers = intOption("simulate", "workers", values.workers, 1, 1, 64);
    const top = intOption("simulate", "top", values.top, 10, 0, 1e6);
    const host = hostOption("simulate", values.host);
    if (host === "inline" && workers > 1) throw new UsageError("--host inline runs on one thread: drop --workers", "simulate");
    const input = await clusterInput("simulate", values, "pod-to-service");
    const engine = await createEngine({ host, workers });
    const bar = io.errIsTTY && !values.json ? progressBar(io.err, "simulating") : undefined;
    // Ctrl-C stops the workers at their next chunk instead of leaving them running.
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once("SIGINT", interrupt);
    try {
      await engine.load(input);
      const started = performance.now();
      const result = await engine.simulate(plan, { signal: controller.signal, onProgress: bar ? (done, total) => bar.update(done, total) : undefined });
      const seconds = (performance.now() - started) / 1000;
      bar?.clear();
      io.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatSimulation(result, seconds, top));
      return 0;
    } finally {
      bar?.clear();
      process.off("SIGINT", interrupt);
      await engine.dispose();
    }
  },
};

const n = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 1 });

export function formatSimulation(r: SimulationResult, seconds: number, top: number): string {
  const c = r.counters;
  const lines = [
    `${n(r.flows)} connections × ${n(r.plan.packetsPerFlow)} packets (${r.plan.pattern}, seed ${r.plan.seed}) on ${r.workers} worker${r.workers === 1 ? "" : "s"} in ${seconds.toFixed(2)} s (${n(Math.round(r.packets / seconds))} packets/s)`,
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
      ],
      ["left", "right"],
    ),
  ];
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
