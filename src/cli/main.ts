// k8s-net-flow: the command line over the engine API.
// Exit codes: 0 success; 1 invalid input (a usage error, a cluster refused, an unknown pod);
// 2 an internal error (a bug, a crashed worker).

import { toErrorInfo } from "../errors.js";
import { UsageError, type Command, type Io } from "./args.js";
import { bench } from "./commands/bench.js";
import { generate } from "./commands/generate.js";
import { policy } from "./commands/policy.js";
import { scenarios } from "./commands/scenarios.js";
import { show } from "./commands/show.js";
import { simulate } from "./commands/simulate.js";
import { trace } from "./commands/trace.js";
import { validate } from "./commands/validate.js";

declare const __VERSION__: string;

const COMMANDS: Command[] = [trace, simulate, show, policy, validate, generate, scenarios, bench];

const HELP = `k8s-net-flow — follow packets through a simulated Kubernetes cluster

Usage: k8s-net-flow COMMAND [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join("\n")}

Run "k8s-net-flow COMMAND --help" for a command's options. Every command takes --json for scripts.

  -h, --help        This help.
  -v, --version     Print the version.

Exit codes: 0 success, 1 invalid input (usage, a cluster refused, an unknown pod), 2 internal error.
`;

const stdio: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTTY: Boolean(process.stderr.isTTY),
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  const json = argv.includes("--json");
  try {
    if (name === "-h" || name === "--help" || name === "help") return io.out(HELP), 0;
    if (name === "-v" || name === "--version") return io.out(`${__VERSION__}\n`), 0;
    if (name === undefined) throw new UsageError("no command given");
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`k8s-net-flow: ${e.message}\nRun "k8s-net-flow ${e.command ? `${e.command} ` : ""}--help" for usage.\n`);
      return 1;
    }
    const info = toErrorInfo(e);
    if (json) io.out(`${JSON.stringify({ error: info }, null, 2)}\n`);
    else io.err(`k8s-net-flow: error (${info.code}): ${info.message}\n`);
    return info.code === "internal" ? 2 : 1;
  }
}
