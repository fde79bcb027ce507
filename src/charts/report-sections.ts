/**
 * The report's key-number sections: sanity flags, per-run numbers and robust accuracy
 * per attack and ε. Pure functions from rows to markup, so they can be tested without
 * a browser and a later "Claims" section can be built the same way.
 */
import type { AttackRow, RunRow } from '../results/rows.js';
import { compareAttacks, compareRunKeys, formatEps, formatLambda, groupBy, methodOf, seriesNamer, spread } from './common.js';
import { Html, html, type ReportSection } from './html.js';
import { LOWER_BOUND_PROBES, tightestLowerBound } from '../results/lower-bound.js';
import { accuracyText } from './summary.js';

/** Above this, a power iteration had not settled and its σ may be under-estimated. */
export const POWER_ITER_TOL_LIMIT = 1e-3;
/** Relative slack before a lower bound counts as exceeding an upper bound (float noise). */
const BOUND_SLACK = 1e-6;

export interface SanityFlag {
  runId: string;
  where: string;
  message: string;
}

export function runFlags(r: RunRow): SanityFlag[] {
  const flags: SanityFlag[] = [];
  const add = (message: string): void => {
    flags.push({ runId: r.runId, where: 'run', message });
  };
  if (r.lipUpper === null) add('no sound Lipschitz upper bound was computed');
  else {
    const upper = r.lipUpper;
    const exceeds = (lower: number | null): boolean => lower !== null && lower > upper * (1 + BOUND_SLACK);
    for (const { column, probe } of LOWER_BOUND_PROBES) if (exceeds(r[column])) add(`lower bound from ${probe} exceeds the upper bound (unsound bound or bug)`);
  }
  if (r.powerIterTol !== null && r.powerIterTol > POWER_ITER_TOL_LIMIT)
    add(`power iteration not converged (relative change ${r.powerIterTol.toExponential(1)})`);
  return flags;
}

const ATTACK_FLAGS: readonly { field: keyof AttackRow & `flag${string}`; message: string }[] = [
  { field: 'flagPgdWeakerThanFgsm', message: 'PGD weaker than FGSM at the same ε' },
  { field: 'flagRobustAccRises', message: 'robust accuracy rises with ε' },
  { field: 'flagLargeEpsNotZero', message: 'robust accuracy not ~0 at a very large ε' },
  { field: 'flagZeroGrad', message: 'zero input gradients (gradient masking?)' },
];

export function attackFlags(a: AttackRow): SanityFlag[] {
  return ATTACK_FLAGS.filter((f) => a[f.field]).map((f) => ({
    runId: a.runId,
    where: `${a.attack} ε=${formatEps(a.eps)}`,
    message: f.message,
  }));
}

/** `[lo, hi]` 95% Wilson interval of the mean accuracy at n points; with several seeds also the seed t-interval. */
function wilsonText(values: readonly number[], n: number): string {
  const t = accuracyText(values, n);
  return t.slice(t.indexOf(' ') + 1);
}

function pct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`;
}

function sig(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : Number(v.toPrecision(4)).toString();
}

function signedPct(v: number): string {
  return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} pp`;
}

export function sanityFlagsSection(results: readonly RunRow[], attacks: readonly AttackRow[]): ReportSection {
  const flags = [...results.flatMap(runFlags), ...attacks.flatMap(attackFlags)];
  const body =
    flags.length === 0
      ? html`<p class="ok">No sanity flags raised.</p>`
      : html`<p class="flag-summary">${flags.length} sanity flag${flags.length === 1 ? '' : 's'} raised; flagged cells are highlighted in the tables below.</p>
<table class="flags"><thead><tr><th>Run</th><th>Where</th><th>Flag</th></tr></thead><tbody>
${flags.map((f) => html`<tr class="flag"><td>${f.runId}</td><td>${f.where}</td><td>${f.message}</td></tr>\n`)}</tbody></table>`;
  return { id: 'sanity-flags', title: 'Sanity flags', body };
}

export function runTableSection(results: readonly RunRow[]): ReportSection {
  if (results.length === 0) return { id: 'runs', title: 'Runs', body: html`<p class="empty">No runs in results.csv.</p>` };
  const rows = [...results].sort(compareRunKeys).map((r) => {
    const flags = runFlags(r);
    const lower = tightestLowerBound(r);
    const ratio = r.lipUpper !== null && lower !== null ? r.lipUpper / lower.value : null;
    return html`<tr${flags.length > 0 ? html` class="flag" title="${flags.map((f) => f.message).join('; ')}"` : ''}>
<td class="id">${r.runId}</td><td>${methodOf(r)}</td><td class="num">${formatLambda(r.lambda)}</td><td class="num">${r.seed}</td>
<td class="num">${pct(r.testAcc)}<span class="ci">${wilsonText([r.testAcc], r.testSize)}</span></td><td class="num">${pct(r.trainAcc)}</td><td class="num">${signedPct(r.gapAcc)}</td><td class="num">${sig(r.gapLoss)}</td>
<td class="num">${sig(r.lipUpper)}</td><td class="num">${sig(r.lipLowerGrad)}</td><td class="num">${sig(r.lipLowerPgd)}</td><td class="num">${sig(lower?.value ?? null)}</td><td>${lower?.probe ?? '—'}</td><td class="num">${ratio === null ? '—' : `${sig(ratio)}×`}</td>
<td>${flags.length > 0 ? flags.map((f) => f.message).join('; ') : ''}</td></tr>\n`;
  });
  const body = html`<p class="note">Test accuracy with its 95% Wilson interval over the test points; the Lipschitz bounds are for the logit map, ℓ2 → ℓ2.</p>
<table class="runs"><thead><tr>
<th>Run</th><th>Method</th><th>λ</th><th>Seed</th><th>Test acc (full test set)</th><th>Train acc</th><th>Acc gap (train − test)</th><th>Loss gap (test − train)</th>
<th>Lip upper</th><th>Lip lower (grad)</th><th>Lip lower (PGD)</th><th>Tightest lower</th><th>Tightest from</th><th>Upper / tightest lower</th><th>Flags</th></tr></thead>
<tbody>
${rows}</tbody></table>`;
  return { id: 'runs', title: 'Runs', body };
}

