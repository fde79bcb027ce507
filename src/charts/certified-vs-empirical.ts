/**
 * Chart: what attacks find vs what can be proven. One panel per (norm, ε > 0) at which
 * some run has a certificate; one row per method; on each row the clean accuracy, the
 * empirical robust accuracy (the worst attack of that norm at that ε) and the certified
 * accuracy by each certificate that was computed (global margin/(√2·L), pairwise, IBP,
 * CROWN). The invariant certified ≤ robust ≤ clean (pipeline/certified-invariant.ts)
 * orders the marks left of one another, so the grey bar from the lowest certificate to
 * the robust accuracy is the gap between what is proven and what attacks could not break.
 *
 * Per run the worst case and the certificates are taken at the same (norm, ε) over the
 * run's attack rows (certificates: the minimum over rows, which are equal when the
 * rows share their points); seeds are then averaged, and a certificate is drawn only
 * when every seed of the method has it.
 */
import type { AttackRow, RunKey } from '../results/rows.js';
import { chartConfig, compareRunKeys, contextSubtitle, formatEps, groupBy, seedNote, seriesNamer } from './common.js';
import type { PositionFieldDef, TopLevelSpec } from './vl-types.js';

const CLEAN = 'clean';
const ROBUST = 'empirical robust (worst attack)';

/** The certificate columns of attacks.csv, loosest kind first. */
export const CERTIFICATE_MEASURES: readonly { field: 'certifiedAcc' | 'certifiedPairwiseAcc' | 'certifiedIbpAcc' | 'certifiedCrownAcc'; label: string; color: string; shape: string }[] = [
  { field: 'certifiedAcc', label: 'certified: global margin/(√2·L)', color: '#fdae6b', shape: 'triangle-left' },
  { field: 'certifiedPairwiseAcc', label: 'certified: pairwise K_yj', color: '#e6550d', shape: 'diamond' },
  { field: 'certifiedIbpAcc', label: 'certified: IBP', color: '#9e9ac8', shape: 'triangle-up' },
  { field: 'certifiedCrownAcc', label: 'certified: CROWN', color: '#54278f', shape: 'square' },
];

const MEASURES = [
  { label: CLEAN, color: '#252525', shape: 'cross' },
  { label: ROBUST, color: '#2171b5', shape: 'circle' },
  ...CERTIFICATE_MEASURES,
] as const;

