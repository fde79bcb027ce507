/**
 * AutoAttack-style sanity checks, returned as flags on every result row (never
 * hidden, never fatal): a flag means "this robust accuracy is probably an
 * overestimate; look before you believe it" (Croce & Hein 2020, Carlini et al. 2019).
 *
 *   flagPgdWeakerThanFgsm  a multi-step attack's robust accuracy is more than
 *                          `pgdTolerance` (0.5 points) above its one-step baseline of the
 *                          same norm at the same ε (pgd-linf vs fgsm, pgd-l2 vs fgm-l2).
 *                          Set on the multi-step row; needs both attacks in one call.
 *   flagRobustAccRises     robust accuracy at this ε exceeds that at some smaller ε of
 *                          the same attack by more than `riseTolerance` (default 0).
 *   flagLargeEpsNotZero    with `largeEpsCheck`, the attack also runs at an ε whose ball
 *                          covers the whole box (L∞: 1, L2: √d); robust accuracy there
 *                          above `largeEpsThreshold` (1%) flags every row of the attack.
 *                          False when the check was not requested, and for one-step
 *                          attacks (fgsm, fgm-l2), which may legitimately fail there.
 *   flagZeroGrad           more than `zeroGradThreshold` (1%) of the examples have
 *                          Σ|∇ₓ CE| < 1e-8 at the clean input (gradient masking or
 *                          saturated softmax). Same value on every row of the call.
 *   flagZeroStep           more than `zeroStepThreshold` (1%) of the examples have over
 *                          half of the coordinates of ∇ₓ CE exactly 0 at the clean input,
 *                          so a sign step leaves most pixels in place. Same on every row.
 *   flagGradientMasking    a gradient-free attack (Square) broke more than
 *                          `maskingThreshold` (0.5%) of the points that every gradient
 *                          attack of the same norm and ε left robust: within an ensemble,
 *                          by its own members; for a lone Square row, against the gradient
 *                          attacks of the same call. The signature of gradient masking.
 * Ensemble rows also carry the robust accuracy after each member and which member broke
 * how many points (`members`, `brokenBy`).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  AttackSpec,
  attackFromSpec,
  oneStepBaseline,
  type AttackName,
  type AttackSpecInput,
  type ParsedAttackSpec,
} from './index.js';
import { CLEAN_ERROR, runAttack, type EpsResult, type KeepAdversarialOptions, type MemberResult, type RunAttackResult } from './run-attack.js';
import type { Classifier, Norm } from './types.js';
import type { CancelSignal } from '../util/cancel.js';

/**
 * One attack at one ε: what the harness writes as a row of attacks.csv, less the run's
 * key columns and the certificates (src/results/rows.ts checks that the two agree).
 * The flags are described at the top of this file.
 */
export interface AttackEvalRow {
  attack: string;
  norm: Norm;
  eps: number;
  n: number;
  cleanAcc: number;
  robustAcc: number;
  /** Fraction of originally-correct points flipped. */
  successRate: number;
  flagPgdWeakerThanFgsm: boolean;
  flagRobustAccRises: boolean;
  flagLargeEpsNotZero: boolean;
  flagZeroGrad: boolean;
  flagZeroStep: boolean | null;
  flagGradientMasking: boolean | null;
  /** Ensembles: robust accuracy after each member and its wall time, `name:acc:seconds` joined by ';'. Empty otherwise. */
  members: string;
  /** Ensembles: points broken by each member, `name:count` joined by ';'. Empty otherwise. */
  brokenBy: string;
  seconds: number;
}

export const EvaluateAttacksOptions = z.strictObject({
  batchSize: z.int().min(1).default(256),
  seed: z.int().default(0),
  progress: z.boolean().default(true),
  /** Also run each attack at a box-covering ε (L∞ 1, L2 √d) for flagLargeEpsNotZero. */
  largeEpsCheck: z.boolean().default(false),
  pgdTolerance: z.number().min(0).default(0.005),
  riseTolerance: z.number().min(0).default(0),
  largeEpsThreshold: z.number().min(0).default(0.01),
  zeroGradThreshold: z.number().min(0).default(0.01),
  zeroStepThreshold: z.number().min(0).default(0.01),
  maskingThreshold: z.number().min(0).default(0.005),
});
export type EvaluateAttacksOptions = z.input<typeof EvaluateAttacksOptions> & {
  /** Passed to runAttack for every spec; see RunAttackOptions. */
  readonly keepAdversarial?: boolean | KeepAdversarialOptions;
  readonly targets?: tf.Tensor1D;
  readonly signal?: CancelSignal;
};

