/**
 * Verdicts on the seed post's claims about spectral normalization vs the gradient
 * penalty in WGAN critics, computed from wgan.csv alone. The rules were fixed before
 * any run was made and are written into every verdict row:
 *
 *   quality  = Fréchet distance (FD) of classifier features, lower is better;
 *   final    = the last evaluated epoch of a run;
 *   d(s)     = a per-seed difference oriented so that d > 0 favours the claim, paired
 *              by seed (runs with the same seed share data order and evaluation noise);
 *   interval = 95% Student-t interval of mean d over the seeds both variants have;
 *   verdict  = 'supported' if the interval lies above 0, 'not supported' if it lies
 *              below 0, 'inconclusive' otherwise (including fewer than 2 paired seeds).
 *
 * Claims (seed post, second half):
 *  1. SN reaches GP's final quality in fewer epochs. Target T = mean over seeds of GP's
 *     final FD. E_v(s) = first evaluated epoch ≥ 1 with FD ≤ T, or final epoch + 1 if
 *     never (censored). d = E_gp − E_sn.
 *  2. SN epochs are faster. Mean training seconds per epoch (evaluation excluded).
 *     d = sec_gp − sec_sn. Secondary row: seconds per critic step.
 *  3. SN's final quality is better. d = FD_gp − FD_sn at the final epoch.
 *  4. (The post's aside) the one-sided "relu" penalty is better than the two-sided one:
 *     d = FD_gp − FD_gp-one-sided at the final epoch.
 * With 2 seeds the t quantile is 12.7, so only large, consistent effects are
 * 'supported'; integer epoch counts that happen to be equal across seeds give a
 * zero-width interval, which the rule takes at face value.
 */
import { meanInterval, type Interval } from '../claims/stats.js';
import type { VerdictRow, WganRow } from './rows.js';

const RULE_TAIL = '95% t-interval of the mean paired (by seed) difference: above 0 → supported; below 0 → not supported; else inconclusive';

export function verdictOf(iv: Interval): VerdictRow['verdict'] {
  if (iv.n < 2 || !Number.isFinite(iv.lo) || !Number.isFinite(iv.hi)) return 'inconclusive';
  if (iv.lo > 0) return 'supported';
  if (iv.hi < 0) return 'not supported';
  return 'inconclusive';
}

/** Rows of one variant grouped by seed, each run's rows sorted by epoch. */
function runsOf(rows: readonly WganRow[], kind: string): Map<number, WganRow[]> {
  const ofKind = rows.filter((r) => r.kind === kind);
  const labels = [...new Set(ofKind.map((r) => r.variant))];
  // Several variants of one kind: the one labelled with the kind itself, else the first.
  const label = labels.includes(kind) ? kind : labels[0];
  const out = new Map<number, WganRow[]>();
  for (const r of ofKind) {
    if (r.variant !== label) continue;
    const list = out.get(r.seed) ?? [];
    list.push(r);
    out.set(r.seed, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.epoch - b.epoch);
  return out;
}

function finalRow(run: readonly WganRow[]): WganRow | undefined {
  return run[run.length - 1];
}

function meanOf(xs: readonly number[]): number | null {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length === 0 ? null : f.reduce((a, b) => a + b, 0) / f.length;
}

interface Paired {
  seeds: number[];
  base: number[];
  cand: number[];
}

function pair(a: Map<number, WganRow[]>, b: Map<number, WganRow[]>, metric: (run: WganRow[]) => number | null): Paired {
  const out: Paired = { seeds: [], base: [], cand: [] };
  for (const seed of [...a.keys()].sort((x, y) => x - y)) {
    const rb = b.get(seed);
    if (!rb) continue;
    const va = metric(a.get(seed)!);
    const vb = metric(rb);
    if (va === null || vb === null || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
    out.seeds.push(seed);
    out.base.push(va);
    out.cand.push(vb);
  }
  return out;
}

function row(claim: string, metric: string, comparison: string, rule: string, p: Paired, sign: 1 | -1): VerdictRow {
  // d > 0 favours the claim: sign 1 means base − candidate, −1 candidate − base.
  const d = p.base.map((b, i) => sign * (b - p.cand[i]!));
  const iv = meanInterval(d);
  return {
    claim,
    metric,
    comparison,
    rule: `${rule}; ${RULE_TAIL}`,
    baselineMean: meanOf(p.base),
    candidateMean: meanOf(p.cand),
    difference: d.length ? iv.mean : null,
    lo: d.length ? iv.lo : null,
    hi: d.length ? iv.hi : null,
    seeds: d.length,
    verdict: verdictOf(iv),
  };
}

const finalFd = (run: WganRow[]): number | null => finalRow(run)?.frechet ?? null;
const trainedEpochs = (run: WganRow[]): WganRow[] => run.filter((r) => r.epoch >= 1);

export function computeVerdicts(rows: readonly WganRow[]): VerdictRow[] {
  const gp = runsOf(rows, 'gp');
  const sn = runsOf(rows, 'sn');
  const one = runsOf(rows, 'gp-one-sided');
  const out: VerdictRow[] = [];

  const gpFinals = [...gp.values()].map(finalFd).filter((v): v is number => v !== null && Number.isFinite(v));
  const target = gpFinals.length ? gpFinals.reduce((a, b) => a + b, 0) / gpFinals.length : Number.NaN;
  const epochsToTarget = (run: WganRow[]): number | null => {
    if (!Number.isFinite(target)) return null;
    const hit = trainedEpochs(run).find((r) => r.frechet !== null && r.frechet <= target);
    return hit ? hit.epoch : (finalRow(run)?.epoch ?? 0) + 1;
  };
  out.push(
    row(
      'SN reaches GP’s final quality in fewer epochs',
      `epochs until FD ≤ ${Number.isFinite(target) ? target.toFixed(2) : '—'} (GP’s mean final FD)`,
      'gp − sn (epochs)',
      'first evaluated epoch with FD ≤ mean final FD of gp; final epoch + 1 if never reached',
      pair(gp, sn, epochsToTarget),
      1,
    ),
  );
  out.push(
    row(
      'SN epochs are faster than GP epochs',
      'training seconds per epoch (mean over epochs)',
      'gp − sn (s)',
      'mean wall-clock training seconds per epoch (evaluation excluded)',
      pair(gp, sn, (run) => meanOf(trainedEpochs(run).map((r) => r.epochSeconds ?? Number.NaN))),
      1,
    ),
  );
  out.push(
    row(
      'SN critic steps are faster than GP critic steps',
      'seconds per critic step (mean over epochs)',
      'gp − sn (s)',
      'mean wall-clock seconds per critic step',
      pair(gp, sn, (run) => meanOf(trainedEpochs(run).map((r) => r.secondsPerCriticStep ?? Number.NaN))),
      1,
    ),
  );
  out.push(row('SN’s final quality is better than GP’s', 'final-epoch FD', 'gp − sn (FD)', 'FD at the last evaluated epoch', pair(gp, sn, finalFd), 1));
  out.push(
    row(
      'The one-sided (relu) penalty gives better final quality than the two-sided one',
      'final-epoch FD',
      'gp − gp-one-sided (FD)',
      'FD at the last evaluated epoch',
      pair(gp, one, finalFd),
      1,
    ),
  );
  return out;
}
