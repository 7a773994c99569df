// Cluster settings: defaults, validation, and inference from a running cluster's objects
// (a kubectl dump carries pod CIDRs and ClusterIPs, not the flags that produced them).

import { cidrContains, cidrsOverlap, formatCidr, formatIPv4, maskOf, parseCidr, parseIPv4, type Cidr } from "../net/ipv4.js";
import { tryCidr, tryIP } from "./addresses.js";
import type { Origin, Problems } from "./problems.js";
import { Reader } from "./parse/reader.js";
import { CNI_MODES, DEFAULT_SETTINGS, IPVS_SCHEDULERS, KUBE_PROXY_MODES, type ClusterSettings, type CniPlugin } from "./types.js";
import { checkSubdomain } from "./names.js";
import { parseFault } from "../faults/faults.js";

export interface ResolvedSettings {
  settings: ClusterSettings;
  /** Which of the range settings the user gave (the others may be inferred). */
  explicit: Set<string>;
  origin: Origin;
}

/** Reads user settings over the defaults. Invalid fields are reported and left at their default. */
export function readSettings(value: unknown, at: Origin, problems: Problems): ResolvedSettings {
  const settings = structuredClone(DEFAULT_SETTINGS);
  const explicit = new Set<string>();
  if (value === undefined) return { settings, explicit, origin: at };
  const r = Reader.of(value, at, [], problems, { read: Object.keys(DEFAULT_SETTINGS), unknown: "error" });
  if (!r) return { settings, explicit, origin: at };
  for (const key of ["clusterCIDR", "serviceCIDR", "nodeNetwork"] as const) {
    const text = r.str(key);
    if (text === undefined) continue;
    const cidr = tryCidr(text, r.at, r.path(key), problems);
    if (cidr) {
      settings[key] = formatCidr(cidr);
      explicit.add(key);
    }
  }
  const mask = r.int("nodeCIDRMaskSize", 8, 30);
  if (mask !== undefined) {
    settings.nodeCIDRMaskSize = mask;
    explicit.add("nodeCIDRMaskSize");
  }
  const domain = r.str("clusterDomain");
  if (domain !== undefined) {
    const bad = checkSubdomain(domain);
    if (bad) r.error("clusterDomain", bad, "invalid-name");
    else settings.clusterDomain = domain;
  }
  const upstream = r.child("upstreamDNS");
  if (upstream) {
    const table: Record<string, string> = {};
    for (const [name, ip] of Object.entries(upstream.obj)) {
      const addr = typeof ip === "string" ? tryIP(ip, upstream.at, upstream.path(name), problems) : undefined;
      if (typeof ip !== "string") upstream.error(name, "expected an IPv4 address", "type");
      if (addr !== undefined) table[name.replace(/\.$/, "").toLowerCase()] = formatIPv4(addr);
    }
    settings.upstreamDNS = table;
  }
  const version = r.str("kubernetesVersion");
  if (version !== undefined) {
    if (/^v\d+\.\d+\.\d+([-+][\w.+-]+)?$/.test(version)) settings.kubernetesVersion = version;
    else r.error("kubernetesVersion", `"${version}" is not a version like v1.34.1`);
  }
  for (const { value, sub } of r.list("faults")) {
    if (typeof value !== "string") {
      problems.error("type", r.at, sub, 'expected a fault like "pod-not-ready=shop/db-0" or "coredns-down"');
      continue;
    }
    try {
      settings.faults.push(parseFault(value));
    } catch (e) {
      problems.error("invalid-value", r.at, sub, (e as Error).message.replace(/^faults: /, ""));
    }
  }
  const replicas = r.int("coreDNSReplicas", 0, 100);
  if (replicas !== undefined) settings.coreDNSReplicas = replicas;
  const api = r.child("apiServer", { read: ["ip", "port"], unknown: "error" });
  if (api) {
    const ip = api.str("ip");
    if (ip !== undefined) {
      const parsed = tryIP(ip, api.at, api.path("ip"), problems);
      if (parsed !== undefined) settings.apiServer.ip = formatIPv4(parsed);
    }
    settings.apiServer.port = api.int("port", 1, 65535) ?? settings.apiServer.port;
  }
  const cni = r.child("cni", { read: ["plugin", "mode", "mtu"], unknown: "error" });
  if (cni) {
    const plugin = cni.oneOf("plugin", Object.keys(CNI_MODES) as CniPlugin[]) ?? settings.cni.plugin;
    const modes: readonly string[] = CNI_MODES[plugin];
    const mode = cni.str("mode") ?? modes[0]!;
    if (!modes.includes(mode)) cni.error("mode", `"${mode}" is not a ${plugin} mode (${modes.join(", ")})`);
    else settings.cni = { plugin, mode: mode as ClusterSettings["cni"]["mode"] };
    // 576: the smallest datagram IPv4 hosts must accept; 9000: jumbo frames.
    const mtu = cni.int("mtu", 576, 9000);
    if (mtu !== undefined) settings.cni.mtu = mtu;
  }
  const kp = r.child("kubeProxy", { read: ["mode", "ipvsScheduler"], unknown: "error" });
  if (kp) {
    settings.kubeProxy.mode = kp.oneOf("mode", KUBE_PROXY_MODES) ?? settings.kubeProxy.mode;
    settings.kubeProxy.ipvsScheduler = kp.oneOf("ipvsScheduler", IPVS_SCHEDULERS) ?? settings.kubeProxy.ipvsScheduler;
  }
  return { settings, explicit, origin: at };
}

