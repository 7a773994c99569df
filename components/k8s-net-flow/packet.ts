// The moving packet: a dot at the hop's position with a header badge. The badge shows what a
// reader must see change: the old addresses struck through where a hop rewrote them (DNAT,
// the reply's un-NAT), an outer packet wrapped around the inner one while it is encapsulated,
// and DNS queries and answers as their own small packets.

import { nothing, svg } from "lit";
import type { Hop, HopPacket } from "../../src/engine/types.js";
import { fit, type Point } from "./layout.js";

/** Width of one character of the badge's monospace text (10px font), in drawing units. */
const CHAR_W = 6.1;
const LINE_H = 13;
const PAD_X = 6;
const PAD_Y = 4;
const MAX_CHARS = 44;

const endpoint = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

/** The inner packet's addresses as one line, e.g. `10.244.1.5:55971 → 10.96.0.25:80`. */
export function tupleOf(p: HopPacket): string {
  if (p.icmp) return `ICMP ${p.icmp.type}/${p.icmp.code} ${p.src} → ${p.dst}`;
  return `${endpoint(p.src, p.sport)} → ${endpoint(p.dst, p.dport)}`;
}

export interface Badge {
  kind: "data" | "dns" | "error";
  /** The packet's addresses now. */
  tuple: string;
  /** Its addresses before this hop rewrote them (NAT), if it did. */
  was?: string;
  /** What a DNS packet asks or answers. */
  dns?: string;
  /** The outer headers' summary while encapsulated. */
  outer?: string;
}

/** What the badge shows at `hop`, given the hop before it (a rewrite shows the old addresses). */
export function badgeOf(hop: Hop, previous: Hop | undefined): Badge {
  const p = hop.packet;
  const kind = hop.phase === "dns-query" || hop.phase === "dns-answer" ? "dns" : hop.phase === "error" ? "error" : "data";
  const badge: Badge = { kind, tuple: tupleOf(p) };
  // Only a hop of the same packet can have rewritten it: the next phase is another packet.
  const samePacket = previous && previous.phase === hop.phase && previous.dns?.query === hop.dns?.query;
  if (samePacket && (hop.action === "dnat" || hop.action === "snat" || hop.action === "unnat")) {
    const before = tupleOf(previous.packet);
    if (before !== badge.tuple) badge.was = before;
  }
  // Cilium's socket LB rewrites the address the application connected to before any packet
  // exists: the frontend it replaced is the service entry's (`cilium-dbg service get`).
  const frontend = hop.action === "socket-lb" ? hop.rule?.match(/(\d+\.\d+\.\d+\.\d+:\d+)\/[A-Z]+/)?.[1] : undefined;
  if (frontend) badge.was = `${endpoint(p.src, p.sport)} → ${frontend}`;
  if (hop.dns) badge.dns = hop.phase === "dns-query" ? `DNS ${hop.dns.type} ${hop.dns.name}?` : `DNS ${hop.dns.result}: ${hop.dns.type} ${hop.dns.name}`;
  // An outer UDP header means VXLAN; without one the outer IPv4 carries the packet directly (IP-in-IP).
  if (p.outer) badge.outer = p.outer.dport ? `VXLAN ${p.outer.src} → ${p.outer.dst} UDP ${p.outer.dport} VNI ${p.outer.vni}` : `IP-in-IP ${p.outer.src} → ${p.outer.dst} proto 4`;
  return badge;
}

/**
 * The badge drawn with the dot at (0, 0), its box above the dot; `bounds` (relative to the
 * dot) keeps the box inside the drawing near its edges.
 */
export function renderBadge(badge: Badge, bounds: { left: number; right: number }) {
  const lines = [
    ...(badge.dns ? [{ text: badge.dns, cls: "dns" }] : []),
    ...(badge.was ? [{ text: badge.was, cls: "was" }] : []),
    { text: badge.tuple, cls: "tuple" },
  ].map((l) => ({ ...l, text: fit(l.text, MAX_CHARS) }));
  const innerW = Math.max(...lines.map((l) => l.text.length)) * CHAR_W + 2 * PAD_X;
  const innerH = lines.length * LINE_H + 2 * PAD_Y;
  const outerText = badge.outer ? fit(badge.outer, MAX_CHARS + 4) : undefined;
  const outerW = outerText ? Math.max(innerW + 2 * PAD_X, outerText.length * CHAR_W + 2 * PAD_X) : innerW;
  const outerH = outerText ? innerH + LINE_H + 3 * PAD_Y : innerH;
  const top = -12 - outerH;
  // Centred over the dot unless that would cut it off at the drawing's edge.
  const place = (w: number) => Math.max(bounds.left + 2, Math.min(bounds.right - w - 2, -w / 2));
  const outerX = place(outerW);
  const innerX = outerText ? outerX + (outerW - innerW) / 2 : place(innerW);
  const innerTop = outerText ? top + LINE_H + 2 * PAD_Y : top;
  return svg`
    <circle class="dot" r=${badge.kind === "dns" ? 5 : 7}></circle>
    ${outerText ? svg`<g class="outer">
      <rect x=${outerX} y=${top} width=${outerW} height=${outerH} rx="5"></rect>
      <text x=${outerX + PAD_X} y=${top + PAD_Y + 10}>${outerText}</text>
    </g>` : nothing}
    <g class="inner ${badge.kind}">
      <rect x=${innerX} y=${innerTop} width=${innerW} height=${innerH} rx="4"></rect>
      ${lines.map((l, i) => svg`<text class=${l.cls} x=${innerX + PAD_X} y=${innerTop + PAD_Y + 10 + i * LINE_H}>${l.text}</text>`)}
    </g>`;
}

/**
 * Moves the packet along `points` (drawing units) with the Web Animations API: no style
 * attribute is written (strict CSP), and nothing moves under prefers-reduced-motion.
 */
export function animateAlong(target: SVGGElement, points: Point[], duration: number): Animation | undefined {
  // A new hop before the last move ended: the packet jumps to where it was going.
  for (const running of target.getAnimations?.() ?? []) running.cancel();
  if (points.length < 2 || typeof target.animate !== "function") return undefined;
  if (typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches) return undefined;
  const keyframes = points.map((p) => ({ transform: `translate(${p.x}px, ${p.y}px)` }));
  return target.animate(keyframes, { duration, easing: "ease-in-out" });
}
