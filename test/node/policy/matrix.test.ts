// The truth table's text (Cyclonus-like grid) and JSON forms.
import { describe, expect, it } from "vitest";
import { defaultProbes, policyMatrix, renderMatrix } from "../../../src/policy/matrix.js";
import { cluster, policies } from "./helpers.js";

describe("policy matrix", () => {
  const m = cluster({ namespaces: ["x", "y"], pods: [{ name: "a", namespace: "x", ports: ["80", "dns:53/UDP"] }, { name: "b", namespace: "x", ports: ["81"] }, { name: "c", namespace: "y" }] });
  const p = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: x }
spec: { podSelector: {} }
`);

  it("probes default to the pods' declared container ports, TCP first", () => {
    expect(defaultProbes(m, ["x/a", "x/b", "y/c"])).toEqual([{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 81 }, { protocol: "UDP", port: 53 }]);
    expect(defaultProbes(m, ["y/c"])).toEqual([{ protocol: "TCP", port: 80 }]);
  });

  it("renders one bordered grid per probe, rows from and columns to, with a legend", () => {
    const t = policyMatrix(m, p, { probes: [{ protocol: "TCP", port: 80 }] });
    expect(renderMatrix(t)).toBe(
      [
        "+--------+-----+-----+-----+",
        "| TCP/80 | x/a | x/b | y/c |",
        "+--------+-----+-----+-----+",
        "| x/a    | .   | X   | .   |",
        "| x/b    | X   | .   | .   |",
        "| y/c    | X   | X   | .   |",
        "+--------+-----+-----+-----+",
        "",
        "rows: from, columns: to; . allowed, X denied",
        "5 allowed, 4 denied (3 pods × 3 pods × 1 port)",
        "",
      ].join("\n"),
    );
  });

  it("is plain JSON, and the same whatever order the policies come in", () => {
    const t = policyMatrix(m, p);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
    expect(t).toMatchObject({ pods: ["x/a", "x/b", "y/c"], counts: { allowed: 15, denied: 12 } });
    expect(t.allowed).toHaveLength(3);
    const all = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow, namespace: x }
spec: { podSelector: {}, ingress: [{}] }
`);
    expect(policyMatrix(m, [...p, ...all]).allowed).toEqual(policyMatrix(m, [...all, ...p]).allowed);
  });

  it("hands every cell's verdict to a callback, with its probe", () => {
    const seen: string[] = [];
    policyMatrix(m, p, { pods: ["y/c", "x/a"], probes: [{ protocol: "UDP", port: 53 }] }, (v, probe) => seen.push(`${probe} ${v.message}`));
    expect(seen).toHaveLength(4);
    expect(seen[1]).toBe("0 y/c → x/a UDP/53: denied (x/a is isolated for ingress by x/deny, which allows no ingress at all)");
  });
});
