import { K8sNetFlowError } from "../../errors.js";
import { loadModel } from "../../model/load.js";
import type { Protocol } from "../../model/types.js";
import { enforcementNote, semanticsOf } from "../../policy/enforcement.js";
import { PolicyEvaluator } from "../../policy/evaluate.js";
import { renderVerdict } from "../../policy/explain.js";
import { policyMatrix, renderMatrix, type Probe } from "../../policy/matrix.js";
import { CLUSTER_HELP, CLUSTER_OPTIONS, clusterInput, COMMON_OPTIONS, parse, UsageError, type Command } from "../args.js";

export const policy: Command = {
  name: "policy",
  summary: "what a cluster's NetworkPolicies allow: the pod × pod matrix, or one connection explained",
  help: `Usage: k8s-net-flow policy matrix [cluster options] [--namespace NS] [--port P[/PROTO]]... [--json]
       k8s-net-flow policy explain --from POD --to POD:PORT[/PROTO] [cluster options] [--json]

What the cluster's NetworkPolicies allow, by the Kubernetes semantics (a pod is isolated in a
direction once a policy selects it for that direction; a connection needs its source's egress
and its destination's ingress to allow it; replies of an allowed connection pass). Whether it
is enforced depends on the CNI: Calico and Cilium enforce NetworkPolicy, flannel alone does
not — then every connection flows whatever the policies say (printed as a note).

  matrix            One grid per destination port, rows = from, columns = to: "." allowed,
                    "X" denied (the style of Cyclonus).
    --namespace NS  Only the pods of these namespaces (repeat it; default: every pod).
    --port P[/PROTO]
                    The destination ports tried (repeat it; default: the container ports
                    the pods declare, or 80).
  explain           One connection: each side's isolating policies and the rules that decide.
    --from POD      namespace/name (or name, in default), or an IPv4 address.
    --to POD:PORT[/PROTO]
                    The destination pod (or address) and port, e.g. shop/web-0:8080 or
                    10.0.0.5:5432/TCP.

${CLUSTER_HELP}
  --json            The matrix ({ pods, probes, allowed[probe][from][to], counts }) or the verdict as JSON.
`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "--help" || sub === "-h") return io.out(policy.help), 0;
    if (sub === undefined) throw new UsageError("policy needs matrix or explain", "policy");
    if (sub !== "matrix" && sub !== "explain") throw new UsageError(`policy takes matrix or explain, not "${sub}"`, "policy");
    const { values } = parse("policy", rest, { ...CLUSTER_OPTIONS, ...COMMON_OPTIONS, namespace: { type: "string", multiple: true }, port: { type: "string", multiple: true }, from: { type: "string" }, to: { type: "string" } });
    if (values.help) return io.out(policy.help), 0;
    const { model } = loadModel(await clusterInput("policy", values));
    const note = enforcementNote(model);
    if (sub === "matrix") {
      if (values.from !== undefined || values.to !== undefined) throw new UsageError("--from and --to are for policy explain", "policy");
      const namespaces = values.namespace;
      const pods = namespaces ? model.pods.filter((p) => namespaces.includes(p.namespace)).map((p) => `${p.namespace}/${p.name}`).sort() : undefined;
      if (pods && !pods.length) throw new UsageError(`no pods in namespace ${namespaces!.join(", ")}`, "policy");
      const probes = values.port?.map((p) => probe(p));
      const m = policyMatrix(model, model.networkPolicies, { ...(pods ? { pods } : {}), ...(probes ? { probes } : {}) }, undefined, semanticsOf(model));
      if (values.json) io.out(`${JSON.stringify({ ...m, note }, null, 2)}\n`);
      else io.out(`${model.networkPolicies.length} NetworkPolic${model.networkPolicies.length === 1 ? "y" : "ies"}. Note: ${note}\n\n${renderMatrix(m)}`);
      return 0;
    }
    if (values.namespace !== undefined || values.port !== undefined) throw new UsageError("--namespace and --port are for policy matrix", "policy");
    if (values.from === undefined || values.to === undefined) throw new UsageError("policy explain needs --from POD and --to POD:PORT", "policy");
    const m = /^(.+):(\d+)(?:\/(TCP|UDP|SCTP))?$/i.exec(values.to);
    if (!m) throw new UsageError(`--to takes POD:PORT[/PROTO], e.g. shop/web:8080, not "${values.to}"`, "policy");
    const evaluator = new PolicyEvaluator(model, model.networkPolicies, semanticsOf(model));
    const end = (text: string) => (/^\d+\.\d+\.\d+\.\d+$/.test(text) ? { ip: text } : { pod: text });
    const v = evaluator.evaluate({ from: end(values.from), to: end(m[1]!), port: portNumber(m[2]!), protocol: (m[3]?.toUpperCase() ?? "TCP") as Protocol });
    if (values.json) io.out(`${JSON.stringify({ ...v, note }, null, 2)}\n`);
    else io.out(`${renderVerdict(v)}Note: ${note}\n`);
    return 0;
  },
};

function portNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new K8sNetFlowError("invalid-input", `a port is 1 to 65535, not ${text}`, "port");
  return n;
}

function probe(text: string): Probe {
  const m = /^(\d+)(?:\/(TCP|UDP|SCTP))?$/i.exec(text);
  if (!m) throw new UsageError(`--port takes PORT[/PROTO], e.g. 8080 or 53/UDP, not "${text}"`, "policy");
  return { port: portNumber(m[1]!), protocol: (m[2]?.toUpperCase() ?? "TCP") as Protocol };
}
