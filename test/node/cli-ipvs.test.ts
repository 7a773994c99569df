// The CLI with kube-proxy in IPVS mode (--mode ipvs), as users run it: the built bin.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
});

describe("k8s-net-flow --mode ipvs", () => {
  it("trace: the IPVS hop names the virtual server, the real server and the ipvsadm entry", () => {
    const r = run("trace", "--scenario", "pod-to-service", "--to", "backend-svc:80", "--mode", "ipvs");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^client \(10\.244\.0\.10:\d+\) → backend-svc:80 \(10\.96\.0\.20:80\/tcp\): delivered; answer delivered/);
    expect(r.stdout).toContain("IPVS on worker-node-1: virtual server 10.96.0.20:80 (rr) → real server 10.244.0.17:8080");
    const json = JSON.parse(run("trace", "--scenario", "pod-to-service", "--to", "backend-svc:80", "--mode", "ipvs", "--json").stdout);
    const dnat = json.hops.find((h: { phase: string; action: string }) => h.phase === "request" && h.action === "dnat");
    expect(dnat.ruleSource).toBe("ipvsadm -Ln");
    expect(dnat.rule.split("\n")[0]).toBe("TCP  10.96.0.20:80 rr");
  });

  it("show ipvsadm -Ln and ip addr show kube-ipvs0; simulate spreads rr evenly", () => {
    const ipvsadm = run("show", "ipvsadm", "-Ln", "--scenario", "pod-to-service", "--mode", "ipvs");
    expect(ipvsadm.code).toBe(0);
    expect(ipvsadm.stdout).toMatch(/^IP Virtual Server version 1\.2\.1 \(size=4096\)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10\.96\.0\.1:443 rr\n/);
    // After the scenario's own flow (as for conntrack -L): its connection is ESTABLISHED, so active.
    expect(ipvsadm.stdout).toContain("  -> 10.244.0.17:8080             Masq    1      1          0         \n");
    const dummy = run("show", "ip", "addr", "show", "kube-ipvs0", "--scenario", "pod-to-service", "--mode", "ipvs");
    expect(dummy.stdout).toContain("    inet 10.96.0.20/32 scope global kube-ipvs0\n");
    const sim = JSON.parse(run("simulate", "--scenario", "pod-to-service", "--mode", "ipvs", "--flows", "3000", "--json").stdout);
    const backend = sim.endpoints.filter((e: { servicePort: string }) => e.servicePort === "default/backend-svc").map((e: { connections: number }) => e.connections);
    expect(Math.max(...backend) - Math.min(...backend)).toBeLessThanOrEqual(1);
    // iptables mode has no virtual servers.
    expect(run("show", "ipvsadm", "-Ln", "--scenario", "pod-to-service").code).toBe(1);
  });
});
