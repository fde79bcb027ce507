/**
 * runAttack: evaluate one attack over a whole list of ε in a single call (Foolbox 3's
 * habit), batch by batch so memory stays bounded by the batch size.
 *
 * It alone makes the threat model hold: every attack output is re-projected onto the
 * ε-ball of the attack's norm and clipped to [0,1] here, and non-finite entries are
 * reset to the clean input. We never trust an attack's own output.
 *
 * Definitions (all points count, as in Foolbox and AutoAttack):
 *   success[i]  = 1 if the model misclassifies the projected x_adv[i]; a clean
 *                 misclassification counts as success (the point is not robust).
 *   robustAcc   = fraction of ALL points still correct = 1 − mean(success).
 *   successRate = fraction of the originally correct points that were flipped
 *                 (0 when no point was correct).
 * At ε = 0 the attack is not called: x_adv = x by definition.
 *
 * An ensemble (an attack with `members`) is run member by member: the first attacks
 * every point, each later one only the points that all earlier ones left robust, so a
 * point counts as broken when any member breaks it (the per-point worst case). Each
 * point's breaker and the robust accuracy after each member are returned.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { deriveSeed, projectToFeasible } from './geometry.js';
import { perExampleCrossEntropy } from './losses.js';
import { logits } from '../models/logits.js';
import { gatherRows } from './subset.js';
import type { Attack, Classifier, Norm } from './types.js';
import { checkpoint, type CancelSignal } from '../util/cancel.js';
import { createProgress } from '../util/progress.js';

const ScalarOptions = z.strictObject({
  /** Examples per forward/backward pass (default 256). */
  batchSize: z.int().min(1).default(256),
  /**
   * Base seed; batch b at ε index e uses deriveSeed(seed, b, e) (default 0). Results
   * are identical for the same seed and batchSize; another batchSize regroups the draws.
   */
  seed: z.int().default(0),
  /** Ask the installed progress drawer for a bar (util/progress.ts; default true). */
  progress: z.boolean().default(true),
  /** Compute the zero-gradient sanity check at the clean inputs (default true). */
  checkZeroGrad: z.boolean().default(true),
});

export interface KeepAdversarialOptions {
  /** Keep x_adv for the first `maxExamples` examples only (default 1000). */
  readonly maxExamples?: number;
  /** Keep them at these ε only (default: every ε of the call). */
  readonly epsilons?: readonly number[];
}

export interface RunAttackOptions {
  readonly batchSize?: number;
  readonly seed?: number;
  readonly progress?: boolean;
  readonly checkZeroGrad?: boolean;
  /** Return the projected adversarial examples (bounded, see KeepAdversarialOptions). */
  readonly keepAdversarial?: boolean | KeepAdversarialOptions;
  /** Target classes [N] for attacks built with `target: 'given'`. */
  readonly targets?: tf.Tensor1D;
  /** Checked after every batch × ε (with a turn of the event loop); aborting throws Cancelled. */
  readonly signal?: CancelSignal;
}

/** One ensemble member's share of the result at one ε. */
export interface MemberResult {
  readonly name: string;
  readonly gradientFree: boolean;
  /** Points this member broke that every earlier member had left robust. */
  readonly broken: number;
  /** Robust accuracy after this member (and all before it). */
  readonly robustAcc: number;
  /** Wall time of this member at this ε. */
  readonly seconds: number;
}

/** brokenBy codes for points that no member broke. */
export const NOT_BROKEN = -1;
export const CLEAN_ERROR = -2;

