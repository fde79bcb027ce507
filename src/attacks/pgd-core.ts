/**
 * Projected gradient ascent, the functional core behind every attack in this
 * package (CleverHans style): FGSM and FGM are a single step of it with step size ε
 * and no random start; PGD is many steps from a random start, with restarts.
 *
 * Each step: x ← Π_{B(x₀,ε) ∩ [0,1]^d}(x + α·dir(∇ₓ L)), dir = sign (L∞) or g/‖g‖₂ (L2).
 * With several restarts, each example keeps the worst case over restarts: a restart
 * that reaches the attack's goal (misclassified, or the target hit) beats one that
 * does not, and among equals the higher objective wins. Restart 0 uses the same seed
 * whatever the number of restarts, so adding restarts can only make the attack stronger.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ascentStep, deriveSeed, projectToFeasible, randomInBall } from './geometry.js';
import { z } from 'zod';
import { attackObjective, lossOptionShape, resolveTargets, type AttackLoss, type TargetMode } from './losses.js';
import type { Attack, Classifier, Norm, PerturbContext } from './types.js';
import { logits } from '../models/logits.js';

export interface PgdCoreOptions {
  readonly norm: Norm;
  readonly steps: number;
  /** Absolute step size α, already resolved from relative/default settings. */
  readonly stepSize: number;
  readonly randomStart: boolean;
  readonly restarts: number;
  readonly loss: AttackLoss;
  readonly target: TargetMode;
}

/** ∇ₓ of the summed per-example objective; examples are independent, so row i is ∇ of example i. */
export function objectiveGradient(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  loss: AttackLoss,
  targets?: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const f = (xx: tf.Tensor) => tf.sum(attackObjective(logits(model, xx as tf.Tensor4D), y, loss, targets));
    return tf.grad(f)(x) as tf.Tensor4D;
  });
}

function numClasses(model: Classifier, x: tf.Tensor4D): number {
  const k = model.outputs[0]?.shape[1];
  if (typeof k === 'number') return k;
  return tf.tidy(() => logits(model, tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1])).shape[1]);
}

function runOnce(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  eps: number,
  o: PgdCoreOptions,
  targets: tf.Tensor1D | undefined,
  seed: number | undefined,
): tf.Tensor4D {
  let xAdv = o.randomStart
    ? tf.tidy(() => projectToFeasible(x, tf.add(x, randomInBall(x.shape, o.norm, eps, seed)) as tf.Tensor4D, o.norm, eps))
    : x.clone();
  for (let s = 0; s < o.steps; s++) {
    const next = tf.tidy(() => {
      return ascentStep(x, xAdv, objectiveGradient(model, xAdv, y, o.loss, targets), o.norm, o.stepSize, eps);
    });
    xAdv.dispose();
    xAdv = next;
  }
  return xAdv;
}

/** Per-example [goal reached (0/1), objective] at xAdv. */
function score(
  model: Classifier,
  xAdv: tf.Tensor4D,
  y: tf.Tensor1D,
  o: PgdCoreOptions,
  targets: tf.Tensor1D | undefined,
): { reached: tf.Tensor1D; objective: tf.Tensor1D } {
  return tf.tidy(() => {
    const z = logits(model, xAdv);
    const pred = tf.argMax(z, 1);
    const reached = targets === undefined ? tf.notEqual(pred, y) : tf.equal(pred, targets);
    return { reached: tf.cast(reached, 'float32') as tf.Tensor1D, objective: attackObjective(z, y, o.loss, targets) };
  });
}

export function pgdCore(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  eps: number,
  o: PgdCoreOptions,
  ctx: PerturbContext = {},
): tf.Tensor4D {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`eps must be a finite number ≥ 0, got ${eps}`);
  if (x.shape[0] !== y.shape[0]) throw new Error(`x has ${x.shape[0]} examples but y has ${y.shape[0]}`);
  const targets = resolveTargets(o.target, y, o.target === 'next' ? numClasses(model, x) : 0, ctx.targets);
  try {
    const seedFor = (r: number) => (ctx.seed === undefined ? undefined : deriveSeed(ctx.seed, r));
    let best = runOnce(model, x, y, eps, o, targets, seedFor(0));
    if (o.restarts === 1) return best;
    let bestScore = score(model, best, y, o, targets);
    for (let r = 1; r < o.restarts; r++) {
      const cand = runOnce(model, x, y, eps, o, targets, seedFor(r));
      const candScore = score(model, cand, y, o, targets);
      const merged = tf.tidy(() => {
        const better = tf.logicalOr(
          tf.greater(candScore.reached, bestScore.reached),
          tf.logicalAnd(tf.equal(candScore.reached, bestScore.reached), tf.greater(candScore.objective, bestScore.objective)),
        );
        const mask4 = tf.reshape(better, [x.shape[0], 1, 1, 1]);
        return {
          x: tf.where(tf.broadcastTo(mask4, x.shape), cand, best) as tf.Tensor4D,
          reached: tf.where(better, candScore.reached, bestScore.reached) as tf.Tensor1D,
          objective: tf.where(better, candScore.objective, bestScore.objective) as tf.Tensor1D,
        };
      });
      tf.dispose([best, cand, bestScore.reached, bestScore.objective, candScore.reached, candScore.objective]);
      best = merged.x;
      bestScore = { reached: merged.reached, objective: merged.objective };
    }
    tf.dispose([bestScore.reached, bestScore.objective]);
    return best;
  } finally {
    targets?.dispose();
  }
}

/**
 * Resolve PGD's step size: an absolute `stepSize`, else `relStepSize`·ε, else Madry
 * et al.'s 2.5·ε/steps (enough to cross the ball from any start within the budget).
 */
export function resolveStepSize(eps: number, steps: number, stepSize?: number, relStepSize?: number): number {
  if (stepSize !== undefined) return stepSize;
  if (relStepSize !== undefined) return relStepSize * eps;
  return (2.5 * eps) / steps;
}

/** The options every PGD variant takes (documented in pgd-linf.ts and pgd-l2.ts). */
export const PgdOptions = z
  .strictObject({
    steps: z.int().min(1).default(40),
    stepSize: z.number().positive().optional(),
    relStepSize: z.number().positive().optional(),
    randomStart: z.boolean().default(true),
    restarts: z.int().min(1).default(1),
    ...lossOptionShape,
  })
  .refine((o) => o.stepSize === undefined || o.relStepSize === undefined, {
    message: 'give stepSize or relStepSize, not both',
    path: ['stepSize'],
  });
export type PgdOptions = z.input<typeof PgdOptions>;

/** A PGD attack in one norm: the variants differ only in name and norm. */
export function pgdAttack(name: string, norm: Norm, options: PgdOptions): Attack {
  const o = PgdOptions.parse(options);
  return {
    name,
    norm,
    perturb: (model, x, y, eps, ctx) =>
      pgdCore(
        model,
        x,
        y,
        eps,
        {
          norm,
          steps: o.steps,
          stepSize: resolveStepSize(eps, o.steps, o.stepSize, o.relStepSize),
          randomStart: o.randomStart,
          restarts: o.restarts,
          loss: o.loss,
          target: o.target,
        },
        ctx,
      ),
  };
}
