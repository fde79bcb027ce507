/**
 * Helpers shared by the chart specs: seed aggregation, stable ordering and labels.
 * Everything here is pure; specs embed the pre-aggregated rows as inline data so the
 * .vl.json files are self-contained and the numbers in a chart can be checked by eye.
 */
import type { Config } from 'vega-lite';
import type { RunKey } from '../results/rows.js';
import type { LayerChild } from './vl-types.js';
import { attackNames, attackNorm } from '../attacks/index.js';

/**
 * Shared look: white background (PNG has no page behind it) and legible font sizes.
 * A function, not a constant, so specs never share (and let callers mutate) one object.
 */
export function chartConfig(): Config {
  return {
    background: 'white',
    font: 'sans-serif',
    title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start', offset: 10 },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eee' },
    // symbolOpacity: legends otherwise inherit the faint opacity of error bands/bars.
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 400, symbolOpacity: 1 },
    header: { labelFontSize: 12, titleFontSize: 12 },
    view: { stroke: '#ccc' },
  };
}

/** Regularizer order used everywhere: the unregularized baseline first, then by name. */
export function compareRegularizers(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'none') return -1;
  if (b === 'none') return 1;
  return a < b ? -1 : 1;
}

/** λ as a short human string: 3 significant digits, no trailing float noise. */
export function formatLambda(lambda: number): string {
  return String(Number(lambda.toPrecision(3)));
}

/**
 * `λ=0.01`; empty when λ is 0, which the results use for methods that have no λ
 * (none, spectral-norm, clip, …): "λ=0" next to them would read as a setting.
 */
export function lambdaLabel(key: Pick<RunKey, 'regularizer' | 'lambda'>): string {
  return key.lambda === 0 ? '' : `λ=${formatLambda(key.lambda)}`;
}

/**
 * Labels a (method, λ) series. The method label carries every non-default option, so
 * two variants of one regularizer (spectral-norm with reshaped or operator σ, two clip
 * values) are two series. When one table mixes models or datasets the label carries
 * them too, otherwise runs of different models would silently be averaged.
 */
export interface SeriesNamer {
  key(row: RunKey): string;
  label(row: RunKey): string;
}

export function seriesNamer(rows: readonly RunKey[]): SeriesNamer {
  const models = new Set(rows.map((r) => r.model));
  const datasets = new Set(rows.map((r) => r.dataset));
  const prefix = (r: RunKey): string =>
    [datasets.size > 1 ? r.dataset : '', models.size > 1 ? r.model : ''].filter((s) => s !== '').join('/');
  return {
    key: (r) => JSON.stringify([r.dataset, r.model, methodOf(r), r.lambda]),
    label: (r) => {
      const p = prefix(r);
      const l = lambdaLabel(r);
      return [p, methodOf(r), l].filter((s) => s !== '').join(' ');
    },
  };
}

/**
 * The row's method label; rows built before the column existed (or by hand, as the
 * notebooks do, without it) fall back to the family.
 */
export function methodOf(r: Pick<RunKey, 'regularizer' | 'method'>): string {
  return r.method ? r.method : r.regularizer;
}

/** `spectral-norm(sigma=operator) λ=0.01`: a run's method and main λ, as charts label it. */
export function methodLambdaLabel(r: Pick<RunKey, 'regularizer' | 'method' | 'lambda'>): string {
  return `${methodOf(r)} ${lambdaLabel(r)}`.trim();
}

/** Sort comparator for rows by (dataset, model, method, λ, seed). */
export function compareRunKeys(a: RunKey, b: RunKey): number {
  return (
    a.dataset.localeCompare(b.dataset) ||
    a.model.localeCompare(b.model) ||
    compareRegularizers(methodOf(a), methodOf(b)) ||
    a.lambda - b.lambda ||
    a.seed - b.seed
  );
}

/** Groups in first-seen order (Map keeps insertion order). */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const g = groups.get(k);
    if (g) g.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

export interface Spread {
  mean: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread() of no values');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / values.length, min, max };
}

/** Log scales cannot show 0, negatives or NaN; such bounds are "not measured" for a chart. */
export function isLogSafe(v: number | null): v is number {
  return v !== null && Number.isFinite(v) && v > 0;
}

export function isFiniteNumber(v: number | null): v is number {
  return v !== null && Number.isFinite(v);
}

/** Colour scheme with enough distinct hues for the number of series. */
export function categoricalScheme(count: number): 'tableau10' | 'tableau20' {
  return count <= 10 ? 'tableau10' : 'tableau20';
}

/** One subtitle line naming what the chart covers, e.g. `mnist-quick · mnist · mlp · …`. */
export function contextSubtitle(rows: readonly RunKey[], notes: readonly string[]): string {
  const uniq = (f: (r: RunKey) => string): string => [...new Set(rows.map(f))].sort().join(', ');
  const parts = [uniq((r) => r.experiment), uniq((r) => r.dataset), uniq((r) => r.model)];
  return [...parts, ...notes].filter((s) => s !== '').join(' · ');
}

