// The compact format and the IPAM defaults.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/load.js";

describe("compact format", () => {
  it("fills in what Kubernetes would: node IPs from .10, pod CIDRs in order, pod IPs from .2, ClusterIPs never colliding", () => {
    const { model } = loadModel({
      settings: { coreDNSReplicas: 0 },
      nodes: [{ name: "a" }, { name: "b", podCIDR: "10.244.0.0/24" }, { name: "c" }],
      pods: [
        { name: "p1", node: "a" },
        { name: "p2", node: "b", ip: "10.244.0.2" },
        { name: "p3", node: "b" },
      ],
      services: [{ name: "s1", ports: [80] }, { name: "s2", clusterIP: "10.96.0.2", ports: [80] }, { name: "s3", ports: [80] }],
    });
    expect(model.nodes.map((n) => [n.internalIP, n.podCIDR])).toEqual([
      ["192.168.1.10", "10.244.1.0/24"],
      ["192.168.1.11", "10.244.0.0/24"],
      ["192.168.1.12", "10.244.2.0/24"],
    ]);
    expect(model.pods.map((p) => `${p.name}=${p.ip}`)).toEqual(["p1=10.244.1.2", "p2=10.244.0.2", "p3=10.244.0.3"]);
    // .1 is kubernetes, .10 kube-dns, .2 taken by s2: s1 and s3 get the lowest free.
    expect(model.services.map((s) => `${s.name}=${s.clusterIP}`)).toEqual(["s1=10.96.0.3", "s2=10.96.0.2", "s3=10.96.0.4", "kubernetes=10.96.0.1", "kube-dns=10.96.0.10"]);
  });

  it("reads the port shorthands", () => {
    const { model } = loadModel({
      nodes: [{ name: "a" }],
      pods: [{ name: "p", ports: [8080, "metrics:9090", "dns:53/UDP", { name: "grpc", containerPort: 50051 }] }],
      services: [{ name: "s", selector: { app: "x" }, ports: ["http:80:8080", "dns:53:dns/UDP", { name: "grpc", port: 50051, targetPort: "grpc" }] }],
    });
    expect(model.pods[0]!.ports).toEqual([
      { containerPort: 8080, protocol: "TCP", container: "main" },
      { name: "metrics", containerPort: 9090, protocol: "TCP", container: "main" },
      { name: "dns", containerPort: 53, protocol: "UDP", container: "main" },
      { name: "grpc", containerPort: 50051, protocol: "TCP", container: "main" },
    ]);
    expect(model.services[0]!.ports).toEqual([
      { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
      { name: "dns", port: 53, targetPort: "dns", protocol: "UDP" },
      { name: "grpc", port: 50051, targetPort: "grpc", protocol: "TCP" },
    ]);
  });

  it("expands deployments, and an empty selector match gives one empty placeholder slice", () => {
    const { model } = loadModel({ nodes: [{ name: "a" }, { name: "b" }], deployments: [{ name: "api", replicas: 2, labels: { app: "api" }, ports: ["http:8080"] }], services: [{ name: "api", selector: { app: "api" }, ports: ["80:http"] }, { name: "none", selector: { app: "nothing" }, ports: [80] }] });
    expect(model.pods.filter((p) => p.labels.app === "api").map((p) => p.node)).toEqual(["a", "b"]);
    expect(model.endpointSlices.filter((s) => s.service === "api").flatMap((s) => s.endpoints.map((e) => e.addresses[0]))).toEqual(["10.244.0.2", "10.244.1.2"]);
    expect(model.endpointSlices.filter((s) => s.service === "none").map((s) => s.endpoints.length)).toEqual([0]);
  });

  it("gives not-ready and terminating pods the EndpointSlice conditions kube-proxy reads", () => {
    const { model } = loadModel({
      nodes: [{ name: "a" }],
      pods: [
        { name: "up", labels: { app: "x" } },
        { name: "starting", labels: { app: "x" }, ready: false },
        { name: "leaving", labels: { app: "x" }, terminating: true },
      ],
      services: [{ name: "x", selector: { app: "x" }, ports: [80] }],
    });
    const conditions = Object.fromEntries(model.endpointSlices.filter((s) => s.service === "x").flatMap((s) => s.endpoints.map((e) => [e.targetRef!.name, e.conditions])));
    expect(conditions).toEqual({
      up: { ready: true, serving: true, terminating: false },
      starting: { ready: false, serving: false, terminating: false },
      leaving: { ready: false, serving: true, terminating: true },
    });
  });

  it("models CoreDNS scaled to zero", () => {
    const { model } = loadModel({ settings: { coreDNSReplicas: 0 }, nodes: [{ name: "a" }] });
    expect(model.pods).toEqual([]);
    expect(model.endpointSlices.find((s) => s.service === "kube-dns")?.endpoints).toEqual([]);
  });

  it("warns when a named targetPort resolves on no selected pod", () => {
    const { warnings } = loadModel({ nodes: [{ name: "a" }], pods: [{ name: "p", labels: { app: "x" }, ports: ["web:8080"] }], services: [{ name: "x", selector: { app: "x" }, ports: ["80:http"] }] });
    expect(warnings).toContainEqual(expect.objectContaining({ code: "not-found", path: "services[0].ports[0].targetPort", message: expect.stringMatching(/no pod selected by default\/x has a TCP port named "http"/) }));
  });

  it("places a pod given only an IP on the node that owns it", () => {
    const { model } = loadModel({ nodes: [{ name: "a" }, { name: "b" }], pods: [{ name: "p", ip: "10.244.1.77" }] });
    expect(model.pods[0]).toMatchObject({ node: "b", ip: "10.244.1.77" });
  });
});
