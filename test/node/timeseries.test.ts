// The time-series chart's pure parts: ticks on round numbers, SI labels, scales, SVG paths
// with gaps, event-label rows; and the element's reading of the engine's timeline (rates per
// interval, the guard that keeps timeline-less results working).
import { describe, expect, it } from "vitest";
import { areaPath, decimalsOf, describe as describeSeries, formatTime, labelRows, linear, linePath, niceStep, niceTicks, siFormat, timeTicks, valueRange } from "../../components/k8s-flow-sim/timeseries.js";
import { conntrackSeries, eventMarkers, rateSeries, timelineOf } from "../../components/k8s-flow-sim/timeline.js";

describe("ticks", () => {
  it("niceStep picks 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(1234, 5)).toBe(500);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceStep(30, 3)).toBe(10);
    expect(niceStep(0, 5)).toBe(1);
    expect(niceStep(NaN, 5)).toBe(1);
  });

  it("niceTicks widens the domain to whole steps and prints no float noise", () => {
    expect(niceTicks(0, 1234, 4)).toEqual({ lo: 0, hi: 1500, step: 500, values: [0, 500, 1000, 1500] });
    expect(niceTicks(0, 0.7, 5)).toEqual({ lo: 0, hi: 0.8, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8] });
    expect(niceTicks(0.1, 0.35, 5).values).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(niceTicks(3, 97, 5)).toEqual({ lo: 0, hi: 100, step: 20, values: [0, 20, 40, 60, 80, 100] });
    expect(niceTicks(-42, 10, 4)).toEqual({ lo: -60, hi: 20, step: 20, values: [-60, -40, -20, 0, 20] });
    expect(niceTicks(0, 2_000_000, 4).values).toEqual([0, 500_000, 1_000_000, 1_500_000, 2_000_000]);
  });

  it("niceTicks of an empty range widens it around the value", () => {
    expect(niceTicks(0, 0)).toEqual({ lo: 0, hi: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    const t = niceTicks(400, 400, 4);
    expect(t.lo).toBeLessThan(400);
    expect(t.hi).toBeGreaterThan(400);
    expect(t.lo).toBeGreaterThanOrEqual(0);
    expect(niceTicks(5, 1)).toEqual(niceTicks(1, 5)); // swapped bounds
  });

  it("timeTicks: round seconds for short runs, minutes and hours for long ones", () => {
    expect(timeTicks(0, 2.5)).toEqual({ lo: 0, hi: 2.5, step: 0.5, values: [0, 0.5, 1, 1.5, 2, 2.5] });
    expect(timeTicks(0, 100).values).toEqual([0, 20, 40, 60, 80, 100]);
    expect(timeTicks(0, 150)).toEqual({ lo: 0, hi: 150, step: 50, values: [0, 50, 100, 150] });
    expect(timeTicks(0, 1000)).toEqual({ lo: 0, hi: 1200, step: 300, values: [0, 300, 600, 900, 1200] });
    expect(timeTicks(0, 5 * 3600).step).toBe(3600);
    expect(formatTime(0.5, 0.5)).toBe("0.5 s");
    expect(formatTime(0.30000000000000004, 0.1)).toBe("0.3 s");
    expect(formatTime(600, 300)).toBe("10 min");
    expect(formatTime(7200, 3600)).toBe("2 h");
    expect(formatTime(40, 20)).toBe("40 s");
  });

  it("decimalsOf counts the digits a step needs", () => {
    expect([1, 20, 0.5, 0.25, 0.2, 0.05, 2.5].map(decimalsOf)).toEqual([0, 0, 1, 2, 1, 2, 1]);
  });
});

describe("siFormat", () => {
  it("at most 3 significant digits with SI prefixes", () => {
    expect([0, 1, 12, 999, 1000, 1500, 25_000, 200_000, 1_234_567, 2e9, 3.5e12].map(siFormat)).toEqual(["0", "1", "12", "999", "1k", "1.5k", "25k", "200k", "1.23M", "2G", "3.5T"]);
    expect([0.25, 0.001234, -1500].map(siFormat)).toEqual(["0.25", "0.00123", "-1.5k"]);
  });

  it("moves up a prefix instead of printing 1000k", () => {
    expect(siFormat(999_950)).toBe("1M");
    expect(siFormat(999_499)).toBe("999k");
  });
});

