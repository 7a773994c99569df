/**
 * The cluster both policy differentials (Calico's Felix chains, Cilium's policy maps) run on: three
 * nodes, three namespaces; policies with every kind of peer (podSelector, namespaceSelector with
 * and without a podSelector, ipBlock with except, the empty peer), named ports, an endPort range
 * and a UDP port, default deny both ways; host-network pods on two nodes. Each test adds its
 * CNI's settings.
 */
export const POLICY_RESOURCES = {
  nodes: [{ name: "n1" }, { name: "n2" }, { name: "n3" }],
  namespaces: [{ name: "prod", labels: { team: "prod" } }, { name: "dev", labels: { team: "dev" } }],
  pods: [
    { name: "client", node: "n1", labels: { app: "client" } },
    { name: "web-1", node: "n1", labels: { app: "web" }, ports: ["http:80", "metrics:9090"] },
    { name: "web-2", node: "n2", labels: { app: "web" }, ports: ["http:8080", "metrics:9090"] },
    { name: "other", node: "n2", labels: { app: "other" }, ports: ["80"] },
    { name: "locked", node: "n3", labels: { app: "locked" }, ports: ["80"] },
    { name: "db", namespace: "prod", node: "n2", labels: { app: "db" }, ports: ["sql:5432"] },
    { name: "api", namespace: "prod", node: "n1", labels: { app: "api" }, ports: ["8080"] },
    { name: "batch", namespace: "prod", node: "n3", labels: { app: "batch" }, ports: ["7000"] },
    { name: "api", namespace: "dev", node: "n3", labels: { app: "api" }, ports: ["8080"] },
    { name: "hn1", node: "n1", hostNetwork: true },
    { name: "hn3", node: "n3", hostNetwork: true },
  ],
  services: [
    { name: "web", selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] },
    { name: "db", namespace: "prod", selector: { app: "db" }, ports: ["5432"] },
    { name: "api", namespace: "prod", selector: { app: "api" }, ports: ["80:8080"] },
    { name: "other", selector: { app: "other" }, ports: ["80"] },
  ],
  networkPolicies: [
    { name: "default-deny", namespace: "prod", spec: { podSelector: {}, policyTypes: ["Ingress"] } },
    { name: "db-from-prod-api", namespace: "prod", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "prod" } }, podSelector: { matchLabels: { app: "api" } } }], ports: [{ port: "sql" }] }] } },
    { name: "api-from-default", namespace: "prod", spec: { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "default" } } }], ports: [{ port: 8080 }] }] } },
    { name: "batch-range", namespace: "prod", spec: { podSelector: { matchLabels: { app: "batch" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 7000, endPort: 7100 }, { port: 7000, protocol: "UDP" }] }] } },
    { name: "web-in", spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: "http" }] }, { ports: [{ port: 9090 }] }] } },
    { name: "client-out", spec: { podSelector: { matchLabels: { app: "client" } }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "http" }] }, { to: [{ ipBlock: { cidr: "8.8.8.0/24", except: ["8.8.8.128/25"] } }], ports: [{ port: 53, protocol: "UDP" }] }, { to: [{ namespaceSelector: { matchLabels: { team: "prod" } } }] }] } },
    { name: "locked-out", spec: { podSelector: { matchLabels: { app: "locked" } }, policyTypes: ["Egress"] } },
  ],
};
