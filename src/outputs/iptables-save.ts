// `iptables-save` for one table of the compiled ruleset: built-in chains with their policy,
// then user chains in alphabetical order (as iptables ≥ 1.8.7 sorts them), then the rules
// chain by chain, each chain's in its own order.

import type { Ruleset, Table } from "../compile/iptables.js";

export function iptablesSave(rs: Ruleset, table: Table, counters?: (rule: number) => [number, number]): string {
  const chains = rs.chains.filter((c) => c.table === table);
  const builtin = chains.filter((c) => c.builtin);
  const user = chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ordered = [...builtin, ...user];
  const lines = [`*${table}`];
  for (const c of ordered) lines.push(`:${c.name} ${c.builtin ? "ACCEPT" : "-"} [0:0]`);
  for (const c of ordered) {
    for (const id of c.rules) {
      const text = rs.rules[id]!.text;
      if (counters) {
        const [packets, bytes] = counters(id);
        lines.push(`[${packets}:${bytes}] ${text}`);
      } else lines.push(text);
    }
  }
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}
