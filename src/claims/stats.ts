/**
 * The statistics behind the Claims table: t-based 95% intervals for means and paired
 * differences over seeds, Spearman rank correlation, and percentile-bootstrap
 * intervals for it. Small, dependency-free, and tested against known values.
 */
import { mulberry32 } from '../util/rng.js';

/** Two-sided 97.5% quantiles of Student's t for df = 1…30 (df > 30 uses 1.96 + small correction). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08,
  2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T975[df - 1]!;
  return 1.96 + 2.4 / df; // within 1e-3 of the exact quantile for df > 30
}

export interface Interval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Mean with a t-based 95% interval; a single value gets an infinitely wide interval. */
export function meanInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, n };
  const m = mean(xs);
  if (n === 1) return { mean: m, lo: -Infinity, hi: Infinity, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  const h = tQuantile975(n - 1) * (sd / Math.sqrt(n));
  return { mean: m, lo: m - h, hi: m + h, n };
}

/** 95% interval of the mean paired difference a_i − b_i (pairs share a seed). */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} vs ${b.length} values`);
  return meanInterval(a.map((x, i) => x - b[i]!));
}

/** Average ranks (ties share their mean rank), 1-based. */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = avg;
    i = j + 1;
  }
  return r;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`spearman: ${x.length} vs ${y.length} values`);
  return pearson(ranks(x), ranks(y));
}

/** Spearman's ρ with a percentile-bootstrap 95% interval (resampling pairs, seeded). */
export function spearmanInterval(x: readonly number[], y: readonly number[], resamples = 2000, seed = 1): Interval {
  const n = x.length;
  const rho = spearman(x, y);
  if (n < 3) return { mean: rho, lo: -1, hi: 1, n };
  const rand = mulberry32(seed);
  const stats: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * n);
      xs.push(x[k]!);
      ys.push(y[k]!);
    }
    const r = spearman(xs, ys);
    if (Number.isFinite(r)) stats.push(r);
  }
  stats.sort((a, b) => a - b);
  const q = (p: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.floor(p * (stats.length - 1))))]!;
  return { mean: rho, lo: q(0.025), hi: q(0.975), n };
}

/**
 * Wilson score 95% interval for a binomial proportion of k successes in n trials
 * (robust, certified or clean accuracy on n test points). Unlike the normal
 * approximation it stays inside [0, 1] and is not zero-width at 0% or 100%.
 */
export function wilsonInterval(k: number, n: number, z = 1.959964): Interval {
  if (!(n > 0)) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, n: 0 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 and k = n the bound is exactly 0 or 1; rounding would leave 1e-16 off.
  return { mean: p, lo: k <= 0 ? 0 : Math.max(0, centre - half), hi: k >= n ? 1 : Math.min(1, centre + half), n };
}

/** The Wilson interval of an accuracy measured as a fraction of n points (k = round(acc·n)). */
export function accuracyInterval(acc: number, n: number): Interval {
  return wilsonInterval(Math.round(acc * n), n);
}
