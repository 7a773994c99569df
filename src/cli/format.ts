import type { Trace } from "../engine/types.js";

/** A trace as text for people: one numbered block per hop. */
export function formatTrace(trace: Trace): string {
  const { flow } = trace;
  const lines = [`${flow.from} (${flow.srcIP}) → ${flow.to} (${flow.dstIP}): ${trace.verdict} after ${trace.hops.length} hops`, ""];
  for (const hop of trace.hops) {
    const ifaces = [hop.inIface && `in ${hop.inIface}`, hop.outIface && `out ${hop.outIface}`].filter(Boolean).join(", ");
    lines.push(`${String(hop.seq + 1).padStart(2)}. ${hop.node} ${hop.netns} [${hop.action}]${ifaces ? ` ${ifaces}` : ""}  ${hop.packet.src} → ${hop.packet.dst} ttl ${hop.packet.ttl}`);
    if (hop.rule) lines.push(`    ${hop.rule}    (from: ${hop.ruleSource})`);
    lines.push(`    ${hop.text}`);
  }
  return `${lines.join("\n")}\n`;
}
