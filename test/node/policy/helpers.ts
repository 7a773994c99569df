// Shared by the policy tests: clusters in the compact format, policies from YAML text.
import { loadModel } from "../../../src/model/load.js";
import type { ClusterModel } from "../../../src/model/types.js";
import { loadNetworkPolicies } from "../../../src/policy/read.js";
import type { NetworkPolicy } from "../../../src/policy/types.js";

/** A compact cluster without CoreDNS unless asked for, so the matrix holds only the test's pods. */
export function cluster(compact: Record<string, unknown>, coreDNSReplicas = 0): ClusterModel {
  const settings = { coreDNSReplicas, ...((compact.settings as Record<string, unknown> | undefined) ?? {}) };
  return loadModel({ nodes: [{ name: "node-a" }], ...compact, settings }).model;
}

export function policies(yaml: string): NetworkPolicy[] {
  return loadNetworkPolicies(yaml).policies;
}
