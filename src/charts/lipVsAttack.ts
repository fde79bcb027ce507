/**
 * Chart 2: does a smaller Lipschitz upper bound make attacks succeed less often?
 * One panel per (attack, ε); ε = 0 is skipped because nothing can succeed there.
 * Points are (regularizer, λ) folded over seeds; colours match the robust-accuracy chart.
 * No λ text labels: in panels this small they collide; the colour legend names λ.
 */
import type { AttackRow, RunRow } from '../results/rows.js';
import {
  chartConfig,
  logScale,
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
import type { PositionFieldDef, TopLevelSpec } from './vlTypes.js';

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
}

interface Joined {
  attack: AttackRow;
  lip: number;
}

function joinLip(results: readonly RunRow[], attacks: readonly AttackRow[]): Joined[] {
  const lipByRun = new Map<string, number>();
  for (const r of results) if (isLogSafe(r.lipUpper)) lipByRun.set(r.runId, r.lipUpper);
  const joined: Joined[] = [];
  for (const a of attacks) {
    const lip = lipByRun.get(a.runId);
    if (a.eps > 0 && lip !== undefined && Number.isFinite(a.successRate)) joined.push({ attack: a, lip });
  }
  return joined;
}

function panels(joined: readonly Joined[]): { label: (a: AttackRow) => string; order: (a: AttackRow) => number; columns: number } {
  const pairs = [...new Map(joined.map((j) => [`${j.attack.attack}\u0000${j.attack.eps}`, j.attack])).values()].sort(
    (a, b) => compareAttacks(a.attack, b.attack) || a.eps - b.eps,
  );
  const index = new Map(pairs.map((a, i) => [`${a.attack}\u0000${a.eps}`, i]));
  const perAttack = groupBy(pairs, (a) => a.attack);
  return {
    label: (a) => `${a.attack}  ε=${formatEps(a.eps)}`,
    order: (a) => index.get(`${a.attack}\u0000${a.eps}`) ?? 0,
    // One row per attack when every attack has the same ε list; capped to stay readable.
    columns: Math.min(4, Math.max(...[...perAttack.values()].map((g) => g.length))),
  };
}

export function lipVsAttackSuccessSpec(
  results: readonly RunRow[],
  attacks: readonly AttackRow[],
): TopLevelSpec | null {
  const joined = joinLip(results, attacks);
  if (joined.length === 0) return null;
  const namer = seriesNamer(joined.map((j) => j.attack));
  const layout = panels(joined);
  const sorted = [...joined].sort(
    (a, b) => layout.order(a.attack) - layout.order(b.attack) || compareRunKeys(a.attack, b.attack),
  );
  const groups = groupBy(sorted, (j) => `${layout.order(j.attack)}\u0000${namer.key(j.attack)}`);
  const points: SuccessPoint[] = [...groups.values()].map((js) => {
    const a = js[0]!.attack;
    const lip = spread(js.map((j) => j.lip));
    const s = spread(js.map((j) => j.attack.successRate));
    return {
      panel: layout.label(a),
      panelOrder: layout.order(a),
      series: namer.label(a),
      regularizer: a.regularizer,
      seeds: js.length,
      lip: lip.mean,
      lipMin: lip.min,
      lipMax: lip.max,
      success: s.mean,
      successMin: s.min,
      successMax: s.max,
    };
  });

  const x = {
    field: 'lip',
    type: 'quantitative',
    scale: logScale(),
    title: 'Lipschitz upper bound (log)',
  } as const;
  const y: PositionFieldDef = {
    field: 'success',
    type: 'quantitative',
    scale: { domain: [0, 1] },
    axis: { format: '.0%' },
    title: 'Attack success rate',
  };
  const seriesLabels = [...new Map([...joined.map((j) => j.attack)].sort(compareRunKeys).map((a) => [namer.key(a), namer.label(a)])).values()];
  const regularizers = [...new Set(points.map((p) => p.regularizer))].sort(compareRegularizers);
  const color = seriesColor(seriesLabels);
  const several = { filter: 'datum.seeds > 1' };
  const attackRows = joined.map((j) => j.attack);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Lipschitz upper bound vs attack success rate',
      subtitle: contextSubtitle(attackRows, [
        seedNote(attackRows),
        'success = share of clean-correct points flipped',
      ]),
    },
    config: chartConfig(),
    data: { values: points },
    facet: panelFacet('panel', 'panelOrder'),
    columns: layout.columns,
    spec: {
      width: 220,
      height: 170,
      layer: [
        ...whenSeveralSeeds(points, [
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
            shape: { field: 'regularizer', type: 'nominal', title: 'Regularizer family', sort: regularizers },
            tooltip: [
              { field: 'panel', title: 'attack' },
              { field: 'series', title: 'series' },
              { field: 'seeds', title: 'seeds' },
              { field: 'lip', title: 'lipUpper (mean)', format: '.4g' },
              { field: 'success', title: 'success rate (mean)', format: '.1%' },
            ],
          },
        },
      ],
    },
  };
}
