// What every command shares: option parsing with per-command help, reading cluster files,
// and the cluster a command runs on (--scenario, --file, --mode, --cni).

import { FAULTS, parseFault } from "../faults/faults.js";
import { readFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { K8sNetFlowError } from "../errors.js";
import { DEFAULT_SCENARIO } from "../model/scenarios.js";
import { withSettings } from "../model/with-settings.js";
import { CNI_MODES, KUBE_PROXY_MODES, type CniPlugin, type ModelInput } from "../model/types.js";

/** The command line was wrong (exit 1, with a pointer to --help). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Progress bars only on a terminal: never in a pipe or a log file. */
  errIsTTY: boolean;
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command that loads a cluster takes. */
export const CLUSTER_OPTIONS = {
  scenario: { type: "string" },
  file: { type: "string" },
  mode: { type: "string" },
  cni: { type: "string" },
  "pod-mtu": { type: "string" },
  fault: { type: "string", multiple: true },
} as const satisfies Options;

export const COMMON_OPTIONS = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

export function parse<O extends Options>(command: string, argv: string[], options: O, positionals = false): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message, command);
  }
}

/** A whole number option within [min, max]. */
export function intOption(command: string, name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}, not "${value}"`, command);
  return n;
}

export function hostOption(command: string, value: string | undefined): "worker" | "inline" {
  if (value === undefined || value === "worker" || value === "inline") return value ?? "worker";
  throw new UsageError(`--host must be "worker" or "inline", not "${value}"`, command);
}

/** The cluster named by --scenario / --file (default: `fallback`), with --mode and --cni applied. */
export async function clusterInput(command: string, values: { scenario?: string; file?: string; mode?: string; cni?: string; "pod-mtu"?: string; fault?: string[] }, fallback = DEFAULT_SCENARIO, generated?: ModelInput): Promise<ModelInput> {
  if (values.scenario !== undefined && values.file !== undefined) throw new UsageError("give --scenario or --file, not both", command);
  // A generated cluster (simulate --nodes …) instead of a scenario or a file.
  if (generated && (values.scenario !== undefined || values.file !== undefined)) throw new UsageError("give --scenario, --file or --nodes, not more than one", command);
  const mode = values.mode;
  if (mode !== undefined && !(KUBE_PROXY_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${KUBE_PROXY_MODES.join(", ")}, not "${mode}"`, command);
  const settings: Record<string, unknown> = {};
  if (mode) settings.kubeProxy = { mode };
  if (values.cni !== undefined) settings.cni = cniOption(command, values.cni);
  if (values["pod-mtu"] !== undefined) settings.cni = { ...(settings.cni as object | undefined), mtu: intOption(command, "pod-mtu", values["pod-mtu"], 0, 576, 9000) };
  if (values.fault?.length) {
    values.fault.forEach((f, i) => {
      try {
        parseFault(f);
      } catch (e) {
        throw new UsageError(`--fault: ${(e as Error).message.replace(/^faults: /, "")}${i ? ` (fault ${i + 1})` : ""}`, command);
      }
    });
    settings.faults = values.fault;
  }
  return withSettings(generated ?? (values.file !== undefined ? { text: await readCluster(values.file) } : { scenario: values.scenario ?? fallback }), settings);
}

/** --cni PLUGIN[/MODE], as the element's `cni` attribute: without a mode, the plugin's first (flannel: vxlan). */
function cniOption(command: string, value: string): { plugin: CniPlugin; mode?: string } {
  const [plugin, mode, extra] = value.split("/");
  const plugins = Object.keys(CNI_MODES) as CniPlugin[];
  const all = plugins.flatMap((p) => CNI_MODES[p].map((m) => `${p}/${m}`)).join(", ");
  if (extra !== undefined || !plugins.includes(plugin as CniPlugin)) throw new UsageError(`--cni must be PLUGIN or PLUGIN/MODE (${all}), not "${value}"`, command);
  const modes: readonly string[] = CNI_MODES[plugin as CniPlugin];
  if (mode !== undefined && !modes.includes(mode)) throw new UsageError(`--cni: "${mode}" is not a ${plugin} mode (${modes.join(", ")})`, command);
  return { plugin: plugin as CniPlugin, ...(mode !== undefined ? { mode } : {}) };
}

export async function readCluster(path: string): Promise<string> {
  try {
    return path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (e) {
    throw new K8sNetFlowError("invalid-input", `cannot read ${path}: ${(e as Error).message}`, "file");
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const CLUSTER_HELP = `Cluster:
  --scenario NAME   A built-in cluster (k8s-net-flow scenarios lists them).
  --file FILE       YAML or JSON: Kubernetes manifests (multi-document), a kubectl get -o json|yaml
                    dump, or the compact format (see the README); "-" reads standard input.
  --mode MODE       kube-proxy's mode: ${KUBE_PROXY_MODES.join(", ")} (default: the cluster's, else iptables).
  --cni PLUGIN[/MODE]
                    The CNI: ${(Object.keys(CNI_MODES) as CniPlugin[]).map((p) => `${p}/${CNI_MODES[p].join("|")}`).join(", ")}
                    (default: the cluster's, else flannel/vxlan).
  --pod-mtu N       The MTU the CNI gives pods (flannel's delegate "mtu", Calico's veth_mtu,
                    Cilium's MTU, whose routes keep 50 less with VXLAN); default: the backend's.
                    Above the tunnel's MTU it is the classic misconfiguration: large DF packets
                    meet "fragmentation needed".
  --fault KIND[=ARG]
                    Break the cluster on purpose (repeatable; replaces the file's settings.faults):
${Object.entries(FAULTS).map(([k, f]) => `                      ${`${k}${f.argument ? `=${f.argument}` : ""}`.padEnd(44)} ${f.summary}`).join("\n")}`;