/** One (method series, norm, ε) cell, averaged over seeds. */
export interface CertifiedCell {
  series: string;
  norm: AttackRow['norm'];
  eps: number;
  seeds: number;
  clean: number;
  robust: number;
  /** Certificate label → mean certified accuracy, for the certificates every seed has. */
  certified: Map<string, number>;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const normName = (n: AttackRow['norm']): string => (n === 'linf' ? 'ℓ∞' : 'ℓ2');
const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/**
 * The cells of the chart: (series, norm, ε > 0) with at least one certificate. Pure;
 * the report's summary sentence reads the same cells.
 */
export function certifiedCells(attacks: readonly AttackRow[]): CertifiedCell[] {
  const usable = attacks.filter((a) => Number.isFinite(a.eps) && a.eps > 0 && Number.isFinite(a.robustAcc) && Number.isFinite(a.cleanAcc));
  if (usable.length === 0) return [];
  const namer = seriesNamer(usable);
  interface PerRun {
    key: RunKey & Pick<AttackRow, 'norm' | 'eps'>;
    clean: number;
    robust: number;
    certified: Map<string, number>;
  }
  const perRun: PerRun[] = [];
  for (const rows of groupBy(usable, (a) => JSON.stringify([a.runId, a.norm, a.eps])).values()) {
    const certified = new Map<string, number>();
    for (const c of CERTIFICATE_MEASURES) {
      const vs = rows.map((r) => r[c.field]).filter(finite);
      if (vs.length > 0) certified.set(c.label, Math.min(...vs));
    }
    perRun.push({ key: rows[0]!, clean: Math.min(...rows.map((r) => r.cleanAcc)), robust: Math.min(...rows.map((r) => r.robustAcc)), certified });
  }
  perRun.sort((a, b) => compareRunKeys(a.key, b.key));
  const out: CertifiedCell[] = [];
  const byCell = groupBy(perRun, (p) => JSON.stringify([namer.key(p.key), p.key.norm, p.key.eps]));
  for (const runs of byCell.values()) {
    const certified = new Map<string, number>();
    for (const c of CERTIFICATE_MEASURES) {
      const vs = runs.map((r) => r.certified.get(c.label)).filter(finite);
      // Only when every seed has it: a mean over a subset would mislead.
      if (vs.length === runs.length) certified.set(c.label, mean(vs));
    }
    if (certified.size === 0) continue;
    const k = runs[0]!.key;
    out.push({ series: namer.label(k), norm: k.norm, eps: k.eps, seeds: runs.length, clean: mean(runs.map((r) => r.clean)), robust: mean(runs.map((r) => r.robust)), certified });
  }
  return out;
}

interface Point {
  panel: string;
  panelOrder: number;
  series: string;
  measure: string;
  acc: number;
  seeds: number;
}

interface Span {
  panel: string;
  panelOrder: number;
  series: string;
  lo: number;
  hi: number;
}

function panelOf(c: Pick<CertifiedCell, 'norm' | 'eps'>): string {
  return `${normName(c.norm)} ε = ${formatEps(c.eps)}`;
}

export function certifiedVsEmpiricalSpec(attacks: readonly AttackRow[]): TopLevelSpec | null {
  const cells = certifiedCells(attacks);
  if (cells.length === 0) return null;
  const panels = [...new Map([...cells].sort((a, b) => (a.norm === b.norm ? a.eps - b.eps : a.norm === 'linf' ? -1 : 1)).map((c) => [panelOf(c), c])).keys()];
  const seriesOrder = [...new Set(cells.map((c) => c.series))];
  const points: Point[] = [];
  const spans: Span[] = [];
  for (const c of cells) {
    const base = { panel: panelOf(c), panelOrder: panels.indexOf(panelOf(c)), series: c.series, seeds: c.seeds };
    points.push({ ...base, measure: CLEAN, acc: c.clean }, { ...base, measure: ROBUST, acc: c.robust });
    for (const [measure, acc] of c.certified) points.push({ ...base, measure, acc });
    spans.push({ ...base, lo: Math.min(...c.certified.values()), hi: c.robust });
  }
  const present = MEASURES.filter((m) => points.some((p) => p.measure === m.label));
  const attacked = attacks.filter((a) => a.eps > 0);
  const y = { field: 'series', type: 'nominal', sort: seriesOrder, title: null, axis: { labelLimit: 320 } } as const;
  const x = (field: string): PositionFieldDef => ({ field, type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'Accuracy' });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Certified vs empirical robust accuracy',
      subtitle: contextSubtitle(attacked, [
        seedNote(attacked, 'mean shown'),
        'robust = worst attack of that norm at that ε; bar = gap from the lowest certificate to it',
        `n = ${[...new Set(attacked.map((a) => a.n))].join(', ')} points`,
      ]),
    },
    config: chartConfig(),
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelFontWeight: 'bold' } },
    columns: Math.min(3, panels.length),
    data: { values: [...spans.map((s) => ({ ...s, kind: 'span' })), ...points.map((p) => ({ ...p, kind: 'point' }))] },
    spec: {
      width: 240,
      height: { step: 18 },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'span'" }],
          mark: { type: 'rule', color: '#bbb', strokeWidth: 3 },
          encoding: { y, x: x('lo'), x2: { field: 'hi' } },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'point', filled: true, size: 60, opacity: 0.95 },
          encoding: {
            y,
            x: x('acc'),
            color: { field: 'measure', type: 'nominal', title: 'Accuracy', scale: { domain: present.map((m) => m.label), range: present.map((m) => m.color) } },
            shape: { field: 'measure', type: 'nominal', title: 'Accuracy', scale: { domain: present.map((m) => m.label), range: present.map((m) => m.shape) } },
            tooltip: [
              { field: 'panel', title: 'norm, ε' },
              { field: 'series', title: 'method' },
              { field: 'measure', title: 'measure' },
              { field: 'acc', title: 'accuracy', format: '.1%' },
              { field: 'seeds', title: 'seeds' },
            ],
          },
        },
      ],
    },
  };
}

/**
 * The report sentence: where the proof comes closest to the attacks and where it is
 * furthest, and a loud note if any certificate exceeds the robust accuracy (the run
 * would have failed, so only hand-merged or old results can show it).
 */
export function certifiedGapFinding(attacks: readonly AttackRow[]): string | null {
  const cells = certifiedCells(attacks);
  if (cells.length === 0) return null;
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  // Where attacks break every point there is nothing left to prove, and a 0 = 0 "gap" says nothing.
  const gaps = cells
    .filter((c) => c.robust > 0)
    .map((c) => {
      const [best, acc] = [...c.certified.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
      return { c, best, acc, gap: c.robust - acc };
    })
    .sort((a, b) => a.gap - b.gap);
  const say = (g: (typeof gaps)[number]): string => `${g.c.series} at ${panelOf(g.c)} (robust ${pct(g.c.robust)}, ${g.best.replace('certified: ', '')} ${pct(g.acc)})`;
  if (gaps.length === 0) return 'Attacks break every point at every certified ε; there is nothing for a certificate to prove.';
  const bad = gaps.filter((g) => g.gap < -1e-9);
  const lo = gaps[0]!;
  const hi = gaps[gaps.length - 1]!;
  return (
    (bad.length > 0 ? `VIOLATION: a certificate exceeds the empirical robust accuracy in ${bad.length} cell(s), e.g. ${say(bad[0]!)}; a certificate or an attack is wrong. ` : '') +
    (gaps.length === 1 ? `Gap between attack and best certificate: ${say(lo)}.` : `Smallest gap between attack and best certificate: ${say(lo)}; largest: ${say(hi)}.`)
  );
}
