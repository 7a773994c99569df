import { createEngine } from "../../engine/engine.js";
import { SHOW_COMMANDS } from "../../engine/types.js";
import { K8sNetFlowError } from "../../errors.js";
import { DEFAULT_SCENARIO, SCENARIOS } from "../../model/scenarios.js";
import { CLUSTER_HELP, clusterInput, UsageError, type Command } from "../args.js";

export const show: Command = {
  name: "show",
  summary: "print what a real tool prints on the simulated cluster (iptables-save, ip route, …)",
  help: `Usage: k8s-net-flow show COMMAND… [cluster options] [--node NODE] [--pod POD] [--json]
       k8s-net-flow show --list

Prints what COMMAND prints on a node of the simulated cluster (--node, default the first)
or inside a pod (--pod), e.g.
  k8s-net-flow show iptables-save -t nat --node worker-node-1
  k8s-net-flow show ip route --pod default/client
  k8s-net-flow show kubectl get endpoints backend-svc
  k8s-net-flow show nslookup api-svc.backend --pod frontend/frontend-pod
Every word that is not one of the options below is the command line, the tool's own flags too.
Without --scenario or --file: the built-in scenario that has the --pod, else ${DEFAULT_SCENARIO}.

  --list            The commands that are simulated.
  --node NODE       The node to run the command on.
  --pod POD         The pod to run it in: name, or namespace/name.

${CLUSTER_HELP}

Output:
  --json            {"command", "stdout", "stderr"} as one JSON object.
`,
  async run(argv, io) {
    // Our options are taken out; every other word is the command line (its `-t nat`, `-o wide`).
    const opts: { scenario?: string; file?: string; mode?: string; cni?: string; "pod-mtu"?: string; fault: string[]; node?: string; pod?: string; json: boolean; list: boolean; help: boolean } = { fault: [], json: false, list: false, help: false };
    const words: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const value = () => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`, "show");
        return v;
      };
      if (a === "--scenario") opts.scenario = value();
      else if (a === "--file") opts.file = value();
      else if (a === "--mode") opts.mode = value();
      else if (a === "--cni") opts.cni = value();
      else if (a === "--pod-mtu") opts["pod-mtu"] = value();
      else if (a === "--fault") opts.fault.push(value());
      else if (a === "--node") opts.node = value();
      else if (a === "--pod") opts.pod = value();
      else if (a === "--json") opts.json = true;
      else if (a === "--list") opts.list = true;
      else if (a === "-h" || a === "--help") opts.help = true;
      else words.push(a);
    }
    if (opts.help) return io.out(show.help), 0;
    if (opts.list) {
      io.out(`Commands that "k8s-net-flow show" prints as the real tools do:\n${SHOW_COMMANDS.map((c) => `  ${c}\n`).join("")}`);
      return 0;
    }
    if (!words.length) throw new UsageError("show needs a command, e.g. show ip route --node worker-node-1 (show --list for all)", "show");
    const input = await clusterInput("show", opts, scenarioWithPod(opts.pod));
    const engine = await createEngine({ host: "inline" });
    try {
      const summary = await engine.load(input);
      // conntrack (and IPVS's connection counters) show what traffic left behind: the scenario's own flow runs first.
      if ((words[0] === "conntrack" || words[0] === "ipvsadm") && summary.defaultFlow) await engine.trace(summary.defaultFlow);
      const result = await engine.show({ command: words.join(" "), ...(opts.node ? { node: opts.node } : {}), ...(opts.pod ? { pod: opts.pod } : {}) });
      if (opts.json) io.out(`${JSON.stringify({ command: words.join(" "), ...result })}\n`);
      else if (words[0] === "conntrack") {
        // conntrack prints its summary after the entries; kubectl its warnings before.
        io.out(result.stdout);
        io.err(result.stderr);
      } else {
        io.err(result.stderr);
        io.out(result.stdout);
      }
      return 0;
    } catch (e) {
      if (e instanceof K8sNetFlowError && e.code === "unsupported" && e.path === "command") throw new UsageError(`${e.message.replace(/^command: /, "")}; "k8s-net-flow show --list" lists them`, "show");
      throw e;
    } finally {
      await engine.dispose();
    }
  },
};

/** The first built-in scenario that has the pod `ref`, so `show … --pod frontend/frontend-pod` just works. */
function scenarioWithPod(ref: string | undefined): string {
  if (!ref) return DEFAULT_SCENARIO;
  const [ns, name] = ref.includes("/") ? ref.split("/", 2) : ["default", ref];
  for (const [id, s] of Object.entries(SCENARIOS)) {
    if (s.cluster.pods?.some((p) => (p.namespace ?? "default") === ns && p.name === name)) return id;
  }
  return DEFAULT_SCENARIO;
}
