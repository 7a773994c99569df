// `show`: what a real tool prints on the simulated cluster, generated from the loaded model
// and the same compiled tables the dataplane runs, so what is shown is what is simulated.

import { K8sNetFlowError } from "../errors.js";
import { dnsLookup, findPod, type LoadedCluster } from "../dataplane/forward.js";
import type { Dataplane } from "../dataplane/dataplane.js";
import type { Answer } from "../dns/records.js";
import { formatResolvConf, podResolvConf } from "../dns/resolv-conf.js";
import { conntrackList } from "../outputs/conntrack.js";
import { corefileConfigMap, formatNslookup, type NslookupResult } from "../outputs/dns.js";
import { flannelConfigMap, flannelConflist, flannelSubnetEnv, kubeProxyModeLine } from "../outputs/flannel.js";
import { ipRouteShow } from "../outputs/ip-route.js";
import { iptablesSave } from "../outputs/iptables-save.js";
import { nftListChain, nftListTable } from "../outputs/nft.js";
import { ipvsadmList, ipvsDeviceAddr, ipvsDeviceLink, ipvsDeviceMac } from "../outputs/ipvsadm.js";
import { IPVS_DEVICE } from "../compile/ipvs.js";
import type { NftRuleset } from "../compile/nftables.js";
import { kubectlGet } from "../outputs/kubectl.js";
import { ciliumServiceGet, ciliumServiceList } from "../outputs/cilium.js";
import { bridgeFdbShow, ipAddrShow, ipDetailLinkShow, ipLinkShow, ipNeighShow, ipNetnsList, linksOf } from "../outputs/links.js";
import type { ClusterPod } from "../model/types.js";
import { SHOW_COMMANDS, type ShowOutput, type ShowRequest } from "./types.js";

const out = (stdout: string, stderr = ""): ShowOutput => ({ stdout, stderr });

