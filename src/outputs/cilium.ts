// What cilium-dbg prints about the simulated load balancer: `cilium-dbg service list` and
// `cilium-dbg service get ID` (cilium-dbg/cmd/service_list.go printServiceList: Go's
// text/tabwriter with minwidth 5, tabwidth 0, padding 3, spaces, every cell tab-terminated —
// so the last column is padded too — one row per frontend sorted by ID, its first backend on
// that row and the others on rows of their own).

import type { CiliumFrontend, CiliumLbTable } from "../compile/cilium.js";
import { formatIPv4 } from "../net/ipv4.js";

/**
 * Go's text/tabwriter for lines whose cells are all tab-terminated (flags 0, no trailing
 * text): each column as wide as its widest cell plus `padding`, at least `minwidth`.
 */
export function goTabwriter(rows: string[][], minwidth: number, padding: number): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? minwidth, cell.length + padding)));
  return rows.map((row) => `${row.map((cell, i) => cell.padEnd(widths[i]!)).join("")}\n`).join("");
}

/** L3n4Addr.String(): `IP:port/PROTOCOL`. */
const addr = (ip: number, port: number, protocol: string) => `${formatIPv4(ip)}:${port}/${protocol}`;

function rowsOf(fe: CiliumFrontend): string[][] {
  const backends = fe.backends.map((b, i) => `${i + 1} => ${addr(b.addr, b.port, fe.protocol)} (${b.state})`);
  if (!backends.length) return [[String(fe.id), addr(fe.addr, fe.port, fe.protocol), "ClusterIP", ""]];
  return [[String(fe.id), addr(fe.addr, fe.port, fe.protocol), "ClusterIP", backends[0]!], ...backends.slice(1).map((b) => ["", "", "", b])];
}

const HEADER = ["ID", "Frontend", "Service Type", "Backend"];

/** `cilium-dbg service list` (the same on every node: the agent programs every frontend everywhere). */
export function ciliumServiceList(lb: CiliumLbTable): string {
  return goTabwriter([HEADER, ...[...lb.frontends].sort((a, b) => a.id - b.id).flatMap(rowsOf)], 5, 3);
}

/** `cilium-dbg service get ID`: the same printer, for one frontend. */
export function ciliumServiceGet(fe: CiliumFrontend): string {
  return goTabwriter([HEADER, ...rowsOf(fe)], 5, 3);
}