describe("scales and paths", () => {
  it("linear maps a domain onto a (possibly inverted) range", () => {
    const y = linear(0, 100, 166, 24);
    expect(y(0)).toBe(166);
    expect(y(100)).toBe(24);
    expect(y(50)).toBe(95);
    expect(linear(3, 3, 0, 10)(3)).toBe(5);
  });

  it("linePath joins points with L at 0.1 px and starts again after a gap", () => {
    expect(linePath([[0, 10], [5.04, 20.06], [10, 0]])).toBe("M0,10L5,20.1L10,0");
    expect(linePath([[0, 1], [1, NaN], [2, 3], [3, 4]])).toBe("M0,1M2,3L3,4");
    expect(linePath([])).toBe("");
  });

  it("areaPath closes each run of points down to the baseline", () => {
    expect(areaPath([[0, 10], [5, 20], [10, 0]], 100)).toBe("M0,100L0,10L5,20L10,0L10,100Z");
    expect(areaPath([[0, 1], [1, Infinity], [2, 3], [3, 4]], 50)).toBe("M0,50L0,1L0,50ZM2,50L2,3L3,4L3,50Z");
  });

  it("valueRange spans 0 to the highest finite value (lower if negative)", () => {
    expect(valueRange([{ x: 0, values: [5, 7] }, { x: 1, values: [NaN, 12] }])).toEqual([0, 12]);
    expect(valueRange([{ x: 0, values: [-3] }])).toEqual([-3, 0]);
    expect(valueRange([])).toEqual([0, 0]);
  });

  it("labelRows puts overlapping labels on further rows, then gives up", () => {
    // 0-50 and 30-80 overlap: second row; 100 fits the first again; 10 and 20 fill rows 3 and none.
    expect(labelRows([0, 30, 100], [50, 50, 50])).toEqual([0, 1, 0]);
    expect(labelRows([0, 10, 20, 30], [100, 100, 100, 100], 3)).toEqual([0, 1, 2, -1]);
    // The order of the input does not matter: rows go left to right.
    expect(labelRows([100, 0, 30], [50, 50, 50])).toEqual([0, 0, 1]);
  });

  it("describe names each series' start, peak and end", () => {
    const text = describeSeries(
      [
        { x: 0, values: [10, 1] },
        { x: 1.5, values: [30, NaN] },
        { x: 3, values: [20, 2] },
      ],
      ["delivered", "dropped"],
      undefined,
      "packets/s",
    );
    expect(text).toBe("3 points from 0 s to 3 s of simulated time. delivered: 10 packets/s at 0 s, highest 30 at 1.5 s, last 20 at 3 s. dropped: 1 packets/s at 0 s, highest 2 at 3 s, last 2 at 3 s.");
    expect(describeSeries([], ["a"])).toBe("No data.");
  });
});

describe("the engine's timeline", () => {
  const timeline = [
    { flows: 100, seconds: 0.5, conntrack: 180, delivered: 1000, dropped: 10, newConnections: 100, dnsQueries: 5 },
    { flows: 200, seconds: 1.5, conntrack: 350, delivered: 3000, dropped: 0, newConnections: 100, dnsQueries: 4 },
    { flows: 200, seconds: 1.5, conntrack: 350, delivered: 0, dropped: 0, newConnections: 0, dnsQueries: 0 },
    { flows: 300, seconds: 2, conntrack: 90, delivered: 500, dropped: 250, newConnections: 100, dnsQueries: 3 },
  ];

  it("rates per second over each interval, the first from the run's start; no rate for an empty interval", () => {
    const r = rateSeries(timeline);
    expect(r.map((p) => p.x)).toEqual([0.5, 1.5, 1.5, 2]);
    expect(r[0]!.values).toEqual([2000, 20]);
    expect(r[1]!.values).toEqual([3000, 0]);
    expect(r[2]!.values.every(Number.isNaN)).toBe(true);
    expect(r[3]!.values).toEqual([1000, 500]);
    expect(conntrackSeries(timeline).map((p) => p.values[0])).toEqual([180, 350, 350, 90]);
  });

  it("timelineOf reads a result with a timeline and leaves one without", () => {
    const events = [{ seconds: 1, flows: 100, kind: "node-down" as const, detail: "node-0003 down: 30 pods lost", rulesWritten: 1234 }];
    const got = timelineOf({ flows: 300, timeline, events });
    expect(got?.timeline).toBe(timeline);
    expect(got?.events).toBe(events);
    expect(timelineOf({ flows: 300, conntrackOccupancy: [{ flows: 1, entries: 2 }] })).toBeUndefined();
    expect(timelineOf({ timeline: [] })).toBeUndefined();
    expect(timelineOf({ timeline })?.events).toEqual([]);
    expect(eventMarkers(got!.events)).toEqual([{ x: 1, label: "node down", detail: "node-0003 down: 30 pods lost (1,234 rules written)" }]);
    expect(eventMarkers([{ seconds: 2.5, kind: "endpoints-removed", detail: "30 endpoints left 4 Services", rulesWritten: 80, fullSync: 52000 }, { seconds: 3, kind: "churn", detail: "5 endpoints out" }])).toEqual([
      { x: 2.5, label: "endpoints removed", detail: "30 endpoints left 4 Services (80 rules written, a full sync 52,000)" },
      { x: 3, label: "churn", detail: "5 endpoints out" },
    ]);
  });
});
