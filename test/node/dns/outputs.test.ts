// What a pod's DNS tools print, from the simulated cluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/index.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  await engine.load({ scenario: "cross-namespace" });
});
afterAll(() => engine.dispose());

describe("show", () => {
  it("cat /etc/resolv.conf in frontend-pod", async () => {
    expect((await engine.show({ command: "cat /etc/resolv.conf", pod: "frontend/frontend-pod" })).stdout).toBe("search frontend.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  });

  it("nslookup api-svc.backend (bind9 dnsutils)", async () => {
    expect((await engine.show({ command: "nslookup api-svc.backend", pod: "frontend/frontend-pod" })).stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tapi-svc.backend.svc.cluster.local\nAddress: 10.96.0.25\n\n");
  });

  it("nslookup of a name nobody has", async () => {
    expect((await engine.show({ command: "nslookup nope.backend", pod: "frontend/frontend-pod" })).stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nope.backend: NXDOMAIN\n\n");
  });

  it("nslookup when CoreDNS has no endpoints", async () => {
    const e = await createEngine({ host: "inline" });
    await e.load({ nodes: [{ name: "n1" }], pods: [{ name: "app" }], settings: { coreDNSReplicas: 0 } });
    expect((await e.show({ command: "nslookup kubernetes", pod: "app" })).stdout).toBe(";; communications error to 10.96.0.10#53: connection refused\n;; communications error to 10.96.0.10#53: connection refused\n;; no servers could be reached\n\n");
    await e.dispose();
  });

  it("nslookup of an upstream name is not authoritative", async () => {
    const e = await createEngine({ host: "inline" });
    await e.load({ nodes: [{ name: "n1" }], pods: [{ name: "app" }], settings: { upstreamDNS: { "api.example.com": "203.0.113.10" } } });
    expect((await e.show({ command: "nslookup api.example.com", pod: "app" })).stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nNon-authoritative answer:\nName:\tapi.example.com\nAddress: 203.0.113.10\n\n");
    await e.dispose();
  });

  it("the CoreDNS ConfigMap as kubeadm installs it", async () => {
    const text = (await engine.show({ command: "kubectl get configmap -n kube-system coredns -o yaml" })).stdout;
    expect(text).toMatch(/^apiVersion: v1\ndata:\n  Corefile: \|\n    \.:53 \{\n        errors\n/);
    expect(text).toContain("        kubernetes cluster.local in-addr.arpa ip6.arpa {\n           pods insecure\n           fallthrough in-addr.arpa ip6.arpa\n           ttl 30\n        }\n");
    expect(text).toContain("        cache 30 {\n           disable success cluster.local\n           disable denial cluster.local\n        }\n");
    expect(text).toMatch(/kind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n$/);
  });

  it("refuses unknown commands and missing arguments with the field", async () => {
    await expect(engine.show({ command: "tcpdump -i any" })).rejects.toMatchObject({ code: "unsupported", path: "command" });
    await expect(engine.show({ command: "cat /etc/resolv.conf" })).rejects.toMatchObject({ code: "invalid-input", path: "pod" });
    await expect(engine.show({ command: "" })).rejects.toMatchObject({ code: "invalid-input", path: "command" });
  });
});
