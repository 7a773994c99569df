// The engine's time series of a run (SimulationResult.timeline and .events) as the element's
// two charts: conntrack entries at each point, and packets per second over each interval.

import type { SimulationEvent, SimulationResult, TimelinePoint } from "../../src/engine/simulate.js";
import type { ChartEvent, SeriesPoint } from "./timeseries.js";

/** The fields of a timeline point the charts draw. */
export type TimelinePointLike = Pick<TimelinePoint, "seconds" | "conntrack" | "delivered" | "dropped">;
export type SimulationEventLike = Pick<SimulationEvent, "seconds" | "kind" | "detail" | "rulesWritten" | "fullSync">;

/**
 * The result's timeline and events, or undefined without a point to draw: a result from an
 * engine of another version of the bundle (a page may load two) may lack them.
 */
export function timelineOf(result: Pick<SimulationResult, "timeline" | "events"> | object): { timeline: TimelinePointLike[]; events: SimulationEventLike[] } | undefined {
  const r = result as Partial<Pick<SimulationResult, "timeline" | "events">>;
  if (!Array.isArray(r.timeline) || r.timeline.length === 0) return undefined;
  return { timeline: r.timeline, events: Array.isArray(r.events) ? r.events : [] };
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

/**
 * Events as chart markers: the kind in words on the chart ("node down"); in the tooltip and the
 * table the engine's detail and what kube-proxy's sync wrote (against a full re-sync: the cost
 * of a change is the rules rewritten, which is what makes big iptables clusters slow to converge).
 */
export function eventMarkers(events: SimulationEventLike[]): ChartEvent[] {
  const n = (v: number) => v.toLocaleString("en-US");
  return events.map((e) => ({
    x: e.seconds,
    label: e.kind.replace(/-/g, " "),
    detail: `${e.detail}${e.rulesWritten !== undefined ? ` (${n(e.rulesWritten)} rules written${e.fullSync !== undefined ? `, a full sync ${n(e.fullSync)}` : ""})` : ""}`,
  }));
}