/** One table per attack: rows are (method, λ) means over seeds, columns are ε. */
export function attackTableSection(attacks: readonly AttackRow[], results: readonly RunRow[] = []): ReportSection {
  if (attacks.length === 0)
    return { id: 'attacks', title: 'Robust accuracy', body: html`<p class="empty">No rows in attacks.csv.</p>` };
  const namer = seriesNamer(attacks);
  const testAcc = new Map([...groupBy(results, namer.key).entries()].map(([k, rs]) => [k, { values: rs.map((r) => r.testAcc), n: Math.min(...rs.map((r) => r.testSize)) }]));
  const byAttack = [...groupBy(attacks, (a) => a.attack).entries()].sort(([a], [b]) => compareAttacks(a, b));
  const tables = byAttack.map(([attack, rows]) => {
    const epsList = [...new Set(rows.map((r) => r.eps))].sort((a, b) => a - b);
    const series = groupBy([...rows].sort(compareRunKeys), namer.key);
    const hasCertified = rows.some((r) => r.certifiedAcc !== null);
    const body = [...series.values()].map((sRows) => {
      const seeds = new Set(sRows.map((r) => r.seed)).size;
      const cells = epsList.map((eps) => {
        const at = sRows.filter((r) => r.eps === eps);
        if (at.length === 0) return html`<td class="num">—</td>`;
        const n = Math.min(...at.map((r) => r.n));
        const robustValues = at.map((r) => r.robustAcc);
        const robust = spread(robustValues).mean;
        const certs = at.map((r) => r.certifiedAcc).filter((c): c is number => c !== null);
        const cert = certs.length === at.length ? spread(certs).mean : null;
        const flags = at.flatMap(attackFlags);
        const text = html`${pct(robust)}<span class="ci">${wilsonText(robustValues, n)}</span>${cert === null ? '' : html`<span class="ci cert">certified ${pct(cert)} ${wilsonText(certs, n)}</span>`}`;
        return flags.length > 0
          ? html`<td class="num flag" title="${[...new Set(flags.map((f) => `${f.runId}: ${f.message}`))].join('; ')}">${text} ⚑</td>`
          : html`<td class="num">${text}</td>`;
      });
      const test = testAcc.get(namer.key(sRows[0]!));
      const n = Math.min(...sRows.map((r) => r.n));
      const clean = sRows.filter((r) => r.eps === epsList[0]).map((r) => r.cleanAcc);
      return html`<tr><td>${namer.label(sRows[0]!)}</td><td class="num">${seeds}</td><td class="num">${test ? html`${pct(spread(test.values).mean)}<span class="ci">${wilsonText(test.values, test.n)}</span>` : '—'}</td><td class="num">${pct(spread(clean).mean)}<span class="ci">${wilsonText(clean, n)}</span></td>${cells}</tr>\n`;
    });
    const norm = rows[0]!.norm === 'linf' ? 'ℓ∞' : 'ℓ2';
    return html`<h3>${attack} (${norm})</h3>
<table class="attacks"><thead><tr><th>Method</th><th>Seeds</th><th>Test acc (full test set)</th><th>Clean acc (attacked subset, n=${String(Math.min(...rows.map((r) => r.n)))})</th>${epsList.map((e) => html`<th>ε=${formatEps(e)}</th>`)}</tr></thead>
<tbody>
${body}</tbody></table>
${hasCertified ? html`<p class="note">“certified”: accuracy certified by the margin / (√2·L) bound (ℓ2 → ℓ2) at the same ε, on the same points, with its interval.</p>` : ''}`;
  });
  return {
    id: 'attacks',
    title: 'Robust accuracy',
    body: html`<p class="note">Robust accuracy (a clean mistake counts as not robust) on the attacked subset; mean over seeds with its 95% Wilson interval over the n attacked points, and with several seeds the 95% t-interval over seeds. “Clean acc” is the accuracy on that subset, beside the accuracy on the full test set. ⚑ marks cells where a sanity flag was raised (hover for details).</p>
${tables}`,
  };
}
