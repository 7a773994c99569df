// CoreDNS's answers for the cluster domain, as its kubernetes plugin gives them with
// kubeadm's Corefile (`pods insecure`, `ttl 30`), and the upstream for other names.

import type { ClusterModel } from "../model/types.js";

export type RType = "A" | "AAAA" | "SRV" | "CNAME";
export type Rcode = "NOERROR" | "NXDOMAIN" | "SERVFAIL";

export interface Record_ {
  name: string;
  type: RType;
  ttl: number;
  data: string;
}

export interface Answer {
  rcode: Rcode;
  answers: Record_[];
  /** Who answered: the kubernetes plugin, or the upstream resolver CoreDNS forwards to. */
  source: "cluster" | "upstream";
}

/** kubeadm's Corefile: `ttl 30` in the kubernetes block. */
export const CLUSTER_TTL = 30;

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`);

export class ClusterZone {
  constructor(private readonly model: ClusterModel) {}

  /** The answer to a query for `name` (with or without the final dot) of type `type`. */
  answer(name: string, type: RType): Answer {
    const q = fqdn(name.toLowerCase());
    const domain = fqdn(this.model.settings.clusterDomain);
    if (!q.endsWith(`.${domain}`) && q !== domain) return this.upstream(q, type);
    const labels = q.slice(0, -(domain.length + 1)).split(".").filter(Boolean);
    const nx: Answer = { rcode: "NXDOMAIN", answers: [], source: "cluster" };
    const data = (records: Record_[]): Answer => ({ rcode: "NOERROR", answers: records.filter((r) => r.type === type || r.type === "CNAME"), source: "cluster" });
    // <svc>.<ns>.svc, <hostname>.<svc>.<ns>.svc, _<port>._<proto>.<svc>.<ns>.svc
    if (labels.at(-1) === "svc") {
      const rest = labels.slice(0, -1);
      if (rest.length === 4 && rest[0]!.startsWith("_") && rest[1]!.startsWith("_")) {
        const [portLabel, protoLabel, svcName, ns] = rest as [string, string, string, string];
        const svc = this.service(ns, svcName);
        if (!svc) return nx;
        const port = svc.ports.find((p) => p.name === portLabel.slice(1) && p.protocol.toLowerCase() === protoLabel.slice(1));
        if (!port) return nx;
        const target = `${svcName}.${ns}.svc.${domain}`;
        if (svc.clusterIP === "None") {
          const eps = this.readyEndpoints(ns, svcName);
          // Priority 10; the weight of 100 shared between the records of one priority.
          return data(eps.map((e) => ({ name: q, type: "SRV" as const, ttl: CLUSTER_TTL, data: `10 ${Math.floor(100 / eps.length)} ${port.port} ${e.hostname ? `${e.hostname}.` : `${e.ip.replace(/\./g, "-")}.`}${target}` })));
        }
        return data([{ name: q, type: "SRV", ttl: CLUSTER_TTL, data: `10 100 ${port.port} ${target}` }]);
      }
      if (rest.length === 3) {
        const [host, svcName, ns] = rest as [string, string, string];
        const e = this.readyEndpoints(ns, svcName).find((x) => x.hostname === host || x.ip.replace(/\./g, "-") === host);
        return e ? data([{ name: q, type: "A", ttl: CLUSTER_TTL, data: e.ip }]) : nx;
      }
      if (rest.length === 2) {
        const [svcName, ns] = rest as [string, string];
        const svc = this.service(ns, svcName);
        if (!svc) return nx;
        if (svc.type === "ExternalName") return { rcode: "NOERROR", answers: [{ name: q, type: "CNAME", ttl: CLUSTER_TTL, data: fqdn(svc.externalName!) }, ...this.upstream(fqdn(svc.externalName!), type).answers], source: "cluster" };
        if (svc.clusterIP === "None") {
          const eps = this.readyEndpoints(ns, svcName);
          // A headless service without ready endpoints has no records at all.
          if (eps.length === 0) return nx;
          return data(eps.map((e) => ({ name: q, type: "A" as const, ttl: CLUSTER_TTL, data: e.ip })));
        }
        return data([{ name: q, type: "A", ttl: CLUSTER_TTL, data: svc.clusterIP! }]);
      }
      return nx;
    }
    // a-b-c-d.<ns>.pod: `pods insecure` answers any well-formed address without checking a pod exists.
    if (labels.at(-1) === "pod" && labels.length === 3) {
      const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(labels[0]!);
      if (m && m.slice(1).every((x) => Number(x) <= 255)) return data([{ name: q, type: "A", ttl: CLUSTER_TTL, data: m.slice(1).join(".") }]);
    }
    return nx;
  }

  private service(namespace: string, name: string) {
    return this.model.services.find((s) => s.namespace === namespace && s.name === name);
  }

  private readyEndpoints(namespace: string, service: string): Array<{ ip: string; hostname?: string }> {
    return this.model.endpointSlices
      .filter((s) => s.namespace === namespace && s.service === service)
      .flatMap((s) => s.endpoints.filter((e) => e.conditions.ready).flatMap((e) => e.addresses.map((ip) => ({ ip, ...(e.hostname ? { hostname: e.hostname } : {}) }))));
  }

  /** `forward . /etc/resolv.conf`: the upstream answers from settings.upstreamDNS, else NXDOMAIN. */
  private upstream(q: string, type: RType): Answer {
    const table = this.model.settings.upstreamDNS;
    const ip = table[q] ?? table[q.slice(0, -1)];
    if (ip === undefined) return { rcode: "NXDOMAIN", answers: [], source: "upstream" };
    return { rcode: "NOERROR", answers: type === "A" ? [{ name: q, type: "A", ttl: 300, data: ip }] : [], source: "upstream" };
  }
}
