// A trace as it crosses the worker boundary: the hop records as one typed array (moved with
// Comlink's transfer, not copied) plus the few table entries they name. Hop objects are made
// on the receiving side, by unpackTrace.

import type { Hop, Trace } from "../engine/types.js";
import * as A from "./abi.js";
import { decodeHops, type TraceTables } from "./decode.js";

export interface PackedTrace {
  /** The trace without its hops, in the order its keys are shown. */
  head: Omit<Trace, "hops">;
  /** Hop records (A.T_BYTES each) back to back. */
  records: Uint32Array;
  /** Runs of records that belong to a DNS query of the lookup, and what that query got. */
  dnsRuns: Array<{ first: number; count: number; query: number; name: string; type: "A" | "AAAA"; result: string }>;
  tables: TraceTables;
}

export function unpackTrace(packed: PackedTrace): Trace {
  const words = A.T_BYTES / 4;
  const count = packed.records.length / words;
  const decoded = decodeHops(packed.records, count, packed.tables);
  const runOf = new Array<PackedTrace["dnsRuns"][number] | undefined>(count);
  for (const run of packed.dnsRuns) for (let i = run.first; i < run.first + run.count; i++) runOf[i] = run;
  const hops: Hop[] = decoded.map((h, i) => {
    const q = runOf[i];
    if (!q) return { ...h, seq: i };
    const tagged: Hop = {
      ...h,
      phase: h.phase === "request" ? "dns-query" : h.phase === "reply" ? "dns-answer" : "error",
      dns: { query: q.query, name: q.name, type: q.type, result: q.result },
      ...(h.action === "deliver" && h.phase === "request" ? { text: `${h.text} CoreDNS looks up ${q.type} ${q.name}: ${q.result}.` } : {}),
      ...(h.action === "deliver" && h.phase === "reply" ? { text: `${h.text} The resolver reads the answer to ${q.type} ${q.name}: ${q.result}.` } : {}),
    };
    return { ...tagged, seq: i };
  });
  return { ...packed.head, hops } as Trace;
}
