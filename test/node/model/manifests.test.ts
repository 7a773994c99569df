// Kubernetes manifests (multi-document YAML) and kubectl dumps (JSON and YAML Lists).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadModel } from "../../../src/model/load.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("kubectl get -o json dump", () => {
  const { model, warnings } = loadModel({ text: fixture("kubectl-dump.json") });

  it("takes status fields as the truth: node IPs, pod CIDRs, pod IPs, ClusterIPs", () => {
    expect(model.nodes.map((n) => [n.name, n.internalIP, n.podCIDR])).toEqual([
      ["k3s-server", "10.0.0.5", "10.42.0.0/24"],
      ["k3s-agent", "10.0.0.6", "10.42.1.0/24"],
    ]);
    expect(model.pods.map((p) => `${p.namespace}/${p.name}=${p.ip}@${p.node}`)).toEqual([
      "kube-system/coredns-5688667fd4-8x2kq=10.42.0.3@k3s-server",
      "shop/web-7c5d8f9b6-abcde=10.42.1.7@k3s-agent",
      "shop/web-7c5d8f9b6-fghij=10.42.0.9@k3s-server",
    ]);
    expect(model.services.map((s) => `${s.namespace}/${s.name}=${s.clusterIP}`)).toEqual(["default/kubernetes=10.43.0.1", "kube-system/kube-dns=10.43.0.10", "shop/web=10.43.17.200"]);
  });

  it("infers the ranges the dump implies, and says so", () => {
    expect(model.settings.clusterCIDR).toBe("10.42.0.0/16");
    expect(model.settings.serviceCIDR).toBe("10.43.0.0/16");
    expect(model.settings.nodeNetwork).toBe("10.0.0.0/24");
    expect(warnings.filter((w) => w.code === "inferred").map((w) => w.path)).toEqual(["settings.clusterCIDR", "settings.nodeNetwork", "settings.serviceCIDR"]);
  });

  it("reads readiness from the Ready condition and keeps the given EndpointSlices", () => {
    expect(model.pods.find((p) => p.name === "web-7c5d8f9b6-fghij")?.ready).toBe(false);
    const web = model.endpointSlices.filter((s) => s.service === "web");
    expect(web).toHaveLength(1);
    expect(web[0]).toMatchObject({ name: "web-m2x9s", managedBy: "endpointslice-controller.k8s.io" });
    expect(web[0]!.endpoints.map((e) => [e.addresses[0], e.conditions.ready])).toEqual([["10.42.1.7", true], ["10.42.0.9", false]]);
    expect(model.services.find((s) => s.name === "web")).toMatchObject({ type: "NodePort", externalTrafficPolicy: "Local", sessionAffinity: "ClientIP", sessionAffinityTimeout: 3600, ports: [{ nodePort: 31080, targetPort: "http" }] });
  });

  it("does not add CoreDNS or the kubernetes Service a second time", () => {
    expect(model.services.filter((s) => s.name === "kube-dns")).toHaveLength(1);
    expect(model.pods.filter((p) => p.labels["k8s-app"] === "kube-dns")).toHaveLength(1);
    expect(model.endpointSlices.find((s) => s.service === "kubernetes")?.endpoints[0]?.addresses).toEqual(["10.0.0.5"]);
  });

  it("leaves out finished pods, with a warning", () => {
    expect(model.pods.some((p) => p.name.startsWith("migrate"))).toBe(false);
    expect(warnings).toContainEqual(expect.objectContaining({ code: "invalid-value", path: "pods[3].status.phase", message: expect.stringMatching(/Succeeded/) }));
  });

  it("warns about fields that change the network but are not simulated, with their line", () => {
    const text = fixture("kubectl-dump.json").replace('"externalTrafficPolicy": "Local"', '"externalTrafficPolicy": "Local", "externalIPs": ["203.0.113.9"]');
    const { warnings: w } = loadModel({ text });
    const line = text.split("\n").findIndex((l) => l.includes("externalIPs")) + 1;
    expect(w).toContainEqual({ severity: "warning", code: "unsupported", path: "services[2].spec.externalIPs", message: expect.stringMatching(/not simulated/), source: { document: 1, line } });
  });

  it("reads the same dump as YAML (kubectl get -o yaml) into the same model", () => {
    const asYaml = stringify(JSON.parse(fixture("kubectl-dump.json")));
    expect(JSON.stringify(loadModel({ text: asYaml }).model)).toBe(JSON.stringify(model));
  });
});

