/**
 * Chart 4: how far apart the Lipschitz bounds of each run are. Lower bounds (gradient
 * norm, PGD pairs) and upper bounds (operator-norm and Frobenius products) on one log
 * axis; the grey bar spans them, so its length is the looseness. The reshaped-kernel
 * product is a grey diamond because it is not a sound bound for conv layers; on a run
 * without conv layers it equals the operator-norm product, so it is not drawn there
 * (it would hide under the operator mark) and the subtitle says so.
 */
import type { RunRow } from '../results/rows.js';
import { bracketingLogAxis, chartConfig, compareRunKeys, contextSubtitle, isLogSafe, lambdaLabel, methodOf } from './common.js';
import type { TopLevelSpec } from './vl-types.js';

type BoundField = 'lipLowerGrad' | 'lipLowerPgd' | 'lipLocalInterp' | 'lipLocalNoise' | 'lipUpperReshaped' | 'lipUpper' | 'lipUpperFrobenius';

/** Legend order runs from the smallest expected value to the largest. */
const BOUNDS: readonly { field: BoundField; label: string; color: string; shape: string }[] = [
  { field: 'lipLowerGrad', label: 'lower: gradient norm at test points', color: '#6baed6', shape: 'circle' },
  { field: 'lipLowerPgd', label: 'lower: PGD pairs', color: '#08519c', shape: 'circle' },
  { field: 'lipLocalNoise', label: 'lower: gradient norm at noise', color: '#9ecae1', shape: 'triangle-down' },
  { field: 'lipLocalInterp', label: 'lower: gradient norm at class interpolations', color: '#3182bd', shape: 'triangle-down' },
  { field: 'lipUpperReshaped', label: 'reshaped-kernel product (not sound)', color: '#969696', shape: 'diamond' },
  { field: 'lipUpper', label: 'upper: operator-norm product', color: '#d62728', shape: 'square' },
  { field: 'lipUpperFrobenius', label: 'upper: Frobenius product', color: '#ff7f0e', shape: 'triangle-up' },
];

interface BoundPoint {
  run: string;
  runId: string;
  bound: string;
  value: number;
}

interface BoundRange {
  run: string;
  lo: number;
  hi: number;
}

/** Short per-run label; falls back to the runId when two runs would read the same. */
function runLabels(runs: readonly RunRow[]): Map<string, string> {
  const models = new Set(runs.map((r) => `${r.dataset}/${r.model}`));
  const short = (r: RunRow): string =>
    [models.size > 1 ? `${r.dataset}/${r.model}` : '', methodOf(r), lambdaLabel(r), `seed ${r.seed}`]
      .filter((s) => s !== '')
      .join(' ');
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(short(r), (counts.get(short(r)) ?? 0) + 1);
  return new Map(runs.map((r) => [r.runId, counts.get(short(r))! > 1 ? `${short(r)} (${r.runId})` : short(r)]));
}

export function boundLoosenessSpec(results: readonly RunRow[]): TopLevelSpec | null {
  const runs = results.filter((r) => BOUNDS.some((b) => isLogSafe(r[b.field]))).sort(compareRunKeys);
  if (runs.length === 0) return null;
  const labels = runLabels(runs);
  const points: BoundPoint[] = [];
  const ranges: BoundRange[] = [];
  let hiddenReshaped = 0;
  for (const r of runs) {
    const run = labels.get(r.runId)!;
    const values: number[] = [];
    for (const b of BOUNDS) {
      const v = r[b.field];
      if (!isLogSafe(v)) continue;
      if (b.field === 'lipUpperReshaped' && isLogSafe(r.lipUpper) && Math.abs(v - r.lipUpper) <= 1e-3 * r.lipUpper) {
        hiddenReshaped++;
        continue;
      }
      points.push({ run, runId: r.runId, bound: b.label, value: v });
      values.push(v);
    }
    ranges.push({ run, lo: Math.min(...values), hi: Math.max(...values) });
  }
  const order = runs.map((r) => labels.get(r.runId)!);
  const present = BOUNDS.filter((b) => points.some((p) => p.bound === b.label));
  const y = { field: 'run', type: 'nominal', sort: order, title: null, axis: { labelLimit: 400 } } as const;
  const xTitle = 'Lipschitz constant, ℓ2 → ℓ2 (log)';
  const axis = bracketingLogAxis(points.map((p) => p.value));
  const notes = ['bar = span from lowest lower bound to highest upper bound'];
  if (hiddenReshaped > 0) notes.push(`reshaped-kernel product = operator-norm product on ${hiddenReshaped === runs.length ? 'every run' : `${hiddenReshaped} runs`} (no conv layers), not drawn there`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Lipschitz bound looseness per run',
      subtitle: contextSubtitle(runs, notes),
    },
    config: chartConfig(),
    width: 460,
    height: { step: 20 },
    layer: [
      {
        data: { values: ranges },
        mark: { type: 'rule', color: '#bbb', strokeWidth: 2 },
        encoding: {
          y,
          x: { field: 'lo', type: 'quantitative', ...axis, title: xTitle },
          x2: { field: 'hi' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.95 },
        encoding: {
          y,
          x: { field: 'value', type: 'quantitative', ...axis, title: xTitle },
          color: {
            field: 'bound',
            type: 'nominal',
            title: 'Bound',
            scale: { domain: present.map((b) => b.label), range: present.map((b) => b.color) },
          },
          shape: {
            field: 'bound',
            type: 'nominal',
            title: 'Bound',
            scale: { domain: present.map((b) => b.label), range: present.map((b) => b.shape) },
          },
          tooltip: [
            { field: 'runId', title: 'run' },
            { field: 'bound', title: 'bound' },
            { field: 'value', title: 'value', format: '.4g' },
          ],
        },
      },
    ],
  };
}