export interface EpsResult {
  readonly eps: number;
  /** Per example: 1 = not robust at this ε (misclassified after the attack). */
  readonly success: Uint8Array;
  /** Per example, only when `targets` was given: 1 = predicted class equals the target. */
  readonly targetHit?: Uint8Array;
  readonly robustAcc: number;
  readonly successRate: number;
  /** Wall time spent on this ε (attack + projection + prediction), summed over batches. */
  readonly seconds: number;
  /**
   * Projected x_adv for examples 0..keptExamples−1, when requested; the caller
   * disposes it. Pair it with x.slice(0, keptExamples) for Lipschitz lower bounds.
   */
  readonly adversarial?: tf.Tensor4D;
  /** Ensembles only: per member, in order. */
  readonly members?: MemberResult[];
  /**
   * Ensembles only, per point: the index of the member that broke it, NOT_BROKEN (−1)
   * when it is robust, CLEAN_ERROR (−2) when it was misclassified without an attack.
   */
  readonly brokenBy?: Int8Array;
}

export interface RunAttackResult {
  readonly attack: string;
  readonly norm: Norm;
  readonly n: number;
  readonly cleanCorrect: Uint8Array;
  readonly cleanAcc: number;
  /** Per example: 1 = Σ|∇ₓ CE(x, y)| < 1e-8 at the clean input (AutoAttack's test). */
  readonly zeroGrad?: Uint8Array;
  readonly zeroGradFraction?: number;
  /**
   * Per example: 1 = more than half of the coordinates of ∇ₓ CE at the clean input are
   * exactly 0, so a sign or normalized step leaves most pixels where they are.
   */
  readonly zeroStep?: Uint8Array;
  readonly zeroStepFraction?: number;
  readonly keptExamples: number;
  readonly perEps: EpsResult[];
}

/** AutoAttack's threshold for a gradient that is zero in practice. */
const ZERO_GRAD_L1 = 1e-8;

/** A step that leaves more than this fraction of the coordinates at 0 is flagged per point. */
const ZERO_STEP_COORDS = 0.5;

/** Per example [zero gradient (Σ|g| < 1e-8), zero step (> 50% of g exactly 0)], as int32 [2, N]. */
function gradientChecks(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const g = tf.grad((xx: tf.Tensor) => tf.sum(perExampleCrossEntropy(logits(model, xx as tf.Tensor4D), y)))(x);
    const small = tf.less(tf.sum(tf.abs(g), [1, 2, 3]), ZERO_GRAD_L1);
    const zeroShare = tf.mean(tf.cast(tf.equal(g, 0), 'float32'), [1, 2, 3]);
    return tf.cast(tf.stack([small, tf.greater(zeroShare, ZERO_STEP_COORDS)]), 'int32') as tf.Tensor2D;
  });
}

function predict(model: Classifier, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.argMax(logits(model, x), 1), 'int32') as tf.Tensor1D);
}

function validateInputs(x: tf.Tensor4D, y: tf.Tensor1D, epsilons: readonly number[], targets?: tf.Tensor1D): void {
  if (x.rank !== 4) throw new Error(`x must be NHWC (rank 4), got rank ${x.rank}`);
  if (y.rank !== 1 || y.shape[0] !== x.shape[0]) throw new Error(`y must be [${x.shape[0]}], got [${y.shape.join(', ')}]`);
  if (y.dtype !== 'int32') throw new Error(`y must be int32 labels, got ${y.dtype}`);
  if (targets && targets.dtype !== 'int32') throw new Error(`targets must be int32, got ${targets.dtype}`);
  if (targets && (targets.rank !== 1 || targets.shape[0] !== x.shape[0])) {
    throw new Error(`targets must be [${x.shape[0]}], got [${targets.shape.join(', ')}]`);
  }
  if (epsilons.length === 0) throw new Error('runAttack needs at least one ε');
  for (const e of epsilons) if (!(e >= 0) || !Number.isFinite(e)) throw new Error(`ε must be finite and ≥ 0, got ${e}`);
}

