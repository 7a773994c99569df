// The stub resolver inside a pod, as the C library runs it for getaddrinfo(): which names it
// tries, in which order, and when it stops. Each try sends an A and an AAAA query.
//
// glibc (res_search): a name with at least `ndots` dots (or a final dot) is tried as it is
// first; then each search domain; the bare name last if not tried yet. It goes on after
// NXDOMAIN, NODATA and SERVFAIL, and gives up at once when no server answers.
// musl: a name with at least `ndots` dots (or a final dot) is tried as it is, and nothing
// else; otherwise each search domain, then the bare name, stopping at the first answer that
// is not NXDOMAIN (NODATA and SERVFAIL end the lookup).

import type { Rcode, Record_ } from "./records.js";
import { ndotsOf, type ResolvConf } from "./resolv-conf.js";

export type Libc = "glibc" | "musl";

export type QueryResult = { rcode: Rcode; answers: Record_[] } | { failure: "refused" | "timeout" };

export interface Attempt {
  /** The fully qualified name asked (with the final dot). */
  name: string;
  type: "A" | "AAAA";
  /** 1 for the first send, 2 for the resolver's retry (options attempts:2). */
  try: number;
  result: QueryResult;
}

export interface Lookup {
  name: string;
  libc: Libc;
  attempts: Attempt[];
  /** The IPv4 addresses getaddrinfo returns, in order. */
  addresses: string[];
  /** The name that answered. */
  canonical?: string;
  /** getaddrinfo's error, as gai_strerror prints it. */
  error?: string;
}

/** The names the resolver will try, in order, before any answer comes back. */
export function candidates(name: string, conf: ResolvConf, libc: Libc): string[] {
  const absolute = name.endsWith(".");
  const bare = absolute ? name : `${name}.`;
  if (absolute) return [bare];
  const dots = (name.match(/\./g) ?? []).length;
  const searched = conf.searches.map((d) => `${name}.${d.replace(/\.$/, "")}.`);
  if (dots >= ndotsOf(conf)) return libc === "musl" ? [bare] : [bare, ...searched];
  return [...searched, bare];
}

const tries = (conf: ResolvConf) => {
  const v = conf.options.find((o) => o.name === "attempts")?.value;
  const n = v === undefined ? 2 : Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 5) : 2;
};

export function lookup(name: string, conf: ResolvConf, libc: Libc, query: (qname: string, type: "A" | "AAAA") => QueryResult): Lookup {
  const result: Lookup = { name, libc, attempts: [], addresses: [] };
  if (conf.nameservers.length === 0) {
    result.error = "Temporary failure in name resolution";
    return result;
  }
  for (const qname of candidates(name, conf, libc)) {
    // A and AAAA are sent together; each is retried while no server answers.
    const outcome: Partial<Record<"A" | "AAAA", QueryResult>> = {};
    for (const type of ["A", "AAAA"] as const) {
      for (let t = 1; t <= tries(conf); t++) {
        const r = query(qname, type);
        result.attempts.push({ name: qname, type, try: t, result: r });
        outcome[type] = r;
        if (!("failure" in r)) break;
      }
    }
    const a = outcome.A!;
    const aaaa = outcome.AAAA!;
    if ("failure" in a && "failure" in aaaa) {
      result.error = "Temporary failure in name resolution";
      return result;
    }
    const addresses = "failure" in a ? [] : a.answers.filter((r) => r.type === "A").map((r) => r.data);
    if (addresses.length) {
      result.addresses = addresses;
      result.canonical = qname;
      return result;
    }
    const rcode = "failure" in a ? ("failure" in aaaa ? "SERVFAIL" : aaaa.rcode) : a.rcode;
    if (libc === "musl" && rcode !== "NXDOMAIN") {
      result.error = rcode === "NOERROR" ? "Address not available" : "Temporary failure in name resolution";
      return result;
    }
  }
  result.error = "Name or service not known";
  return result;
}
