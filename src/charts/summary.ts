/**
 * The report's opening "Summary": one row per method with its main numbers and their
 * uncertainty, then one sentence per chart saying what the data shows. The sentences
 * are computed from the rows, and say so when the data contradicts the direction the
 * chart's caption expects (the caption states the hypothesis, not the finding).
 */
import { accuracyInterval, meanInterval, spearman, type Interval } from '../claims/stats.js';
import { tightestLowerBound } from '../results/lower-bound.js';
import type { AttackRow, EpochRow, RunRow } from '../results/rows.js';
import { mainEps, worstCaseRobustAcc, type WorstCase } from '../results/worst-case.js';
import { certifiedGapFinding } from './certified-vs-empirical.js';
import { compareRunKeys, formatEps, groupBy, isLogSafe, seriesNamer } from './common.js';
import { html, type Html } from './html.js';
import type { ReportSection } from './html.js';
import type { ResultTables } from './tables.js';

const NORMS: readonly AttackRow['norm'][] = ['linf', 'l2'];
export const normName = (n: AttackRow['norm']): string => (n === 'linf' ? 'ℓ∞' : 'ℓ2');

const pct1 = (v: number): string => `${(v * 100).toFixed(1)}%`;
const pp = (v: number): string => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pp`;
const sig = (v: number): string => Number(v.toPrecision(4)).toString();
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * An accuracy measured on n points by each seed: one seed → the value and its 95%
 * Wilson interval over the n points; several → the mean, the 95% t-interval over seeds,
 * and the Wilson interval of the mean at n (the test-point noise of a single run).
 */
export function accuracyText(values: readonly number[], n: number): string {
  if (values.length === 0) return '—';
  const m = mean(values);
  const w = accuracyInterval(m, n);
  const wilson = `[${pct1(w.lo)}, ${pct1(w.hi)}]`;
  if (values.length === 1) return `${pct1(m)} ${wilson}`;
  const t = meanInterval(values);
  // An accuracy cannot leave [0, 1]; a t-interval over 2–3 seeds easily would.
  return `${pct1(m)} ${wilson}; seeds [${pct1(Math.max(0, t.lo))}, ${pct1(Math.min(1, t.hi))}]`;
}

/** A table cell: the accuracy, then its intervals (and any note) on a small second line. */
export function accuracyCell(values: readonly number[], n: number, note = ''): Html {
  const t = accuracyText(values, n);
  if (t === '—') return html`—`;
  const cut = t.indexOf(' ');
  return html`${t.slice(0, cut)}<span class="ci">${t.slice(cut + 1)}${note ? ` ${note}` : ''}</span>`;
}

/** The Wilson interval of the mean accuracy at n points, for charts' error bars. */
export function accuracyBand(values: readonly number[], n: number): Interval {
  return accuracyInterval(mean(values), n);
}

export interface MethodSummary {
  label: string;
  runs: RunRow[];
  testAcc: number;
  gapAcc: number;
  lipUpper: number | null;
  /** Per norm: mean worst-case robust accuracy and success at that norm's main ε. */
  robust: Map<AttackRow['norm'], { values: number[]; success: number; n: number; attacks: string[]; certified: number[] }>;
}

export function methodSummaries(results: readonly RunRow[], attacks: readonly AttackRow[]): MethodSummary[] {
  const runs = [...results].sort(compareRunKeys);
  const namer = seriesNamer(runs);
  const main = new Map(NORMS.map((n) => [n, mainEps(attacks, n)]));
  return [...groupBy(runs, namer.key).values()].map((rs) => {
    const robust: MethodSummary['robust'] = new Map();
    for (const norm of NORMS) {
      const eps = main.get(norm);
      if (eps === null || eps === undefined) continue;
      const worst = rs.map((r) => worstCaseRobustAcc(attacks, r.runId, norm, eps)).filter((w): w is WorstCase => w !== null);
      if (worst.length === 0) continue;
      robust.set(norm, {
        values: worst.map((w) => w.robustAcc),
        success: mean(worst.map((w) => w.successRate)),
        n: Math.min(...worst.map((w) => w.n)),
        attacks: [...new Set(worst.map((w) => w.attack))],
        certified: worst.map((w) => w.certifiedAcc).filter((c): c is number => c !== null),
      });
    }
    const uppers = rs.map((r) => r.lipUpper).filter(isLogSafe);
    return {
      label: namer.label(rs[0]!),
      runs: rs,
      testAcc: mean(rs.map((r) => r.testAcc)),
      gapAcc: mean(rs.map((r) => r.gapAcc)),
      lipUpper: uppers.length === rs.length ? mean(uppers) : null,
      robust,
    };
  });
}

function summaryTable(methods: readonly MethodSummary[], attacks: readonly AttackRow[]): Html {
  const norms = NORMS.filter((n) => methods.some((m) => m.robust.has(n)));
  const main = new Map(norms.map((n) => [n, mainEps(attacks, n)!]));
  const hasCert = methods.some((m) => (m.robust.get('l2')?.certified.length ?? 0) > 0);
  return html`<table class="summary"><thead><tr><th>Method</th><th>Seeds</th><th>Clean accuracy (full test set)</th><th>Gap (train − test)</th>
