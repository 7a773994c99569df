// New connections per Service endpoint as SVG bars: one bar per endpoint while they fit
// (a few hundred), else the distribution — how many endpoints received how many connections —
// which is what tells a uniform load balancer from a skewed one at 30,000 endpoints.

import { svg, nothing } from "lit";

export interface EndpointCount {
  servicePort: string;
  endpoint: string;
  connections: number;
}

/** Bars drawn one per endpoint up to this many; above it, the distribution in BINS bins. */
export const MAX_BARS = 240;
const BINS = 40;
const W = 640;
const H = 180;
const PAD = { left: 48, right: 8, top: 8, bottom: 22 };

export interface Bar {
  value: number;
  label: string;
}

export function endpointBars(endpoints: EndpointCount[]): { bars: Bar[]; perEndpoint: boolean } {
  if (endpoints.length <= MAX_BARS) {
    return { perEndpoint: true, bars: endpoints.map((e) => ({ value: e.connections, label: `${e.servicePort} → ${e.endpoint}: ${fmt(e.connections)} connections` })) };
  }
  let min = Infinity;
  let max = 0;
  for (const e of endpoints) {
    if (e.connections < min) min = e.connections;
    if (e.connections > max) max = e.connections;
  }
  const width = Math.max(1, Math.ceil((max - min + 1) / BINS));
  const counts = new Array<number>(Math.ceil((max - min + 1) / width)).fill(0);
  for (const e of endpoints) counts[Math.floor((e.connections - min) / width)]!++;
  return {
    perEndpoint: false,
    bars: counts.map((n, i) => {
      const lo = min + i * width;
      const hi = lo + width - 1;
      return { value: n, label: `${fmt(n)} endpoint${n === 1 ? "" : "s"} received ${lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`} connections` };
    }),
  };
}

/** min, mean, max and the coefficient of variation of the endpoints' connections. */
export function spread(endpoints: EndpointCount[]): { min: number; mean: number; max: number; cv: number } {
  if (!endpoints.length) return { min: 0, mean: 0, max: 0, cv: 0 };
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (const e of endpoints) {
    min = Math.min(min, e.connections);
    max = Math.max(max, e.connections);
    sum += e.connections;
  }
  const mean = sum / endpoints.length;
  let sq = 0;
  for (const e of endpoints) sq += (e.connections - mean) ** 2;
  return { min, mean, max, cv: mean ? Math.sqrt(sq / endpoints.length) / mean : 0 };
}

export interface HistogramData {
  bars: Bar[];
  perEndpoint: boolean;
  spread: ReturnType<typeof spread>;
}

/** What the chart draws, computed apart from drawing (30,000 endpoints: a task of its own). */
export function histogramData(endpoints: EndpointCount[]): HistogramData {
  return { ...endpointBars(endpoints), spread: spread(endpoints) };
}

export function renderHistogram(endpoints: EndpointCount[], titleId: string, descId: string, data: HistogramData = histogramData(endpoints)) {
  const { bars, perEndpoint, spread: s } = data;
  const top = Math.max(1, ...bars.map((b) => b.value));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, bars.length);
  const title = perEndpoint ? `New connections per endpoint (${fmt(endpoints.length)} endpoints)` : `Endpoints by new connections received (${fmt(endpoints.length)} endpoints)`;
  const desc = endpoints.length ? `Fewest ${fmt(s.min)}, mean ${fmt(Math.round(s.mean * 10) / 10)}, most ${fmt(s.max)} connections per endpoint; coefficient of variation ${s.cv.toFixed(3)}.` : "No endpoint received a connection.";
  return svg`<svg part="histogram" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${W} ${H}" width=${W} height=${H}>
    <title id=${titleId}>${title}</title>
    <desc id=${descId}>${desc}</desc>
    <line class="axis" x1=${PAD.left} y1=${PAD.top + plotH} x2=${W - PAD.right} y2=${PAD.top + plotH}></line>
    <line class="axis" x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${PAD.top + plotH}></line>
    <text class="tick" x=${PAD.left - 4} y=${PAD.top + 10} text-anchor="end">${fmt(top)}</text>
    <text class="tick" x=${PAD.left - 4} y=${PAD.top + plotH} text-anchor="end">0</text>
    <text class="tick" x=${PAD.left} y=${H - 6}>${perEndpoint ? "endpoints, in the rules' order" : "connections per endpoint →"}</text>
    ${bars.map((b, i) => {
      const h = (b.value / top) * plotH;
      return svg`<rect class="bar" x=${PAD.left + i * step + (step > 3 ? 0.5 : 0)} y=${PAD.top + plotH - h} width=${Math.max(0.5, step - (step > 3 ? 1 : 0))} height=${h}><title>${b.label}</title></rect>`;
    })}
    ${bars.length ? nothing : svg`<text class="tick" x=${W / 2} y=${H / 2} text-anchor="middle">no connections reached an endpoint</text>`}
  </svg>`;
}

export const fmt = (n: number) => n.toLocaleString("en-US");
