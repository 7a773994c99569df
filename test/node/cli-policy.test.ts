// `k8s-net-flow policy matrix|explain`: the spec's verdicts for the cluster's NetworkPolicies, with
// what the CNI (and the simulator) does about them.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const file = fileURLToPath(new URL("../fixtures/policy-shop.yaml", import.meta.url));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("policy CLI", () => {
  it("matrix: db is isolated for ingress, and only the web pods reach it, on 5432 only", () => {
    const r = run("policy", "matrix", "--file", file, "--json");
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    // Every container port of the cluster's pods (CoreDNS's too).
    expect(m.probes).toEqual(expect.arrayContaining([{ protocol: "TCP", port: 5432 }, { protocol: "TCP", port: 8080 }, { protocol: "UDP", port: 53 }]));
    const probe = (port: number) => m.probes.findIndex((p: { port: number }) => p.port === port);
    const db = m.pods.findIndex((p: string) => p.startsWith("shop/db-"));
    const from = (prefix: string) => m.pods.findIndex((p: string) => p.startsWith(prefix));
    expect(m.allowed[probe(5432)][from("shop/web-")][db]).toBe(true);
    expect(m.allowed[probe(8080)][from("shop/web-")][db]).toBe(false);
    expect(m.allowed[probe(5432)][from("default/client")][db]).toBe(false);
    expect(m.allowed[probe(5432)][db][from("default/client")]).toBe(true); // db is not isolated for egress
    expect(m.note).toMatch(/^Calico enforces NetworkPolicy: Felix's iptables chains on each node/);
    const text = run("policy", "matrix", "--file", file, "--port", "5432", "--namespace", "shop");
    expect(text.stdout).toMatch(/^1 NetworkPolicy\. Note: Calico enforces/);
    expect(text.stdout).toMatch(/\| TCP\/5432 +\| shop\/db-/);
    expect(text.stdout).not.toContain("default/client");
  });

  it("explain names the isolating policy and why the connection is denied", () => {
    const m = JSON.parse(run("policy", "matrix", "--file", file, "--json").stdout);
    const db = m.pods.find((p: string) => p.startsWith("shop/db-"));
    const r = run("policy", "explain", "--file", file, "--from", "default/client", "--to", `${db}:5432`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`default/client → ${db} TCP/5432: DENIED\n  egress  default/client: allowed: not isolated\n  ingress ${db}: DENIED: no rule matched\n    isolated by shop/db-from-web\nNote: Calico enforces NetworkPolicy: Felix's iptables chains on each node (cali-fw-<veth> for what a pod sends, cali-tw-<veth> for what it receives) accept or drop each new connection; replies pass as established.\n`);
  });

  it("says that flannel enforces nothing", () => {
    const r = run("policy", "matrix", "--file", file, "--cni", "flannel", "--json");
    expect(JSON.parse(r.stdout).note).toMatch(/^flannel does not enforce NetworkPolicy/);
  });

  it("usage errors exit 1 and name what to fix; an unknown pod is invalid input", () => {
    expect(run("policy").stderr).toMatch(/policy needs matrix or explain/);
    expect(run("policy", "frob").code).toBe(1);
    expect(run("policy", "explain", "--file", file, "--from", "client").stderr).toMatch(/policy explain needs --from POD and --to POD:PORT/);
    expect(run("policy", "explain", "--file", file, "--from", "client", "--to", "db").stderr).toMatch(/--to takes POD:PORT/);
    expect(run("policy", "matrix", "--file", file, "--port", "http").stderr).toMatch(/--port takes PORT\[\/PROTO\]/);
    const r = run("policy", "explain", "--file", file, "--from", "default/nope", "--to", "10.0.0.9:80", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "not-found", path: "from" });
  });
});