export async function runAttack(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  attack: Attack,
  epsilons: readonly number[],
  opts: RunAttackOptions = {},
): Promise<RunAttackResult> {
  const o = ScalarOptions.parse({
    batchSize: opts.batchSize,
    seed: opts.seed,
    progress: opts.progress,
    checkZeroGrad: opts.checkZeroGrad,
  });
  validateInputs(x, y, epsilons, opts.targets);
  if (attack.members && opts.targets) throw new Error(`${attack.name}: an ensemble takes no given targets`);
  const n = x.shape[0];
  const [, h, w, c] = x.shape;
  const d = h * w * c;
  if (attack.validate && n > 0) {
    const numClasses = tf.tidy(() => logits(model, tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1])).shape[1]);
    attack.validate({ numClasses, inputShape: [h, w, c] });
  }
  const keep = opts.keepAdversarial === true ? {} : opts.keepAdversarial === false ? undefined : opts.keepAdversarial;
  const keptExamples = keep ? Math.min(n, Math.max(0, Math.floor(keep.maxExamples ?? 1000))) : 0;
  const keepEps = epsilons.map((e) => keep !== undefined && (keep.epsilons === undefined || keep.epsilons.includes(e)));
  const kept = keepEps.map((k) => (k && keptExamples > 0 ? new Float32Array(keptExamples * d) : undefined));

  const cleanCorrect = new Uint8Array(n);
  const zeroGrad = o.checkZeroGrad ? new Uint8Array(n) : undefined;
  const zeroStep = o.checkZeroGrad ? new Uint8Array(n) : undefined;
  const yAll = (await y.data()) as Int32Array;
  const tAll = opts.targets ? ((await opts.targets.data()) as Int32Array) : undefined;
  const members = attack.members ?? [attack];
  const batches = Math.ceil(n / o.batchSize);

  for (let b = 0; b < batches; b++) {
    const start = b * o.batchSize;
    const size = Math.min(o.batchSize, n - start);
    const xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
    const yb = tf.slice(y, [start], [size]);
    try {
      const pred = predict(model, xb);
      const p = await pred.data();
      pred.dispose();
      for (let i = 0; i < size; i++) cleanCorrect[start + i] = p[i] === yAll[start + i] ? 1 : 0;
      if (zeroGrad && zeroStep) {
        const checks = gradientChecks(model, xb, yb);
        const v = await checks.data();
        checks.dispose();
        zeroGrad.set(v.subarray(0, size), start);
        zeroStep.set(v.subarray(size, 2 * size), start);
      }
    } finally {
      tf.dispose([xb, yb]);
    }
  }

  const bar = o.progress ? createProgress(`${attack.name} [{bar}] {value}/{total} batch×ε | ETA {eta}s`) : undefined;
  bar?.start(batches * epsilons.length * members.length, 0);
  const perEps: EpsResult[] = [];
  try {
    for (let e = 0; e < epsilons.length; e++) {
      const eps = epsilons[e]!;
      const t0 = performance.now();
      const success = new Uint8Array(n);
      const targetHit = tAll ? new Uint8Array(n) : undefined;
      const brokenBy = new Int8Array(n);
      for (let i = 0; i < n; i++) brokenBy[i] = cleanCorrect[i] ? NOT_BROKEN : CLEAN_ERROR;
      const store = kept[e];
      const memberResults: MemberResult[] = [];
      for (let m = 0; m < members.length; m++) {
        const member = members[m]!;
        // ε = 0 means x_adv = x: the clean predictions already say everything.
        const active: number[] = [];
        for (let i = 0; i < n; i++) if (m === 0 || success[i] === 0) active.push(i);
        const chunks = eps === 0 && m > 0 ? 0 : Math.ceil(active.length / o.batchSize);
        const tm = performance.now();
        let broken = 0;
        for (let b = 0; b < chunks; b++) {
          const idx = active.slice(b * o.batchSize, (b + 1) * o.batchSize);
          const contiguous = idx[idx.length - 1]! - idx[0]! === idx.length - 1;
          const take = <T extends tf.Tensor>(t: T): T =>
            contiguous ? (tf.slice(t, [idx[0]!, ...t.shape.slice(1).map(() => 0)], [idx.length, ...t.shape.slice(1).map(() => -1)]) as T) : gatherRows(t, idx);
          const xb = take(x);
          const yb = take(y);
          const tb = opts.targets ? take(opts.targets) : undefined;
          try {
            let xAdv: tf.Tensor4D;
            if (eps === 0) {
              xAdv = xb.clone();
            } else {
              // The first member keeps the seeds a lone attack always had (batch, ε).
              const seed = m === 0 ? deriveSeed(o.seed, b, e) : deriveSeed(o.seed, b, e, m);
              const raw = member.perturb(model, xb, yb, eps, { seed, targets: tb });
              if (raw.shape.join() !== xb.shape.join()) {
                raw.dispose();
                throw new Error(`attack ${member.name} returned shape [${raw.shape}] for input [${xb.shape}]`);
              }
              xAdv = tf.tidy(() => {
                // A NaN would survive both clips; fall back to the clean coordinate instead.
                const finite = tf.where(tf.isFinite(raw), raw, xb) as tf.Tensor4D;
                return projectToFeasible(xb, finite, attack.norm, eps);
              });
              raw.dispose();
            }
            const pred = predict(model, xAdv);
            const predData = await pred.data();
            pred.dispose();
            if (store && idx[0]! < keptExamples) {
              const rows = await xAdv.data();
              idx.forEach((i, a) => {
                if (i < keptExamples) store.set(rows.subarray(a * d, (a + 1) * d), i * d);
              });
            }
            xAdv.dispose();
            idx.forEach((i, a) => {
              const wrong = predData[a] !== yAll[i];
              success[i] = wrong ? 1 : 0;
              if (wrong && brokenBy[i] === NOT_BROKEN) {
                brokenBy[i] = m;
                broken++;
              }
              if (targetHit && tAll) targetHit[i] = predData[a] === tAll[i] ? 1 : 0;
            });
          } finally {
            tf.dispose([xb, yb]);
            tb?.dispose();
          }
          bar?.increment();
          await checkpoint(opts.signal);
        }
        bar?.increment(batches - chunks);
        memberResults.push({
          name: member.name,
          gradientFree: member.gradientFree === true,
          broken,
          robustAcc: n === 0 ? 0 : (n - count(success)) / n,
          seconds: (performance.now() - tm) / 1000,
        });
      }
      let flipped = 0;
      for (let i = 0; i < n; i++) if (cleanCorrect[i] === 1 && success[i] === 1) flipped++;
      const nCorrect = count(cleanCorrect);
      perEps.push({
        eps,
        success,
        ...(targetHit ? { targetHit } : {}),
        robustAcc: n === 0 ? 0 : (n - count(success)) / n,
        successRate: nCorrect === 0 ? 0 : flipped / nCorrect,
        seconds: (performance.now() - t0) / 1000,
        ...(store ? { adversarial: tf.tensor4d(store, [keptExamples, h, w, c]) } : {}),
        ...(attack.members ? { members: memberResults, brokenBy } : {}),
      });
    }
  } catch (err) {
    for (const p of perEps) p.adversarial?.dispose();
    throw err;
  } finally {
    bar?.stop();
  }

  const nCorrect = count(cleanCorrect);
  return {
    attack: attack.name,
    norm: attack.norm,
    n,
    cleanCorrect,
    cleanAcc: n === 0 ? 0 : nCorrect / n,
    ...(zeroGrad ? { zeroGrad, zeroGradFraction: n === 0 ? 0 : count(zeroGrad) / n } : {}),
    ...(zeroStep ? { zeroStep, zeroStepFraction: n === 0 ? 0 : count(zeroStep) / n } : {}),
    keptExamples: kept.some((k) => k !== undefined) ? keptExamples : 0,
    perEps,
  };
}

function count(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
