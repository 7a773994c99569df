// The Wasm core loaded directly (no engine, no worker): the FIB against table-driven cases
// and, as a property, against the TypeScript reference.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { Dataplane } from "../../src/dataplane/dataplane.js";
import { maskOf, parseCidr, parseIPv4 } from "../../src/net/ipv4.js";
import { referenceLookup } from "../../src/reference/fib.js";

let dp: Dataplane;
beforeAll(async () => {
  dp = await Dataplane.create(readFileSync(new URL("../../build/dataplane.wasm", import.meta.url)));
});

function table(...cidrs: string[]): Uint32Array {
  const out = new Uint32Array(cidrs.length * 2);
  cidrs.forEach((c, i) => {
    const cidr = c === "default" ? { address: 0, prefixLength: 0 } : parseCidr(c, "test");
    out[i * 2] = cidr.address;
    out[i * 2 + 1] = cidr.prefixLength;
  });
  return out;
}

describe("fib (longest-prefix match in Wasm)", () => {
  // A flannel node's main table, in `ip route` order.
  const node = table("default", "10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "192.168.1.0/24");
  it.each([
    ["10.244.0.7", 1],
    ["10.244.1.10", 2],
    ["10.244.2.255", 3],
    ["192.168.1.11", 4],
    ["10.96.0.10", 0],
    ["8.8.8.8", 0],
    ["10.244.3.1", 0],
  ])("%s → route %i", (dst, want) => {
    dp.reset();
    expect(dp.lookup(dp.buildFib(node), parseIPv4(dst, "dst"))).toBe(want);
  });

  it("prefers the longest prefix whatever the table order", () => {
    dp.reset();
    const fib = dp.buildFib(table("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32"));
    expect(dp.lookup(fib, parseIPv4("10.1.2.3", "d"))).toBe(3);
    expect(dp.lookup(fib, parseIPv4("10.1.2.4", "d"))).toBe(2);
    expect(dp.lookup(fib, parseIPv4("10.1.3.4", "d"))).toBe(1);
    expect(dp.lookup(fib, parseIPv4("10.2.0.0", "d"))).toBe(0);
  });

  it("answers -1 with no default route (Network is unreachable)", () => {
    dp.reset();
    const fib = dp.buildFib(table("10.244.0.0/24"));
    expect(dp.lookup(fib, parseIPv4("10.245.0.1", "d"))).toBe(-1);
    expect(dp.lookup(dp.buildFib(new Uint32Array(0)), 0)).toBe(-1);
  });

  it("keeps the first of two identical prefixes (the compile step orders by preference)", () => {
    dp.reset();
    const fib = dp.buildFib(table("10.0.0.0/8", "10.0.0.0/8"));
    expect(dp.lookup(fib, parseIPv4("10.9.9.9", "d"))).toBe(0);
  });

  it("handles the extremes of the address space", () => {
    dp.reset();
    const fib = dp.buildFib(table("0.0.0.0/1", "128.0.0.0/1", "255.255.255.255/32", "0.0.0.0/32"));
    expect(dp.lookup(fib, 0)).toBe(3);
    expect(dp.lookup(fib, 1)).toBe(0);
    expect(dp.lookup(fib, 0xffffffff)).toBe(2);
    expect(dp.lookup(fib, 0xfffffffe)).toBe(1);
  });

  it("rejects malformed records instead of building a wrong table", () => {
    dp.reset();
    expect(() => dp.buildFib(new Uint32Array([0x0a000001, 8]))).toThrow(/host bits/);
    expect(() => dp.buildFib(new Uint32Array([0, 33]))).toThrow(/prefix length/);
  });

  it("grows memory for a 5,000-node cluster's table and still answers correctly", () => {
    dp.reset();
    // One /24 per node as flannel installs them: 10.244.0.0/24 … (5,000 of a /16 is too many, so use 10.0.0.0/8).
    const records = new Uint32Array(5000 * 2);
    for (let i = 0; i < 5000; i++) {
      records[i * 2] = (0x0a000000 + i * 256) >>> 0;
      records[i * 2 + 1] = 24;
    }
    const fib = dp.buildFib(records);
    expect(dp.lookup(fib, (0x0a000000 + 4321 * 256 + 7) >>> 0)).toBe(4321);
    expect(dp.lookup(fib, 0x0b000000)).toBe(-1);
    const dsts = Uint32Array.from({ length: 1000 }, (_, i) => (0x0a000000 + i * 997 * 3) >>> 0);
    const batch = dp.lookupBatch(fib, dsts);
    expect(Array.from(batch)).toEqual(Array.from(dsts, (d) => referenceLookup(records, d)));
  });

  it("agrees with the reference implementation on random tables and addresses (property)", () => {
    const route = fc.record({ address: fc.integer({ min: 0, max: 0xffffffff }), length: fc.integer({ min: 0, max: 32 }) }).map(({ address, length }) => [(address & maskOf(length)) >>> 0, length] as const);
    // Addresses near the table's prefixes hit the interesting cases, random ones the misses.
    fc.assert(
      fc.property(fc.array(route, { maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 64 }), (routes, randomDsts) => {
        const records = new Uint32Array(routes.flat());
        const dsts = [...randomDsts, ...routes.map(([p, l]) => (p | (randomDsts[0]! & ~maskOf(l))) >>> 0)];
        dp.reset();
        const fib = dp.buildFib(records);
        for (const d of dsts) expect(dp.lookup(fib, d)).toBe(referenceLookup(records, d));
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
