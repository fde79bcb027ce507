/**
 * The seed's claims turned into measured verdicts, from an experiment's tables alone.
 * Each claim states which runs it compares, the numbers (means over seeds with 95%
 * intervals; differences paired by seed), the rule, and the chart with the evidence.
 * Runs are found by regularizer name, so the claims work on any grid that contains
 * the methods (experiments/seed-claims.ts contains all of them); each variant of a
 * method (its method label, e.g. `spectral-norm(sigma=operator)`) is measured apart,
 * so two settings of one regularizer are never averaged or paired as if one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Tables } from '../results/csv.js';
import { parseTable } from '../results/csv.js';
import { ClaimRow, type RunRow } from '../results/rows.js';
import { meanInterval, pairedDifference, spearmanInterval, type Interval } from './stats.js';
import { DIRECTIONAL_RULE, directionalVerdict, formatInterval, type Verdict } from './verdict.js';

type Run = RunRow;

/** The method label, or the family for rows written before the label existed. */
const labelOf = (r: Run): string => (r.method !== '' ? r.method : r.regularizer);

/** Runs of one method variant (a method label), optionally at one λ. */
function byMethod(results: readonly Run[], method: string, lambda?: number): Run[] {
  return results.filter((r) => labelOf(r) === method && (lambda === undefined || r.lambda === lambda));
}

/** The method labels in the grid whose regularizer family is `regularizer`, sorted. */
function variants(results: readonly Run[], regularizer: string): string[] {
  return [...new Set(results.filter((r) => r.regularizer === regularizer).map(labelOf))].sort();
}

/** Values of a metric for two groups, paired by seed (seeds present in both). */
function paired(a: readonly Run[], b: readonly Run[], metric: (r: Run) => number | null): [number[], number[]] {
  const xa: number[] = [];
  const xb: number[] = [];
  for (const ra of a) {
    const rb = b.find((r) => r.seed === ra.seed);
    const va = metric(ra);
    const vb = rb ? metric(rb) : null;
    if (va !== null && vb !== null && Number.isFinite(va) && Number.isFinite(vb)) {
      xa.push(va);
      xb.push(vb);
    }
  }
  return [xa, xb];
}

interface Measured {
  readonly name: string;
  readonly interval: Interval;
}

function describe(ms: readonly Measured[]): string {
  return ms.map((m) => `${m.name} = ${formatInterval(m.interval)} (n=${m.interval.n})`).join('; ');
}

function row(experiment: string, claim: number, title: string, measured: string, verdict: Verdict, rule: string, evidence: string): ClaimRow {
  return { experiment, claim, title, measured: measured || 'no runs of the methods this claim compares', verdict, rule, evidence };
}

const lambdas = (rs: readonly Run[], reg: string) => [...new Set(byMethod(rs, reg).map((r) => r.lambda))].sort((a, b) => a - b);
const acc = (r: Run) => r.testAcc;
const log = (v: number | null) => (v !== null && v > 0 ? Math.log(v) : null);

function claim1(e: string, rs: readonly Run[]): ClaimRow {
  const none = byMethod(rs, 'none');
  const ms: Measured[] = [];
  for (const v of variants(rs, 'l2')) for (const lam of lambdas(rs, v)) {
    const l2 = byMethod(rs, v, lam);
    for (const [name, metric] of [
      ['log Frobenius bound', (r: Run) => log(r.lipUpperFrobenius)],
      ['log Lipschitz bound', (r: Run) => log(r.lipUpper)],
      ['accuracy gap', (r: Run) => r.gapAcc],
    ] as const) {
      const [a, b] = paired(none, l2, metric);
      ms.push({ name: `none − ${v}(λ=${lam}) ${name}`, interval: pairedDifference(a, b) });
    }
  }
  return row(e, 1, 'L2 weight decay lowers the Frobenius bound and the Lipschitz bound, and narrows the generalization gap, compared with no regularization', describe(ms), directionalVerdict(ms.map((m) => m.interval)), DIRECTIONAL_RULE + ' (every λ of l2 in the grid)', 'charts/lip-vs-gap.svg');
}

function claim2(e: string, t: Tables): ClaimRow {
  // ‖W‖_F ≥ ‖W‖₂ is a theorem for matrices: the check is that our measurements obey it.
  const dense = t.layers.filter((l) => l.reshapedSigma === null);
  const conv = t.layers.filter((l) => l.reshapedSigma !== null);
  const violations = t.layers.filter((l) => l.frobenius < l.operatorSigma * (1 - 1e-5));
  const ms: Measured[] = [];
  for (const reg of [...new Set(t.results.map(labelOf))]) {
    const ratios = byMethod(t.results, reg)
      .map((r) => (r.lipUpperFrobenius !== null && r.lipUpper ? r.lipUpperFrobenius / r.lipUpper : null))
      .filter((v): v is number => v !== null);
    if (ratios.length) ms.push({ name: `${reg}: Frobenius product ÷ spectral product`, interval: meanInterval(ratios) });
  }
  const verdict: Verdict = t.layers.length === 0 ? 'inconclusive' : violations.length === 0 ? 'supported' : 'not supported';
  const head = `${t.layers.length - violations.length} of ${t.layers.length} layers have Frobenius bound ≥ operator σ (${dense.length} dense, ${conv.length} conv)`;
  return row(e, 2, '‖W‖_F ≥ ‖W‖₂ for every layer; how much the Frobenius product bound exceeds the spectral product bound, per method', [head, describe(ms)].join('; '), verdict, 'supported if no layer of any run has a Frobenius bound below its measured operator norm (1e-5 relative slack); not supported otherwise', 'charts/bound-looseness.svg');
}

