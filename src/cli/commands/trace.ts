import { createEngine } from "../../engine/engine.js";
import type { FlowQuery } from "../../engine/types.js";
import { CLUSTER_HELP, CLUSTER_OPTIONS, clusterInput, COMMON_OPTIONS, hostOption, intOption, parse, UsageError, type Command } from "../args.js";
import { formatTrace } from "../../outputs/trace-text.js";
import { clientReason } from "../../engine/client-view.js";
import type { Trace } from "../../engine/types.js";

export const trace: Command = {
  name: "trace",
  summary: "follow one connection hop by hop (veth, cni0, kube-proxy, conntrack, VXLAN)",
  help: `Usage: k8s-net-flow trace [--from POD] [--to TARGET] [cluster options] [--seed N] [--json]

Follows one connection's first packet and its answer hop by hop through the WebAssembly
dataplane, with its DNS lookup first when TARGET is a name. Exits 0 whatever the verdict
(delivered, dropped, rejected, unresolved): the verdict is the first line, or "verdict" in --json.

Flow:
  --from POD        Source pod: name, or namespace/name (default: the scenario's flow).
  --to TARGET       A pod (pod, pod:port, ns/pod), an address (ip, ip:port) or a Service
                    (svc:port, svc.namespace:port, svc.namespace.svc.cluster.local:port).
  --protocol P      TCP (default), UDP or SCTP.
  --seed N          Seed for kube-proxy's random endpoint choice (default 1).
  --libc L          glibc (default) or musl: how the pod's resolver searches names.
  --size N          The request's IPv4 total length in bytes, DF set (default 60, a TCP SYN).
  --reply-size N    The answer's IPv4 total length in bytes, DF set (default: the request's):
                    a small request with a large response, as with an MTU mismatch.

${CLUSTER_HELP}

Output:
  --host HOST       Where the engine runs: worker (default) or inline.
  --json            The engine's Trace as JSON.
`,
  async run(argv, io) {
    const { values } = parse("trace", argv, { ...CLUSTER_OPTIONS, ...COMMON_OPTIONS, from: { type: "string" }, to: { type: "string" }, seed: { type: "string" }, protocol: { type: "string" }, libc: { type: "string" }, size: { type: "string" }, "reply-size": { type: "string" }, host: { type: "string" } });
    if (values.help) return io.out(trace.help), 0;
    if (values.libc !== undefined && values.libc !== "glibc" && values.libc !== "musl") throw new UsageError(`--libc must be glibc or musl, not "${values.libc}"`, "trace");
    const seed = intOption("trace", "seed", values.seed, 1, 0, 0xffffffff);
    const protocol = values.protocol?.toUpperCase();
    if (protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(protocol)) throw new UsageError(`--protocol must be TCP, UDP or SCTP, not "${values.protocol}"`, "trace");
    const host = hostOption("trace", values.host);
    const input = await clusterInput("trace", values);
    const engine = await createEngine({ host });
    try {
      const summary = await engine.load(input);
      const from = values.from ?? summary.defaultFlow?.from;
      const to = values.to ?? summary.defaultFlow?.to;
      if (!from || !to) throw new UsageError("this cluster has no default flow: give --from and --to", "trace");
      const query: FlowQuery = { from, to, seed, ...(protocol ? { protocol: protocol as FlowQuery["protocol"] } : {}), ...(values.libc ? { libc: values.libc as FlowQuery["libc"] } : {}), ...(values.size !== undefined ? { size: intOption("trace", "size", values.size, 60, 28, 65535) } : {}), ...(values["reply-size"] !== undefined ? { replySize: intOption("trace", "reply-size", values["reply-size"], 60, 20, 65535) } : {}) };
      const result = await engine.trace(query);
      io.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result) + formatClient(result));
      return 0;
    } finally {
      await engine.dispose();
    }
  },
};

/** The "client:" section: what the program in the source pod prints, and why. */
function formatClient(t: Trace): string {
  const c = t.client;
  if (!c) return "";
  const out = c.output ? c.output.trimEnd().split("\n").map((l) => `  ${l}`) : [`  (no output: ${c.outcome === "connected" ? "connected; the HTTP exchange is beyond the simulation" : "nothing printed"})`];
  return ["", "client:", `  $ ${c.command}`, ...out, `  exit ${c.exitCode} — ${c.outcome}: ${clientReason(t)}`, ""].join("\n");
}
