/**
 * The WGAN charts as pure functions from wgan.csv rows to Vega-Lite specs (data
 * inlined, pre-aggregated over seeds where a mean makes sense), plus the catalogue that
 * the report renders. One colour per variant, the same in every chart.
 */
import { chartConfig, groupBy, logScale, spread } from '../charts/common.js';
import type { ChartDef } from '../charts/specs.js';
import type { TopLevelSpec } from '../charts/vl-types.js';
import type { WganRow } from './rows.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const KIND_ORDER = ['gp', 'gp-one-sided', 'sn', 'clip'];

function variantsOf(rows: readonly WganRow[]): string[] {
  const kindOf = new Map(rows.map((r) => [r.variant, r.kind]));
  return [...kindOf.keys()].sort((a, b) => {
    const ka = KIND_ORDER.indexOf(kindOf.get(a)!);
    const kb = KIND_ORDER.indexOf(kindOf.get(b)!);
    return ka !== kb ? ka - kb : a.localeCompare(b);
  });
}

function variantColor(labels: readonly string[]) {
  return { field: 'variant', type: 'nominal', title: 'Critic', sort: [...labels], scale: { domain: [...labels], scheme: 'tableau10' } } as const;
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function subtitle(rows: readonly WganRow[], extra: string): string {
  const seeds = new Set(rows.map((r) => r.seed)).size;
  const exp = [...new Set(rows.map((r) => r.experiment))].join(', ');
  return [exp, seeds > 1 ? `mean over ${seeds} seeds${extra}` : '1 seed'].filter(Boolean).join(' · ');
}

interface Agg {
  variant: string;
  epoch: number;
  value: number;
  min: number;
  max: number;
  seeds: number;
}

function aggregateByEpoch(rows: readonly WganRow[], field: (r: WganRow) => number | null): Agg[] {
  const out: Agg[] = [];
  for (const g of groupBy(rows, (r) => JSON.stringify([r.variant, r.epoch])).values()) {
    const vals = g.map(field).filter(isNum);
    if (vals.length === 0) continue;
    const s = spread(vals);
    out.push({ variant: g[0]!.variant, epoch: g[0]!.epoch, value: s.mean, min: s.min, max: s.max, seeds: vals.length });
  }
  return out.sort((a, b) => a.variant.localeCompare(b.variant) || a.epoch - b.epoch);
}

/** A mean-over-seeds line per variant against epoch, with the seed range as a band. */
function metricVsEpoch(rows: readonly WganRow[], field: (r: WganRow) => number | null, o: { title: string; yTitle: string; log?: boolean }): TopLevelSpec | null {
  const points = aggregateByEpoch(rows, field).filter((p) => !o.log || (p.min > 0 && p.value > 0));
  if (points.length === 0) return null;
  const labels = variantsOf(rows);
  const x = { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } } as const;
  const y = { field: 'value', type: 'quantitative', title: o.yTitle, ...(o.log ? { scale: logScale() } : {}) } as const;
  const color = variantColor(labels);
  const several = points.some((p) => p.seeds > 1);
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: subtitle(rows, ', band = min–max') },
    config: chartConfig(),
    width: 420,
    height: 260,
    data: { values: points },
    layer: [
      ...(several ? [{ mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, color } } as const] : []),
      { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y, color, tooltip: [{ field: 'variant' }, { field: 'epoch' }, { field: 'value', format: '.4g', title: 'mean' }, { field: 'seeds' }] } },
    ],
  } as TopLevelSpec;
}

export function qualityVsEpochSpec(rows: readonly WganRow[]): TopLevelSpec | null {
  return metricVsEpoch(rows, (r) => r.frechet, { title: 'Sample quality vs epoch', yTitle: 'Fréchet distance (lower = better)', log: true });
}

/** One line per run: seeds of one variant have different clocks, so they are not averaged. */
export function qualityVsSecondsSpec(rows: readonly WganRow[]): TopLevelSpec | null {
  const points = rows
    .filter((r) => isNum(r.frechet) && r.frechet > 0)
    .map((r) => ({ variant: r.variant, seed: r.seed, run: `${r.variant} seed ${r.seed}`, seconds: r.trainSeconds, value: r.frechet, epoch: r.epoch }))
    .sort((a, b) => a.run.localeCompare(b.run) || a.seconds - b.seconds);
  if (points.length === 0) return null;
  const labels = variantsOf(rows);
  return {
    $schema: SCHEMA,
    title: { text: 'Sample quality vs training wall-clock time', subtitle: `${[...new Set(rows.map((r) => r.experiment))].join(', ')} · one line per seed · evaluation time excluded` },
    config: chartConfig(),
    width: 420,
    height: 260,
    data: { values: points },
    mark: { type: 'line', point: true, strokeWidth: 1.6 },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'Training seconds (cumulative)' },
      y: { field: 'value', type: 'quantitative', title: 'Fréchet distance (lower = better)', scale: logScale() },
      color: variantColor(labels),
      detail: { field: 'run', type: 'nominal' },
      order: { field: 'seconds' },
      tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'seconds', format: '.1f' }, { field: 'value', format: '.4g', title: 'FD' }],
    },
  } as TopLevelSpec;
}

