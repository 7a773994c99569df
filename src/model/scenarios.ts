// The seed page's four diagrams as clusters, with every name and address the seed gives,
// and the rest filled in the way a real cluster would have it (a node for every pod CIDR the
// seed's addresses imply, the system add-ons). Each names the flow its diagram shows.

import type { CompactCluster } from "./types.js";

export interface Scenario {
  title: string;
  /** What the diagram teaches, one sentence. */
  summary: string;
  cluster: CompactCluster;
  flow: { from: string; to: string };
}

const node = (n: number) => ({ name: `worker-node-${n}`, ip: `192.168.1.${9 + n}`, podCIDR: `10.244.${n - 1}.0/24` });

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  "pod-to-pod": {
    title: "Pod-to-Pod communication (same node)",
    summary: "Pods on one node reach each other through the cni0 bridge, with their own IPs and no NAT.",
    cluster: {
      name: "pod-to-pod",
      nodes: [node(1)],
      pods: [
        { name: "pod-a", node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } },
        { name: "pod-b", node: "worker-node-1", ip: "10.244.0.6", labels: { app: "backend" } },
      ],
    },
    flow: { from: "pod-a", to: "pod-b" },
  },
  "pod-to-service": {
    title: "Pod-to-Service communication (ClusterIP)",
    summary: "kube-proxy's iptables rules DNAT the Service's ClusterIP to one of its backend pods.",
    cluster: {
      name: "pod-to-service",
      nodes: [node(1)],
      pods: [
        { name: "client", node: "worker-node-1", ip: "10.244.0.10", labels: { app: "frontend" } },
        ...[15, 16, 17].map((last, i) => ({ name: `backend-${i + 1}`, node: "worker-node-1", ip: `10.244.0.${last}`, labels: { app: "backend" }, ports: ["http:8080"] })),
      ],
      services: [{ name: "backend-svc", clusterIP: "10.96.0.20", selector: { app: "backend" }, ports: ["80:8080"] }],
    },
    flow: { from: "client", to: "10.96.0.20:80" },
  },
  "cross-namespace": {
    title: "Cross-namespace communication",
    summary: "CoreDNS resolves api-svc.backend to its ClusterIP; the pod then connects to that address.",
    cluster: {
      name: "cross-namespace",
      // The seed's pods sit in 10.244.1.0/24 and 10.244.2.0/24: two nodes after the first.
      nodes: [node(1), node(2), node(3)],
      namespaces: ["frontend", "backend"],
      pods: [
        { name: "frontend-pod", namespace: "frontend", node: "worker-node-2", ip: "10.244.1.5", labels: { app: "web" }, ports: ["http:8080"] },
        { name: "backend-pod", namespace: "backend", node: "worker-node-3", ip: "10.244.2.10", labels: { app: "api" }, ports: ["http:8080"] },
      ],
      services: [
        { name: "web-svc", namespace: "frontend", selector: { app: "web" }, ports: ["80:8080"] },
        { name: "api-svc", namespace: "backend", clusterIP: "10.96.0.25", selector: { app: "api" }, ports: ["80:8080"] },
      ],
    },
    flow: { from: "frontend/frontend-pod", to: "api-svc.backend:80" },
  },
  "cross-node": {
    title: "Cross-node Pod communication",
    summary: "Each node owns a /24 of the pod network; packets to another node's pods go through the flannel.1 VXLAN tunnel.",
    cluster: {
      name: "cross-node",
      nodes: [node(1), node(2)],
      pods: [
        { name: "pod-a", node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } },
        { name: "pod-b", node: "worker-node-2", ip: "10.244.1.10", labels: { app: "backend" } },
      ],
    },
    flow: { from: "pod-a", to: "pod-b" },
  },
};

export const DEFAULT_SCENARIO = "cross-node";
