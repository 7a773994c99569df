// k8s-net-flow: the command line over the engine API.
// Exit codes: 0 success; 1 the packet was dropped, or the input was rejected; 2 usage error.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createEngine } from "../engine/engine.js";
import { K8sNetFlowError, toErrorInfo } from "../errors.js";
import { DEFAULT_SCENARIO, SCENARIOS } from "../model/scenarios.js";
import type { ModelInput, ModelProblem } from "../model/types.js";
import { SHOW_COMMANDS } from "../engine/types.js";
import { formatTrace } from "./format.js";

declare const __VERSION__: string;

const HELP = `k8s-net-flow — follow packets through a simulated Kubernetes cluster

Usage:
  k8s-net-flow trace [--scenario NAME | --file FILE] [--from POD] [--to TARGET] [--seed N] [--json]
  k8s-net-flow validate FILE [--json]
  k8s-net-flow show COMMAND… [--scenario NAME | --file FILE] [--node NODE] [--pod POD] [--json]
  k8s-net-flow show --list
  k8s-net-flow scenarios [--json]
  k8s-net-flow --help | --version

Commands:
  trace       Follow one connection's first packet and its answer hop by hop through the
              WebAssembly dataplane (veth, cni0, kube-proxy iptables, conntrack, VXLAN).
  validate    Check a cluster file; print every problem, or a one-line summary if valid.
  show        Print what a real tool prints on the simulated cluster, on a node (--node, default
              the first) or inside a pod (--pod), e.g. show iptables-save -t nat --node worker-node-1,
              show ip route --pod default/client, show kubectl get endpoints backend-svc,
              show nslookup api-svc.backend --pod frontend/frontend-pod. show --list lists them all.
              Without --scenario or --file: the built-in scenario that has the --pod, else ${DEFAULT_SCENARIO}.
  scenarios   List the built-in clusters (the seed page's diagrams).

FILE is YAML or JSON: Kubernetes manifests (multi-document), a kubectl get -o json|yaml
dump, or the compact format (see the README); "-" reads standard input.

Options:
  --scenario NAME   Built-in cluster (default: ${DEFAULT_SCENARIO}).
  --file FILE       The cluster to trace in.
  --from POD        Source pod: name, or namespace/name (default: the scenario's flow).
  --to TARGET       A pod (pod, pod:port, ns/pod), an address (ip, ip:port) or a Service
                    (svc:port, svc.namespace:port, svc.namespace.svc.cluster.local:port).
  --protocol P      TCP (default), UDP or SCTP.
  --seed N          Seed for kube-proxy's random endpoint choice (default 1).
  --libc L          glibc (default) or musl: how the pod's resolver searches names.
  --host HOST       Where the engine runs: worker (default) or inline.
  --json            Machine-readable output on stdout.
  -h, --help        This help.
  -v, --version     Print the version.

Exit codes: 0 delivered / valid / success, 1 dropped, rejected or input refused, 2 usage error.
`;

