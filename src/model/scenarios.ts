// The seed page's diagrams as clusters, with the addresses the seed draws.
// Each scenario also names the flow its diagram shows, used when a view gives none.

import type { ClusterInput } from "./types.js";

export interface Scenario {
  title: string;
  /** What the diagram teaches, one sentence. */
  summary: string;
  cluster: ClusterInput;
  flow: { from: string; to: string };
}

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  "pod-to-pod": {
    title: "Pod-to-Pod communication (same node)",
    summary: "Pods on one node reach each other through the cni0 bridge, with their own IPs and no NAT.",
    cluster: {
      name: "pod-to-pod",
      nodes: [{ name: "worker-node-1", internalIP: "192.168.1.10", podCIDR: "10.244.0.0/24" }],
      pods: [
        { name: "pod-a", node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } },
        { name: "pod-b", node: "worker-node-1", ip: "10.244.0.6", labels: { app: "backend" } },
      ],
    },
    flow: { from: "pod-a", to: "pod-b" },
  },
  "cross-node": {
    title: "Cross-node Pod communication",
    summary: "Each node owns a /24 of the pod network; packets to another node's pods go through the flannel.1 VXLAN tunnel.",
    cluster: {
      name: "cross-node",
      nodes: [
        { name: "worker-node-1", internalIP: "192.168.1.10", podCIDR: "10.244.0.0/24" },
        { name: "worker-node-2", internalIP: "192.168.1.11", podCIDR: "10.244.1.0/24" },
      ],
      pods: [
        { name: "pod-a", node: "worker-node-1", ip: "10.244.0.5", labels: { app: "frontend" } },
        { name: "pod-b", node: "worker-node-2", ip: "10.244.1.10", labels: { app: "backend" } },
      ],
    },
    flow: { from: "pod-a", to: "pod-b" },
  },
};

export const DEFAULT_SCENARIO = "cross-node";
