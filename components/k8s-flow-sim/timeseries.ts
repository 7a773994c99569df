// Time series as an SVG line chart (the first series also as an area): simulated seconds
// across, one or more series up, the run's events as labelled vertical markers. Hand-written
// like histogram.ts — a chart of a few hundred points is a few path strings, no library — and
// drawn once per result: no animation, so nothing to switch off under reduced motion.
//
// The pure helpers (ticks, scales, paths, label rows) are exported for unit tests in Node.

import { html, svg, nothing } from "lit";

export interface SeriesPoint {
  /** Simulated seconds. */
  x: number;
  /** One value per series; a non-finite value leaves a gap in that series' line. */
  values: number[];
}

export interface ChartEvent {
  x: number;
  /** Drawn next to the marker: a few words. */
  label: string;
  /** The whole story, in the marker's tooltip, the description and the table. */
  detail?: string;
}

export interface TimeSeriesOptions {
  /** Prefix of the ids inside the chart (title, description): unique within the shadow root. */
  id: string;
  /** The chart's title (read first by screen readers, also the data table's caption). */
  title: string;
  points: SeriesPoint[];
  /** Series names, in the order of each point's `values`. */
  series: string[];
  events?: ChartEvent[];
  /** The `part` of the <svg>. */
  part: string;
  /** The `part` of the <details> holding the data table. */
  tablePart: string;
  /** What the y axis counts, for the description and the table's header (e.g. "entries"). */
  unit?: string;
  /**
   * Whether the table's <details> is open. Given, the rows are rendered only while it is (300
   * points are 300 rows: ~20 ms of rendering nobody sees while it is closed), and `onToggle`
   * hears the reader open and close it. Left out, the rows are always rendered.
   */
  tableOpen?: boolean;
  onToggle?: (open: boolean) => void;
  /** Numbers in the table and the description (default: whole numbers with separators, else 3 significant digits). */
  format?: (n: number) => string;
}

export const W = 640;
export const H = 200;
/** Room for the y labels ("150k") on the left and half the last x label ("30 min") on the right. */
export const PAD = { left: 52, right: 26, top: 24, bottom: 34 };
/** Rows of event labels before further labels are left to their markers' tooltips. */
export const LABEL_ROWS = 3;
/** Width of a character of the 11 px tick font, for placing labels without measuring text. */
const CHAR_W = 6.2;