export interface AttackRunRecord {
  readonly spec: ParsedAttackSpec;
  /** Includes the extra large-ε point, if it was run; adversarial tensors are the caller's to dispose. */
  readonly result: RunAttackResult;
  readonly largeEps?: { readonly eps: number; readonly robustAcc: number };
}

export interface AttackEvaluation {
  readonly rows: AttackEvalRow[];
  readonly runs: AttackRunRecord[];
}

/** The ε whose ball contains the whole [0,1]^d box around any point of it. */
export function boxCoveringEps(norm: Norm, dims: number): number {
  return norm === 'linf' ? 1 : Math.sqrt(dims);
}

/**
 * For points of one attack, true where robust accuracy exceeds the minimum over all
 * strictly smaller ε by more than `tolerance`. Order of the input is kept.
 */
export function robustAccRises(points: ReadonlyArray<{ eps: number; robustAcc: number }>, tolerance = 0): boolean[] {
  return points.map((p) => points.some((q) => q.eps < p.eps && p.robustAcc > q.robustAcc + tolerance));
}

/** True when the multi-step attack leaves more than `tolerance` more points robust. */
export function pgdWeakerThanFgsm(pgdRobustAcc: number, fgsmRobustAcc: number, tolerance = 0.005): boolean {
  return pgdRobustAcc > fgsmRobustAcc + tolerance;
}

/**
 * Run every spec over its ε list (or `epsilons` when the spec has none), then compute
 * the cross-attack flags. Rows come out in spec order, then ε order.
 */
export async function evaluateAttacks(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  specs: readonly AttackSpecInput[],
  epsilons?: readonly number[],
  opts: EvaluateAttacksOptions = {},
): Promise<AttackEvaluation> {
  const parsed = specs.map((s, i) => {
    const r = AttackSpec.safeParse(s);
    if (!r.success) throw new Error(`attack spec #${i}: ${z.prettifyError(r.error)}`);
    return r.data;
  });
  return evaluateParsedAttacks(model, x, y, parsed, epsilons, opts);
}

/** evaluateAttacks for specs already validated by AttackSpec (the harness's config). */
export async function evaluateParsedAttacks(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  parsed: readonly ParsedAttackSpec[],
  epsilons?: readonly number[],
  opts: EvaluateAttacksOptions = {},
): Promise<AttackEvaluation> {
  const { keepAdversarial, targets, signal, ...scalar } = opts;
  const o = EvaluateAttacksOptions.parse(scalar);
  const dims = x.shape[1] * x.shape[2] * x.shape[3];

  const runs: AttackRunRecord[] = [];
  for (const [i, spec] of parsed.entries()) {
    const eps = spec.eps ?? (epsilons ? [...epsilons] : undefined);
    if (!eps || eps.length === 0) throw new Error(`attack spec #${i} (${spec.name}) has no eps and no default ε list was given`);
    const attack = attackFromSpec(spec);
    const big = boxCoveringEps(attack.norm, dims);
    // Only iterative attacks must reach 0% inside a box-covering ball: one signed step
    // from x (FGSM) legitimately leaves some points correct even at ε = 1, so flagging
    // it would be noise. AutoAttack applies the check to its multi-step attacks too.
    const checkLarge = o.largeEpsCheck && oneStepBaseline(spec.name) !== undefined;
    const extra = checkLarge && !eps.includes(big);
    const result = await runAttack(model, x, y, attack, extra ? [...eps, big] : eps, {
      batchSize: o.batchSize,
      seed: o.seed,
      progress: o.progress,
      ...(keepAdversarial !== undefined ? { keepAdversarial } : {}),
      ...(targets ? { targets } : {}),
      ...(signal ? { signal } : {}),
    });
    const bigPoint = checkLarge ? result.perEps.find((p) => p.eps === big) : undefined;
    runs.push({
      spec: { ...spec, eps },
      result,
      ...(bigPoint ? { largeEps: { eps: big, robustAcc: bigPoint.robustAcc } } : {}),
    });
  }
  return { rows: flagRows(runs, o), runs };
}

