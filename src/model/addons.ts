// What every real cluster has whether or not the input mentions it: the four system
// namespaces, the `kubernetes` Service (first service address, pointing at the API server)
// and CoreDNS (`kube-dns` at the tenth address, a Deployment of `coreDNSReplicas` pods).
// Anything the input already defines (a kubectl dump has them all) is not added again.

import { formatIPv4 } from "../net/ipv4.js";
import type { Draft } from "./draft.js";
import type { Origin } from "./problems.js";
import type { ClusterSettings } from "./types.js";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const ADDON = (name: string): Origin => ({ path: ["addons", name] });

/** Adds the add-ons the draft lacks. */
export function addAddons(draft: Draft, settings: ClusterSettings, serviceNetwork: number): void {
  const hasService = (ns: string, name: string) => draft.services.some((s) => s.namespace === ns && s.name === name);
  if (!hasService("default", "kubernetes")) {
    const at = ADDON("kubernetes");
    draft.services.push({
      at,
      name: "kubernetes",
      namespace: "default",
      type: "ClusterIP",
      clusterIP: { value: formatIPv4(serviceNetwork + 1), sub: [] },
      ports: [{ sub: [], name: "https", port: 443, targetPort: settings.apiServer.port, protocol: "TCP" }],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      publishNotReadyAddresses: false,
    });
    // The API server keeps this slice itself (the Service has no selector).
    draft.slices.push({
      at,
      name: "kubernetes",
      namespace: "default",
      service: "kubernetes",
      ports: [{ name: "https", port: settings.apiServer.port, protocol: "TCP" }],
      endpoints: [{ sub: [], addresses: [settings.apiServer.ip], conditions: { ready: true, serving: true, terminating: false } }],
      controllerManaged: true,
    });
  }
  if (!hasService("kube-system", "kube-dns")) {
    const at = ADDON("kube-dns");
    draft.services.push({
      at,
      name: "kube-dns",
      namespace: "kube-system",
      type: "ClusterIP",
      clusterIP: { value: formatIPv4(serviceNetwork + 10), sub: [] },
      selector: { "k8s-app": "kube-dns" },
      ports: [
        { sub: [], name: "dns", port: 53, targetPort: 53, protocol: "UDP" },
        { sub: [], name: "dns-tcp", port: 53, targetPort: 53, protocol: "TCP" },
        { sub: [], name: "metrics", port: 9153, targetPort: 9153, protocol: "TCP" },
      ],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      publishNotReadyAddresses: false,
    });
    const hasCoreDNS =
      draft.workloads.some((w) => w.namespace === "kube-system" && w.template.labels["k8s-app"] === "kube-dns") ||
      draft.pods.some((p) => p.namespace === "kube-system" && p.labels["k8s-app"] === "kube-dns");
    if (!hasCoreDNS) {
      draft.workloads.push({
        at: ADDON("coredns"),
        kind: "Deployment",
        name: "coredns",
        namespace: "kube-system",
        replicas: settings.coreDNSReplicas,
        template: {
          labels: { "k8s-app": "kube-dns" },
          ports: [
            { name: "dns", containerPort: 53, protocol: "UDP", container: "coredns" },
            { name: "dns-tcp", containerPort: 53, protocol: "TCP", container: "coredns" },
            { name: "metrics", containerPort: 9153, protocol: "TCP", container: "coredns" },
          ],
          portsSub: [],
          hostNetwork: false,
          // CoreDNS must not resolve through itself.
          dnsPolicy: "Default",
        },
      });
    }
  }
}

