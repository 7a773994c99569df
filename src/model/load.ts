// Input → validated ClusterModel. Every problem is reported with the path of the field
// that causes it; unknown fields are errors too, so nothing a user wrote is silently ignored.

import { K8sNetFlowError } from "../errors.js";
import { cidrContains, cidrsOverlap, formatCidr, formatIPv4, maskOf, parseCidr, parseIPv4, type Cidr } from "../net/ipv4.js";
import { SCENARIOS } from "./scenarios.js";
import { DEFAULT_SETTINGS, type ClusterInput, type ClusterModel, type ClusterNode, type ClusterPod, type ClusterSettings, type ModelInput } from "./types.js";

// RFC 1123 names, as Kubernetes validates object names and namespaces.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function fail(path: string, message: string): never {
  throw new K8sNetFlowError("invalid-input", message, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(join(path, key), `unknown field (allowed here: ${allowed.join(", ")})`);
  }
}

function str(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function name(value: unknown, path: string, pattern: RegExp, max: number): string {
  const s = str(value, path);
  if (s.length > max || !pattern.test(s)) {
    fail(path, `"${s}" is not a valid name (lower-case letters, digits and '-', at most ${max} characters)`);
  }
  return s;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `"${value}"` : typeof value;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Validates any accepted input and fills in Kubernetes' defaults. */
export function loadModel(input: ModelInput | unknown): ClusterModel {
  const root = record(input, "");
  if ("scenario" in root) {
    onlyKeys(root, ["scenario"], "");
    const scenario = str(root.scenario, "scenario");
    const found = SCENARIOS[scenario];
    if (!found) {
      throw new K8sNetFlowError("not-found", `unknown scenario "${scenario}" (built in: ${Object.keys(SCENARIOS).join(", ")})`, "scenario");
    }
    return buildCluster(found.cluster);
  }
  return buildCluster(root);
}

function buildCluster(input: ClusterInput | Record<string, unknown>): ClusterModel {
  const root = record(input, "");
  onlyKeys(root, ["name", "settings", "nodes", "pods"], "");
  const settings = buildSettings(root.settings);
  const nodes = buildNodes(root.nodes, settings);
  const pods = buildPods(root.pods, nodes);
  const title = root.name === undefined ? "cluster" : str(root.name, "name");
  return { name: title, settings, nodes, pods };
}

function buildSettings(value: unknown): ClusterSettings {
  if (value === undefined) return structuredClone(DEFAULT_SETTINGS);
  const s = record(value, "settings");
  onlyKeys(s, Object.keys(DEFAULT_SETTINGS), "settings");
  const out = structuredClone(DEFAULT_SETTINGS);
  for (const key of ["clusterCIDR", "serviceCIDR", "nodeNetwork"] as const) {
    if (s[key] !== undefined) out[key] = formatCidr(parseCidr(str(s[key], `settings.${key}`), `settings.${key}`));
  }
  if (s.clusterDomain !== undefined) out.clusterDomain = name(s.clusterDomain, "settings.clusterDomain", DNS1123_SUBDOMAIN, 253);
  const cluster = parseCidr(out.clusterCIDR, "settings.clusterCIDR");
  if (s.nodeCIDRMaskSize !== undefined) {
    const size = s.nodeCIDRMaskSize;
    if (typeof size !== "number" || !Number.isInteger(size) || size < cluster.prefixLength || size > 30) {
      fail("settings.nodeCIDRMaskSize", `expected an integer from ${cluster.prefixLength} (the cluster CIDR's length) to 30, got ${describe(size)}`);
    }
    out.nodeCIDRMaskSize = size;
  } else if (out.nodeCIDRMaskSize < cluster.prefixLength) {
    fail("settings.clusterCIDR", `is smaller than one node's /${out.nodeCIDRMaskSize}; set settings.nodeCIDRMaskSize`);
  }
  if (s.cni !== undefined) {
    const cni = record(s.cni, "settings.cni");
    onlyKeys(cni, ["plugin", "backend"], "settings.cni");
    if (cni.plugin !== undefined && cni.plugin !== "flannel") unsupported("settings.cni.plugin", cni.plugin, "flannel");
    if (cni.backend !== undefined && cni.backend !== "vxlan") unsupported("settings.cni.backend", cni.backend, "vxlan");
  }
  if (s.kubeProxy !== undefined) {
    const kp = record(s.kubeProxy, "settings.kubeProxy");
    onlyKeys(kp, ["mode"], "settings.kubeProxy");
    if (kp.mode !== undefined && kp.mode !== "iptables") unsupported("settings.kubeProxy.mode", kp.mode, "iptables");
  }
  const ranges: Array<[string, Cidr]> = (["clusterCIDR", "serviceCIDR", "nodeNetwork"] as const).map((k) => [k, parseCidr(out[k], `settings.${k}`)]);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, ca] = ranges[i]!;
      const [b, cb] = ranges[j]!;
      if (cidrsOverlap(ca, cb)) fail(`settings.${b}`, `${out[b as keyof ClusterSettings] as string} overlaps settings.${a} (${out[a as keyof ClusterSettings] as string}); the ranges must be disjoint`);
    }
  }
  return out;
}

