export interface BenchResult {
  name: string;
  unit: string;
  subject: { label: string; median: number };
  baseline: { label: string; median: number };
  /** baseline median / subject median, from the same run. */
  speedup: number;
  repeats: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function markdown(results: BenchResult[]): string {
  const fmt = (x: number) => (x >= 1000 ? Math.round(x).toLocaleString("en") : x.toFixed(1));
  const rows = results.map((r) => `| ${r.name} | ${fmt(r.subject.median)} | ${fmt(r.baseline.median)} | ${r.speedup.toFixed(1)}× |`);
  const first = results[0];
  const head = first ? `| benchmark | ${first.subject.label} (${first.unit}, median) | ${first.baseline.label} (${first.unit}, median) | ratio |` : "";
  return [head, "| --- | ---: | ---: | ---: |", ...rows].join("\n");
}
