import { stringify } from "yaml";
import { loadModel } from "../../model/load.js";
import { toManifests } from "../../model/to-manifests.js";
import { LIMITS } from "../../model/types.js";
import { COMMON_OPTIONS, intOption, parse, UsageError, type Command } from "../args.js";

export const generate: Command = {
  name: "generate",
  summary: "make a cluster of any size up to Kubernetes' limits, as manifests",
  help: `Usage: k8s-net-flow generate --nodes N [--pods N] [--services N] [--namespaces N] [--seed N] [--json]

Generates a cluster (nodes, pods spread over them, Services with EndpointSlices, CoreDNS and the
kubernetes Service) and prints it as the Kubernetes objects kubectl get -o yaml would show:
feed it back with --file, e.g.
  k8s-net-flow generate --nodes 100 --services 300 > big.yaml
  k8s-net-flow simulate --file big.yaml --flows 1000000 --workers 2
The same options and seed give the same cluster, byte for byte.

  --nodes N         Nodes, 1 to ${LIMITS.nodes.toLocaleString("en-US")}.
  --pods N          Pods in all (default 30 per node; at most ${LIMITS.pods.toLocaleString("en-US")}).
  --services N      Services (at most ${LIMITS.services.toLocaleString("en-US")}).
  --namespaces N    Namespaces the pods and Services are spread over.
  --endpoints D     How ready endpoints spread over Services: uniform or zipf.
  --min-endpoints N, --max-endpoints N
                    The fewest and most endpoints a Service gets (0 gives Services that reject).
  --seed N          Seed for names, placement and addresses (default 1).
  --json            A kubectl-style List as JSON instead of multi-document YAML.
`,
  async run(argv, io) {
    const { values } = parse("generate", argv, { ...COMMON_OPTIONS, nodes: { type: "string" }, pods: { type: "string" }, services: { type: "string" }, namespaces: { type: "string" }, endpoints: { type: "string" }, "min-endpoints": { type: "string" }, "max-endpoints": { type: "string" }, seed: { type: "string" } });
    if (values.help) return io.out(generate.help), 0;
    if (values.nodes === undefined) throw new UsageError("generate needs --nodes N", "generate");
    if (values.endpoints !== undefined && values.endpoints !== "uniform" && values.endpoints !== "zipf") throw new UsageError(`--endpoints must be uniform or zipf, not "${values.endpoints}"`, "generate");
    const spec = {
      seed: intOption("generate", "seed", values.seed, 1, 0, 0xffffffff),
      nodes: intOption("generate", "nodes", values.nodes, 0, 1, LIMITS.nodes),
      ...(values.pods !== undefined ? { pods: intOption("generate", "pods", values.pods, 0, 0, LIMITS.pods) } : {}),
      ...(values.services !== undefined ? { services: intOption("generate", "services", values.services, 0, 0, LIMITS.services) } : {}),
      ...(values.namespaces !== undefined ? { namespaces: intOption("generate", "namespaces", values.namespaces, 0, 1, LIMITS.namespaces) } : {}),
      endpointsPerService: {
        ...(values.endpoints ? { distribution: values.endpoints as "uniform" | "zipf" } : {}),
        ...(values["min-endpoints"] !== undefined ? { min: intOption("generate", "min-endpoints", values["min-endpoints"], 0, 0, LIMITS.pods) } : {}),
        ...(values["max-endpoints"] !== undefined ? { max: intOption("generate", "max-endpoints", values["max-endpoints"], 0, 0, LIMITS.pods) } : {}),
      },
    };
    const { model } = loadModel({ generate: spec });
    const objects = toManifests(model);
    if (values.json) io.out(`${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`);
    else for (const o of objects) io.out(`---\n${stringify(o, { lineWidth: 0 })}`);
    return 0;
  },
};