export function show(dp: Dataplane, cluster: LoadedCluster, req: ShowRequest): ShowOutput {
  if (typeof req?.command !== "string" || !req.command.trim()) throw new K8sNetFlowError("invalid-input", `expected a command line, e.g. "ip route" (commands: ${SHOW_COMMANDS.join("; ")})`, "command");
  const words = req.command.trim().split(/\s+/);
  const { model, net } = cluster;
  const pod = req.pod !== undefined ? findPod(model, req.pod, "pod") : undefined;
  const nodeName = req.node ?? pod?.node ?? model.nodes[0]!.name;
  const nodeIndex = model.nodes.findIndex((n) => n.name === nodeName);
  if (nodeIndex < 0) throw new K8sNetFlowError("not-found", `no node "${nodeName}" (nodes: ${model.nodes.slice(0, 5).map((n) => n.name).join(", ")})`, "node");
  // Inside a pod when one is named (kubectl exec), else on the node.
  const ns = net.netns[pod ? net.podNetns.get(`${pod.namespace}/${pod.name}`)! : net.nodes[nodeIndex]!.host]!;
  const hostNs = net.netns[net.nodes[nodeIndex]!.host]!;
  const needPod = (): ClusterPod => {
    if (!pod) throw new K8sNetFlowError("invalid-input", `"${req.command}" runs inside a pod: give "pod"`, "pod");
    return pod;
  };
  const [w0, w1, w2, w3, w4] = words;
  const rest = words.slice(1);

  const cilium = model.settings.cni.plugin === "cilium";
  if (w0 === "cilium-dbg") {
    // cilium-dbg runs in each node's cilium agent pod (kubectl exec -n kube-system ds/cilium -- cilium-dbg …).
    if (!cilium || !cluster.rs.cilium) throw new K8sNetFlowError("unsupported", `cilium-dbg is Cilium's agent CLI: this cluster's CNI is ${model.settings.cni.plugin}`, "command");
    const lb = cluster.rs.cilium;
    if (w1 === "service" && (w2 === "list" || w2 === "ls") && w3 === undefined) return out(ciliumServiceList(lb));
    if (w1 === "service" && w2 === "get" && w3 !== undefined && w4 === undefined) {
      const fe = /^\d+$/.test(w3) ? lb.frontends.find((f) => f.id === Number(w3)) : undefined;
      if (!fe) throw new K8sNetFlowError("not-found", `no service with ID ${w3} (the agent's IDs here run 1 to ${lb.frontends.length}: cilium-dbg service list)`, "command");
      return out(ciliumServiceGet(fe));
    }
    throw new K8sNetFlowError("unsupported", `cilium-dbg ${rest.join(" ")} is not simulated (cilium-dbg service list, cilium-dbg service get ID)`, "command");
  }
  if (cilium && (w0 === "iptables-save" || (w0 === "nft" && rest.join(" ") === "list ruleset"))) {
    // Cilium installs its own iptables chains (CILIUM_*, via iptables-nft they are nft tables too): not simulated.
    const kubeProxy = model.settings.kubeProxy.mode === "ebpf"
      ? "kube-proxy is replaced (kube-proxy mode ebpf), so no KUBE-* chain exists; Cilium's eBPF programs do its job"
      : `kube-proxy's own rules are simulated (${cluster.rs.backend === "nftables" ? `"nft list table ip kube-proxy"` : "they are walked by the dataplane"}), but pod traffic to ClusterIPs never reaches them: bpf_lxc translates it first`;
    throw new K8sNetFlowError("unsupported", `"${req.command}" would also list Cilium's own iptables chains (CILIUM_INPUT, CILIUM_FORWARD, CILIUM_POST_nat, …), which are not simulated; ${kubeProxy}. "cilium-dbg service list" shows Cilium's service table`, "command");
  }
  if (w0 === "nft") {
    const rs = cluster.rs;
    // With iptables-nft, nft would list the iptables rules in its own syntax: not simulated.
    if (rs.backend !== "nftables") throw new K8sNetFlowError("unsupported", `kube-proxy runs in ${model.settings.kubeProxy.mode} mode here: its rules are shown by "iptables-save"${rs.ipvs ? ` and its virtual servers by "ipvsadm -Ln"` : ""} (nft's view of iptables-nft tables is not simulated)`, "command");
    const nft = rs as NftRuleset;
    const line = rest.join(" ");
    if (line === "list ruleset" || line === "list table ip kube-proxy") return out(nftListTable(nft));
    if (w1 === "list" && w2 === "chain" && w3 === "ip" && w4 === "kube-proxy" && words[5] !== undefined) {
      const text = nftListChain(nft, words[5]);
      return text ? out(text) : out("", `Error: No such file or directory\nlist chain ip kube-proxy ${words[5]}\n`);
    }
    throw new K8sNetFlowError("unsupported", `nft ${line} is not supported (list ruleset, list table ip kube-proxy, list chain ip kube-proxy CHAIN)`, "command");
  }
  if (w0 === "iptables-save" && cluster.rs.backend === "nftables") {
    throw new K8sNetFlowError("unsupported", `kube-proxy runs in nftables mode here, so its rules are not in iptables: try "nft list ruleset"`, "command");
  }
  if (w0 === "iptables-save") {
    let table: "nat" | "filter" | undefined;
    let counters = false;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "-t" || rest[i] === "--table") table = rest[++i] as "nat" | "filter";
      else if (rest[i] === "-c" || rest[i] === "--counters") counters = true;
      else throw new K8sNetFlowError("unsupported", `iptables-save option ${rest[i]} is not supported (-t nat|filter, -c)`, "command");
    }
    if (table !== undefined && table !== "nat" && table !== "filter") throw new K8sNetFlowError("unsupported", `table "${String(table)}" is not simulated (nat, filter)`, "command");
    const opts = counters ? { rules: (id: number) => dp.ruleCounters(id), policy: (id: number) => dp.policyCounters(id) } : undefined;
    // IPVS mode writes a few rules on some nodes only (KUBE-LOOP-BACK's where it has members).
    return out(table ? iptablesSave(cluster.rs, table, opts, nodeIndex) : iptablesSave(cluster.rs, "filter", opts, nodeIndex) + iptablesSave(cluster.rs, "nat", opts, nodeIndex));
  }
  if (w0 === "ipvsadm") {
    const opts = rest.join(" ");
    if (!["-Ln", "-ln", "-L -n", "-l -n", "-nL", "-nl", "-n -L", "-n -l"].includes(opts)) throw new K8sNetFlowError("unsupported", `ipvsadm ${opts} is not supported (ipvsadm -Ln)`, "command");
    if (!cluster.rs.ipvs) throw new K8sNetFlowError("unsupported", `kube-proxy runs in ${model.settings.kubeProxy.mode} mode here, so IPVS holds no virtual servers: its rules are shown by "${cluster.rs.backend === "nftables" ? "nft list ruleset" : "iptables-save"}"`, "command");
    return out(ipvsadmList(cluster.rs.ipvs, (rs) => dp.ipvsCounters(nodeIndex, rs)));
  }
  if (w0 === "ip") {
    const detail = w1 === "-d";
    const [obj, verb, arg] = detail ? [w2, w3, w4] : [w1, w2, w3];
    const is = (name: string, ...aliases: string[]) => obj !== undefined && [name, ...aliases].some((a) => a.startsWith(obj) && obj.length >= 1);
    if (verb !== undefined && !["show", "list", "ls"].includes(verb)) throw new K8sNetFlowError("unsupported", `ip ${obj} ${verb} is not supported (show)`, "command");
    if (is("route", "r")) return out(ipRouteShow(ns));
    // IPVS mode: kube-proxy's dummy kube-ipvs0 on the node, after the devices there when it started.
    const ipvs = cluster.rs.ipvs && ns.kind === "host" ? { index: linksOf(net, ns).length + 1, mac: ipvsDeviceMac(model.nodes[nodeIndex]!.name), bound: cluster.rs.ipvs.bound } : undefined;
    if (ipvs && (is("link", "l") || is("addr", "a", "address")) && (arg === undefined || arg === IPVS_DEVICE)) {
      if (detail) throw new K8sNetFlowError("unsupported", `ip -d ${obj} show ${IPVS_DEVICE} is not simulated (ip ${obj} show ${IPVS_DEVICE} is)`, "command");
      if (is("link", "l")) return out((arg === undefined ? ipLinkShow(net, ns) : "") + ipvsDeviceLink(ipvs.index, ipvs.mac));
      return out((arg === undefined ? ipAddrShow(net, ns) : "") + ipvsDeviceAddr(ipvs.index, ipvs.mac, ipvs.bound));
    }
    if (is("link", "l")) {
      // iproute2's answer for a device the namespace lacks (flannel.1 under host-gw, say).
      if (arg !== undefined && !linksOf(net, ns).some((l) => l.name === arg)) return out("", `Device "${arg}" does not exist.\n`);
      return out(detail ? ipDetailLinkShow(net, ns, arg ?? "") : ipLinkShow(net, ns, arg));
    }
    if (is("addr", "a", "address")) return out(ipAddrShow(net, ns));
    if (is("neigh", "n", "neighbour", "neighbor")) return out(ipNeighShow(net, ns));
    if (obj === "netns") return out(ipNetnsList(net, nodeIndex));
  }
  if (w0 === "bridge" && w1 === "fdb" && (w2 === undefined || w2 === "show")) {
    const filter = w3 === "br" ? { br: w4 } : w3 === "dev" ? { dev: w4 } : {};
    const named = (w3 === "br" || w3 === "dev") && w4 !== undefined ? net.ifaces.find((f) => f.netns === hostNs.id && f.name === w4) : undefined;
    if (w3 === "dev" && w4 !== undefined && !named) return out("", `Cannot find device "${w4}"\n`);
    if (w3 === "br" && w4 !== undefined && named?.kind !== "bridge") return out("", `Cannot find bridge device "${w4}"\n`);
    return out(bridgeFdbShow(net, hostNs, filter));
  }
  if (w0 === "conntrack" && (w1 === "-L" || w1 === "--dump")) {
    const r = conntrackList(dp.conntrackEntries(), nodeIndex, dp.time());
    return out(r.stdout, r.stderr);
  }
  if (w0 === "cat") {
    if (w1 === "/etc/resolv.conf") return out(formatResolvConf(podResolvConf(model, needPod())));
    if (cilium && w1 !== undefined) {
      // A Cilium node has none of flannel's files; Cilium's own 05-cilium.conflist is not simulated yet.
      if (w1.startsWith("/run/flannel/") || w1 === "/etc/cni/net.d/10-flannel.conflist") return out("", `cat: ${w1}: No such file or directory\n`);
      if (w1.startsWith("/etc/cni/net.d/")) throw new K8sNetFlowError("unsupported", `Cilium's CNI configuration (/etc/cni/net.d/05-cilium.conflist) is not simulated yet`, "command");
    }
    if (model.settings.cni.plugin === "calico" && w1 !== undefined) {
      // A Calico node has none of flannel's files; Calico's own 10-calico.conflist is not simulated yet.
      if (w1.startsWith("/run/flannel/") || w1 === "/etc/cni/net.d/10-flannel.conflist") return out("", `cat: ${w1}: No such file or directory\n`);
      if (w1.startsWith("/etc/cni/net.d/")) throw new K8sNetFlowError("unsupported", `Calico's CNI configuration (/etc/cni/net.d/10-calico.conflist) is not simulated yet`, "command");
    }
    // The directory holds only flannel's conflist: the shell's `*.conf` matches nothing, so cat gets the pattern itself.
    if (w1 === "/etc/cni/net.d/*.conf") return out("", "cat: '/etc/cni/net.d/*.conf': No such file or directory\n");
    if (w1 === "/etc/cni/net.d/10-flannel.conflist" || w1 === "/etc/cni/net.d/*" || w1 === "/etc/cni/net.d/*.conflist") return out(flannelConflist(model.settings.cni.mtu));
    if (w1 === "/run/flannel/subnet.env") return out(flannelSubnetEnv(model, model.nodes[nodeIndex]!));
  }
  if (w0 === "nslookup" && w1) return out(nslookup(dp, cluster, needPod(), w1));
  if (w0 === "kubectl") {
    if (w1 === "get" && (w2 === "configmap" || w2 === "cm") && words.includes("coredns")) return out(corefileConfigMap(model.settings.clusterDomain));
    if (w1 === "get" && (w2 === "configmap" || w2 === "cm") && words.includes("kube-flannel-cfg")) return out(flannelConfigMap(model));
    if (w1 === "get") {
      const r = kubectlGet(model, words.slice(2));
      return out(r.stdout, r.stderr);
    }
    if (w1 === "logs" && words.some((w) => w.startsWith("kube-proxy"))) {
      if (model.settings.kubeProxy.mode === "ebpf") throw new K8sNetFlowError("unsupported", `there is no kube-proxy in this cluster: kube-proxy mode ebpf is Cilium's kube-proxy replacement (kubeProxyReplacement=true), whose service table "cilium-dbg service list" shows`, "command");
      return out(kubeProxyModeLine(model));
    }
  }
  throw new K8sNetFlowError("unsupported", `"${req.command}" is not simulated (commands: ${SHOW_COMMANDS.map((c) => c.replace(/\s+\(.*\)$/, "")).join("; ")})`, "command");
}

/** bind9's nslookup: the search list like the resolver, A then AAAA for the name found. */
function nslookup(dp: Dataplane, cluster: LoadedCluster, pod: ClusterPod, name: string): string {
  const netns = cluster.net.podNetns.get(`${pod.namespace}/${pod.name}`)!;
  const server = podResolvConf(cluster.model, pod).nameservers[0] ?? "";
  const lookup = dnsLookup(dp, cluster, pod, netns, name, "glibc", 1);
  const result: NslookupResult = { server, name, answers: [], authoritative: true, failures: [] };
  if (lookup.error === "Temporary failure in name resolution") {
    result.failures = lookup.attempts.filter((a) => a.type === "A" && "failure" in a.result).map((a) => ("failure" in a.result ? a.result.failure : "timeout"));
    return formatNslookup(result);
  }
  if (lookup.canonical) {
    result.found = lookup.canonical;
    result.rcode = "NOERROR";
    for (const a of lookup.attempts.filter((x) => x.name === lookup.canonical && !("failure" in x.result))) {
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
