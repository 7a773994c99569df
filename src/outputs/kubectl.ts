// `kubectl get` for the simulated cluster, in kubectl's layout: its tabwriter (minimum cell
// width 10, padding 3), its column sets, `<none>` for empty cells, `<unknown>` for the age of
// objects without a creation time (the simulator has no clock of creation).

import { K8sNetFlowError } from "../errors.js";
import type { ClusterModel } from "../model/types.js";
import { toManifests } from "../model/to-manifests.js";

export interface KubectlOutput {
  stdout: string;
  stderr: string;
}

/** kubectl's printers.GetNewTabWriter: tabwriter.NewWriter(out, 10, 4, 3, ' ', 0). */
export function tabulate(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(10, widths[i]! + 3)))).join(""))
    .map((l) => `${l}\n`)
    .join("");
}

const AGE = "<unknown>";

interface Args {
  resource: string;
  name?: string;
  namespace: string;
  all: boolean;
  output?: string;
}

export function parseKubectlGet(words: string[]): Args {
  const args: Args = { resource: "", namespace: "default", all: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-n" || w === "--namespace") args.namespace = words[++i] ?? "";
    else if (w.startsWith("--namespace=")) args.namespace = w.slice(12);
    else if (w === "-A" || w === "--all-namespaces") args.all = true;
    else if (w === "-o" || w === "--output") args.output = words[++i] ?? "";
    else if (w.startsWith("-o")) args.output = w.slice(2).replace(/^=/, "");
    else if (w.startsWith("--output=")) args.output = w.slice(9);
    else if (w.startsWith("-")) throw new K8sNetFlowError("unsupported", `kubectl flag ${w} is not supported (supported: -n, -A, -o wide, -o custom-columns=…)`, "command");
    else if (!args.resource) args.resource = w;
    else if (!args.name) args.name = w;
    else throw new K8sNetFlowError("invalid-input", `unexpected argument "${w}"`, "command");
  }
  if (!args.resource) throw new K8sNetFlowError("invalid-input", "kubectl get needs a resource (pods, svc, endpoints, endpointslices, nodes)", "command");
  return args;
}

const RESOURCES: Record<string, string> = {
  po: "pods", pod: "pods", pods: "pods",
  svc: "services", service: "services", services: "services",
  ep: "endpoints", endpoints: "endpoints",
  endpointslice: "endpointslices", endpointslices: "endpointslices",
  no: "nodes", node: "nodes", nodes: "nodes",
};

