// `nft list ruleset` (and `nft list chain` / `nft list table`) for kube-proxy's nftables table,
// in the layout nft 1.0 prints: the table's comment, sets and maps in the order they were
// added, then chains in the order they were added, tab-indented, a blank line between
// objects. Checked against the real nft by loading this text with `nft -f` and listing it
// back (test/node/outputs/real-tools.test.ts).

import { formatIPv4 } from "../net/ipv4.js";
import type { NfSet, SetElement } from "../compile/iptables.js";
import { mapVerdictText, NFT_TABLE, priorityText, type NftRuleset } from "../compile/nftables.js";

const PROTO_NAME: Record<number, string> = { 6: "tcp", 17: "udp", 132: "sctp" };

/** nft's time format: 10800 → `3h`, 90 → `1m30s`. */
export function nftDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("") || "0s";
}

function keyText(set: NfSet, e: SetElement): string {
  const parts: string[] = [];
  if (set.keyHasAddr) parts.push(formatIPv4(e.addr));
  if (set.keyHasPort) parts.push(PROTO_NAME[e.proto] ?? String(e.proto), String(e.port));
  return parts.join(" . ");
}

function elementText(rs: NftRuleset, set: NfSet, e: SetElement): string {
  const comment = e.comment ? ` comment "${e.comment}"` : "";
  return `${keyText(set, e)}${comment}${e.verdict ? ` : ${mapVerdictText(e.verdict, rs)}` : ""}`;
}

/**
 * nft lists a set's elements sorted by key. A plain address compares as a number; a
 * concatenated key (`addr . proto . port`) compares as its bytes read as one little-endian
 * number, so the port's low byte decides first, then its high byte, the protocol, and the
 * address from its last byte (each part padded to 4 bytes). Checked against nft 1.0.6.
 */
function sortKey(set: NfSet, e: SetElement): number[] {
  if (!set.keyHasPort) return [e.addr >>> 0];
  const a = e.addr >>> 0;
  return [e.port & 0xff, e.port >>> 8, e.proto, a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24];
}

/** Addresses two to a line, concatenated keys and map elements one to a line (nft's layout). */
function elementsBlock(rs: NftRuleset, set: NfSet): string[] {
  if (!set.elements.length) return [];
  const keyed = set.elements.map((e) => ({ e, k: sortKey(set, e) }));
  keyed.sort((x, y) => {
    for (let i = 0; i < x.k.length; i++) if (x.k[i] !== y.k[i]) return x.k[i]! - y.k[i]!;
    return 0;
  });
  const texts = keyed.map(({ e }) => elementText(rs, set, e));
  const perLine = set.kind === "set" && !set.keyHasPort ? 2 : 1;
  const lines: string[] = [];
  for (let i = 0; i < texts.length; i += perLine) lines.push(texts.slice(i, i + perLine).join(", "));
  return lines.map((l, i) => `${i === 0 ? "\t\telements = { " : "\t\t\t     "}${l}${i === lines.length - 1 ? " }" : ","}`);
}

function setBlock(rs: NftRuleset, set: NfSet): string[] {
  const lines = [`\t${set.kind} ${set.name} {`, `\t\ttype ${set.type}`];
  if (set.flags) lines.push("\t\tsize 65535", `\t\tflags ${set.flags}`);
  if (set.timeout) lines.push(`\t\ttimeout ${nftDuration(set.timeout)}`);
  if (set.comment) lines.push(`\t\tcomment "${set.comment}"`);
  lines.push(...elementsBlock(rs, set), "\t}");
  return lines;
}

function chainBlock(rs: NftRuleset, id: number): string[] {
  const chain = rs.chains[id]!;
  const decl = rs.decls[id]!;
  const lines = [`\tchain ${chain.name} {`];
  if (decl.comment) lines.push(`\t\tcomment "${decl.comment}"`);
  if (decl.base) lines.push(`\t\ttype ${decl.base.type} hook ${decl.base.hook} priority ${priorityText(decl.base.hook, decl.base.type, decl.base.priority)}; policy accept;`);
  for (const r of chain.rules) lines.push(`\t\t${rs.rules[r]!.text}`);
  lines.push("\t}");
  return lines;
}

/** `nft list table ip kube-proxy` (which is also all `nft list ruleset` shows of it). */
export function nftListTable(rs: NftRuleset): string {
  const blocks = [...rs.sets.map((s) => setBlock(rs, s)), ...rs.chains.map((c) => chainBlock(rs, c.id))];
  const body = blocks.map((b) => b.join("\n")).join("\n\n");
  return `table ip ${NFT_TABLE} {\n\tcomment "rules for kube-proxy"\n${body}\n}\n`;
}

/** `nft list chain ip kube-proxy NAME`, or undefined when there is no such chain. */
export function nftListChain(rs: NftRuleset, name: string): string | undefined {
  const chain = rs.chains.find((c) => c.name === name);
  if (!chain) return undefined;
  return `table ip ${NFT_TABLE} {\n${chainBlock(rs, chain.id).join("\n")}\n}\n`;
}
