/**
 * Chart 1: does a smaller Lipschitz upper bound go with a smaller generalization gap?
 * One point per (method, λ), seeds folded into mean and min–max bars, λ written
 * next to each point so the regularization strength can be read without a legend.
 */
import type { RunRow } from '../results/rows.js';
import {
  bracketingLogAxis,
  chartConfig,
  compareRegularizers,
  compareRunKeys,
  contextSubtitle,
  groupBy,
  isLogSafe,
  lambdaLabel,
  methodOf,
  seedNote,
  seriesNamer,
  spread,
  whenSeveralSeeds,
} from './common.js';
import type { LayerChild, LayerSpec, TopLevelSpec } from './vl-types.js';

interface GapPoint {
  series: string;
  regularizer: string;
  lambda: number;
  lambdaLabel: string;
  seeds: number;
  lip: number;
  lipMin: number;
  lipMax: number;
  gapAcc: number;
  gapAccMin: number;
  gapAccMax: number;
  gapLoss: number;
  gapLossMin: number;
  gapLossMax: number;
}

function gapPoints(results: readonly RunRow[]): GapPoint[] {
  const usable = results.filter((r) => isLogSafe(r.lipUpper)).sort(compareRunKeys);
  const namer = seriesNamer(usable);
  return [...groupBy(usable, namer.key).values()].map((runs) => {
    const first = runs[0]!;
    const lip = spread(runs.map((r) => r.lipUpper as number));
    // Percentage points: a gap of 0.024 reads as "2.4 pp", as in the tables.
    const acc = spread(runs.map((r) => r.gapAcc * 100));
    const loss = spread(runs.map((r) => r.gapLoss));
    return {
      series: namer.label(first),
      regularizer: methodOf(first),
      lambda: first.lambda,
      lambdaLabel: lambdaLabel(first),
      seeds: runs.length,
      lip: lip.mean,
      lipMin: lip.min,
      lipMax: lip.max,
      gapAcc: acc.mean,
      gapAccMin: acc.min,
      gapAccMax: acc.max,
      gapLoss: loss.mean,
      gapLossMin: loss.min,
      gapLossMax: loss.max,
    };
  });
}

const LIP_AXIS_TITLE = 'Lipschitz upper bound, ℓ2 → ℓ2 (operator-norm product, log)';

function gapPanel(points: readonly GapPoint[], metric: 'gapAcc' | 'gapLoss', yTitle: string, panelTitle: string, regularizers: string[]): LayerSpec {
  const x = { field: 'lip', type: 'quantitative', ...bracketingLogAxis(points.flatMap((p) => [p.lipMin, p.lipMax])), title: LIP_AXIS_TITLE } as const;
  const y = { field: metric, type: 'quantitative', title: yTitle } as const;
  const color = { field: 'regularizer', type: 'nominal', title: 'Method', sort: regularizers } as const;
  const several = { filter: 'datum.seeds > 1' };
  const layers: LayerChild[] = [
    ...whenSeveralSeeds(points, [
      {
        transform: [several],
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x: { ...x, field: 'lipMin' }, x2: { field: 'lipMax' }, y, color },
      },
      {
        transform: [several],
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { ...y, field: `${metric}Min` }, y2: { field: `${metric}Max` }, color },
      },
    ]),
    {
      mark: { type: 'point', filled: true, size: 80, opacity: 1 },
      encoding: {
        x,
        y,
        color,
        shape: { field: 'regularizer', type: 'nominal', title: 'Method', sort: regularizers },
        tooltip: [
          { field: 'series', title: 'series' },
          { field: 'seeds', title: 'seeds' },
          { field: 'lip', title: 'lipUpper (mean)', format: '.4g' },
          { field: metric, title: metric === 'gapAcc' ? 'accuracy gap, pp (mean)' : 'loss gap (mean)', format: metric === 'gapAcc' ? '.2f' : '.4f' },
        ],
      },
    },
    {
      mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10, color: '#333' },
      encoding: { x, y, text: { field: 'lambdaLabel' } },
    },
  ];
  return { title: { text: panelTitle, fontSize: 12, fontWeight: 'normal' }, width: 340, height: 260, layer: layers };
}

export function lipVsGapSpec(results: readonly RunRow[]): TopLevelSpec | null {
  const points = gapPoints(results);
  if (points.length === 0) return null;
  const regularizers = [...new Set(points.map((p) => p.regularizer))].sort(compareRegularizers);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Lipschitz upper bound vs generalization gap',
      subtitle: contextSubtitle(results, [seedNote(results), 'labels = λ']),
    },
    config: chartConfig(),
    data: { values: points },
    hconcat: [
      // Short axis titles: a y title longer than the panel pushes the panel title away.
      gapPanel(points, 'gapAcc', 'Accuracy gap (pp)', 'Accuracy gap, train − test (percentage points)', regularizers),
      gapPanel(points, 'gapLoss', 'Loss gap (nats)', 'Loss gap, test − train (cross-entropy)', regularizers),
    ],
  };
}