function unsupported(path: string, value: unknown, supported: string): never {
  throw new K8sNetFlowError("unsupported", `${describe(value)} is not simulated yet (supported: ${supported})`, path);
}

function buildNodes(value: unknown, settings: ClusterSettings): ClusterNode[] {
  if (!Array.isArray(value) || value.length === 0) fail("nodes", `expected a non-empty array of nodes, got ${describe(value)}`);
  const cluster = parseCidr(settings.clusterCIDR, "settings.clusterCIDR");
  const underlay = parseCidr(settings.nodeNetwork, "settings.nodeNetwork");
  const gateway = underlay.address + 1;
  const broadcast = (underlay.address | ~maskOf(underlay.prefixLength)) >>> 0;
  const names = new Map<string, number>();
  const ips = new Map<number, number>();
  const cidrs: Array<{ cidr: Cidr; index: number }> = [];
  const nodeSize = 2 ** (32 - settings.nodeCIDRMaskSize);
  const parsed = value.map((raw, i) => {
    const path = `nodes[${i}]`;
    const n = record(raw, path);
    onlyKeys(n, ["name", "internalIP", "podCIDR"], path);
    const nodeName = name(n.name, `${path}.name`, DNS1123_SUBDOMAIN, 253);
    if (names.has(nodeName)) fail(`${path}.name`, `"${nodeName}" is already used by nodes[${names.get(nodeName)}]`);
    names.set(nodeName, i);
    let ip: number | undefined;
    if (n.internalIP !== undefined) {
      ip = parseIPv4(str(n.internalIP, `${path}.internalIP`), `${path}.internalIP`);
      if (!cidrContains(underlay, ip) || ip === underlay.address || ip === broadcast || ip === gateway) {
        fail(`${path}.internalIP`, `${formatIPv4(ip)} is not a usable host address of settings.nodeNetwork ${settings.nodeNetwork} (its first address ${formatIPv4(gateway)} is the gateway)`);
      }
      if (ips.has(ip)) fail(`${path}.internalIP`, `${formatIPv4(ip)} is already used by nodes[${ips.get(ip)}]`);
      ips.set(ip, i);
    }
    let cidr: Cidr | undefined;
    if (n.podCIDR !== undefined) {
      cidr = parseCidr(str(n.podCIDR, `${path}.podCIDR`), `${path}.podCIDR`);
      if (cidr.prefixLength !== settings.nodeCIDRMaskSize || !cidrContains(cluster, cidr.address)) {
        fail(`${path}.podCIDR`, `${formatCidr(cidr)} is not a /${settings.nodeCIDRMaskSize} inside settings.clusterCIDR ${settings.clusterCIDR}`);
      }
      const clash = cidrs.find((c) => cidrsOverlap(c.cidr, cidr!));
      if (clash) fail(`${path}.podCIDR`, `${formatCidr(cidr)} is already assigned to nodes[${clash.index}]`);
      cidrs.push({ cidr, index: i });
    }
    return { nodeName, ip, cidr };
  });
  // Defaults: node IPs from .10 of the node network, pod CIDRs in order as the node IPAM
  // controller hands them out (the next free block).
  let nextIP = underlay.address + 10;
  let nextBlock = cluster.address;
  const clusterEnd = cluster.address + 2 ** (32 - cluster.prefixLength);
  return parsed.map(({ nodeName, ip, cidr }, i) => {
    if (ip === undefined) {
      while (ips.has(nextIP)) nextIP++;
      if (nextIP >= broadcast) fail(`nodes[${i}].internalIP`, `settings.nodeNetwork ${settings.nodeNetwork} has no free address left`);
      ip = nextIP;
      ips.set(ip, i);
    }
    if (cidr === undefined) {
      while (nextBlock < clusterEnd && cidrs.some((c) => cidrsOverlap(c.cidr, { address: nextBlock, prefixLength: settings.nodeCIDRMaskSize }))) nextBlock += nodeSize;
      if (nextBlock >= clusterEnd) fail(`nodes[${i}].podCIDR`, `settings.clusterCIDR ${settings.clusterCIDR} has no free /${settings.nodeCIDRMaskSize} left`);
      cidr = { address: nextBlock >>> 0, prefixLength: settings.nodeCIDRMaskSize };
      cidrs.push({ cidr, index: i });
    }
    return { name: nodeName, internalIP: formatIPv4(ip), podCIDR: formatCidr(cidr) };
  });
}

