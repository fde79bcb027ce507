/**
 * Chart 3: robust accuracy as the attack budget grows, one line per (regularizer, λ)
 * and one panel per attack. For L2 attacks the certified accuracy at the same ε is
 * drawn dashed in the same panel: it must sit below the empirical line, so a dashed
 * line above a solid one is visible evidence of an unsound bound or a weak attack.
 */
import { accuracyInterval } from '../claims/stats.js';
import type { AttackRow } from '../results/rows.js';
import {
  chartConfig,
  compareAttacks,
  compareRunKeys,
  contextSubtitle,
  groupBy,
  isFiniteNumber,
  seedNote,
  seriesColor,
  seriesNamer,
  spread,
  whenSeveralSeeds,
  panelFacet,
} from './common.js';
import type { PositionFieldDef, TopLevelSpec } from './vl-types.js';

const EMPIRICAL = 'robust (attack)';
const CERTIFIED = 'certified (ℓ2 bound)';

interface AccPoint {
  panel: string;
  panelOrder: number;
  series: string;
  measure: string;
  eps: number;
  seeds: number;
  acc: number;
  accMin: number;
  accMax: number;
  /** 95% Wilson interval of the mean accuracy over the n attacked points. */
  lo: number;
  hi: number;
  n: number;
}

export function robustAccVsEpsSpec(attacks: readonly AttackRow[]): TopLevelSpec | null {
  const usable = attacks.filter((a) => Number.isFinite(a.eps) && a.eps >= 0 && Number.isFinite(a.robustAcc));
  if (usable.length === 0) return null;
  const namer = seriesNamer(usable);
  const sorted = [...usable].sort((a, b) => compareAttacks(a.attack, b.attack) || compareRunKeys(a, b) || a.eps - b.eps);
  const attackNames = [...new Set(sorted.map((a) => a.attack))];
  const seriesLabels = [...new Map([...usable].sort(compareRunKeys).map((a) => [namer.key(a), namer.label(a)])).values()];

  const points: AccPoint[] = [];
  const groups = groupBy(sorted, (a) => JSON.stringify([a.attack, namer.key(a), a.eps]));
  for (const rows of groups.values()) {
    const a = rows[0]!;
    const base = {
      panel: `${a.attack} (${a.norm === 'linf' ? 'ℓ∞' : 'ℓ2'})`,
      panelOrder: attackNames.indexOf(a.attack),
      series: namer.label(a),
      eps: a.eps,
      seeds: rows.length,
    };
    const n = Math.min(...rows.map((r) => r.n));
    const band = (mean: number): { lo: number; hi: number; n: number } => {
      const w = accuracyInterval(mean, n);
      return { lo: w.lo, hi: w.hi, n };
    };
    const robust = spread(rows.map((r) => r.robustAcc));
    points.push({ ...base, measure: EMPIRICAL, acc: robust.mean, accMin: robust.min, accMax: robust.max, ...band(robust.mean) });
    const certifiedValues = rows.map((r) => r.certifiedAcc).filter(isFiniteNumber);
    // Only when every seed has a certificate: a mean over a subset would mislead.
    if (a.norm === 'l2' && certifiedValues.length === rows.length) {
      const c = spread(certifiedValues);
      points.push({ ...base, measure: CERTIFIED, acc: c.mean, accMin: c.min, accMax: c.max, ...band(c.mean) });
    }
  }
  const hasCertified = points.some((p) => p.measure === CERTIFIED);

  const x = { field: 'eps', type: 'quantitative', title: 'ε (perturbation budget)' } as const;
  const y: PositionFieldDef = {
    field: 'acc',
    type: 'quantitative',
    scale: { domain: [0, 1] },
    axis: { format: '.0%' },
    title: 'Accuracy under attack',
  };
  const color = seriesColor(seriesLabels);
  const strokeDash = {
    field: 'measure',
    type: 'nominal',
    title: 'Accuracy',
    legend: { symbolType: 'stroke', symbolSize: 400, symbolStrokeWidth: 2 },
    scale: { domain: hasCertified ? [EMPIRICAL, CERTIFIED] : [EMPIRICAL], range: hasCertified ? [[1, 0], [6, 4]] : [[1, 0]] },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Robust accuracy vs ε',
      subtitle: contextSubtitle(usable, [seedNote(usable), `band = 95% Wilson interval over n = ${[...new Set(usable.map((a) => a.n))].join(', ')} attacked points`, hasCertified ? 'dashed = certified accuracy (ℓ2 → ℓ2 bound)' : '']),
    },
    config: chartConfig(),
    data: { values: points },
    facet: panelFacet('panel', 'panelOrder'),
    columns: Math.min(3, attackNames.length),
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'area', opacity: 0.12 },
          encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color, detail: { field: 'measure' } },
        },
        ...whenSeveralSeeds(points, [
          {
            transform: [{ filter: 'datum.seeds > 1' }],
            mark: { type: 'rule', opacity: 0.5 },
            encoding: { x, y: { ...y, field: 'accMin' }, y2: { field: 'accMax' }, color },
          },
        ]),
        {
          mark: { type: 'line', strokeWidth: 1.8 },
          encoding: { x, y, color, strokeDash, order: { field: 'eps' } },
        },
        {
          mark: { type: 'point', filled: true, size: 28 },
          encoding: {
            x,
            y,
            color,
            tooltip: [
              { field: 'panel', title: 'attack' },
              { field: 'series', title: 'series' },
              { field: 'measure', title: 'measure' },
              { field: 'eps', title: 'ε', format: '.4g' },
              { field: 'acc', title: 'accuracy (mean)', format: '.1%' },
              { field: 'lo', title: '95% Wilson low', format: '.1%' },
              { field: 'hi', title: '95% Wilson high', format: '.1%' },
              { field: 'n', title: 'attacked points' },
              { field: 'seeds', title: 'seeds' },
            ],
          },
        },
      ],
    },
  };
}
