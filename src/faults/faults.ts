// Faults a cluster can be given on purpose, to watch a packet fail the way it fails in a real
// cluster (troubleshooting lessons). Each is written `KIND` or `KIND=ARGUMENT`, the same in a
// cluster file's `settings.faults`, the CLI's `--fault`, the element's `faults` attribute and
// the engine's input; each is applied where the real fault lives (the API's objects, a node's
// tables, kube-proxy's rules, the kernel's settings), never in the view.

import { K8sNetFlowError } from "../errors.js";

export type Fault =
  /** The pod fails its readiness probe: its endpoint is not ready, kube-proxy leaves it out. */
  | { kind: "pod-not-ready"; pod: string }
  /** The Service's selector names a label value no pod carries (a typo): no endpoints at all. */
  | { kind: "selector-mismatch"; service: string }
  /** CoreDNS scaled to zero: kube-dns has no endpoints, queries are refused. */
  | { kind: "coredns-down" }
  /** Pods get MTU 1500 while the overlay needs room for its header: big packets do not fit. */
  | { kind: "mtu-mismatch" }
  /** `node` lacks the route to `peer`'s pod network (as when flanneld never added it). */
  | { kind: "missing-route"; node: string; peer: string }
  /** kube-proxy on every node stopped before `pod` was deleted: its rules still send traffic to the gone pod. */
  | { kind: "kube-proxy-stale"; pod: string }
  /** A default-deny NetworkPolicy in `namespace` (ingress, egress or both). */
  | { kind: "default-deny"; namespace: string; direction: "ingress" | "egress" | "all" }
  /** `net.bridge.bridge-nf-call-iptables=0` on every node: bridged traffic skips iptables and conntrack. */
  | { kind: "br-netfilter-off" }
  /**
   * flanneld on `node` is not running (it failed after the node rebooted): the node's flannel.1
   * has none of the routes, neighbour and FDB entries flanneld writes for its peers (flannel VXLAN).
   */
  | { kind: "flanneld-stopped"; node: string }
  /**
   * `pod` (a UDP backend, typically CoreDNS) was deleted and recreated by its controller (new
   * name, new IP), and kube-proxy failed to delete the UDP conntrack entries that pointed at
   * the old IP (`conntrack -D -p udp --orig-dst CLUSTER_IP --reply-src OLD_IP` failed, e.g. the
   * conntrack binary missing). Assumption: every traced UDP exchange to one of its Services
   * comes from a client whose UDP socket outlived the restart (same source port, its entry
   * refreshed by every datagram, so it never expires).
   */
  | { kind: "stale-udp-conntrack"; pod: string };

export type FaultKind = Fault["kind"];

/** What each fault needs and does, for `--help`, errors and the docs. */
export const FAULTS: Record<FaultKind, { argument?: string; summary: string }> = {
  "pod-not-ready": { argument: "NAMESPACE/POD", summary: "the pod is not Ready: removed from its Services' endpoints" },
  "selector-mismatch": { argument: "NAMESPACE/SERVICE", summary: "the Service's selector matches no pod (a typo in a label value)" },
  "coredns-down": { summary: "CoreDNS scaled to zero: DNS queries are refused" },
  "mtu-mismatch": { summary: "pods' MTU 1500 over an overlay that needs a smaller one" },
  "missing-route": { argument: "NODE>PEER", summary: "NODE has no route to PEER's pod network" },
  "kube-proxy-stale": { argument: "NAMESPACE/POD", summary: "the pod was deleted while kube-proxy was stopped: rules still lead to it" },
  "default-deny": { argument: "NAMESPACE[/ingress|egress|all]", summary: "a default-deny NetworkPolicy in the namespace (ingress unless said)" },
  "br-netfilter-off": { summary: "bridge-nf-call-iptables=0: bridged packets skip iptables and conntrack" },
  "flanneld-stopped": { argument: "NODE", summary: "flanneld down on NODE after a reboot: no routes, neighbours or FDB entries for its peers (flannel VXLAN)" },
  "stale-udp-conntrack": { argument: "NAMESPACE/POD", summary: "the UDP backend pod was recreated (new IP) but kube-proxy left the conntrack entries to the old IP: a client whose UDP socket outlived the restart still sends there" },
};

const qualified = (text: string) => (text.includes("/") ? text : `default/${text}`);

/** Reads `KIND` or `KIND=ARGUMENT`; `field` names where it came from, for the error. */
export function parseFault(text: string, field = "faults"): Fault {
  const eq = text.indexOf("=");
  const kind = (eq < 0 ? text : text.slice(0, eq)).trim() as FaultKind;
  const arg = eq < 0 ? undefined : text.slice(eq + 1).trim();
  const spec = FAULTS[kind];
  if (!spec || !Object.hasOwn(FAULTS, kind)) throw new K8sNetFlowError("invalid-input", `unknown fault "${kind}" (faults: ${Object.keys(FAULTS).join(", ")})`, field);
  if (spec.argument && !arg) throw new K8sNetFlowError("invalid-input", `fault ${kind} needs an argument: ${kind}=${spec.argument}`, field);
  if (!spec.argument && arg !== undefined) throw new K8sNetFlowError("invalid-input", `fault ${kind} takes no argument (got "${arg}")`, field);
  switch (kind) {
    case "pod-not-ready":
    case "kube-proxy-stale":
    case "stale-udp-conntrack":
      return { kind, pod: qualified(arg!) };
    case "selector-mismatch":
      return { kind, service: qualified(arg!) };
    case "missing-route": {
      const [node, peer, extra] = arg!.split(">");
      if (!node || !peer || extra !== undefined) throw new K8sNetFlowError("invalid-input", `fault missing-route takes NODE>PEER (e.g. missing-route=node-1>node-2), not "${arg}"`, field);
      if (node === peer) throw new K8sNetFlowError("invalid-input", `fault missing-route: a node always reaches its own pod network (${node}>${peer})`, field);
      return { kind, node, peer };
    }
    case "flanneld-stopped":
      if (arg!.includes("/") || arg!.includes(">")) throw new K8sNetFlowError("invalid-input", `fault flanneld-stopped takes a node's name (e.g. flanneld-stopped=node-1), not "${arg}"`, field);
      return { kind, node: arg! };
    case "default-deny": {
      const [namespace, direction = "ingress", extra] = arg!.split("/");
      if (!namespace || extra !== undefined || !["ingress", "egress", "all"].includes(direction)) throw new K8sNetFlowError("invalid-input", `fault default-deny takes NAMESPACE[/ingress|egress|all], not "${arg}"`, field);
      return { kind, namespace, direction: direction as "ingress" | "egress" | "all" };
    }
    default:
      return { kind } as Fault;
  }
}

/** The fault as it is written (parseFault's inverse). */
export function faultText(f: Fault): string {
  switch (f.kind) {
    case "pod-not-ready":
    case "kube-proxy-stale":
    case "stale-udp-conntrack":
      return `${f.kind}=${f.pod}`;
    case "selector-mismatch":
      return `${f.kind}=${f.service}`;
    case "missing-route":
      return `${f.kind}=${f.node}>${f.peer}`;
    case "flanneld-stopped":
      return `${f.kind}=${f.node}`;
    case "default-deny":
      return `${f.kind}=${f.namespace}${f.direction === "ingress" ? "" : `/${f.direction}`}`;
    default:
      return f.kind;
  }
}
