/**
 * Chart 2: does a smaller Lipschitz upper bound make attacks succeed less often?
 * One row of panels per norm (ℓ∞, then ℓ2), one panel per ε > 0 (nothing can succeed
 * at ε = 0). Each point is a (method, λ) folded over seeds, at the worst case over every
 * attack of that norm at that ε (worstCaseRobustAcc), so an ensemble or a new attack
 * counts as soon as its rows exist. The bound is ℓ2 → ℓ2: against ℓ∞ attacks it is only
 * indirect (an ℓ∞ ball of radius ε holds ℓ2 perturbations up to ε·√d), and the ℓ∞ row
 * says so. No λ text labels: in panels this small they collide; the legend names λ.
 */
import type { AttackRow, RunRow } from '../results/rows.js';
import { worstCaseRobustAcc } from '../results/worst-case.js';
import {
  bracketingLogAxis,
  chartConfig,
  compareAttacks,
  compareRegularizers,
  compareRunKeys,
  contextSubtitle,
  formatEps,
  groupBy,
  isLogSafe,
  seedNote,
  seriesColor,
  seriesNamer,
  spread,
  whenSeveralSeeds,
  panelFacet,
} from './common.js';
import type { PositionFieldDef, TopLevelSpec } from './vl-types.js';

interface SuccessPoint {
  panel: string;
  panelOrder: number;
  series: string;
  regularizer: string;
  seeds: number;
  lip: number;
  lipMin: number;
  lipMax: number;
  success: number;
  successMin: number;
  successMax: number;
  /** Which attacks gave the worst case (over seeds). */
  attacks: string;
}

const NORMS: readonly { norm: AttackRow['norm']; name: string; note: string }[] = [
  { norm: 'linf', name: 'ℓ∞', note: 'the ℓ2 → ℓ2 bound constrains ℓ∞ attacks only indirectly (an ℓ∞ ε-ball holds ℓ2 steps up to ε·√d)' },
  { norm: 'l2', name: 'ℓ2', note: 'the same norm as the ℓ2 → ℓ2 bound' },
];

export function lipVsAttackSuccessSpec(
  results: readonly RunRow[],
  attacks: readonly AttackRow[],
): TopLevelSpec | null {
  const lipByRun = new Map<string, number>();
  for (const r of results) if (isLogSafe(r.lipUpper)) lipByRun.set(r.runId, r.lipUpper);
  const usable = attacks.filter((a) => a.eps > 0 && lipByRun.has(a.runId) && Number.isFinite(a.successRate));
  if (usable.length === 0) return null;
  const namer = seriesNamer(usable);
  const seriesLabels = [...new Map([...usable].sort(compareRunKeys).map((a) => [namer.key(a), namer.label(a)])).values()];
  const color = seriesColor(seriesLabels);
  const regularizers = [...new Set(usable.map((a) => a.regularizer))].sort(compareRegularizers);

  const blocks = NORMS.flatMap(({ norm, name, note }) => {
    const rows = usable.filter((a) => a.norm === norm);
    if (rows.length === 0) return [];
    const epsList = [...new Set(rows.map((a) => a.eps))].sort((a, b) => a - b);
    const names = [...new Set(rows.map((a) => a.attack))].sort(compareAttacks);
    // One row per (run, ε): the worst case over this norm's attacks.
    const perRun = [...groupBy(rows, (a) => `${a.runId}\u0000${a.eps}`).values()].map((g) => ({ key: g[0]!, worst: worstCaseRobustAcc(rows, g[0]!.runId, norm, g[0]!.eps)! }));
    const groups = groupBy(
      perRun.sort((a, b) => a.key.eps - b.key.eps || compareRunKeys(a.key, b.key)),
      (p) => `${p.key.eps}\u0000${namer.key(p.key)}`,
    );
    const points: SuccessPoint[] = [...groups.values()].map((ps) => {
      const a = ps[0]!.key;
      const lip = spread(ps.map((p) => lipByRun.get(p.key.runId)!));
      const s = spread(ps.map((p) => p.worst.successRate));
      return {
        panel: `${name} ε=${formatEps(a.eps)}`,
        panelOrder: epsList.indexOf(a.eps),
        series: namer.label(a),
        regularizer: a.regularizer,
        seeds: ps.length,
        lip: lip.mean,
        lipMin: lip.min,
        lipMax: lip.max,
        success: s.mean,
        successMin: s.min,
        successMax: s.max,
        attacks: [...new Set(ps.map((p) => p.worst.attack))].join(', '),
      };
    });
    return [{ name, note, names, epsList, points }];
  });
  const allPoints = blocks.flatMap((b) => b.points);
  const x = {
    field: 'lip',
    type: 'quantitative',
    ...bracketingLogAxis(allPoints.flatMap((p) => [p.lipMin, p.lipMax])),
    title: 'Lipschitz upper bound, ℓ2 → ℓ2 (log)',
  } as const;
  const y: PositionFieldDef = {
    field: 'success',
    type: 'quantitative',
    scale: { domain: [0, 1] },
    axis: { format: '.0%' },
    title: 'Attack success rate',
  };
  const several = { filter: 'datum.seeds > 1' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Lipschitz upper bound vs attack success rate (worst case over attacks)',
      subtitle: contextSubtitle(usable, [
        seedNote(usable),
        'success = share of clean-correct points flipped by the strongest attack of the norm at that ε',
      ]),
    },
    config: chartConfig(),
    vconcat: blocks.map((b) => ({
      title: { text: `${b.name} attacks: worst case over ${b.names.join(', ')}`, subtitle: b.note, fontSize: 13, subtitleFontSize: 11 },
      data: { values: b.points },
      facet: panelFacet('panel', 'panelOrder'),
      columns: b.epsList.length,
      spec: {
        width: 200,
        height: 160,
        layer: [
          ...whenSeveralSeeds(b.points, [
            {
              transform: [several],
              mark: { type: 'rule', opacity: 0.6 },
              encoding: { x: { ...x, field: 'lipMin' }, x2: { field: 'lipMax' }, y, color },
            },
            {
              transform: [several],
              mark: { type: 'rule', opacity: 0.6 },
              encoding: { x, y: { ...y, field: 'successMin' }, y2: { field: 'successMax' }, color },
            },
          ]),
          {
            mark: { type: 'point', filled: true, size: 60, opacity: 1 },
            encoding: {
              x,
              y,
              color,
              shape: { field: 'regularizer', type: 'nominal', title: 'Regularizer family', sort: regularizers, scale: { domain: regularizers } },
              tooltip: [
                { field: 'panel', title: 'norm, ε' },
                { field: 'series', title: 'series' },
                { field: 'attacks', title: 'worst-case attack' },
                { field: 'seeds', title: 'seeds' },
                { field: 'lip', title: 'lipUpper (mean)', format: '.4g' },
                { field: 'success', title: 'success rate (mean)', format: '.1%' },
              ],
            },
          },
        ],
      },
    })),
  };
}
