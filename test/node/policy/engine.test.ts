// The engine answers about the loaded cluster's NetworkPolicies from its worker, as the CLI does.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/index.js";

const text = readFileSync(new URL("../../fixtures/policy-shop.yaml", import.meta.url), "utf8");

describe("engine policyMatrix / policyExplain", () => {
  it("give the same verdicts in a worker and in-thread, with the note on enforcement", async () => {
    const answers = [];
    for (const host of ["worker", "inline"] as const) {
      const e = await createEngine({ host });
      try {
        await e.load({ text });
        const m = await e.policyMatrix({ probes: [{ protocol: "TCP", port: 5432 }] });
        const db = m.pods.find((p) => p.startsWith("shop/db-"))!;
        const v = await e.policyExplain({ from: { pod: "default/client" }, to: { pod: db }, port: 5432 });
        expect(v.allowed).toBe(false);
        expect(v.ingress.isolatedBy).toEqual(["shop/db-from-web"]);
        expect(v.note).toMatch(/^Calico enforces NetworkPolicy/);
        answers.push({ m, v });
        await expect(e.policyExplain({ from: { pod: "default/nope" }, to: { pod: db }, port: 5432 })).rejects.toMatchObject({ code: "not-found", path: "from" });
      } finally {
        await e.dispose();
      }
    }
    expect(answers[0]).toEqual(answers[1]);
  });
});

describe("a trace with NetworkPolicies", () => {
  it("flannel: the packet is delivered, and the trace says the policies deny it and that flannel enforces nothing", async () => {
    const e = await createEngine({ host: "inline" });
    try {
      await e.load({ text, settings: { cni: { plugin: "flannel" } } });
      const db = (await e.policyMatrix()).pods.find((p) => p.startsWith("shop/db-"))!;
      const t = await e.trace({ from: "client", to: `${db}:5432` });
      expect(t.verdict).toBe("delivered");
      expect(t.policy).toMatchObject({ allowed: false, note: expect.stringMatching(/^flannel does not enforce NetworkPolicy/) });
      expect(t.policy!.explanation).toContain("isolated by shop/db-from-web");
      // A cluster without policies: no policy part.
      await e.load({ scenario: "pod-to-service" });
      expect((await e.trace({ from: "client", to: "backend-svc:80" })).policy).toBeUndefined();
    } finally {
      await e.dispose();
    }
  });
});

