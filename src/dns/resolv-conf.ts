// /etc/resolv.conf as kubelet asks the container runtime to write it, per dnsPolicy.
// (containerd writes `search`, then `nameserver` lines, then `options`.)

import type { ClusterModel, ClusterPod } from "../model/types.js";

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: Array<{ name: string; value?: string }>;
}

/** The node's own resolv.conf: its network's router as the resolver (the upstream CoreDNS forwards to). */
export function nodeResolvConf(model: ClusterModel): ResolvConf {
  const [net] = model.settings.nodeNetwork.split("/");
  const parts = net!.split(".").map(Number);
  parts[3] = parts[3]! + 1;
  return { nameservers: [parts.join(".")], searches: [], options: [] };
}

export function clusterDnsIP(model: ClusterModel): string | undefined {
  return model.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP;
}

export function podResolvConf(model: ClusterModel, pod: ClusterPod): ResolvConf {
  const domain = model.settings.clusterDomain;
  const cluster = (): ResolvConf => ({
    nameservers: [clusterDnsIP(model) ?? "10.96.0.10"],
    searches: [`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain],
    options: [{ name: "ndots", value: "5" }],
  });
  let base: ResolvConf;
  switch (pod.dnsPolicy) {
    case "None":
      base = { nameservers: [], searches: [], options: [] };
      break;
    case "Default":
      base = nodeResolvConf(model);
      break;
    case "ClusterFirstWithHostNet":
      base = cluster();
      break;
    default:
      // ClusterFirst, except that a host-network pod falls back to the node's file.
      base = pod.hostNetwork ? nodeResolvConf(model) : cluster();
  }
  const extra = pod.dnsConfig;
  if (!extra) return base;
  // dnsConfig is merged in: nameservers and searches appended (deduplicated), options by name.
  const options = [...base.options];
  for (const o of extra.options) {
    const i = options.findIndex((x) => x.name === o.name);
    if (i >= 0) options[i] = o;
    else options.push(o);
  }
  return {
    nameservers: [...new Set([...base.nameservers, ...extra.nameservers])],
    searches: [...new Set([...base.searches, ...extra.searches])],
    options,
  };
}

export function formatResolvConf(conf: ResolvConf): string {
  let out = "";
  if (conf.searches.length) out += `search ${conf.searches.join(" ")}\n`;
  for (const ns of conf.nameservers) out += `nameserver ${ns}\n`;
  if (conf.options.length) out += `options ${conf.options.map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`)).join(" ")}\n`;
  return out;
}

export function ndotsOf(conf: ResolvConf): number {
  const v = conf.options.find((o) => o.name === "ndots")?.value;
  const n = v === undefined ? 1 : Number(v);
  return Number.isInteger(n) ? Math.min(Math.max(n, 0), 15) : 1;
}
