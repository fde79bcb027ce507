/**
 * Local Lipschitz lower bounds on and off the data, per method: the max gradient norm
 * ‖∇ₓ uᵀf‖ at test points, at interpolations between classes, and at uniform noise,
 * with the sound upper bound for scale. Shows whether a method's constraint holds
 * everywhere (spectral normalization) or only where it was applied (gradient penalty).
 */
import type { RunRow } from '../results/rows.js';
import { bracketingLogAxis, chartConfig, compareRunKeys, contextSubtitle, isLogSafe, methodLambdaLabel, seedNote } from './common.js';
import type { TopLevelSpec } from './vl-types.js';

const WHERE = [
  { field: 'lipLowerGrad', label: 'test points' },
  { field: 'lipLocalInterp', label: 'class interpolations' },
  { field: 'lipLocalNoise', label: 'uniform noise' },
  { field: 'lipUpper', label: 'upper bound (sound)' },
] as const;

export function localLipschitzSpec(results: readonly RunRow[]): TopLevelSpec | null {
  const runs = results.filter((r) => isLogSafe(r.lipLocalInterp) || isLogSafe(r.lipLocalNoise)).sort(compareRunKeys);
  if (runs.length === 0) return null;
  const points = runs.flatMap((r) =>
    WHERE.filter((w) => isLogSafe(r[w.field])).map((w, order) => ({
      method: methodLambdaLabel(r),
      where: w.label,
      order,
      value: r[w.field] as number,
      seed: r.seed,
    })),
  );
  const methods = [...new Set(points.map((p) => p.method))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Local Lipschitz lower bounds on and off the data', subtitle: contextSubtitle(runs, [seedNote(runs, 'dots'), 'max ‖∇ₓ uᵀf(x)‖ per probe set']) },
    config: chartConfig(),
    data: { values: points },
    width: 420,
    height: { step: 22 },
    mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
    encoding: {
      y: { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelLimit: 400 } },
      x: { field: 'value', type: 'quantitative', ...bracketingLogAxis(points.map((p) => p.value)), title: 'Lipschitz estimate, ℓ2 → ℓ2 (log)' },
      color: { field: 'where', type: 'nominal', sort: WHERE.map((w) => w.label), title: 'Measured at' },
      shape: { field: 'where', type: 'nominal', sort: WHERE.map((w) => w.label), title: 'Measured at' },
      tooltip: [
        { field: 'method', title: 'method' },
        { field: 'where', title: 'where' },
        { field: 'seed', title: 'seed' },
        { field: 'value', title: 'value', format: '.4g' },
      ],
    },
  };
}