function claim3(e: string, rs: readonly Run[]): ClaimRow {
  const ms: Measured[] = [];
  const notes: string[] = [];
  for (const sv of variants(rs, 'spectral')) for (const ls of lambdas(rs, sv)) {
    const sp = byMethod(rs, sv, ls);
    const spAcc = meanInterval(sp.map(acc)).mean;
    let best: { method: string; lam: number; diff: number } | undefined;
    for (const lv of variants(rs, 'l2')) for (const ll of lambdas(rs, lv)) {
      const d = Math.abs(meanInterval(byMethod(rs, lv, ll).map(acc)).mean - spAcc);
      if (!best || d < best.diff) best = { method: lv, lam: ll, diff: d };
    }
    if (!best || best.diff > 0.005) {
      notes.push(`${sv}(λ=${ls}) has no l2 run within 0.5 points of clean accuracy`);
      continue;
    }
    const [a, b] = paired(byMethod(rs, best.method, best.lam), sp, (r) => r.gapAcc);
    ms.push({ name: `gap ${best.method}(λ=${best.lam}) − gap ${sv}(λ=${ls}) [accuracies ${(spAcc * 100).toFixed(2)}% vs ±${(best.diff * 100).toFixed(2)}]`, interval: pairedDifference(a, b) });
  }
  return row(e, 3, 'Spectral norm regularization narrows the generalization gap more than L2 weight decay at matched clean accuracy (Yoshida & Miyato 2017)', [describe(ms), ...notes].filter(Boolean).join('; '), directionalVerdict(ms.map((m) => m.interval)), `matched pairs: each spectral λ with the l2 λ of closest mean test accuracy, if within 0.5 points; ${DIRECTIONAL_RULE}`, 'charts/lip-vs-gap.svg');
}

function claim4(e: string, rs: readonly Run[]): ClaimRow {
  const gpv = variants(rs, 'grad-penalty');
  const snv = variants(rs, 'spectral-norm');
  const ms: Measured[] = [...gpv, ...snv].map((v) => ({ name: `on-data gradient norm, ${v}`, interval: meanInterval(byMethod(rs, v).map((r) => r.lipLowerGrad ?? Number.NaN)) }));
  const tests: Measured[] = [];
  for (const g of gpv.length ? gpv : ['grad-penalty']) for (const s of snv.length ? snv : ['spectral-norm']) for (const [name, off] of [
    ['interpolations', (r: Run) => r.lipLocalInterp],
    ['uniform noise', (r: Run) => r.lipLocalNoise],
  ] as const) {
    // log(off-data / on-data): how much larger the slope gets away from the training data.
    const ratio = (r: Run) => (off(r) && r.lipLowerGrad ? Math.log(off(r)! / r.lipLowerGrad) : null);
    const [a, b] = paired(byMethod(rs, g), byMethod(rs, s), ratio);
    tests.push({ name: `log(off/on) at ${name}: ${g} − ${s}`, interval: pairedDifference(a, b) });
  }
  return row(e, 4, 'Gradient penalty constrains the gradient only near where it is applied: off its sampling distribution (class interpolations, uniform noise) its local Lipschitz lower bound grows much more than a spectral-normalized model’s', describe([...ms, ...tests]), directionalVerdict(tests.map((m) => m.interval)), `${DIRECTIONAL_RULE}; both off-data measures must agree. The penalty samples training points only`, 'charts/local-lipschitz.svg');
}

function accuracyClaim(e: string, rs: readonly Run[], n: number, betterFamily: string, worseFamily: string, title: string): ClaimRow {
  const bv = variants(rs, betterFamily);
  const wv = variants(rs, worseFamily);
  const ms: Measured[] = [...bv, ...wv].map((v) => ({ name: `test accuracy ${v}`, interval: meanInterval(byMethod(rs, v).map(acc)) }));
  const diffs: Measured[] = [];
  for (const better of bv.length ? bv : [betterFamily]) for (const worse of wv.length ? wv : [worseFamily]) {
    const [a, b] = paired(byMethod(rs, better), byMethod(rs, worse), acc);
    diffs.push({ name: `${better} − ${worse}`, interval: pairedDifference(a, b) });
  }
  return row(e, n, title, describe([...ms, ...diffs]), directionalVerdict(diffs.map((d) => d.interval)), DIRECTIONAL_RULE, 'charts/accuracy-by-method.svg');
}

