import type { Hop, Trace } from "../engine/types.js";

const hostPort = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

function packetLine(h: Hop): string {
  const p = h.packet;
  const l4 = p.icmp ? `icmp type ${p.icmp.type} code ${p.icmp.code}` : p.protocol;
  const outer = p.outer ? `  outer ${p.outer.src} → ${p.outer.dst} udp ${p.outer.sport}→${p.outer.dport} vni ${p.outer.vni}` : "";
  return `${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)} ${l4} ttl ${p.ttl} len ${p.length}${outer}`;
}

/** A trace as text for people: one numbered block per hop, grouped by phase. */
export function formatTrace(trace: Trace): string {
  const { flow } = trace;
  const lines = [
    `${flow.from} (${flow.srcIP}:${flow.sport}) → ${flow.to} (${flow.dstIP}:${flow.dport}/${flow.protocol}): ${trace.verdict}${trace.replyVerdict ? `; answer ${trace.replyVerdict}` : ""} — ${trace.hops.length} hops`,
  ];
  let phase = "";
  for (const hop of trace.hops) {
    if (hop.phase !== phase) {
      phase = hop.phase;
      lines.push("", phase === "request" ? "request:" : phase === "reply" ? "reply:" : "ICMP error back to the client:");
    }
    const ifaces = [hop.inIface && `in ${hop.inIface}`, hop.outIface && `out ${hop.outIface}`].filter(Boolean).join(", ");
    lines.push(`${String(hop.seq + 1).padStart(3)}. ${hop.node} ${hop.netns} ${hop.component}/${hop.action}${ifaces ? ` (${ifaces})` : ""}`);
    lines.push(`     ${packetLine(hop)}`);
    if (hop.rule) lines.push(`     ${hop.rule}    [${hop.ruleSource}]`);
    lines.push(`     ${hop.text}`);
  }
  return `${lines.join("\n")}\n`;
}
