// `iptables-save` for one table of the compiled ruleset: built-in chains with their policy,
// then user chains in alphabetical order (as iptables ≥ 1.8.7 sorts them), then the rules
// chain by chain, each chain's in its own order.

import type { Ruleset, Table } from "../compile/iptables.js";

export interface SaveCounters {
  rules: (rule: number) => [number, number];
  policy: (chain: number) => [number, number];
}

/** `iptables-save` of one table (on `node`, when some rules are that node's only); with `counters`, `iptables-save -c` (`[packets:bytes]` on every chain and rule). */
export function iptablesSave(rs: Ruleset, table: Table, counters?: SaveCounters, node?: number): string {
  // Calico's per-endpoint and dispatch chains exist on their node only.
  const chains = rs.chains.filter((c) => c.table === table && (!c.nodes || node === undefined || c.nodes.includes(node)));
  const builtin = chains.filter((c) => c.builtin);
  const user = chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ordered = [...builtin, ...user];
  const lines = [`*${table}`];
  for (const c of ordered) {
    const [p, b] = counters && c.builtin ? counters.policy(c.id) : [0, 0];
    lines.push(`:${c.name} ${c.builtin ? "ACCEPT" : "-"} [${p}:${b}]`);
  }
  for (const c of ordered) {
    for (const id of c.rules) {
      // A rule kube-proxy writes on some nodes only is not in another node's table.
      if (node !== undefined && rs.rules[id]!.nodes && !rs.rules[id]!.nodes!.includes(node)) continue;
      const text = rs.rules[id]!.text;
      if (counters) {
        const [packets, bytes] = counters.rules(id);
        lines.push(`[${packets}:${bytes}] ${text}`);
      } else lines.push(text);
    }
  }
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}