function claim7(e: string, source: VerdictSource | undefined): ClaimRow {
  const title = 'In WGAN, spectral normalization converges in fewer epochs and with cheaper epochs than gradient penalty';
  if (!source || source.rows === null) {
    const shown = source ? path.relative(process.cwd(), source.file) : 'results/mnist-wgan/wgan-verdicts.csv';
    return row(e, 7, title, `not measured: no ${shown} (run the mnist-wgan experiment)`, 'inconclusive', 'taken from the WGAN experiment’s verdict table', 'results/mnist-wgan/');
  }
  // Only the GP-vs-SN rows belong to this claim (the file also compares the two penalties).
  const rows = source.rows.filter((v) => v.comparison.startsWith('gp − sn'));
  const verdicts = rows.map((v) => v.verdict);
  const combined: Verdict = verdicts.some((v) => v === 'not supported') ? 'not supported' : verdicts.every((v) => v === 'supported') && verdicts.length ? 'supported' : 'inconclusive';
  const measured = rows.map((v) => `${v.claim}: ${v.comparison} = ${formatInterval({ mean: v.difference ?? Number.NaN, lo: v.lo ?? Number.NaN, hi: v.hi ?? Number.NaN, n: v.seeds })} → ${v.verdict}`).join('; ');
  return row(e, 7, title, measured, combined, 'supported if every WGAN sub-claim (fewer epochs, cheaper epochs, better final quality) is supported; not supported if any is not supported', path.relative(process.cwd(), source.file));
}

function claim8(e: string, t: Tables): ClaimRow {
  const runs = t.results.filter((r) => r.lipUpper !== null && r.lipUpper > 0);
  const pgd = (r: Run) => {
    const rows = t.attacks.filter((a) => a.runId === r.runId && a.attack === 'pgd-linf' && a.eps > 0);
    if (!rows.length) return null;
    return rows.reduce((s, a) => s + a.successRate, 0) / rows.length;
  };
  const withPgd = runs.filter((r) => pgd(r) !== null);
  const ms: Measured[] = [
    { name: 'Spearman ρ(Lipschitz bound, mean PGD-L∞ success over ε)', interval: spearmanInterval(withPgd.map((r) => r.lipUpper!), withPgd.map((r) => pgd(r)!)) },
    { name: 'Spearman ρ(Lipschitz bound, accuracy gap)', interval: spearmanInterval(runs.map((r) => r.lipUpper!), runs.map((r) => r.gapAcc)) },
  ];
  return row(e, 8, 'Across all trained models, a lower Lipschitz upper bound goes with a lower PGD attack success rate and a smaller generalization gap', describe(ms), directionalVerdict(ms.map((m) => m.interval)), `percentile bootstrap (2000 resamples of runs) 95% intervals; ${DIRECTIONAL_RULE.replace('difference', 'correlation')}`, 'charts/lip-vs-attack-success.svg');
}

/** One verdict that another experiment computed, with its paired interval. */
export interface SourceVerdict {
  readonly claim: string;
  /** e.g. "gp − sn, paired by seed". */
  readonly comparison: string;
  readonly difference: number | null;
  readonly lo: number | null;
  readonly hi: number | null;
  readonly seeds: number;
  readonly verdict: Verdict;
}

/**
 * Verdicts of another experiment that a claim takes as its evidence (claim 7: the WGAN
 * comparison). The harness finds and reads them (src/wgan/claim-source.ts for WGAN), so
 * this file knows no other experiment's files.
 */
export interface VerdictSource {
  /** The file the verdicts come from, named in claims.csv. */
  readonly file: string;
  /** null when that file does not exist yet (the experiment has not run). */
  readonly rows: readonly SourceVerdict[] | null;
}

export interface ClaimsOptions {
  /** The WGAN experiment's verdicts, for claim 7. */
  readonly wgan?: VerdictSource;
}

export function computeClaims(experiment: string, t: Tables, opts: ClaimsOptions = {}): ClaimRow[] {
  const rs = t.results;
  return [
    claim1(experiment, rs),
    claim2(experiment, t),
    claim3(experiment, rs),
    claim4(experiment, rs),
    accuracyClaim(experiment, rs, 5, 'spectral-norm', 'spectral-projection', 'Spectral normalization applied as a post-step constraint (Keras kernel_constraint) trains worse than the reparameterized one'),
    accuracyClaim(experiment, rs, 6, 'spectral-norm', 'frobenius-norm', 'Frobenius normalization over-constrains: lower clean accuracy than spectral normalization at the same per-layer bound'),
    claim7(experiment, opts.wgan),
    claim8(experiment, t),
  ];
}

export function readClaims(file: string): ClaimRow[] {
  return parseTable(file, fs.readFileSync(file, 'utf8'), ClaimRow);
}