function buildPods(value: unknown, nodes: ClusterNode[]): ClusterPod[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail("pods", `expected an array of pods, got ${describe(value)}`);
  const byNode = new Map(nodes.map((n) => [n.name, { cidr: parseCidr(n.podCIDR, "podCIDR"), used: new Set<number>() }]));
  const keys = new Map<string, number>();
  const ipOwner = new Map<number, number>();
  const parsed = value.map((raw, i) => {
    const path = `pods[${i}]`;
    const p = record(raw, path);
    onlyKeys(p, ["name", "namespace", "node", "ip", "labels"], path);
    const podName = name(p.name, `${path}.name`, DNS1123_SUBDOMAIN, 253);
    const namespace = p.namespace === undefined ? "default" : name(p.namespace, `${path}.namespace`, DNS1123_LABEL, 63);
    const key = `${namespace}/${podName}`;
    if (keys.has(key)) fail(`${path}.name`, `pod ${key} is already defined by pods[${keys.get(key)}]`);
    keys.set(key, i);
    const nodeName = str(p.node, `${path}.node`);
    const node = byNode.get(nodeName);
    if (!node) fail(`${path}.node`, `no node named "${nodeName}" (nodes: ${nodes.map((n) => n.name).join(", ")})`);
    let ip: number | undefined;
    if (p.ip !== undefined) {
      ip = parseIPv4(str(p.ip, `${path}.ip`), `${path}.ip`);
      const { first, last } = usableRange(node.cidr);
      if (ip < first || ip > last) {
        fail(`${path}.ip`, `${formatIPv4(ip)} is not a pod address of node ${nodeName}'s podCIDR ${formatCidr(node.cidr)} (usable: ${formatIPv4(first)} to ${formatIPv4(last)}; ${formatIPv4(node.cidr.address + 1)} is cni0's gateway)`);
      }
      if (ipOwner.has(ip)) fail(`${path}.ip`, `${formatIPv4(ip)} is already used by pods[${ipOwner.get(ip)}]`);
      ipOwner.set(ip, i);
      node.used.add(ip);
    }
    const labels: Record<string, string> = {};
    if (p.labels !== undefined) {
      const l = record(p.labels, `${path}.labels`);
      for (const [k, v] of Object.entries(l)) {
        const lp = `${path}.labels.${k}`;
        if (!LABEL_KEY.test(k) || k.length > 316) fail(lp, `"${k}" is not a valid label key`);
        const sv = str(v, lp);
        if (sv.length > 63 || !LABEL_VALUE.test(sv)) fail(lp, `"${sv}" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)`);
        labels[k] = sv;
      }
    }
    return { name: podName, namespace, node: nodeName, ip, labels };
  });
  // host-local IPAM hands out the lowest free address after the gateway.
  return parsed.map((p, i) => {
    let ip = p.ip;
    if (ip === undefined) {
      const node = byNode.get(p.node)!;
      const { first, last } = usableRange(node.cidr);
      ip = first;
      while (ip <= last && node.used.has(ip)) ip++;
      if (ip > last) fail(`pods[${i}]`, `node ${p.node}'s podCIDR ${formatCidr(node.cidr)} has no free address left`);
      node.used.add(ip);
    }
    return { name: p.name, namespace: p.namespace, node: p.node, ip: formatIPv4(ip), labels: p.labels };
  });
}

/** host-local's range: after the gateway (.1) up to the last address before broadcast. */
function usableRange(cidr: Cidr): { first: number; last: number } {
  const size = 2 ** (32 - cidr.prefixLength);
  return { first: cidr.address + 2, last: cidr.address + size - 2 };
}