const BOUND_MEASURES: readonly { name: string; get: (r: WganRow) => number | null }[] = [
  { name: 'upper bound (operator norms, sound)', get: (r) => r.lipUpper },
  { name: 'upper “bound” (reshaped σ, not sound)', get: (r) => r.lipUpperReshaped },
  { name: 'max ‖∇D‖ at interpolates', get: (r) => r.lipLowerInterp },
  { name: 'max ‖∇D‖ at real', get: (r) => r.lipLowerReal },
  { name: 'max ‖∇D‖ at generated', get: (r) => r.lipLowerFake },
  { name: 'mean ‖∇D‖ at interpolates', get: (r) => r.gradNormMeanInterp },
];

export function lipschitzBoundsSpec(rows: readonly WganRow[]): TopLevelSpec | null {
  const points = BOUND_MEASURES.flatMap((m) => aggregateByEpoch(rows, m.get).filter((p) => p.value > 0).map((p) => ({ ...p, measure: m.name })));
  if (points.length === 0) return null;
  const labels = variantsOf(rows);
  const names = BOUND_MEASURES.map((m) => m.name);
  return {
    $schema: SCHEMA,
    title: { text: 'Critic Lipschitz bounds during training', subtitle: `${subtitle(rows, '')} · lower bounds (‖∇D‖) must stay below the sound upper bound` },
    config: chartConfig(),
    data: { values: points },
    facet: { field: 'variant', type: 'nominal', title: null, sort: labels, header: { labelFontWeight: 'bold' } },
    columns: Math.min(4, labels.length),
    spec: {
      width: 230,
      height: 200,
      mark: { type: 'line', point: true, strokeWidth: 1.6 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: 'Lipschitz constant', scale: logScale() },
        color: { field: 'measure', type: 'nominal', title: 'Measure', sort: names, scale: { domain: names, range: ['#d62728', '#ff9896', '#1f77b4', '#2ca02c', '#9467bd', '#7f7f7f'] } },
        // Same field and title as colour, so Vega-Lite merges the two into one legend.
        strokeDash: { field: 'measure', type: 'nominal', title: 'Measure', sort: names, scale: { domain: names, range: [[1, 0], [6, 3], [1, 0], [1, 0], [1, 0], [2, 2]] } },
        tooltip: [{ field: 'variant' }, { field: 'measure' }, { field: 'epoch' }, { field: 'value', format: '.4g', title: 'mean' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export function wassersteinSpec(rows: readonly WganRow[]): TopLevelSpec | null {
  return metricVsEpoch(rows, (r) => r.wassersteinEval, { title: 'Critic’s Wasserstein estimate', yTitle: 'E D(real) − E D(generated)' });
}

export function confidenceSpec(rows: readonly WganRow[]): TopLevelSpec | null {
  return metricVsEpoch(rows, (r) => r.confidence, { title: 'Classifier confidence on samples', yTitle: 'mean max probability' });
}

export function classEntropySpec(rows: readonly WganRow[]): TopLevelSpec | null {
  return metricVsEpoch(rows, (r) => r.classEntropy, { title: 'Class coverage of samples (entropy of predicted classes; ln 10 = 2.30 is uniform)', yTitle: 'class entropy (nats)' });
}

/** A WGAN chart: an entry of the common chart catalogue shape, drawn from wgan.csv's rows. */
export type WganChartDef = ChartDef<readonly WganRow[]>;

export const WGAN_CHARTS: readonly WganChartDef[] = [
  { name: 'wgan-quality-vs-epoch', title: 'Quality vs epoch', description: 'Fréchet distance of the fixed classifier’s features, real test images vs samples; lower is better.', build: qualityVsEpochSpec },
  { name: 'wgan-quality-vs-seconds', title: 'Quality vs wall-clock time', description: 'The same distance against cumulative training seconds, one line per seed: a faster epoch moves a curve left.', build: qualityVsSecondsSpec },
  { name: 'wgan-lipschitz', title: 'Critic Lipschitz bounds', description: 'Sound product upper bound and gradient-norm lower bounds of the critic per variant.', build: lipschitzBoundsSpec },
  { name: 'wgan-wasserstein', title: 'Wasserstein estimate', description: 'The critic’s estimate on held-out images; only comparable across variants whose critics have the same Lipschitz constant.', build: wassersteinSpec },
  { name: 'wgan-confidence', title: 'Classifier confidence', description: 'How sure the fixed classifier is that a sample is some digit.', build: confidenceSpec },
  { name: 'wgan-class-entropy', title: 'Class coverage', description: 'Entropy of the predicted-class histogram; below ln 10 means some digits are generated less often (mode dropping).', build: classEntropySpec },
];