export function kubectlGet(model: ClusterModel, words: string[]): KubectlOutput {
  const a = parseKubectlGet(words);
  const resource = RESOURCES[a.resource];
  if (!resource) throw new K8sNetFlowError("unsupported", `resource "${a.resource}" is not supported (pods, svc, endpoints, endpointslices, nodes)`, "command");
  if (a.output?.startsWith("custom-columns=")) return { stdout: customColumns(model, resource, a), stderr: "" };
  if (a.output !== undefined && a.output !== "wide") throw new K8sNetFlowError("unsupported", `-o ${a.output} is not supported (wide, custom-columns=…)`, "command");
  const wide = a.output === "wide";
  // The API server lists objects by key: namespace, then name.
  const byKey = <T extends { namespace: string; name: string }>(x: T, y: T) => (x.namespace < y.namespace ? -1 : x.namespace > y.namespace ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  const inScope = <T extends { namespace: string; name: string }>(items: T[]) => items.filter((x) => (a.all || x.namespace === a.namespace) && (a.name === undefined || x.name === a.name)).sort(byKey);
  const withNs = (header: string[], rows: Array<{ ns: string; cells: string[] }>) => tabulate([a.all ? ["NAMESPACE", ...header] : header, ...rows.map((r) => (a.all ? [r.ns, ...r.cells] : r.cells))]);
  const empty = (what: string) => ({ stdout: "", stderr: a.all ? `No resources found\n` : `No resources found in ${a.namespace} namespace.\n` + (what ? "" : "") });
  switch (resource) {
    case "pods": {
      const pods = inScope(model.pods);
      if (!pods.length) return a.name ? notFound("pods", a.name) : empty("pods");
      const header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", ...(wide ? ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"] : [])];
      return {
        stdout: withNs(header, pods.map((p) => {
          const containers = Math.max(1, new Set(p.ports.map((x) => x.container)).size);
          const ready = p.ready && !p.terminating ? containers : 0;
          return { ns: p.namespace, cells: [p.name, `${ready}/${containers}`, p.terminating ? "Terminating" : "Running", "0", AGE, ...(wide ? [p.ip, p.node, "<none>", "<none>"] : [])] };
        })),
        stderr: "",
      };
    }
    case "services": {
      const services = inScope(model.services);
      if (!services.length) return a.name ? notFound("services", a.name) : empty("services");
      const header = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", ...(wide ? ["SELECTOR"] : [])];
      return {
        stdout: withNs(header, services.map((s) => {
          const ports = s.ports.length ? s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol}`).join(",") : "<none>";
          const external = s.type === "ExternalName" ? s.externalName! : s.type === "LoadBalancer" ? "<pending>" : "<none>";
          const selector = s.selector && Object.keys(s.selector).length ? Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
          return { ns: s.namespace, cells: [s.name, s.type, s.clusterIP ?? "<none>", external, ports, AGE, ...(wide ? [selector] : [])] };
        })),
        stderr: "",
      };
    }
    case "endpoints": {
      // v1 Endpoints mirror the EndpointSlices: one object per Service that has endpoints or a selector.
      const warning = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n";
      const services = inScope(model.services).filter((s) => s.type !== "ExternalName" && (s.selector || model.endpointSlices.some((e) => e.namespace === s.namespace && e.service === s.name)));
      if (!services.length) return a.name ? { ...notFound("endpoints", a.name), stderr: warning + notFound("endpoints", a.name).stderr } : { stdout: "", stderr: `${warning}${empty("").stderr}` };
      return {
        stdout: withNs(["NAME", "ENDPOINTS", "AGE"], services.map((s) => {
          const list = model.endpointSlices
            .filter((e) => e.namespace === s.namespace && e.service === s.name)
            .flatMap((e) => e.endpoints.filter((x) => x.conditions.ready).flatMap((x) => x.addresses.flatMap((ip) => (e.ports.length ? e.ports.map((p) => `${ip}:${p.port}`) : [ip]))));
          return { ns: s.namespace, cells: [s.name, summarize(list, "<none>"), AGE] };
        })),
        stderr: warning,
      };
    }
    case "endpointslices": {
      const slices = inScope(model.endpointSlices);
      if (!slices.length) return a.name ? notFound("endpointslices.discovery.k8s.io", a.name) : empty("endpointslices");
      return {
        stdout: withNs(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], slices.map((e) => ({
          ns: e.namespace,
          cells: [e.name, e.addressType, e.ports.length ? e.ports.map((p) => String(p.port)).join(",") : "<unset>", summarize(e.endpoints.flatMap((x) => x.addresses), "<unset>"), AGE],
        }))),
        stderr: "",
      };
    }
    default: {
      const nodes = model.nodes.filter((n) => a.name === undefined || n.name === a.name).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
      if (!nodes.length) return notFound("nodes", a.name ?? "");
      if (wide) throw new K8sNetFlowError("unsupported", "kubectl get nodes -o wide needs node versions and OS images, which the model does not have; use -o custom-columns", "command");
      return { stdout: tabulate([["NAME", "STATUS", "ROLES", "AGE", "VERSION"], ...nodes.map((n) => [n.name, "Ready", "<none>", AGE, model.settings.kubernetesVersion])]), stderr: "" };
    }
  }
}

/** kubectl's endpoints summary: the first three, then "+ N more...". */
function summarize(list: string[], none: string): string {
  if (!list.length) return none;
  return list.length <= 3 ? list.join(",") : `${list.slice(0, 3).join(",")} + ${list.length - 3} more...`;
}

function notFound(kind: string, name: string): KubectlOutput {
  return { stdout: "", stderr: `Error from server (NotFound): ${kind} "${name}" not found\n` };
}

/** `-o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR` over the objects' manifests (simple `.a.b` paths). */
function customColumns(model: ClusterModel, resource: string, a: Args): string {
  const spec = a.output!.slice("custom-columns=".length);
  const columns = spec.split(",").map((c) => {
    const i = c.indexOf(":");
    if (i < 0) throw new K8sNetFlowError("invalid-input", `custom column "${c}" must be HEADER:.path`, "command");
    const path = c.slice(i + 1);
    if (!/^(\.[A-Za-z0-9_-]+)+$/.test(path)) throw new K8sNetFlowError("unsupported", `only simple .a.b paths are supported, not "${path}"`, "command");
    return { header: c.slice(0, i), path: path.slice(1).split(".") };
  });
  const kind = { pods: "Pod", services: "Service", endpoints: "Endpoints", endpointslices: "EndpointSlice", nodes: "Node" }[resource];
  const key = (o: Record<string, unknown>) => `${(o.metadata as { namespace?: string }).namespace ?? ""}/${(o.metadata as { name: string }).name}`;
  const objects = toManifests(model)
    .filter((o) => o.kind === kind && (resource === "nodes" || a.all || (o.metadata as { namespace?: string }).namespace === a.namespace) && (a.name === undefined || (o.metadata as { name: string }).name === a.name))
    .sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  const cell = (o: unknown, path: string[]): string => {
    let v: unknown = o;
    for (const p of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
    if (v === undefined || v === null) return "<none>";
    if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(",");
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  };
  return tabulate([columns.map((c) => c.header), ...objects.map((o) => columns.map((c) => cell(o, c.path)))]);
}
