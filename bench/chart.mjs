// The benchmark results as one hand-written SVG (bench/results/latest.svg), no dependency: per
// kube-proxy mode against the number of Services, the rules (or lookups) walked per new
// connection and the new connections per second (both on log scales), packets per second
// against worker threads, and NetworkPolicy's cost per CNI. Panels without data are left out.

const COLORS = { iptables: "#d62728", nftables: "#1f77b4", ipvs: "#2ca02c", ebpf: "#9467bd" };
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (x) => (x >= 1e6 ? `${+(x / 1e6).toPrecision(3)}M` : x >= 1e3 ? `${+(x / 1e3).toPrecision(3)}k` : `${+x.toPrecision(3)}`);

/** One panel: series of [x, y] points, log or linear axes, in a box at (left, top) of w × h. */
function panel({ left, top, w, h, title, xLabel, yLabel, xLog, yLog, series, xTicks }) {
  const pad = { l: 58, r: 12, t: 30, b: 44 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => !yLog || y > 0);
  const tx = (v) => (xLog ? Math.log10(v) : v);
  const ty = (v) => (yLog ? Math.log10(v) : v);
  let [x0, x1] = [Math.min(...xs.map(tx)), Math.max(...xs.map(tx))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  // Linear: ticks at a round step (1, 2 or 5 × 10^k), about five of them.
  const raw = Math.max(...ys) / 5;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((x) => x >= raw);
  let [y0, y1] = yLog ? [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))] : [0, Math.ceil((Math.max(...ys) * 1.05) / step) * step];
  if (y0 === y1) y1 = y0 + 1;
  const X = (v) => left + pad.l + ((tx(v) - x0) / (x1 - x0)) * pw;
  const Y = (v) => top + pad.t + ph - ((ty(v) - y0) / (y1 - y0)) * ph;
  const out = [`<g><text x="${left + w / 2}" y="${top + 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  out.push(`<rect x="${left + pad.l}" y="${top + pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  const yTicks = yLog ? Array.from({ length: y1 - y0 + 1 }, (_, i) => 10 ** (y0 + i)) : Array.from({ length: Math.round(y1 / step) + 1 }, (_, i) => i * step);
  for (const v of yTicks) {
    const y = Y(v).toFixed(1);
    out.push(`<line x1="${left + pad.l}" x2="${left + pad.l + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/><text x="${left + pad.l - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  for (const v of xTicks ?? [...new Set(xs)]) {
    const x = X(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${top + pad.t}" y2="${top + pad.t + ph}" stroke="#e4e4e4"/><text x="${x}" y="${top + pad.t + ph + 16}" text-anchor="middle" font-size="11">${fmt(v)}</text>`);
  }
  out.push(`<text x="${left + pad.l + pw / 2}" y="${top + h - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(${left + 14} ${top + pad.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter((p) => !yLog || p[1] > 0);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ")}"><title>${esc(s.name)}</title></polyline>`);
    for (const p of pts) out.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${fmt(p[0])} → ${fmt(p[1])}`)}</title></circle>`);
  }
  out.push("</g>");
  return out.join("\n");
}

