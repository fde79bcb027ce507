/**
 * Clean test accuracy and generalization gap per method (one dot per seed, a tick at
 * the mean): the evidence for claims about methods that "train worse".
 */
import type { RunRow } from '../results/rows.js';
import { chartConfig, compareRunKeys, contextSubtitle, methodLambdaLabel, seedNote } from './common.js';
import type { TopLevelSpec } from './vlTypes.js';

export function accuracyByMethodSpec(results: readonly RunRow[]): TopLevelSpec | null {
  if (results.length === 0) return null;
  const runs = [...results].sort(compareRunKeys);
  const points = runs.flatMap((r) => {
    const method = methodLambdaLabel(r);
    return [
      { method, measure: 'test accuracy', value: r.testAcc, seed: r.seed },
      { method, measure: 'accuracy gap (train − test)', value: r.gapAcc, seed: r.seed },
    ];
  });
  const methods = [...new Set(points.map((p) => p.method))];
  const enc = {
    y: { field: 'method', type: 'nominal', sort: methods, title: null },
    x: { field: 'value', type: 'quantitative', title: 'fraction of test points', axis: { format: '.1%' }, scale: { zero: false } },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Clean accuracy and generalization gap by method', subtitle: contextSubtitle(runs, [seedNote(runs, 'dots'), 'tick = mean']) },
    config: chartConfig(),
    data: { values: points },
    facet: { column: { field: 'measure', type: 'nominal', title: null, header: { labelFontWeight: 'bold' } } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 300,
      height: { step: 22 },
      layer: [
        { mark: { type: 'point', filled: true, size: 50, opacity: 0.6, color: '#4c78a8' }, encoding: { ...enc, tooltip: [{ field: 'seed' }, { field: 'value', format: '.4f' }] } },
        { mark: { type: 'tick', color: '#d62728', thickness: 2, size: 16 }, encoding: { y: enc.y, x: { field: 'value', type: 'quantitative', aggregate: 'mean' } } },
      ],
    },
  };
}
