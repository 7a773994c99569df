// `conntrack -L` (conntrack-tools 1.4.7) on a node: the entries the simulation created there,
// with both tuples as NAT left them. The summary line goes to stderr, as the tool prints it.

import type { ConntrackEntry } from "../dataplane/dataplane.js";
import { formatIPv4 } from "../net/ipv4.js";

const NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 132: "sctp" };
const TCP_STATES = ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT"];
// Status bits, as assembly/conntrack.ts keeps them.
const SEEN_REPLY = 4;
const ASSURED = 16;

function tuple(t: [number, number, number]): string {
  return `src=${formatIPv4(t[0])} dst=${formatIPv4(t[1])} sport=${t[2] >>> 16} dport=${t[2] & 0xffff}`;
}

export function conntrackList(entries: ConntrackEntry[], node: number, now: number): { stdout: string; stderr: string } {
  // Expired entries the gc worker has not reaped yet are not listed (nf_conntrack skips them).
  const mine = entries.filter((e) => e.key >>> 8 === node && e.expires >= now);
  const lines = mine.map((e) => {
    const proto = e.key & 255;
    const name = NAMES[proto] ?? "unknown";
    let line = `${name.padEnd(8)} ${proto} ${Math.max(0, e.expires - now)} `;
    if (proto === 6) line += `${TCP_STATES[(e.status >>> 8) & 15] ?? "NONE"} `;
    line += `${tuple(e.orig)} `;
    if (!(e.status & SEEN_REPLY)) line += "[UNREPLIED] ";
    line += `${tuple(e.reply)} `;
    if (e.status & ASSURED) line += "[ASSURED] ";
    return `${line}mark=0 use=1`;
  });
  return { stdout: lines.map((l) => `${l}\n`).join(""), stderr: `conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n` };
}
