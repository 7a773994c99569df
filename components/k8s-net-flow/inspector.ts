// The packet inspector: the headers after the current hop, each field marked when this hop
// changed it (a DNAT's destination, a TTL, the outer VXLAN headers appearing).

import { html, nothing } from "lit";
import type { Hop, HopPacket } from "../../src/engine/types.js";

interface Field {
  layer: string;
  name: string;
  value: string;
}

const hostPort = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

export function fieldsOf(p: HopPacket): Field[] {
  const f: Field[] = [
    { layer: "Ethernet", name: "source MAC", value: p.srcMac },
    { layer: "Ethernet", name: "destination MAC", value: p.dstMac },
    { layer: "IPv4", name: "source", value: p.src },
    { layer: "IPv4", name: "destination", value: p.dst },
    { layer: "IPv4", name: "TTL", value: String(p.ttl) },
    { layer: "IPv4", name: "total length", value: `${p.length} bytes` },
    { layer: "IPv4", name: "protocol", value: p.protocol.toUpperCase() },
  ];
  if (p.icmp) f.push({ layer: "ICMP", name: "type / code", value: `${p.icmp.type} / ${p.icmp.code}` });
  else {
    f.push({ layer: p.protocol.toUpperCase(), name: "source port", value: String(p.sport ?? "") });
    f.push({ layer: p.protocol.toUpperCase(), name: "destination port", value: String(p.dport ?? "") });
  }
  if (p.flags.length) f.push({ layer: p.protocol.toUpperCase(), name: "flags", value: p.flags.join(" ") });
  if (p.outer) {
    const outer: Field[] = [
      { layer: "outer IPv4", name: "source", value: p.outer.src },
      { layer: "outer IPv4", name: "destination", value: p.outer.dst },
      { layer: "outer IPv4", name: "TTL", value: String(p.outer.ttl) },
      { layer: "outer IPv4", name: "total length", value: `${p.outer.length} bytes` },
    ];
    // VXLAN rides on UDP with a VNI; IP-in-IP is the inner packet straight after an outer IPv4 header.
    if (p.outer.protocol === "ipip") outer.push({ layer: "outer IPv4", name: "protocol", value: "4 (IP-in-IP)" });
    else outer.push({ layer: "outer UDP", name: "ports", value: `${p.outer.sport} → ${p.outer.dport}` }, { layer: "VXLAN", name: "VNI", value: String(p.outer.vni) });
    f.unshift(...outer);
  }
  return f;
}

export function renderInspector(hop: Hop | undefined, previous: Hop | undefined) {
  if (!hop) return nothing;
  const before = new Map(previous ? fieldsOf(previous.packet).map((f) => [`${f.layer}/${f.name}`, f.value]) : []);
  const rows = fieldsOf(hop.packet).map((f) => {
    const was = before.get(`${f.layer}/${f.name}`);
    // The first hop has nothing to compare with; a field that appears (outer headers) is a change.
    const changed = previous !== undefined && was !== f.value;
    return { ...f, changed, was };
  });
  // A group, not a region: several diagrams on one page would repeat the same landmark name.
  return html`<div part="inspector" role="group" aria-label="Packet after hop ${hop.seq + 1}">
    <h3>Packet after hop ${hop.seq + 1}: ${hostPort(hop.packet.src, hop.packet.sport)} → ${hostPort(hop.packet.dst, hop.packet.dport)}</h3>
    <table>
      <thead><tr><th scope="col">layer</th><th scope="col">field</th><th scope="col">value</th></tr></thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr class=${r.changed ? "changed" : ""}>
            <td>${r.layer}</td><td>${r.name}</td>
            <td>${r.changed ? html`<mark>${r.value}</mark> <span class="was">${r.was === undefined ? "(added by this hop)" : `(was ${r.was})`}</span>` : r.value}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${hop.rule ? html`<p class="decided">Decided by <code>${hop.rule}</code>${hop.ruleSource ? html` — shown by <code>${hop.ruleSource}</code>` : nothing}</p>` : nothing}
  </div>`;
}