${norms.map((n) => html`<th>Worst-case robust accuracy, ${normName(n)} ε=${formatEps(main.get(n)!)}</th>`)}${hasCert ? html`<th>Certified accuracy, ℓ2 ε=${formatEps(main.get('l2')!)}</th>` : ''}
<th>Lipschitz upper bound (ℓ2 → ℓ2)</th><th>Tightest lower bound</th></tr></thead><tbody>
${methods.map((m) => {
  const lowers = m.runs.map(tightestLowerBound);
  const lowerText = lowers.every((l) => l !== null) ? `${sig(mean(lowers.map((l) => l!.value)))} (${[...new Set(lowers.map((l) => l!.probe))].join('; ')})` : '—';
  const cert = m.robust.get('l2');
  return html`<tr><td>${m.label}</td><td class="num">${m.runs.length}</td><td class="num">${accuracyCell(m.runs.map((r) => r.testAcc), Math.min(...m.runs.map((r) => r.testSize)), `(n=${Math.min(...m.runs.map((r) => r.testSize))})`)}</td><td class="num">${pp(m.gapAcc)}</td>
${norms.map((n) => {
  const r = m.robust.get(n);
  return html`<td class="num">${r ? accuracyCell(r.values, r.n, `(${r.attacks.join(', ')}, n=${r.n})`) : '—'}</td>`;
})}${hasCert ? html`<td class="num">${cert && cert.certified.length === m.runs.length ? accuracyCell(cert.certified, cert.n) : '—'}</td>` : ''}
<td class="num">${m.lipUpper === null ? '—' : sig(m.lipUpper)}</td><td>${lowerText}</td></tr>\n`;
})}</tbody></table>`;
}

/** "A < B" in the data vs the caption's expectation, as words. */
function direction(agrees: boolean): string {
  return agrees ? 'as expected' : 'contrary to the expected direction';
}

function withBound(methods: readonly MethodSummary[]): (MethodSummary & { lipUpper: number })[] {
  return methods.filter((m): m is MethodSummary & { lipUpper: number } => m.lipUpper !== null).sort((a, b) => a.lipUpper - b.lipUpper);
}

function lipVsGapFinding(methods: readonly MethodSummary[]): string | null {
  const ms = withBound(methods);
  if (ms.length < 2) return null;
  const lo = ms[0]!;
  const larger = ms.slice(1);
  const wider = larger.filter((m) => m.gapAcc < lo.gapAcc);
  const rho = spearman(ms.map((m) => m.lipUpper), ms.map((m) => m.gapAcc));
  const head = `${lo.label} has the smallest upper bound (${sig(lo.lipUpper)}) and a gap of ${pp(lo.gapAcc)}`;
  const cmp =
    wider.length === 0
      ? `, smaller than every method with a larger bound (${direction(true)})`
      : `, larger than the gap of ${wider.map((m) => `${m.label} (${pp(m.gapAcc)}, bound ${sig(m.lipUpper)})`).join(', ')}: ${direction(false)}`;
  return `${head}${cmp}. Spearman ρ(bound, gap) over the ${ms.length} methods = ${rho.toFixed(2)}.`;
}

function successAt(m: MethodSummary, norm: AttackRow['norm'], eps: number, attacks: readonly AttackRow[]): number | null {
  const ws = m.runs.map((r) => worstCaseRobustAcc(attacks, r.runId, norm, eps));
  return ws.every((w) => w !== null) && ws.length > 0 ? mean(ws.map((w) => w!.successRate)) : null;
}

function lipVsAttackFinding(methods: readonly MethodSummary[], attacks: readonly AttackRow[]): string | null {
  const ms = withBound(methods);
  if (ms.length < 2) return null;
  const lo = ms[0]!;
  const parts: string[] = [];
  for (const norm of NORMS) {
    const epsList = [...new Set(attacks.filter((a) => a.norm === norm && a.eps > 0).map((a) => a.eps))].sort((a, b) => a - b);
    if (epsList.length === 0) continue;
    for (const other of ms.slice(1)) {
      const diffs = epsList.map((e) => {
        const a = successAt(lo, norm, e, attacks);
        const b = successAt(other, norm, e, attacks);
        return a !== null && b !== null ? a - b : 0;
      });
      const higher = diffs.filter((d) => d > 0);
      // The size says whether it matters: near 100% success a "higher" can be 0.1 pp.
      if (higher.length > 0) parts.push(`higher than ${other.label}'s at ${higher.length === epsList.length ? 'every' : `${higher.length} of ${epsList.length}`} ${normName(norm)} ε (by up to ${(Math.max(...higher) * 100).toFixed(1)} pp)`);
    }
  }
  const head = `${lo.label} has the smallest upper bound (${sig(lo.lipUpper)}); its worst-case attack success is`;
  return parts.length === 0
    ? `${head} never higher than that of a method with a larger bound, at any ε (${direction(true)}).`
    : `${head} ${parts.join('; ')}: ${direction(false)}.`;
}

