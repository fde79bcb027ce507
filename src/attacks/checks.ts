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
 */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { AttackRow, RunKey } from '../results/rows.js';
import {
  AttackSpec,
  attackFromSpec,
  oneStepBaseline,
  type AttackName,
  type AttackSpecInput,
  type ParsedAttackSpec,
} from './index.js';
import { runAttack, type KeepAdversarialOptions, type RunAttackResult } from './run-attack.js';
import type { Classifier, Norm } from './types.js';
import type { CancelSignal } from '../util/cancel.js';

/** A row of attacks.csv without the run's key columns and certifiedAcc (filled by others). */
export type AttackEvalRow = Omit<AttackRow, keyof RunKey | 'certifiedAcc'>;

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
  const { keepAdversarial, targets, signal, ...scalar } = opts;
  const o = EvaluateAttacksOptions.parse(scalar);
  const parsed = specs.map((s, i) => {
    const r = AttackSpec.safeParse(s);
    if (!r.success) throw new Error(`attack spec #${i}: ${z.prettifyError(r.error)}`);
    return r.data;
  });
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
        seconds: p.seconds,
      });
    });
  }
  return rows;
}