/** How seeds were folded into a point, for the subtitle. */
export function seedNote(rows: readonly RunKey[], rangeMark = 'bars'): string {
  const seeds = new Set(rows.map((r) => r.seed)).size;
  return seeds > 1 ? `mean over ${seeds} seeds, ${rangeMark} = min–max` : '1 seed';
}

/** The registry's order (one-step, PGD, APGD, Square, ensemble), L∞ attacks before L2 ones. */
const ATTACK_ORDER = [...attackNames().filter((a) => attackNorm(a) === 'linf'), ...attackNames().filter((a) => attackNorm(a) === 'l2')] as string[];

/** Attacks in the order a reader expects (L∞ before L2; one-step before iterative before ensembles). */
export function compareAttacks(a: string, b: string): number {
  const ia = ATTACK_ORDER.indexOf(a);
  const ib = ATTACK_ORDER.indexOf(b);
  if (ia !== ib) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a.localeCompare(b);
}

/** ε as a short string; budgets like 8/255 would otherwise print 17 digits. */
export function formatEps(eps: number): string {
  return String(Number(eps.toPrecision(3)));
}

/**
 * Log axis fitted to the data: Vega's default "nice" rounding stretches a 0.15–17 range
 * to 0.1–100 and squeezes the points; padding keeps edge markers from being clipped.
 */
export function logScale(): { type: 'log'; nice: false; padding: number } {
  return { type: 'log', nice: false, padding: 14 };
}

/** Tick values for a log axis: a 1–2–5 (or, over a narrow range, finer) sequence. */
function logSequence(lo: number, hi: number, mantissas: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)) + 1; k++) {
    for (const m of mantissas) out.push(Number((m * 10 ** k).toPrecision(6)));
  }
  return out;
}

/**
 * A log scale whose domain and ticks bracket the data: the domain runs from the tick at
 * or below the smallest value to the tick at or above the largest, so the extreme points
 * always sit between two labelled ticks (vega's own ticks can leave the smallest bound
 * unlabelled at the edge). Falls back to the fitted scale when there is nothing to show.
 */
export function bracketingLogAxis(values: readonly number[]): {
  scale: { type: 'log'; nice: false; padding: number; domain?: [number, number] };
  axis?: { values: number[]; format: string };
} {
  const vs = values.filter((v) => Number.isFinite(v) && v > 0);
  if (vs.length === 0) return { scale: logScale() };
  const min = Math.min(...vs);
  const max = Math.max(...vs);
  for (const mantissas of [[1, 2, 5], [1, 1.5, 2, 3, 5, 7]]) {
    const seq = logSequence(min, max, mantissas);
    let lo = Math.max(...seq.filter((t) => t <= min));
    let hi = Math.min(...seq.filter((t) => t >= max));
    if (lo === hi) {
      // Every value sits on one tick: show one tick either side of it.
      lo = Math.max(...seq.filter((t) => t < lo));
      hi = Math.min(...seq.filter((t) => t > hi));
    }
    const ticks = seq.filter((t) => t >= lo && t <= hi);
    if (ticks.length >= 4 || mantissas.length > 3) {
      return { scale: { type: 'log', nice: false, padding: 6, domain: [lo, hi] }, axis: { values: ticks, format: '~g' } };
    }
  }
  return { scale: logScale() };
}

/**
 * Colour channel for (regularizer, λ) series. Charts that colour by series pass the
 * same sorted label list, so a series keeps its colour from chart to chart.
 */
export function seriesColor(labels: readonly string[]): {
  field: 'series';
  type: 'nominal';
  title: string;
  sort: string[];
  scale: { domain: string[]; scheme: 'tableau10' | 'tableau20' };
} {
  return {
    field: 'series',
    type: 'nominal',
    title: 'Method',
    sort: [...labels],
    scale: { domain: [...labels], scheme: categoricalScheme(labels.length) },
  };
}

/**
 * Range layers (error bars, bands) only when some point folds several seeds: a layer
 * whose data is all filtered out makes vega warn "Infinite extent" while rendering.
 */
export function whenSeveralSeeds(points: ReadonlyArray<{ seeds: number }>, layers: LayerChild[]): LayerChild[] {
  return points.some((p) => p.seeds > 1) ? layers : [];
}

/** The wrapped facet every multi-panel chart uses: bold panel headers, ordered by `orderField`. */
export function panelFacet(field: string, orderField: string) {
  return {
    field,
    type: 'nominal',
    title: null,
    sort: { field: orderField, op: 'min' },
    header: { labelFontWeight: 'bold' },
  } as const;
}
