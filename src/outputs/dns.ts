// What a pod's DNS tools print: `nslookup` (bind9's dnsutils) and CoreDNS's ConfigMap as
// kubeadm installs it (`kubectl get configmap -n kube-system coredns -o yaml`).

import type { Record_ } from "../dns/records.js";

export interface NslookupResult {
  server: string;
  /** The name as typed. */
  name: string;
  /** The name that answered, with the final dot. */
  found?: string;
  rcode?: "NOERROR" | "NXDOMAIN" | "SERVFAIL";
  answers: Record_[];
  /** Answers from the upstream resolver are not authoritative. */
  authoritative: boolean;
  /** Tries that got no answer (refused or timed out), in order. */
  failures: Array<"refused" | "timeout">;
}

export function formatNslookup(r: NslookupResult): string {
  if (r.rcode === undefined) {
    const lines = r.failures.map((f) => (f === "refused" ? `;; communications error to ${r.server}#53: connection refused` : `;; communications error to ${r.server}#53: timed out`));
    lines.push(";; no servers could be reached", "");
    return `${lines.join("\n")}\n`;
  }
  let out = `Server:\t\t${r.server}\nAddress:\t${r.server}#53\n\n`;
  if (r.rcode !== "NOERROR" || !r.answers.some((a) => a.type === "A" || a.type === "AAAA")) {
    const code = r.rcode === "NOERROR" ? "No answer" : r.rcode;
    return `${out}** server can't find ${r.name}: ${code}\n\n`;
  }
  if (!r.authoritative) out += "Non-authoritative answer:\n";
  for (const a of r.answers) {
    const owner = a.name.replace(/\.$/, "");
    if (a.type === "CNAME") out += `${owner}\tcanonical name = ${a.data}\n`;
    else if (a.type === "A" || a.type === "AAAA") out += `Name:\t${owner}\nAddress: ${a.data}\n`;
  }
  return `${out}\n`;
}

/** kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go) for a cluster domain. */
export function corefile(domain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${domain}
       disable denial ${domain}
    }
    loop
    reload
    loadbalance
}
`;
}

/** `kubectl get configmap -n kube-system coredns -o yaml` (fields in kubectl's order; server-set metadata left out). */
export function corefileConfigMap(domain: string): string {
  const body = corefile(domain)
    .split("\n")
    .map((l) => (l ? `    ${l}` : l))
    .join("\n");
  return `apiVersion: v1\ndata:\n  Corefile: |\n${body}kind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n`;
}
