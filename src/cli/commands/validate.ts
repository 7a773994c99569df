import { createEngine } from "../../engine/engine.js";
import { K8sNetFlowError } from "../../errors.js";
import type { ModelProblem } from "../../model/types.js";
import { COMMON_OPTIONS, parse, readCluster, UsageError, type Command } from "../args.js";

export const validate: Command = {
  name: "validate",
  summary: "check a cluster file: every problem with its path and line",
  help: `Usage: k8s-net-flow validate FILE [--json]

Checks a cluster file (YAML or JSON: manifests, a kubectl get -o json|yaml dump, or the compact
format; "-" reads standard input). Prints every problem with its field path and line, or a
one-line summary if the cluster is valid (warnings go to stderr). Exits 1 if it is not.

  --json            {"valid", "counts" or "problems"} as JSON.
`,
  async run(argv, io) {
    const { values, positionals } = parse("validate", argv, COMMON_OPTIONS, true);
    if (values.help) return io.out(validate.help), 0;
    if (positionals.length !== 1) throw new UsageError(positionals.length ? `validate takes one file, got ${positionals.length}` : "validate needs a file (or - for standard input)", "validate");
    const text = await readCluster(positionals[0]!);
    const engine = await createEngine({ host: "inline" });
    try {
      const summary = await engine.load({ text });
      const c = summary.counts;
      if (values.json) io.out(`${JSON.stringify({ valid: true, counts: c, problems: summary.warnings }, null, 2)}\n`);
      else {
        for (const w of summary.warnings) io.err(formatProblem(w));
        io.out(`valid: ${c.nodes} nodes, ${c.pods} pods, ${c.services} services, ${c.endpoints} endpoints (${c.namespaces} namespaces, ${c.endpointSlices} EndpointSlices)${summary.warnings.length ? `, ${summary.warnings.length} warnings` : ""}\n`);
      }
      return 0;
    } catch (e) {
      if (!(e instanceof K8sNetFlowError) || e.code === "internal") throw e;
      const problems: ModelProblem[] = e.problems ?? [{ severity: "error", code: "invalid-value", path: e.path, message: e.message }];
      if (values.json) io.out(`${JSON.stringify({ valid: false, problems }, null, 2)}\n`);
      else {
        for (const p of problems) io.out(formatProblem(p));
        const errors = problems.filter((p) => p.severity === "error").length;
        io.out(`invalid: ${errors} error${errors === 1 ? "" : "s"}, ${problems.length - errors} warning${problems.length - errors === 1 ? "" : "s"}\n`);
      }
      return 1;
    } finally {
      await engine.dispose();
    }
  },
};

function formatProblem(p: ModelProblem): string {
  const where = p.source ? ` (document ${p.source.document}, line ${p.source.line})` : "";
  return `${p.severity.padEnd(7)} ${p.path || "(input)"}${where}: ${p.message} [${p.code}]\n`;
}
