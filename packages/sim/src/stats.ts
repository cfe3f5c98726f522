/**
 * Confidence intervals for replicated runs: Student's t interval for means
 * over replicates and Wilson's score interval for proportions of trials.
 *
 * The t quantile is computed, not tabulated: the t CDF through the
 * regularized incomplete beta function (Numerical Recipes' continued
 * fraction, Lanczos log-gamma), inverted by bisection to 1e-12. It matches
 * published tables to every printed digit (t(0.975, 4) = 2.776445).
 */

/** A confidence interval: the estimate, its bounds and how it was computed. */
export interface Interval {
  /** The estimate: the mean over replicates (t), or the pooled proportion (Wilson). */
  mean: number;
  lo: number;
  hi: number;
  /** (hi − lo) / 2. */
  halfWidth: number;
  /** Replicates (t) or pooled trials (Wilson). */
  n: number;
  method: "t" | "wilson";
}

/** The confidence level every interval of the simulator uses. */
const CONFIDENCE = 0.95;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; ~15 digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative
 * error below 1.2e-9): z(0.975) = 1.959964.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must lie in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** The p quantile of Student's t with df degrees of freedom (df = Infinity: the normal). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must lie in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`);
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean ± t(1 − α/2, n − 1) · s / √n over replicate values; n ≥ 2. */
export function tInterval(values: readonly number[], level = CONFIDENCE): Interval {
  const n = values.length;
  if (n < 2) throw new RangeError(`tInterval needs at least 2 values, got ${n}`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  // Values equal up to rounding (a share that is 1 in every replicate, summed in another order) vary by nothing.
  const spread = Math.max(...values) - Math.min(...values);
  const variance =
    spread <= 1e-12 * Math.max(1, Math.abs(mean))
      ? 0
      : values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const halfWidth =
    variance === 0 ? 0 : studentTQuantile(1 - (1 - level) / 2, n - 1) * Math.sqrt(variance / n);
  return { mean, lo: mean - halfWidth, hi: mean + halfWidth, halfWidth, n, method: "t" };
}

/**
 * Wilson's score interval for `successes` of `trials` independent trials.
 * No trials: the whole of [0, 1], with 0 as the estimate (the summary's own convention).
 */
export function wilsonInterval(successes: number, trials: number, level = CONFIDENCE): Interval {
  if (trials <= 0) return { mean: 0, lo: 0, hi: 1, halfWidth: 0.5, n: 0, method: "wilson" };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const denom = 1 + z2n;
  const centre = (p + z2n / 2) / denom;
  const margin = (z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))) / denom;
  // The bounds are exactly 0 with no successes and 1 with no failures; rounding would miss them by an ulp.
  const lo = successes <= 0 ? 0 : Math.max(0, centre - margin);
  const hi = successes >= trials ? 1 : Math.min(1, centre + margin);
  return { mean: p, lo, hi, halfWidth: (hi - lo) / 2, n: trials, method: "wilson" };
}
