// `show`: command outputs generated from the loaded cluster and its compiled tables, so what
// is printed is what is simulated.

import { K8sNetFlowError } from "../errors.js";
import { dnsLookup, findPod, type LoadedCluster } from "../dataplane/forward.js";
import type { Dataplane } from "../dataplane/dataplane.js";
import type { Answer } from "../dns/records.js";
import { formatResolvConf, podResolvConf } from "../dns/resolv-conf.js";
import { corefileConfigMap, formatNslookup, type NslookupResult } from "../outputs/dns.js";
import { ipRouteShow } from "../outputs/ip-route.js";
import { iptablesSave } from "../outputs/iptables-save.js";
import { SHOW_COMMANDS, type ShowRequest } from "./types.js";

export function show(dp: Dataplane, cluster: LoadedCluster, req: ShowRequest): string {
  const command = (req as { command?: unknown })?.command;
  switch (command) {
    case "resolv.conf": {
      const pod = findPod(cluster.model, str(req, "pod"), "pod");
      return formatResolvConf(podResolvConf(cluster.model, pod));
    }
    case "nslookup":
      return nslookup(dp, cluster, str(req, "pod"), str(req, "name"));
    case "corefile":
      return corefileConfigMap(cluster.model.settings.clusterDomain);
    case "iptables-save": {
      const table = (req as { table?: string }).table;
      if (table !== undefined && table !== "nat" && table !== "filter") throw new K8sNetFlowError("invalid-input", `expected "nat" or "filter", got "${table}"`, "table");
      return table ? iptablesSave(cluster.rs, table) : iptablesSave(cluster.rs, "filter") + iptablesSave(cluster.rs, "nat");
    }
    case "ip-route": {
      const r = req as { node?: string; pod?: string };
      if (r.pod !== undefined) {
        const pod = findPod(cluster.model, r.pod, "pod");
        return ipRouteShow(cluster.net.netns[cluster.net.podNetns.get(`${pod.namespace}/${pod.name}`)!]!);
      }
      const node = cluster.net.nodes.find((n) => n.name === (r.node ?? cluster.model.nodes[0]!.name));
      if (!node) throw new K8sNetFlowError("not-found", `no node "${r.node}"`, "node");
      return ipRouteShow(cluster.net.netns[node.host]!);
    }
    default:
      throw new K8sNetFlowError("invalid-input", `unknown command ${JSON.stringify(command)} (commands: ${SHOW_COMMANDS.join(", ")})`, "command");
  }
}

function str(req: ShowRequest, key: string): string {
  const v = (req as unknown as Record<string, unknown>)[key];
  if (typeof v !== "string" || v === "") throw new K8sNetFlowError("invalid-input", `"${key}" is required`, key);
  return v;
}

/** bind9's nslookup: the search list like the resolver, A then AAAA for the name found. */
function nslookup(dp: Dataplane, cluster: LoadedCluster, podRef: string, name: string): string {
  const pod = findPod(cluster.model, podRef, "pod");
  const netns = cluster.net.podNetns.get(`${pod.namespace}/${pod.name}`)!;
  dp.resetState();
  dp.setSeed(1);
  const server = podResolvConf(cluster.model, pod).nameservers[0] ?? "";
  const lookup = dnsLookup(dp, cluster, pod, netns, name, "glibc", 1);
  const result: NslookupResult = { server, name, answers: [], authoritative: true, failures: [] };
  if (lookup.error === "Temporary failure in name resolution") {
    result.failures = lookup.attempts.filter((a) => a.type === "A" && "failure" in a.result).map((a) => ("failure" in a.result ? a.result.failure : "timeout"));
    return formatNslookup(result);
  }
  const answered = lookup.attempts.filter((a) => a.name === lookup.canonical && !("failure" in a.result));
  if (lookup.canonical) {
    result.found = lookup.canonical;
    result.rcode = "NOERROR";
    for (const a of answered) {
      const r = a.result as Answer;
      result.answers.push(...r.answers.filter((x) => !result.answers.some((y) => y.type === x.type && y.data === x.data)));
      if (r.source === "upstream") result.authoritative = false;
    }
  } else {
    const last = [...lookup.attempts].reverse().find((a) => !("failure" in a.result));
    result.rcode = last && !("failure" in last.result) ? last.result.rcode : "NXDOMAIN";
  }
  return formatNslookup(result);
}
