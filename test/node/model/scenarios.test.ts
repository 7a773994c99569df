// Golden tests: each built-in scenario carries every name and address the seed page gives.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/load.js";
import type { ClusterModel } from "../../../src/model/types.js";

const load = (scenario: string): ClusterModel => {
  const { model, warnings } = loadModel({ scenario });
  expect(warnings).toEqual([]);
  return model;
};
const pod = (m: ClusterModel, ref: string) => {
  const [ns, name] = ref.includes("/") ? ref.split("/") : ["default", ref];
  const p = m.pods.find((x) => x.namespace === ns && x.name === name);
  if (!p) throw new Error(`no pod ${ref}`);
  return { node: p.node, ip: p.ip, labels: p.labels };
};
const svc = (m: ClusterModel, ns: string, name: string) => m.services.find((s) => s.namespace === ns && s.name === name);
const endpointsOf = (m: ClusterModel, ns: string, name: string) =>
  m.endpointSlices.filter((s) => s.namespace === ns && s.service === name).flatMap((s) => s.endpoints.flatMap((e) => e.addresses.map((a) => `${a}:${s.ports.map((p) => p.port).join(",")}`)));

describe("seed scenarios", () => {
  it("every scenario has the cluster add-ons at their fixed addresses", () => {
    for (const s of ["pod-to-pod", "pod-to-service", "cross-namespace", "cross-node"]) {
      const m = load(s);
      expect(svc(m, "default", "kubernetes")).toMatchObject({ clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, targetPort: 6443, protocol: "TCP" }] });
      expect(svc(m, "kube-system", "kube-dns")).toMatchObject({
        clusterIP: "10.96.0.10",
        selector: { "k8s-app": "kube-dns" },
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
          { name: "metrics", port: 9153, protocol: "TCP" },
        ],
      });
      const coredns = m.pods.filter((p) => p.namespace === "kube-system");
      expect(coredns).toHaveLength(2);
      for (const p of coredns) expect(p.name).toMatch(/^coredns-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(endpointsOf(m, "kube-system", "kube-dns")).toHaveLength(2);
      expect(m.namespaces.map((n) => n.name)).toEqual(expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]));
    }
  });

  it("pod-to-pod: Worker-Node-1 192.168.1.10, pod A frontend 10.244.0.5, pod B backend 10.244.0.6", () => {
    const m = load("pod-to-pod");
    expect(m.nodes.map((n) => [n.name, n.internalIP, n.podCIDR])).toEqual([["worker-node-1", "192.168.1.10", "10.244.0.0/24"]]);
    expect(pod(m, "pod-a")).toEqual({ node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } });
    expect(pod(m, "pod-b")).toEqual({ node: "worker-node-1", ip: "10.244.0.6", labels: { app: "backend" } });
    expect(m.settings.clusterCIDR).toBe("10.244.0.0/16");
  });

  it("pod-to-service: client 10.244.0.10, backend-svc 10.96.0.20:80 → 10.244.0.15-17:8080", () => {
    const m = load("pod-to-service");
    expect(pod(m, "client")).toMatchObject({ ip: "10.244.0.10", labels: { app: "frontend" } });
    expect(svc(m, "default", "backend-svc")).toMatchObject({ type: "ClusterIP", clusterIP: "10.96.0.20", selector: { app: "backend" }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] });
    expect(endpointsOf(m, "default", "backend-svc")).toEqual(["10.244.0.15:8080", "10.244.0.16:8080", "10.244.0.17:8080"]);
    expect(m.settings.serviceCIDR).toBe("10.96.0.0/12");
    expect(m.settings.kubeProxy.mode).toBe("iptables");
  });

  it("cross-namespace: frontend/web 10.244.1.5, backend/api 10.244.2.10, api-svc 10.96.0.25:80, CoreDNS 10.96.0.10", () => {
    const m = load("cross-namespace");
    expect(pod(m, "frontend/frontend-pod")).toMatchObject({ ip: "10.244.1.5", labels: { app: "web" } });
    expect(pod(m, "backend/backend-pod")).toMatchObject({ ip: "10.244.2.10", labels: { app: "api" } });
    // 10.244.1.x and 10.244.2.x are two different nodes' /24s.
    expect(pod(m, "frontend/frontend-pod").node).not.toBe(pod(m, "backend/backend-pod").node);
    expect(svc(m, "backend", "api-svc")).toMatchObject({ clusterIP: "10.96.0.25", ports: [{ port: 80 }] });
    expect(svc(m, "frontend", "web-svc")?.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\./);
    expect(endpointsOf(m, "backend", "api-svc")).toEqual(["10.244.2.10:8080"]);
    expect(m.settings.clusterDomain).toBe("cluster.local");
    expect(m.namespaces.find((n) => n.name === "backend")?.labels).toEqual({ "kubernetes.io/metadata.name": "backend" });
  });

  it("cross-node: 192.168.1.10 with 10.244.0.0/24 and pod A 10.244.0.5; 192.168.1.11 with 10.244.1.0/24 and pod B 10.244.1.10", () => {
    const m = load("cross-node");
    expect(m.nodes.map((n) => [n.name, n.internalIP, n.podCIDR])).toEqual([
      ["worker-node-1", "192.168.1.10", "10.244.0.0/24"],
      ["worker-node-2", "192.168.1.11", "10.244.1.0/24"],
    ]);
    expect(pod(m, "pod-a")).toEqual({ node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } });
    expect(pod(m, "pod-b")).toEqual({ node: "worker-node-2", ip: "10.244.1.10", labels: { app: "backend" } });
    expect(m.settings.nodeNetwork).toBe("192.168.1.0/24");
    expect(m.settings.cni).toEqual({ plugin: "flannel", mode: "vxlan" });
  });

  it("is the same model every time", () => {
    expect(JSON.stringify(load("cross-namespace"))).toBe(JSON.stringify(load("cross-namespace")));
  });
});
