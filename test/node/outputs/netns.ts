// What the real-tool proofs share: which tools this machine lacks (the proofs are skipped,
// and say why, without them), and network namespaces of their own, deleted after the file.
import { execFileSync, spawnSync } from "node:child_process";
import { afterAll } from "vitest";

export const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** What is missing among root and the given commands (command → the package that has it). */
export function missingTools(commands: Record<string, string>): string[] {
  const missing = process.getuid?.() === 0 ? [] : ["root"];
  for (const [cmd, pkg] of Object.entries(commands)) if (!has(cmd)) missing.push(pkg);
  return missing;
}

/** `netns()` creates a namespace named `<prefix>-<pid>-<n>` (`setup` runs in it first); all go after the file. */
export function netnsFactory(prefix: string, setup?: (name: string) => void): { netns: () => string; ipn: (ns: string, ...args: string[]) => string } {
  const created: string[] = [];
  afterAll(() => {
    for (const n of created) spawnSync("ip", ["netns", "del", n]);
  });
  return {
    netns() {
      const name = `${prefix}-${process.pid}-${created.length}`;
      execFileSync("ip", ["netns", "add", name]);
      created.push(name);
      setup?.(name);
      return name;
    },
    ipn: (ns, ...args) => execFileSync("ip", ["-n", ns, ...args], { encoding: "utf8" }),
  };
}