class UsageError extends Error {}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  if (argv[0] === "show") {
    try {
      return await showCommand(argv.slice(1), out, err);
    } catch (e) {
      if (e instanceof UsageError) {
        err(`k8s-net-flow: ${e.message}\nRun "k8s-net-flow show --list" for the commands.\n`);
        return 2;
      }
      const info = toErrorInfo(e);
      err(`k8s-net-flow: error (${info.code}): ${info.message}\n`);
      return 1;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: "string" },
        file: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        seed: { type: "string" },
        protocol: { type: "string" },
        libc: { type: "string" },
        host: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "v", default: false },
      },
    });
  } catch (e) {
    err(`k8s-net-flow: ${(e as Error).message}\nRun "k8s-net-flow --help" for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return 0;
  }
  if (values.version) {
    out(`${__VERSION__}\n`);
    return 0;
  }
  const [command, ...extra] = positionals;
  try {

    if (command === "validate") {
      if (extra.length !== 1) throw new UsageError(extra.length ? `validate takes one file, got ${extra.length}` : "validate needs a file (or - for standard input)");
      return await validate(extra[0]!, values.json, out, err);
    }
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    switch (command) {
      case "scenarios":
        return scenarios(values.json, out);
      case "trace":
        return await trace(values, out);
      case undefined:
        throw new UsageError("no command given");
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`k8s-net-flow: ${e.message}\nRun "k8s-net-flow --help" for usage.\n`);
      return 2;
    }
    const info = toErrorInfo(e);
    if (values.json) out(`${JSON.stringify({ error: info }, null, 2)}\n`);
    else err(`k8s-net-flow: error (${info.code}): ${info.message}\n`);
    return 1;
  }
}

function scenarios(json: boolean, out: (s: string) => void): number {
  const list = Object.entries(SCENARIOS).map(([name, s]) => ({ name, title: s.title, summary: s.summary, flow: s.flow }));
  if (json) out(`${JSON.stringify(list, null, 2)}\n`);
  else out(list.map((s) => `${s.name.padEnd(14)} ${s.title}\n${"".padEnd(14)} ${s.summary}\n`).join(""));
  return 0;
}

async function trace(values: { scenario?: string; file?: string; from?: string; to?: string; seed?: string; protocol?: string; libc?: string; host?: string; json: boolean }, out: (s: string) => void): Promise<number> {
  if (values.libc !== undefined && values.libc !== "glibc" && values.libc !== "musl") throw new UsageError(`--libc must be glibc or musl, not "${values.libc}"`);
  if (values.seed !== undefined && !/^\d{1,10}$/.test(values.seed)) throw new UsageError(`--seed must be a whole number, not "${values.seed}"`);
  const protocol = values.protocol?.toUpperCase();
  if (protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(protocol)) throw new UsageError(`--protocol must be TCP, UDP or SCTP, not "${values.protocol}"`);
  if (values.scenario !== undefined && values.file !== undefined) throw new UsageError("give --scenario or --file, not both");
  if (values.host !== undefined && values.host !== "worker" && values.host !== "inline") throw new UsageError(`--host must be "worker" or "inline", not "${values.host}"`);
  const input: ModelInput = values.file !== undefined ? await readCluster(values.file) : { scenario: values.scenario ?? DEFAULT_SCENARIO };
  const engine = await createEngine({ host: (values.host as "worker" | "inline" | undefined) ?? "worker" });
  try {
    const summary = await engine.load(input);
    const from = values.from ?? summary.defaultFlow?.from;
    const to = values.to ?? summary.defaultFlow?.to;
    if (!from || !to) throw new UsageError("this cluster has no default flow: give --from and --to");
    const result = await engine.trace({ from, to, ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}), ...(protocol ? { protocol: protocol as "TCP" | "UDP" | "SCTP" } : {}), ...(values.libc ? { libc: values.libc as "glibc" | "musl" } : {}) });
    out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
    return result.verdict === "delivered" ? 0 : 1;
  } finally {
    await engine.dispose();
  }
}

/**
 * `show COMMAND WORDS… [--scenario N | --file F] [--node N] [--pod P] [--json]`: our options
 * are taken out, every other word (including the tool's own flags, `-t nat`, `-o wide`) is the
 * command line.
 */
async function showCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const opts: { scenario?: string; file?: string; node?: string; pod?: string; json: boolean; list: boolean } = { json: false, list: false };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--scenario") opts.scenario = value();
    else if (a === "--file") opts.file = value();
    else if (a === "--node") opts.node = value();
    else if (a === "--pod") opts.pod = value();
    else if (a === "--json") opts.json = true;
    else if (a === "--list") opts.list = true;
    else if (a === "-h" || a === "--help") opts.list = true;
    else words.push(a);
  }
  if (opts.list) {
    out(`Commands that "k8s-net-flow show" prints as the real tools do:\n${SHOW_COMMANDS.map((c) => `  ${c}\n`).join("")}`);
    return 0;
  }
  if (!words.length) throw new UsageError("show needs a command, e.g. show ip route --node worker-node-1 (show --list for all)");
  if (opts.scenario !== undefined && opts.file !== undefined) throw new UsageError("give --scenario or --file, not both");
  const input: ModelInput = opts.file !== undefined ? await readCluster(opts.file) : { scenario: opts.scenario ?? scenarioWithPod(opts.pod) };
  const engine = await createEngine({ host: "inline" });
  try {
    const summary = await engine.load(input);
    // conntrack shows what traffic left behind: the scenario's own flow runs first.
    if (words[0] === "conntrack" && summary.defaultFlow) await engine.trace(summary.defaultFlow);
    const result = await engine.show({ command: words.join(" "), ...(opts.node ? { node: opts.node } : {}), ...(opts.pod ? { pod: opts.pod } : {}) });
    if (opts.json) out(`${JSON.stringify({ command: words.join(" "), ...result })}\n`);
    else if (words[0] === "conntrack") {
      // conntrack prints its summary after the entries; kubectl its warnings before.
      out(result.stdout);
      err(result.stderr);
    } else {
      err(result.stderr);
      out(result.stdout);
    }
    return 0;
  } catch (e) {
    if (e instanceof K8sNetFlowError && e.code === "unsupported" && e.path === "command") throw new UsageError(e.message.replace(/^command: /, ""));
    throw e;
  } finally {
    await engine.dispose();
  }
}

/** The first built-in scenario that has the pod `ref`, so `show … --pod frontend/frontend-pod` just works. */
function scenarioWithPod(ref: string | undefined): string {
  if (!ref) return DEFAULT_SCENARIO;
  const [ns, name] = ref.includes("/") ? ref.split("/", 2) : ["default", ref];
  for (const [id, s] of Object.entries(SCENARIOS)) {
    if (s.cluster.pods?.some((p) => (p.namespace ?? "default") === ns && p.name === name)) return id;
  }
  return DEFAULT_SCENARIO;
}

async function readCluster(path: string): Promise<ModelInput> {
  try {
    return { text: path === "-" ? await readStdin() : await readFile(path, "utf8") };
  } catch (e) {
    throw new K8sNetFlowError("invalid-input", `cannot read ${path}: ${(e as Error).message}`, "file");
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function formatProblem(p: ModelProblem): string {
  const where = p.source ? ` (document ${p.source.document}, line ${p.source.line})` : "";
  return `${p.severity.padEnd(7)} ${p.path || "(input)"}${where}: ${p.message} [${p.code}]\n`;
}

async function validate(path: string, json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const input = await readCluster(path);
  const engine = await createEngine({ host: "inline" });
  try {
    const summary = await engine.load(input);
    const c = summary.counts;
    if (json) {
      out(`${JSON.stringify({ valid: true, counts: c, problems: summary.warnings }, null, 2)}\n`);
    } else {
      for (const w of summary.warnings) err(formatProblem(w));
      out(`valid: ${c.nodes} nodes, ${c.pods} pods, ${c.services} services, ${c.endpoints} endpoints (${c.namespaces} namespaces, ${c.endpointSlices} EndpointSlices)${summary.warnings.length ? `, ${summary.warnings.length} warnings` : ""}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof K8sNetFlowError)) throw e;
    const problems: ModelProblem[] = e.problems ?? [{ severity: "error", code: "invalid-value", path: e.path, message: e.message }];
    if (json) out(`${JSON.stringify({ valid: false, problems }, null, 2)}\n`);
    else {
      for (const p of problems) out(formatProblem(p));
      const errors = problems.filter((p) => p.severity === "error").length;
      out(`invalid: ${errors} error${errors === 1 ? "" : "s"}, ${problems.length - errors} warning${problems.length - errors === 1 ? "" : "s"}\n`);
    }
    return 1;
  } finally {
    await engine.dispose();
  }
}