function flagRows(runs: readonly AttackRunRecord[], o: z.output<typeof EvaluateAttacksOptions>): AttackEvalRow[] {
  const rows: AttackEvalRow[] = [];
  for (const run of runs) {
    const requested = run.spec.eps ?? [];
    const points = run.result.perEps.filter((p) => requested.includes(p.eps));
    const rises = robustAccRises(points, o.riseTolerance);
    const base: AttackName | undefined = oneStepBaseline(run.spec.name);
    const baselines = base ? runs.filter((r) => r.spec.name === base) : [];
    const largeEpsNotZero = run.largeEps !== undefined && run.largeEps.robustAcc > o.largeEpsThreshold;
    const zeroGrad = (run.result.zeroGradFraction ?? 0) > o.zeroGradThreshold;
    const zeroStep = (run.result.zeroStepFraction ?? 0) > o.zeroStepThreshold;
    const gradientFree = attackFromSpec(run.spec).gradientFree === true;
    points.forEach((p, j) => {
      const baseAccs = baselines.flatMap((b) => b.result.perEps.filter((q) => q.eps === p.eps).map((q) => q.robustAcc));
      const strongest = baseAccs.length > 0 ? Math.min(...baseAccs) : undefined;
      rows.push({
        attack: run.spec.name,
        norm: run.result.norm,
        eps: p.eps,
        n: run.result.n,
        cleanAcc: run.result.cleanAcc,
        robustAcc: p.robustAcc,
        successRate: p.successRate,
        flagPgdWeakerThanFgsm: strongest !== undefined && pgdWeakerThanFgsm(p.robustAcc, strongest, o.pgdTolerance),
        flagRobustAccRises: rises[j]!,
        flagLargeEpsNotZero: largeEpsNotZero,
        flagZeroGrad: zeroGrad,
        flagZeroStep: zeroStep,
        flagGradientMasking: maskedShare(run, p, gradientFree, runs) > o.maskingThreshold,
        members: p.members ? p.members.map((m) => `${m.name}:${m.robustAcc}:${m.seconds.toFixed(2)}s`).join(';') : '',
        brokenBy: p.members && p.brokenBy ? brokenByCounts(p.members, p.brokenBy) : '',
        seconds: p.seconds,
      });
    });
  }
  return rows;
}

/** `clean:n;member:n;…`: how many points each member broke, after the clean errors. */
function brokenByCounts(members: readonly MemberResult[], brokenBy: Int8Array): string {
  let clean = 0;
  for (const b of brokenBy) if (b === CLEAN_ERROR) clean++;
  return [`clean:${clean}`, ...members.map((m) => `${m.name}:${m.broken}`)].join(';');
}

/**
 * The share of all points that a gradient-free attack broke while every gradient attack
 * left them robust: inside an ensemble, the points its gradient-free members broke;
 * for a lone gradient-free attack, compared with the gradient attacks of the same norm
 * at the same ε in this call (0 when there are none to compare with).
 */
function maskedShare(run: AttackRunRecord, p: EpsResult, gradientFree: boolean, runs: readonly AttackRunRecord[]): number {
  const n = run.result.n;
  if (n === 0) return 0;
  if (p.members) return p.members.filter((m) => m.gradientFree).reduce((s, m) => s + m.broken, 0) / n;
  if (!gradientFree || p.eps === 0) return 0;
  const others = runs
    .filter((r) => r !== run && r.result.norm === run.result.norm && attackFromSpec(r.spec).gradientFree !== true)
    .flatMap((r) => r.result.perEps.filter((q) => q.eps === p.eps));
  if (others.length === 0) return 0;
  let masked = 0;
  for (let i = 0; i < n; i++) if (p.success[i] === 1 && run.result.cleanCorrect[i] === 1 && others.every((q) => q.success[i] === 0)) masked++;
  return masked / n;
}
