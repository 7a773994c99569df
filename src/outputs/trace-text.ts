// A trace as plain text for people: the CLI prints it, the element offers it as a transcript.
import type { Hop, Trace } from "../engine/types.js";

const hostPort = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

function packetLine(h: Hop): string {
  const p = h.packet;
  const l4 = p.icmp ? `icmp type ${p.icmp.type} code ${p.icmp.code}` : p.protocol;
  const outer = !p.outer ? "" : p.outer.protocol === "ipip" ? `  outer ${p.outer.src} → ${p.outer.dst} ipip` : `  outer ${p.outer.src} → ${p.outer.dst} udp ${p.outer.sport}→${p.outer.dport} vni ${p.outer.vni}`;
  return `${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)} ${l4} ttl ${p.ttl} len ${p.length}${outer}`;
}

/** A trace as text for people: one numbered block per hop, grouped by phase. */
export function formatTrace(trace: Trace): string {
  const { flow } = trace;
  const lines = [
    trace.verdict === "unresolved"
      ? `${flow.from} (${flow.srcIP}) → ${flow.to}: unresolved — ${trace.dns?.error ?? "the name did not resolve"}`
      : `${flow.from} (${flow.srcIP}:${flow.sport}) → ${flow.to} (${flow.dstIP}:${flow.dport}/${flow.protocol}): ${trace.verdict}${trace.replyVerdict ? `; answer ${trace.replyVerdict}` : ""} — ${trace.hops.length} hops`,
  ];
  if (trace.dns) {
    const d = trace.dns;
    lines.push("", `DNS lookup of ${d.name} (${d.libc}): ${d.addresses.length ? d.addresses.join(", ") : d.error}`);
    for (const a of d.attempts) {
      const r = a.result;
      lines.push(`  ${a.type.padEnd(4)} ${a.name}${a.try > 1 ? ` (try ${a.try})` : ""}  → ${"failure" in r ? (r.failure === "refused" ? "connection refused" : "no answer") : `${r.rcode}${r.answers.length ? ` ${r.answers.map((x) => `${x.type} ${x.data}`).join(", ")}` : ""}`}`);
    }
  }
  if (trace.policy) {
    lines.push("", `NetworkPolicy: ${trace.policy.allowed ? "allowed" : "DENIED"} by the policies. ${trace.policy.note}`);
    lines.push(...trace.policy.explanation.trimEnd().split("\n").map((l) => `  ${l}`));
  }
  const TITLES: Record<string, string> = { request: "request:", reply: "reply:", error: "ICMP error back to the client:", "dns-query": "DNS query:", "dns-answer": "DNS answer:" };
  let phase = "";
  let query = 0;
  for (const hop of trace.hops) {
    if (hop.phase !== phase || (hop.dns && hop.dns.query !== query)) {
      phase = hop.phase;
      query = hop.dns?.query ?? 0;
      lines.push("", `${TITLES[phase] ?? phase}${hop.dns ? ` ${hop.dns.type} ${hop.dns.name} (query ${hop.dns.query})` : ""}`);
    }
    const ifaces = [hop.inIface && `in ${hop.inIface}`, hop.outIface && `out ${hop.outIface}`].filter(Boolean).join(", ");
    lines.push(`${String(hop.seq + 1).padStart(3)}. ${hop.node} ${hop.netns} ${hop.component}/${hop.action}${ifaces ? ` (${ifaces})` : ""}`);
    lines.push(`     ${packetLine(hop)}`);
    // A rule of several lines (ipvsadm's virtual server and real server) keeps the indentation.
    if (hop.rule) lines.push(`     ${hop.rule.replace(/\n/g, "\n     ")}    [${hop.ruleSource}]`);
    lines.push(`     ${hop.text}`);
  }
  return `${lines.join("\n")}\n`;
}