describe("manifests as an author writes them", () => {
  const { model, warnings } = loadModel({ text: fixture("shop.yaml") });

  it("expands a Deployment into pods named <name>-<template hash>-<5 chars>, labelled with the hash", () => {
    const web = model.pods.filter((p) => p.namespace === "shop" && p.labels.app === "web");
    expect(web).toHaveLength(3);
    const hash = web[0]!.labels["pod-template-hash"]!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    for (const p of web) {
      expect(p.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.owner).toEqual({ kind: "ReplicaSet", name: `web-${hash}` });
    }
    expect(new Set(web.map((p) => p.name)).size).toBe(3);
  });

  it("names StatefulSet pods <name>-0..n-1 and runs a DaemonSet pod on every node", () => {
    expect(model.pods.filter((p) => p.labels.app === "db").map((p) => [p.name, p.labels["statefulset.kubernetes.io/pod-name"]])).toEqual([
      ["db-0", "db-0"],
      ["db-1", "db-1"],
    ]);
    const exporters = model.pods.filter((p) => p.labels.app === "node-exporter");
    expect(exporters.map((p) => p.node)).toEqual(["node-a", "node-b"]);
    // hostNetwork pods have their node's address.
    expect(exporters.map((p) => p.ip)).toEqual(model.nodes.map((n) => n.internalIP));
  });

  it("spreads unplaced pods over the nodes deterministically", () => {
    const perNode = (n: string) => model.pods.filter((p) => p.node === n && !p.hostNetwork).length;
    expect(Math.abs(perNode("node-a") - perNode("node-b"))).toBeLessThanOrEqual(1);
    expect(JSON.stringify(loadModel({ text: fixture("shop.yaml") }).model)).toBe(JSON.stringify(model));
  });

  it("resolves named targetPorts into EndpointSlices; headless and ExternalName services behave as Kubernetes'", () => {
    const web = model.endpointSlices.filter((s) => s.service === "web");
    expect(web.flatMap((s) => s.ports)).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(web.flatMap((s) => s.endpoints)).toHaveLength(3);
    const nodePort = model.services.find((s) => s.name === "web")!.ports[0]!.nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    expect(model.services.find((s) => s.name === "db")?.clusterIP).toBe("None");
    expect(model.endpointSlices.filter((s) => s.service === "db").flatMap((s) => s.ports)).toEqual([{ name: "pg", port: 5432, protocol: "TCP" }]);
    // StatefulSet pods are published with their hostnames (db-0.db.shop.svc.cluster.local).
    expect(model.endpointSlices.filter((s) => s.service === "db").flatMap((s) => s.endpoints.map((e) => e.hostname))).toEqual(["db-0", "db-1"]);
    const payments = model.services.find((s) => s.name === "payments")!;
    expect(payments).toMatchObject({ type: "ExternalName", externalName: "api.payments.example.com" });
    expect(payments.clusterIP).toBeUndefined();
    expect(model.endpointSlices.some((s) => s.service === "payments")).toBe(false);
  });

  it("creates the namespaces pods refer to and keeps the given ones' labels", () => {
    expect(model.namespaces.find((n) => n.name === "shop")?.labels).toEqual({ team: "web", "kubernetes.io/metadata.name": "shop" });
    expect(model.namespaces.some((n) => n.name === "monitoring")).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("groups endpoints whose named port resolves differently into separate slices", () => {
    const text = `
nodes: [{ name: n1 }]
pods:
  - { name: old, labels: { app: x }, ports: ["http:8080"] }
  - { name: new, labels: { app: x }, ports: ["http:9090"] }
services:
  - { name: x, selector: { app: x }, ports: ["http:80:http"] }
`;
    const { model: m } = loadModel({ text });
    const slices = m.endpointSlices.filter((s) => s.service === "x");
    expect(slices.map((s) => [s.ports[0]?.port, s.endpoints.map((e) => e.targetRef?.name)])).toEqual([
      [8080, ["old"]],
      [9090, ["new"]],
    ]);
  });

  it("splits more than 100 endpoints into several slices", () => {
    const { model: m } = loadModel({ nodes: [{ name: "a" }, { name: "b" }], deployments: [{ name: "big", replicas: 250, labels: { app: "big" }, ports: ["8080"] }], services: [{ name: "big", selector: { app: "big" }, ports: ["80:8080"] }] });
    expect(m.endpointSlices.filter((s) => s.service === "big").map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
  });

  it("uses v1 Endpoints when no EndpointSlice is given, not-ready addresses included", () => {
    const text = `
apiVersion: v1
kind: Service
metadata: { name: legacy }
spec: { clusterIP: 10.96.5.5, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: legacy }
subsets:
  - addresses: [{ ip: 192.168.1.50 }]
    notReadyAddresses: [{ ip: 192.168.1.51 }]
    ports: [{ port: 8080 }]
---
{ nodes: [{ name: n1 }] }
`;
    const { model: m } = loadModel({ text });
    const slice = m.endpointSlices.find((s) => s.service === "legacy")!;
    expect(slice.endpoints.map((e) => [e.addresses[0], e.conditions.ready])).toEqual([["192.168.1.50", true], ["192.168.1.51", false]]);
    expect(slice.ports).toEqual([{ port: 8080, protocol: "TCP" }]);
  });
});
