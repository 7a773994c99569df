// Seeded cluster generator, up to Kubernetes' scalability limits. Same spec and seed, same
// model. Each service is backed by a Deployment of its own (its endpoints); the remaining
// pods are one `client` Deployment per namespace; the scheduler spreads them over nodes.

import { emptyDraft, type Draft } from "./draft.js";
import type { Origin, Problems } from "./problems.js";
import { Reader } from "./parse/reader.js";
import { prng } from "./random.js";
import { DEFAULT_SETTINGS, LIMITS } from "./types.js";

/** kubelet's default --max-pods. */
const MAX_PODS_PER_NODE = 110;
const AT: Origin = { path: ["generate"] };

export function generateDraft(spec: unknown, problems: Problems): Draft | undefined {
  const r = Reader.of(spec, AT, [], problems, { read: ["seed", "nodes", "pods", "namespaces", "services", "endpointsPerService", "settings", "name"], unknown: "error" });
  if (!r) return undefined;
  const seed = r.int("seed", 0, 2 ** 32 - 1) ?? 1;
  const nodes = r.int("nodes", 1, LIMITS.nodes, true);
  const pods = r.int("pods", 0, LIMITS.pods) ?? (nodes ?? 0) * 30;
  const services = r.int("services", 0, LIMITS.services) ?? Math.floor(pods / 15);
  const namespaces = r.int("namespaces", 1, LIMITS.namespaces) ?? Math.max(1, Math.min(100, Math.ceil(services / 100)));
  const e = r.child("endpointsPerService", { read: ["distribution", "min", "max"], unknown: "error" });
  const distribution = e?.oneOf("distribution", ["uniform", "zipf"] as const) ?? "uniform";
  const min = e?.int("min", 0, 1000) ?? 1;
  const max = e?.int("max", 0, 1000) ?? Math.max(min, 5);
  if (min > max) e?.error("max", `max (${max}) is below min (${min})`, "out-of-range");
  if (nodes === undefined || problems.errorCount) return undefined;
  if (pods > nodes * MAX_PODS_PER_NODE) {
    r.error("pods", `${pods} pods do not fit on ${nodes} nodes of at most ${MAX_PODS_PER_NODE} pods (kubelet's --max-pods)`, "out-of-range");
    return undefined;
  }
  // Kubernetes' limit of 5,000 services per namespace.
  if (services > namespaces * 5000) {
    r.error("namespaces", `${services} services need at least ${Math.ceil(services / 5000)} namespaces (5,000 services per namespace at most)`, "out-of-range");
    return undefined;
  }

  const random = prng(seed);
  const counts = Array.from({ length: services }, () => {
    if (distribution === "uniform") return min + Math.floor(random() * (max - min + 1));
    // Zipf (s = 1) over a seeded ranking: a few services have many endpoints, most have few.
    const rank = 1 + Math.floor(random() * services);
    return Math.max(min, Math.min(max, Math.round(max / rank)));
  });
  const backing = counts.reduce((a, b) => a + b, 0);
  if (backing > pods) {
    r.error("pods", `the services' endpoints need ${backing} pods (endpointsPerService ${distribution} ${min}-${max} over ${services} services), more than pods = ${pods}`, "out-of-range");
    return undefined;
  }

  const draft = emptyDraft();
  draft.name = r.str("name") ?? `generated-${nodes}n-${pods}p-${services}s-seed${seed}`;
  const settings: Record<string, unknown> = { ...(r.has("settings") ? (r.obj.settings as Record<string, unknown>) : {}) };
  // Ranges that fit the size asked for, unless the spec sets them: /24 per node needs a
  // cluster CIDR of 2^ceil(log2(nodes)) blocks (clear of the service CIDR 10.96.0.0/12).
  if (nodes > 256 && settings.clusterCIDR === undefined) settings.clusterCIDR = `10.128.0.0/${24 - Math.ceil(Math.log2(nodes))}`;
  if (nodes > 240 && settings.nodeNetwork === undefined) settings.nodeNetwork = "192.168.0.0/16";
  draft.settings = { value: settings, at: { path: ["generate", "settings"] } };

  const width = String(nodes).length;
  for (let i = 0; i < nodes; i++) draft.nodes.push({ at: AT, name: `node-${String(i + 1).padStart(width, "0")}`, labels: {} });
  const nsNames = Array.from({ length: namespaces }, (_, i) => `ns-${String(i + 1).padStart(String(namespaces).length, "0")}`);
  for (const name of nsNames) draft.namespaces.push({ at: AT, name, labels: {} });

  const port = { name: "http", containerPort: 8080, protocol: "TCP" as const, container: "app" };
  counts.forEach((replicas, i) => {
    const name = `svc-${i + 1}`;
    const namespace = nsNames[i % namespaces]!;
    draft.workloads.push({ at: AT, kind: "Deployment", name, namespace, replicas, template: { labels: { app: name }, ports: [port], portsSub: [], hostNetwork: false } });
    draft.services.push({
      at: AT,
      name,
      namespace,
      type: "ClusterIP",
      selector: { app: name },
      ports: [{ sub: [], name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      publishNotReadyAddresses: false,
    });
  });
  // The rest are clients, spread evenly over the namespaces; CoreDNS's pods count too, so
  // the cluster has exactly `pods` pods.
  const coreDNS = typeof settings.coreDNSReplicas === "number" ? settings.coreDNSReplicas : DEFAULT_SETTINGS.coreDNSReplicas;
  const clients = Math.max(0, pods - backing - coreDNS);
  nsNames.forEach((namespace, i) => {
    const replicas = Math.floor(clients / namespaces) + (i < clients % namespaces ? 1 : 0);
    if (replicas > 0) draft.workloads.push({ at: AT, kind: "Deployment", name: "client", namespace, replicas, template: { labels: { app: "client" }, ports: [], portsSub: [], hostNetwork: false } });
  });
  return draft;
}
