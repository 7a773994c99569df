// Statistics of a simulation run: the chi-square uniformity test of an endpoint distribution
// (with its own regularized incomplete gamma function) and histograms with fixed bucket edges.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): the series for
 * P below x < a + 1, Lentz's continued fraction for Q above (Numerical Recipes §6.2), each to
 * machine precision; iterations grow with √a, so large degrees of freedom converge too.
 */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lead = a * Math.log(x) - x - logGamma(a);
  const limit = 1000 + 20 * Math.ceil(Math.sqrt(a));
  if (x < a + 1) {
    // P(a, x) = e^-x x^a / Γ(a + 1) · Σ x^n / ((a + 1)…(a + n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < limit; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < limit; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** P(χ² ≥ x) with `df` degrees of freedom: the p-value of a chi-square statistic. */
export function chiSquareSurvival(x: number, df: number): number {
  if (df <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** Pearson's chi-square test of observed counts against equal expected counts. */
export function chiSquareUniform(observed: readonly number[]): { chiSquare: number; df: number; pValue: number } {
  const k = observed.length;
  const total = observed.reduce((s, o) => s + o, 0);
  if (k < 2 || total === 0) return { chiSquare: 0, df: Math.max(0, k - 1), pValue: 1 };
  const expected = total / k;
  const chiSquare = observed.reduce((s, o) => s + (o - expected) ** 2, 0) / expected;
  return { chiSquare, df: k - 1, pValue: chiSquareSurvival(chiSquare, k - 1) };
}

/** Bucket i holds values in [edges[i], edges[i + 1]); the last, edges.at(-1) and above. */
export const WALK_BUCKET_EDGES = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] as const;

export interface Distribution {
  /** Lower edges of the buckets: bucket i counts values from edges[i] up to edges[i + 1] (exclusive), the last one upwards. */
  edges: number[];
  counts: number[];
  /** Values counted (the histogram's total). */
  count: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * A distribution from exact [value, count] pairs (sorted by value): fixed buckets and exact
 * order statistics (the smallest value with at least q of the counts at or below it).
 */
export function distribution(pairs: ReadonlyArray<readonly [number, number]>, edges: readonly number[] = WALK_BUCKET_EDGES): Distribution {
  const counts = new Array<number>(edges.length).fill(0);
  let count = 0;
  let sum = 0;
  for (const [v, c] of pairs) {
    let b = edges.length - 1;
    while (b > 0 && v < edges[b]!) b--;
    counts[b] = counts[b]! + c;
    count += c;
    sum += v * c;
  }
  const quantile = (q: number) => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (const [v, c] of pairs) if ((seen += c) >= rank) return v;
    return 0;
  };
  return { edges: [...edges], counts, count, min: count ? pairs[0]![0] : 0, median: quantile(0.5), p99: quantile(0.99), max: count ? pairs.at(-1)![0] : 0, mean: count ? sum / count : 0 };
}
