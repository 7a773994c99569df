import { createHash } from "node:crypto";
import fc from "fast-check";
import { expect, it } from "vitest";
import { base32, sha256, utf8 } from "../../src/util/sha256.js";
it("sha256 and base32 match node's", () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    expect(Buffer.from(sha256(utf8(s))).toString("hex")).toBe(createHash("sha256").update(s).digest("hex"));
  }), { numRuns: 300 });
  expect(base32(utf8("foobar"))).toBe("MZXW6YTBOI======");
  expect(base32(utf8("fo"))).toBe("MZXQ====");
});