function robustFinding(methods: readonly MethodSummary[], attacks: readonly AttackRow[]): string | null {
  const parts: string[] = [];
  for (const norm of NORMS) {
    const eps = mainEps(attacks, norm);
    const ms = methods.filter((m) => m.robust.has(norm)).map((m) => ({ m, r: m.robust.get(norm)! })).sort((a, b) => mean(b.r.values) - mean(a.r.values));
    if (eps === null || ms.length === 0) continue;
    const best = ms[0]!;
    const worst = ms[ms.length - 1]!;
    const bw = accuracyInterval(mean(best.r.values), best.r.n);
    const ww = accuracyInterval(mean(worst.r.values), worst.r.n);
    const overlap = bw.lo <= ww.hi;
    parts.push(
      ms.length === 1
        ? `at ${normName(norm)} ε=${formatEps(eps)} ${best.m.label} keeps ${pct1(mean(best.r.values))}`
        : `at ${normName(norm)} ε=${formatEps(eps)} the most robust is ${best.m.label} (${pct1(mean(best.r.values))}) and the least ${worst.m.label} (${pct1(mean(worst.r.values))})${overlap ? ', within each other’s 95% binomial intervals' : ''}`,
    );
  }
  const violations = attacks.filter((a) => a.certifiedAcc !== null && a.certifiedAcc > a.robustAcc + 1e-9).length;
  const cert = attacks.some((a) => a.certifiedAcc !== null) ? ` Certified accuracy ${violations === 0 ? 'stays at or below' : `exceeds (${violations} rows, a bug)`} the attacks’ robust accuracy.` : '';
  return parts.length === 0 ? null : `Worst case over the attacks: ${parts.join('; ')}.${cert}`;
}

function loosenessFinding(results: readonly RunRow[]): string | null {
  const namer = seriesNamer(results);
  const ratios = results
    .map((r) => ({ r, lower: tightestLowerBound(r) }))
    .filter((x) => x.lower !== null && isLogSafe(x.r.lipUpper))
    .map((x) => ({ label: namer.label(x.r), ratio: x.r.lipUpper! / x.lower!.value }))
    .sort((a, b) => a.ratio - b.ratio);
  if (ratios.length === 0) return null;
  const lo = ratios[0]!;
  const hi = ratios[ratios.length - 1]!;
  return `Upper bound ÷ tightest lower bound runs from ${sig(lo.ratio)}× (${lo.label}) to ${sig(hi.ratio)}× (${hi.label}); the true constant lies between them.`;
}

function sigmaFinding(epochs: readonly EpochRow[]): string | null {
  const usable = epochs.filter((e) => isLogSafe(e.sigma));
  if (usable.length === 0) return null;
  const namer = seriesNamer(usable);
  const finals = [...groupBy(usable, namer.key).values()].map((rs) => {
    const last = Math.max(...rs.map((r) => r.epoch));
    return { label: namer.label(rs[0]!), max: Math.max(...rs.filter((r) => r.epoch === last).map((r) => r.sigma)), epoch: last };
  });
  finals.sort((a, b) => a.max - b.max);
  const lo = finals[0]!;
  const hi = finals[finals.length - 1]!;
  return finals.length < 2
    ? `Largest per-layer σ at the last epoch: ${sig(lo.max)} (${lo.label}).`
    : `Largest per-layer σ at the last epoch: lowest for ${lo.label} (${sig(lo.max)}), highest for ${hi.label} (${sig(hi.max)}).`;
}