/** `data`: the results JSON bench/run.mjs writes. */
export function svgChart(data) {
  const panels = [];
  const modes = [...new Set((data.rulesPerConnection ?? []).map((r) => r.mode))];
  if (modes.length) {
    panels.push({ title: "Rules (or lookups) walked per new connection", xLabel: "Services (log)", yLabel: "rules per new connection (log)", xLog: true, yLog: true, series: modes.map((m) => ({ name: m, color: COLORS[m] ?? "#555", points: data.rulesPerConnection.filter((r) => r.mode === m).map((r) => [r.services, r.wasm]) })) });
    const conn = (m) => (data.results ?? []).filter((r) => r.unit === "connections/s" && r.name.includes(`, ${m}, `)).map((r) => [Number(/(\d+) services/.exec(r.name)?.[1]), r.subject.median]);
    panels.push({ title: "New connections per second (Wasm)", xLabel: "Services (log)", yLabel: "new connections/s (log)", xLog: true, yLog: true, series: modes.map((m) => ({ name: m, color: COLORS[m] ?? "#555", points: conn(m) })) });
  }
  if (data.workerScaling?.length) {
    panels.push({ title: "Engine: packets per second by workers", xLabel: "worker threads", yLabel: "packets/s", xLog: false, yLog: false, xTicks: data.workerScaling.map((w) => w.workers), series: [
      { name: "ideal (1 worker × n)", color: "#bbb", dash: "5 4", points: data.workerScaling.map((w) => [w.workers, w.workers * data.workerScaling[0].packetsPerSecond]) },
      { name: "measured", color: "#ff7f0e", points: data.workerScaling.map((w) => [w.workers, w.packetsPerSecond]) },
    ] });
  }
  // The policy suite: per CNI, new connections/s and load time against the number of policies.
  const policyRows = data.policy?.rows ?? data.policy ?? [];
  const cnis = [...new Set(policyRows.map((r) => r.label))];
  const POLICY_COLORS = ["#7f7f7f", "#d62728", "#9467bd", "#1f77b4"];
  if (cnis.length) {
    const series = (y) => cnis.map((label, i) => ({ name: label, color: POLICY_COLORS[i % POLICY_COLORS.length], points: policyRows.filter((r) => r.label === label).map((r) => [r.policies + 1, y(r)]) }));
    panels.push({ title: "NetworkPolicy: new connections/s × no policy", xLabel: "policies + 1 (log)", yLabel: "× the same CNI without policies", xLog: true, yLog: false, series: series((r) => r.ratio) });
    panels.push({ title: "NetworkPolicy: load time", xLabel: "policies + 1 (log)", yLabel: "load ms (log)", xLog: true, yLog: true, series: series((r) => r.loadMs) });
  }
  const w = 380;
  const h = 300;
  const width = Math.max(2, panels.length) * w;
  const legendY = h + 10;
  const m = data.meta ?? {};
  const sub = [m.machine?.cpu && `${m.machine.cpu} × ${m.machine.cores}`, m.machine?.node && `Node ${m.machine.node}`, m.versions?.["k8s-net-flow"] && `k8s-net-flow ${m.versions["k8s-net-flow"]}`, m.date].filter(Boolean).join(" · ");
  const body = panels.map((p, i) => panel({ ...p, left: i * w, top: 40, w, h }));
  const legend = modes.map((mode, i) => `<g transform="translate(${20 + i * 110} ${40 + legendY})"><rect width="14" height="4" y="-6" fill="${COLORS[mode] ?? "#555"}"/><text x="20" y="0" font-size="12">${esc(mode)}</text></g>`);
  legend.push(...cnis.map((label, i) => `<g transform="translate(${20 + (i % 2) * 380} ${40 + legendY + Math.floor(i / 2) * 16})"><rect width="14" height="4" y="-6" fill="${POLICY_COLORS[i % POLICY_COLORS.length]}"/><text x="20" y="0" font-size="12">${esc(label)}</text></g>`));
  if (data.workerScaling?.length) legend.push(`<g transform="translate(${width - w + 20} ${40 + legendY})"><rect width="14" height="4" y="-6" fill="#ff7f0e"/><text x="20" y="0" font-size="12">measured</text><line x1="110" x2="124" y1="-4" y2="-4" stroke="#bbb" stroke-width="2" stroke-dasharray="5 4"/><text x="130" y="0" font-size="12">ideal: 1 worker × n</text></g>`);
  // The macro scenario (and an empty chart) as a line of text under the panels.
  const notes = [];
  if (!panels.length) notes.push("No chart for these suites: the panels show the dataplane, engine and policy suites.");
  const mc = data.macro;
  if (mc) notes.push(mc.error ? `Macro (5,000 nodes / 150,000 pods / 10,000 Services, ${mc.workers} workers): did not complete — ${mc.error}` : `Macro (5,000 nodes / 150,000 pods / 10,000 Services, nftables, ${mc.workers} workers, ${fmt(mc.flows)} connections × ${mc.packetsPerFlow}): load ${fmt(mc.loadMs)} ms, run ${fmt(mc.runMs)} ms, ${fmt(mc.packetsPerSecond)} packets/s, peak ${fmt(mc.peakRssMB)} MB RSS`);
  const legendRows = Math.ceil(cnis.length / 2) * 16;
  const total = 40 + legendY + 16 + legendRows + notes.length * 18;
  legend.push(...notes.map((n, i) => `<text x="20" y="${40 + legendY + legendRows + 24 + i * 18}" font-size="12">${esc(n)}</text>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${total}" width="${width}" height="${total}" font-family="system-ui, sans-serif" font-size="13">
<title>k8s-net-flow benchmarks</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="16" font-weight="bold">k8s-net-flow benchmarks: kube-proxy modes vs Services, engine workers</text>
<text x="${width / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${esc(sub)}</text>
${body.join("\n")}
${legend.join("\n")}
</svg>
`;
}
