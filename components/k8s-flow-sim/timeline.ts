// The engine's time series of a run (SimulationResult.timeline and .events) as the element's
// two charts: conntrack entries at each point, and packets per second over each interval.
// Read through a guard: results from engines without a timeline (older builds, or a worker
// from another version of the bundle) still render everything else.

import type { ChartEvent, SeriesPoint } from "./timeseries.js";

/** One point of the engine's timeline (the fields this element draws). */
export interface TimelinePointLike {
  /** Simulated seconds since the run's start. */
  seconds: number;
  /** Conntrack entries alive at this point, all nodes. */
  conntrack: number;
  /** Packets delivered since the previous point. */
  delivered: number;
  /** Packets dropped since the previous point. */
  dropped: number;
}

export interface SimulationEventLike {
  seconds: number;
  kind: string;
  detail: string;
  rulesWritten?: number;
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function isPoint(p: unknown): p is TimelinePointLike {
  const o = p as Record<string, unknown> | null;
  return !!o && typeof o === "object" && isNum(o.seconds) && isNum(o.conntrack) && isNum(o.delivered) && isNum(o.dropped);
}

function isEvent(e: unknown): e is SimulationEventLike {
  const o = e as Record<string, unknown> | null;
  return !!o && typeof o === "object" && isNum(o.seconds) && typeof o.kind === "string" && typeof o.detail === "string";
}

/** The result's timeline and events, or undefined when it has no usable timeline. */
export function timelineOf(result: object): { timeline: TimelinePointLike[]; events: SimulationEventLike[] } | undefined {
  const r = result as { timeline?: unknown; events?: unknown };
  if (!Array.isArray(r.timeline) || r.timeline.length === 0 || !r.timeline.every(isPoint)) return undefined;
  const events = Array.isArray(r.events) ? r.events.filter(isEvent) : [];
  return { timeline: r.timeline, events };
}

/** Conntrack entries at each point. */
export function conntrackSeries(timeline: TimelinePointLike[]): SeriesPoint[] {
  return timeline.map((p) => ({ x: p.seconds, values: [p.conntrack] }));
}

/**
 * Delivered and dropped packets per second over each interval, placed at the interval's end:
 * the counts are "since the previous point" (the first point's since the run's start, 0 s),
 * so dividing by the interval's length gives the mean rate over it. An interval of no
 * simulated time has no rate (a gap in the line), not an infinite one.
 */
export function rateSeries(timeline: TimelinePointLike[]): SeriesPoint[] {
  let prev = 0;
  return timeline.map((p) => {
    const dt = p.seconds - prev;
    prev = p.seconds;
    return { x: p.seconds, values: dt > 0 ? [p.delivered / dt, p.dropped / dt] : [NaN, NaN] };
  });
}

/** Events as chart markers: the kind in words on the chart ("node down"), the engine's detail and the rules rewritten in the tooltip and table. */
export function eventMarkers(events: SimulationEventLike[]): ChartEvent[] {
  return events.map((e) => ({
    x: e.seconds,
    label: e.kind.replace(/-/g, " "),
    detail: `${e.detail}${e.rulesWritten !== undefined ? ` (${e.rulesWritten.toLocaleString("en-US")} rules written)` : ""}`,
  }));
}
