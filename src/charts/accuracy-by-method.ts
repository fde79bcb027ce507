/**
 * Clean test accuracy and generalization gap per method (one dot per seed, a tick at
 * the mean): the evidence for claims about methods that "train worse". Accuracy is in
 * percent with each dot's 95% Wilson interval over the test points; the gap is in
 * percentage points. Two panels with their own axes, so each gets its own tick format.
 */
import { accuracyInterval } from '../claims/stats.js';
import type { RunRow } from '../results/rows.js';
import { chartConfig, compareRunKeys, contextSubtitle, methodLambdaLabel, seedNote } from './common.js';
import type { LayerSpec, TopLevelSpec } from './vl-types.js';

/**
 * Decimals that keep neighbouring tick labels distinct: vega puts about 5–10 ticks on
 * an axis, so labels need the precision of a tenth of the data range (a 97.6–97.9%
 * range formatted as `.1%` printed `97.7%` twice).
 */
export function tickDecimals(values: readonly number[]): number {
  const range = Math.max(...values) - Math.min(...values);
  if (!(range > 0)) return 1;
  return Math.min(3, Math.max(0, Math.ceil(-Math.log10(range / 10))));
}

interface Dot {
  method: string;
  seed: number;
  value: number;
  lo?: number;
  hi?: number;
}

function panel(dots: readonly Dot[], methods: readonly string[], title: string, axisTitle: string, unit: string, bars: boolean): LayerSpec {
  const decimals = tickDecimals(dots.flatMap((d) => [d.value, d.lo ?? d.value, d.hi ?? d.value]));
  const y = { field: 'method', type: 'nominal', sort: [...methods], title: null, axis: { labelLimit: 400 } } as const;
  const x = { field: 'value', type: 'quantitative', title: axisTitle, axis: { format: `.${decimals}f`, tickCount: 6 }, scale: { zero: false } } as const;
  return {
    title: { text: title, fontSize: 12 },
    width: 300,
    height: { step: 22 },
    data: { values: [...dots] },
    layer: [
      ...(bars
        ? [{ mark: { type: 'rule', color: '#4c78a8', opacity: 0.45 }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } } } as const]
        : []),
      {
        mark: { type: 'point', filled: true, size: 50, opacity: 0.6, color: '#4c78a8' },
        encoding: { y, x, tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'value', title: unit, format: '.2f' }, ...(bars ? [{ field: 'lo', format: '.2f' }, { field: 'hi', format: '.2f' }] : [])] },
      },
      { mark: { type: 'tick', color: '#d62728', thickness: 2, size: 16 }, encoding: { y, x: { field: 'value', type: 'quantitative', aggregate: 'mean' } } },
    ],
  };
}

export function accuracyByMethodSpec(results: readonly RunRow[]): TopLevelSpec | null {
  if (results.length === 0) return null;
  const runs = [...results].sort(compareRunKeys);
  const acc: Dot[] = runs.map((r) => {
    const w = accuracyInterval(r.testAcc, r.testSize);
    return { method: methodLambdaLabel(r), seed: r.seed, value: r.testAcc * 100, lo: w.lo * 100, hi: w.hi * 100 };
  });
  const gap: Dot[] = runs.map((r) => ({ method: methodLambdaLabel(r), seed: r.seed, value: r.gapAcc * 100 }));
  const methods = [...new Set(acc.map((p) => p.method))];
  const n = [...new Set(runs.map((r) => r.testSize))].join(', ');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Clean accuracy and generalization gap by method',
      subtitle: contextSubtitle(runs, [seedNote(runs, 'dots'), 'tick = mean', `bars = 95% Wilson interval over n = ${n} test points`]),
    },
    config: chartConfig(),
    hconcat: [
      panel(acc, methods, 'Test accuracy', 'test accuracy (%)', '%', true),
      panel(gap, methods, 'Accuracy gap (train − test)', 'gap (percentage points)', 'pp', false),
    ],
  };
}