function localFinding(results: readonly RunRow[]): string | null {
  const namer = seriesNamer(results);
  const rows = [...groupBy([...results].sort(compareRunKeys), namer.key).values()]
    .map((rs) => {
      const on = rs.map((r) => r.lipLowerGrad).filter(isLogSafe);
      const off = rs.map((r) => Math.max(r.lipLocalInterp ?? 0, r.lipLocalNoise ?? 0)).filter((v) => v > 0);
      return on.length === rs.length && off.length === rs.length ? { label: namer.label(rs[0]!), ratio: mean(off) / mean(on) } : null;
    })
    .filter((x): x is { label: string; ratio: number } => x !== null)
    .sort((a, b) => b.ratio - a.ratio);
  if (rows.length === 0) return null;
  return `Largest off-data ÷ on-data gradient norm: ${rows[0]!.label} (${sig(rows[0]!.ratio)}×); smallest: ${rows[rows.length - 1]!.label} (${sig(rows[rows.length - 1]!.ratio)}×).`;
}

function accuracyFinding(methods: readonly MethodSummary[]): string | null {
  if (methods.length === 0) return null;
  const byAcc = [...methods].sort((a, b) => b.testAcc - a.testAcc);
  const best = byAcc[0]!;
  const worst = byAcc[byAcc.length - 1]!;
  const byGap = [...methods].sort((a, b) => a.gapAcc - b.gapAcc);
  const n = Math.min(...best.runs.map((r) => r.testSize));
  const bw = accuracyInterval(best.testAcc, n);
  const ww = accuracyInterval(worst.testAcc, Math.min(...worst.runs.map((r) => r.testSize)));
  return (
    `Highest clean accuracy: ${best.label} (${pct1(best.testAcc)}); lowest: ${worst.label} (${pct1(worst.testAcc)})` +
    (methods.length > 1 && bw.lo <= ww.hi ? ', within each other’s 95% binomial intervals' : '') +
    `. Smallest gap: ${byGap[0]!.label} (${pp(byGap[0]!.gapAcc)}); largest: ${byGap[byGap.length - 1]!.label} (${pp(byGap[byGap.length - 1]!.gapAcc)}).`
  );
}

/** One sentence per chart name, for the charts that have data. */
export function chartFindings(tables: ResultTables): Map<string, string> {
  const methods = methodSummaries(tables.results, tables.attacks);
  const out = new Map<string, string>();
  const put = (name: string, s: string | null): void => {
    if (s !== null) out.set(name, s);
  };
  put('lip-vs-gap', lipVsGapFinding(methods));
  put('lip-vs-attack-success', lipVsAttackFinding(methods, tables.attacks));
  put('robust-acc-vs-eps', robustFinding(methods, tables.attacks));
  put('certified-vs-empirical', certifiedGapFinding(tables.attacks));
  put('bound-looseness', loosenessFinding(tables.results));
  put('layer-sigma-epochs', sigmaFinding(tables.epochs));
  put('local-lipschitz', localFinding(tables.results));
  put('accuracy-by-method', accuracyFinding(methods));
  return out;
}

export function summarySection(tables: ResultTables, charts: readonly { name: string; title: string }[]): ReportSection {
  if (tables.results.length === 0) return { id: 'summary', title: 'Summary', body: html`<p class="empty">No runs in results.csv.</p>` };
  const methods = methodSummaries(tables.results, tables.attacks);
  const seeds = new Set(tables.results.map((r) => r.seed)).size;
  const findings = chartFindings(tables);
  const main = NORMS.map((n) => [n, mainEps(tables.attacks, n)] as const).filter(([, e]) => e !== null);
  const body = html`${seeds === 1 ? html`<p class="flag-summary">Only one seed was run: the intervals below cover the test points drawn, not training randomness; differences between methods may not repeat with another seed.</p>` : html`<p class="note">${seeds} seeds per method.</p>`}
<p class="note">Accuracies: mean over seeds with its 95% Wilson interval over the n test points${seeds > 1 ? ', then the 95% t-interval over seeds' : ''}. Gap = train − test accuracy in percentage points (pp). Worst case = the lowest robust accuracy of any attack of that norm at that ε (the attack is named). ${main.length > 0 ? `Main ε = the middle of each norm’s ε list (${main.map(([n, e]) => `${normName(n)} ${formatEps(e!)}`).join(', ')}).` : ''} Lipschitz bounds are for the logit map in ℓ2 → ℓ2.</p>
${summaryTable(methods, tables.attacks)}
<h3>What each chart shows</h3>
<ul class="findings">${charts.filter((c) => findings.has(c.name)).map((c) => html`<li><a href="#figure-${c.name}">${c.title}</a>: ${findings.get(c.name)!}</li>\n`)}</ul>`;
  return { id: 'summary', title: 'Summary', body };
}
