import { SCENARIOS } from "../../model/scenarios.js";
import { COMMON_OPTIONS, parse, type Command } from "../args.js";

export const scenarios: Command = {
  name: "scenarios",
  summary: "list the built-in clusters (the seed page's diagrams)",
  help: `Usage: k8s-net-flow scenarios [--json]

Lists the built-in clusters, each with the flow it shows by default.

  --json            [{"name", "title", "summary", "flow"}] as JSON.
`,
  async run(argv, io) {
    const { values } = parse("scenarios", argv, COMMON_OPTIONS);
    if (values.help) return io.out(scenarios.help), 0;
    const list = Object.entries(SCENARIOS).map(([name, s]) => ({ name, title: s.title, summary: s.summary, flow: s.flow }));
    if (values.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
    else io.out(list.map((s) => `${s.name.padEnd(16)} ${s.title}\n${"".padEnd(16)} ${s.summary}\n`).join(""));
    return 0;
  },
};