export interface Ticks {
  /** The axis' domain, widened to whole steps. */
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

/** Decimals that print `step` exactly (0.25 → 2), so ticks like 0.30000000000000004 print as 0.3. */
export function decimalsOf(step: number): number {
  let d = 0;
  while (d < 12 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/** A step of 1, 2 or 5 × 10^k near range/count: the round numbers a reader can interpolate between. */
export function niceStep(range: number, count: number): number {
  if (!(range > 0) || !Number.isFinite(range)) return 1;
  const raw = range / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** About `count` ticks covering [min, max], on whole steps; an empty range widens to one step around it. */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { lo: 0, hi: 1, step: 1, values: [0, 1] };
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (min === 0) max = 1;
    else {
      const d = Math.abs(min) / 2;
      min = min > 0 ? Math.max(0, min - d) : min - d;
      max = max + d;
    }
  }
  const step = niceStep(max - min, count);
  const digits = decimalsOf(step);
  const lo = Number((Math.floor(min / step + 1e-9) * step).toFixed(digits));
  const hi = Number((Math.ceil(max / step - 1e-9) * step).toFixed(digits));
  const values: number[] = [];
  for (let i = 0; ; i++) {
    const v = Number((lo + i * step).toFixed(digits));
    if (v > hi + step / 2) break;
    values.push(v);
  }
  return { lo, hi, step, values };
}

/** Seconds on a time axis: round seconds up to 5 minutes (50 s steps read better than half minutes), whole minutes or hours beyond. */
const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
export function timeTicks(min: number, max: number, count = 6): Ticks {
  const span = max - min;
  if (!(span > 300)) return niceTicks(min, max, count);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? niceStep(span, count);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const values: number[] = [];
  for (let v = lo; v <= hi; v += step) values.push(v);
  return { lo, hi, step, values };
}

/** A time tick's label in the unit its step is a whole number of: "2.5 s", "10 min", "3 h". */
export function formatTime(seconds: number, step: number): string {
  if (step >= 3600 && step % 3600 === 0) return `${seconds / 3600} h`;
  if (step >= 60 && step % 60 === 0) return `${seconds / 60} min`;
  return `${Number(seconds.toFixed(decimalsOf(step)))} s`;
}

const SI = ["", "k", "M", "G", "T", "P"];
/** 1500 → "1.5k", 2_000_000 → "2M", 0.25 → "0.25": at most 3 significant digits, SI prefixes from k. */
export function siFormat(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return "0";
  const sign = n < 0 ? "-" : "";
  let a = Math.abs(n);
  let i = 0;
  // 999,950 rounds to 1000k at 3 digits: move up a prefix first.
  while (i < SI.length - 1 && Number(a.toPrecision(3)) >= 1000) {
    a /= 1000;
    i++;
  }
  return `${sign}${Number(a.toPrecision(3))}${SI[i]}`;
}

/** The linear map of [d0, d1] onto [r0, r1]; an empty domain maps to the middle of the range. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

const c = (n: number) => Number(n.toFixed(1));

/** Runs of consecutive finite points: a gap (NaN, Infinity) ends a run. */
function runs(xy: Array<[number, number]>): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  for (const p of xy) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) cur.push(p);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** An SVG path through the points (pixel coordinates, 0.1 px): "M x,y L x,y …", a new "M" after each gap. */
export function linePath(xy: Array<[number, number]>): string {
  return runs(xy)
    .map((run) => run.map(([x, y], i) => `${i ? "L" : "M"}${c(x)},${c(y)}`).join(""))
    .join("");
}

/** The area between the line and `baseline` (a pixel y), closed per run of finite points. */
export function areaPath(xy: Array<[number, number]>, baseline: number): string {
  return runs(xy)
    .map((run) => `M${c(run[0]![0])},${c(baseline)}${run.map(([x, y]) => `L${c(x)},${c(y)}`).join("")}L${c(run.at(-1)![0])},${c(baseline)}Z`)
    .join("");
}

/**
 * Rows for labels at pixel positions `xs` (sorted or not) of `widths`: each goes to the first
 * row where it does not overlap the previous label, or -1 when all `rows` are taken (its marker
 * keeps the label as a tooltip and the table lists it).
 */
export function labelRows(xs: number[], widths: number[], rows = LABEL_ROWS, gap = 4): number[] {
  const ends = new Array<number>(rows).fill(-Infinity);
  const order = xs.map((x, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const out = new Array<number>(xs.length).fill(-1);
  for (const i of order) {
    const r = ends.findIndex((end) => xs[i]! >= end + gap);
    if (r < 0) continue;
    out[i] = r;
    ends[r] = xs[i]! + widths[i]!;
  }
  return out;
}

/** The y axis' domain: from 0 (or the lowest value, if negative) to the highest finite value. */
export function valueRange(points: SeriesPoint[]): [number, number] {
  let min = 0;
  let max = 0;
  for (const p of points) {
    for (const v of p.values) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return [min, max];
}

const defaultFormat = (n: number) => (Number.isInteger(n) ? n.toLocaleString("en-US") : Number(n.toPrecision(3)).toLocaleString("en-US"));

/** One sentence per series: where it starts, peaks and ends (the chart's <desc>). */
export function describe(points: SeriesPoint[], series: string[], format: (n: number) => string = defaultFormat, unit = ""): string {
  if (!points.length) return "No data.";
  const x0 = points[0]!.x;
  const x1 = points.at(-1)!.x;
  const t = (x: number) => `${Number(x.toPrecision(4))} s`;
  const u = unit ? ` ${unit}` : "";
  const parts = [`${points.length} point${points.length === 1 ? "" : "s"} from ${t(x0)} to ${t(x1)} of simulated time.`];
  series.forEach((name, s) => {
    let peak: SeriesPoint | undefined;
    let first: SeriesPoint | undefined;
    let last: SeriesPoint | undefined;
    for (const p of points) {
      const v = p.values[s]!;
      if (!Number.isFinite(v)) continue;
      first ??= p;
      last = p;
      if (!peak || v > peak.values[s]!) peak = p;
    }
    if (!peak || !first || !last) parts.push(`${name}: no values.`);
    else parts.push(`${name}: ${format(first.values[s]!)}${u} at ${t(first.x)}, highest ${format(peak.values[s]!)} at ${t(peak.x)}, last ${format(last.values[s]!)} at ${t(last.x)}.`);
  });
  return parts.join(" ");
}

/**
 * The chart: an <svg role="img"> with a <title> and <desc>, gridlines and SI-labelled ticks,
 * one line per series (the first filled as an area; the others dashed, so they differ without
 * colour), a legend, the events as labelled markers, and the same numbers as a table in a
 * <details> (the text alternative).
 */
export function renderTimeSeries(o: TimeSeriesOptions) {
  const format = o.format ?? defaultFormat;
  const pts = o.points.filter((p) => Number.isFinite(p.x));
  const events = (o.events ?? []).filter((e) => Number.isFinite(e.x));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bottom = PAD.top + plotH;
  const xs = pts.map((p) => p.x);
  const xt = timeTicks(Math.min(0, ...xs), Math.max(0, ...xs));
  const [vmin, vmax] = valueRange(pts);
  const yt = niceTicks(vmin, vmax, 4);
  const sx = linear(xt.lo, xt.hi, PAD.left, PAD.left + plotW);
  const sy = linear(yt.lo, yt.hi, bottom, PAD.top);
  const base = sy(Math.max(yt.lo, Math.min(0, yt.hi)));
  const lines = o.series.map((_, s) => pts.map((p): [number, number] => [sx(p.x), sy(p.values[s] ?? NaN)]));
  const shown = events.filter((e) => e.x >= xt.lo && e.x <= xt.hi);
  const ex = shown.map((e) => sx(e.x));
  // A label starts right of its marker, or ends left of it when it would leave the chart.
  const widths = shown.map((e) => e.label.length * CHAR_W);
  const flip = ex.map((x, i) => x + 3 + widths[i]! > W - PAD.right);
  const starts = ex.map((x, i) => (flip[i] ? x - 3 - widths[i]! : x + 3));
  const rows = labelRows(starts, widths);
  const titleId = `${o.id}-title`;
  const descId = `${o.id}-desc`;
  const said = (e: ChartEvent) => `${e.label}${e.detail ? `: ${e.detail}` : ""}`;
  const desc = `${describe(pts, o.series, format, o.unit)}${events.length ? ` Events: ${events.map((e) => `${said(e)} at ${Number(e.x.toPrecision(4))} s`).join("; ")}.` : ""}`;
  const legendX = (i: number) => W - PAD.right - (o.series.length - i) * 150;
  return html`<svg part=${o.part} class="timeseries" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${W} ${H}" width=${W} height=${H}>
      <title id=${titleId}>${o.title}</title>
      <desc id=${descId}>${desc}</desc>
      ${yt.values.map((v) => svg`<line class="grid" x1=${PAD.left} x2=${PAD.left + plotW} y1=${c(sy(v))} y2=${c(sy(v))}></line>
        <text class="tick" x=${PAD.left - 6} y=${c(sy(v)) + 4} text-anchor="end">${siFormat(v)}</text>`)}
      ${xt.values.map((v) => svg`<line class="axis" x1=${c(sx(v))} x2=${c(sx(v))} y1=${bottom} y2=${bottom + 4}></line>
        <text class="tick" x=${c(sx(v))} y=${bottom + 15} text-anchor="middle">${formatTime(v, xt.step)}</text>`)}
      <line class="axis" x1=${PAD.left} y1=${bottom} x2=${PAD.left + plotW} y2=${bottom}></line>
      <line class="axis" x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${bottom}></line>
      <text class="tick" x=${PAD.left + plotW} y=${H - 3} text-anchor="end">simulated time →</text>
      ${pts.length > 1 && lines[0] ? svg`<path class="area s0" d=${areaPath(lines[0], base)}></path>` : nothing}
      ${lines.map((xy, s) => (pts.length > 1 ? svg`<path class="series s${s}" d=${linePath(xy)}></path>` : xy.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => svg`<circle class="dot s${s}" cx=${c(x)} cy=${c(y)} r="3"></circle>`)))}
      ${shown.map((e, i) => svg`<g class="event"><title>${said(e)} at ${Number(e.x.toPrecision(4))} s</title>
        <line class="marker" x1=${c(ex[i]!)} x2=${c(ex[i]!)} y1=${PAD.top} y2=${bottom}></line>
        ${rows[i]! >= 0 ? svg`<text class="event-label" x=${c(flip[i] ? ex[i]! - 3 : ex[i]! + 3)} y=${PAD.top + 11 + rows[i]! * 13} text-anchor=${flip[i] ? "end" : "start"}>${e.label}</text>` : nothing}</g>`)}
      ${o.series.length > 1 ? o.series.map((name, s) => svg`<line class="series s${s}" x1=${legendX(s)} x2=${legendX(s) + 22} y1="10" y2="10"></line>
        <text class="legend-label" x=${legendX(s) + 27} y="14">${name}</text>`) : nothing}
      ${pts.length ? nothing : svg`<text class="tick" x=${PAD.left + plotW / 2} y=${PAD.top + plotH / 2} text-anchor="middle">no data</text>`}
    </svg>
    <details part=${o.tablePart} class="series-table" ?open=${o.tableOpen === true} @toggle=${(e: Event) => o.onToggle?.((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>${o.title} (table)</summary>
      ${o.tableOpen === false ? nothing : renderTable(o, pts, events, format)}
    </details>`;
}

function renderTable(o: TimeSeriesOptions, pts: SeriesPoint[], events: ChartEvent[], format: (n: number) => string) {
  return html`<div class="scroll" tabindex="0" role="region" aria-label="${o.title} (table)">
      <table>
        <caption class="sr">${o.title}</caption>
        <thead><tr><th scope="col">Simulated seconds</th>${o.series.map((s) => html`<th scope="col">${s}</th>`)}</tr></thead>
        <tbody>${pts.map((p) => html`<tr><th scope="row" class="num">${Number(p.x.toPrecision(6))}</th>${o.series.map((_, s) => html`<td class="num">${Number.isFinite(p.values[s]) ? format(p.values[s]!) : "–"}</td>`)}</tr>`)}</tbody>
      </table>
      </div>
      ${events.length ? html`<table>
        <caption>Events</caption>
        <thead><tr><th scope="col">Simulated seconds</th><th scope="col">Event</th><th scope="col">Detail</th></tr></thead>
        <tbody>${events.map((e) => html`<tr><td class="num">${Number(e.x.toPrecision(6))}</td><td>${e.label}</td><td>${e.detail ?? ""}</td></tr>`)}</tbody>
      </table>` : nothing}`;
}