/** The smallest CIDR covering every address, no longer than `maxLength`. */
export function coveringCidr(addresses: number[], maxLength: number): Cidr {
  let lo = 0xffffffff;
  let hi = 0;
  for (const a of addresses) {
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  let len = maxLength;
  while (len > 0 && ((lo & maskOf(len)) >>> 0) !== ((hi & maskOf(len)) >>> 0)) len--;
  return { address: (lo & maskOf(len)) >>> 0, prefixLength: len };
}

/**
 * Adjusts range settings the user did not give to fit the addresses a running cluster's
 * objects carry, with a warning for each (so nothing is assumed silently).
 */
export function inferRanges(
  resolved: ResolvedSettings,
  seen: { podCIDRs: Cidr[]; nodeIPs: number[]; clusterIPs: number[] },
  problems: Problems,
): void {
  const { settings, explicit, origin } = resolved;
  const warn = (key: string, message: string) => problems.warn("inferred", origin, [key], message);
  if (seen.podCIDRs.length && !explicit.has("nodeCIDRMaskSize")) {
    const sizes = new Set(seen.podCIDRs.map((c) => c.prefixLength));
    if (sizes.size === 1) {
      const size = [...sizes][0]!;
      if (size !== settings.nodeCIDRMaskSize) {
        settings.nodeCIDRMaskSize = size;
        warn("nodeCIDRMaskSize", `set to ${size} from the nodes' podCIDRs`);
      }
    }
  }
  if (seen.podCIDRs.length && !explicit.has("clusterCIDR")) {
    const current = parseCidr(settings.clusterCIDR, "clusterCIDR");
    if (seen.podCIDRs.some((c) => !cidrContains(current, c.address))) {
      const cover = coveringCidr(
        seen.podCIDRs.flatMap((c) => [c.address, (c.address + 2 ** (32 - c.prefixLength) - 1) >>> 0]),
        Math.min(16, settings.nodeCIDRMaskSize),
      );
      settings.clusterCIDR = formatCidr(cover);
      warn("clusterCIDR", `set to ${settings.clusterCIDR}, the smallest range (at most /16) holding the nodes' podCIDRs; give settings.clusterCIDR to be exact`);
    }
  }
  if (seen.nodeIPs.length && !explicit.has("nodeNetwork")) {
    const current = parseCidr(settings.nodeNetwork, "nodeNetwork");
    if (seen.nodeIPs.some((ip) => !cidrContains(current, ip) || ip === current.address + 1)) {
      const cover = coveringCidr(seen.nodeIPs, 24);
      settings.nodeNetwork = formatCidr(cover);
      warn("nodeNetwork", `set to ${settings.nodeNetwork}, the smallest range (at most /24) holding the node IPs; give settings.nodeNetwork to be exact`);
    }
  }
  if (seen.clusterIPs.length && !explicit.has("serviceCIDR")) {
    const current = parseCidr(settings.serviceCIDR, "serviceCIDR");
    if (seen.clusterIPs.some((ip) => !cidrContains(current, ip))) {
      const cover = coveringCidr(seen.clusterIPs, 16);
      settings.serviceCIDR = formatCidr(cover);
      warn("serviceCIDR", `set to ${settings.serviceCIDR}, the smallest range (at most /16) holding the ClusterIPs; give settings.serviceCIDR to be exact`);
    }
  }
}

/** Cross-field checks, after inference. */
export function checkRanges(resolved: ResolvedSettings, problems: Problems): void {
  const { settings, origin } = resolved;
  const cluster = parseCidr(settings.clusterCIDR, "clusterCIDR");
  if (settings.nodeCIDRMaskSize < cluster.prefixLength) {
    problems.error("out-of-range", origin, ["nodeCIDRMaskSize"], `/${settings.nodeCIDRMaskSize} is larger than the whole cluster CIDR ${settings.clusterCIDR}`);
  }
  const ranges = (["clusterCIDR", "serviceCIDR", "nodeNetwork"] as const).map((k) => [k, parseCidr(settings[k], k)] as const);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, ca] = ranges[i]!;
      const [b, cb] = ranges[j]!;
      if (cidrsOverlap(ca, cb)) problems.error("overlap", origin, [b], `${settings[b]} overlaps ${a} ${settings[a]}; the ranges must be disjoint`);
    }
  }
  const service = parseCidr(settings.serviceCIDR, "serviceCIDR");
  if (service.prefixLength > 28) problems.error("out-of-range", origin, ["serviceCIDR"], `${settings.serviceCIDR} is too small: it must hold at least the kubernetes (.1) and kube-dns (.10) addresses`);
  const api = parseIPv4(settings.apiServer.ip, "apiServer.ip");
  if (cidrContains(cluster, api) || cidrContains(service, api)) problems.error("overlap", origin, ["apiServer", "ip"], `${settings.apiServer.ip} lies in the pod or service network`);
}
