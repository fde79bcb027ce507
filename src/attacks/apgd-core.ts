/**
 * Auto-PGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks", ICML 2020), L∞ and L2: the engine behind
 * apgd-ce, apgd-dlr and apgd-t.
 *
 * PGD with momentum 0.75 and a step size that needs no tuning: it starts at 2ε and is
 * halved, per example, at checkpoints when the objective went up in at most ρ = 75% of
 * the steps since the last checkpoint, or when neither the step size nor the best
 * objective changed since then; a halving restarts from the best point found. The first
 * checkpoint comes after 22% of the iterations, and the gap shrinks by 3% of them per
 * checkpoint down to 6%. An example counts as broken as soon as any iterate is
 * misclassified, and that iterate is what is returned for it (the attack maximizes the
 * objective, but the goal is misclassification).
 *
 * The per-example state stays on the device; the host reads one number per checkpoint
 * (have all examples been broken?) to stop early.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { deriveSeed, projectToFeasible, steepestDirection, l2NormPerExample, linfNormPerExample } from './geometry.js';
import { attackObjective, type AttackLoss } from './losses.js';
import { logits } from '../models/logits.js';
import { tfSeed } from '../util/rng.js';
import type { Classifier, Norm } from './types.js';

/** The options every APGD variant takes (documented in apgd-ce.ts). */
export const ApgdOptions = z.strictObject({
  /** Iterations per run (paper and AutoAttack: 100). */
  steps: z.int().min(1).default(100),
  /** Runs from independent random starts; later runs only matter for points not yet broken. */
  restarts: z.int().min(1).default(1),
  /** Weight of the new step against the previous one (paper: 0.75). */
  momentum: z.number().gt(0).max(1).default(0.75),
  /** Fraction of increasing steps below which the step size is halved (paper: 0.75). */
  rho: z.number().gt(0).max(1).default(0.75),
});
export type ApgdOptions = z.input<typeof ApgdOptions>;
export type ApgdSettings = z.output<typeof ApgdOptions>;

/** The iteration counts after which the step size is checked: ⌈p_j·N⌉ for p = 0, 0.22, 0.41, … */
export function apgdCheckpoints(steps: number): number[] {
  const first = Math.max(Math.floor(0.22 * steps), 1);
  const min = Math.max(Math.floor(0.06 * steps), 1);
  const decr = Math.max(Math.floor(0.03 * steps), 1);
  const out: number[] = [];
  let k = first;
  let at = 0;
  while (at + k <= steps) {
    at += k;
    out.push(at);
    k = Math.max(k - decr, min);
  }
  return out;
}

/** AutoAttack's random start: a uniform (L∞) or Gaussian (L2) draw rescaled to norm ε, then clipped to the box. */
function randomStart(x: tf.Tensor4D, norm: Norm, eps: number, seed: number | undefined): tf.Tensor4D {
  return tf.tidy(() => {
    const s = seed === undefined ? undefined : tfSeed(seed);
    const t = norm === 'linf' ? tf.randomUniform(x.shape, -1, 1, 'float32', s) : tf.randomNormal(x.shape, 0, 1, 'float32', s);
    const size = norm === 'linf' ? linfNormPerExample(t as tf.Tensor4D) : l2NormPerExample(t as tf.Tensor4D);
    return tf.clipByValue(tf.add(x, tf.mul(tf.div(t, tf.add(size, 1e-12)), eps)), 0, 1) as tf.Tensor4D;
  });
}

interface Eval {
  loss: tf.Tensor1D;
  grad: tf.Tensor4D;
  fooled: tf.Tensor1D;
}

function evaluateAt(model: Classifier, xAdv: tf.Tensor4D, y: tf.Tensor1D, loss: AttackLoss, targets: tf.Tensor1D | undefined): Eval {
  return tf.tidy(() => {
    let z: tf.Tensor2D | undefined;
    const f = (xx: tf.Tensor) => {
      // Kept: the gradient's forward scope would dispose it, and the per-example
      // objective and prediction below reuse it instead of a second forward pass.
      z = tf.keep(logits(model, xx as tf.Tensor4D));
      return tf.sum(attackObjective(z, y, loss, targets));
    };
    const grad = tf.grad(f)(xAdv);
    const zz = z!;
    const perExample = attackObjective(zz, y, loss, targets);
    const fooled = tf.cast(tf.notEqual(tf.argMax(zz, 1), y), 'float32') as tf.Tensor1D;
    zz.dispose();
    return { loss: perExample, grad: grad as tf.Tensor4D, fooled };
  });
}

/**
 * Per example, a where mask[i] = 1 and b where it is 0, exactly (a·1 + b·0 = a). Not
 * tf.where: it broadcasts its condition with Tile, which on wasm took 90% of an APGD
 * iteration (116 of 130 ms at 256 MNIST points).
 */
function pick(mask: tf.Tensor1D, a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const m = tf.reshape(tf.cast(mask, 'float32'), [a.shape[0], 1, 1, 1]);
    return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m))) as tf.Tensor4D;
  });
}

/** Replace `t` by `next`, disposing the old tensor. */
function swap<T extends tf.Tensor>(t: T, next: T): T {
  t.dispose();
  return next;
}

/** What one APGD call attacks: a batch, its labels, the ball, and the objective. */
export interface ApgdTask {
  readonly model: Classifier;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  readonly eps: number;
  readonly norm: Norm;
  readonly loss: AttackLoss;
  /** Target classes for the targeted objective; undefined = untargeted. */
  readonly targets?: tf.Tensor1D;
}

/** The chosen point per example, and which examples were misclassified at some iterate (1/0). */
export interface ApgdResult {
  readonly xAdv: tf.Tensor4D;
  readonly fooled: tf.Tensor1D;
}

/** One APGD run from one random start. */
function apgdRun(task: ApgdTask, o: ApgdSettings, seed: number | undefined): ApgdResult {
  const { model, x, y, eps, norm, loss, targets } = task;
  const n = x.shape[0];
  const checkpoints = new Set(apgdCheckpoints(o.steps));
  const project = (v: tf.Tensor4D): tf.Tensor4D => projectToFeasible(x, v, norm, eps);
  let xAdv = randomStart(x, norm, eps, seed);
  let xOld = xAdv.clone();
  let ev = evaluateAt(model, xAdv, y, loss, targets);
  let grad = ev.grad;
  let everFooled = ev.fooled;
  let xBestAdv = xAdv.clone();
  let xBest = xAdv.clone();
  let gradBest = grad.clone();
  let lossBest = ev.loss.clone();
  let prevLoss = ev.loss;
  let lossBestLastCheck = lossBest.clone();
  let reducedLastCheck = tf.ones([n]) as tf.Tensor1D;
  let increases = tf.zeros([n]) as tf.Tensor1D;
  let stepSize = tf.fill([n, 1, 1, 1], 2 * eps) as tf.Tensor4D;
  let sinceCheck = 0;
  try {
    for (let i = 0; i < o.steps; i++) {
      const a = i > 0 ? o.momentum : 1;
      const next = tf.tidy(() => {
        const z = project(tf.add(xAdv, tf.mul(stepSize, steepestDirection(grad, norm))) as tf.Tensor4D);
        // x + a(z − x) + (1 − a)(x − x_old), expanded to save two passes over the batch.
        const moved = tf.add(tf.add(tf.mul(xAdv, 2 - 2 * a), tf.mul(z, a)), tf.mul(xOld, a - 1)) as tf.Tensor4D;
        return project(moved);
      });
      xOld.dispose();
      xOld = xAdv;
      xAdv = next;
      ev = evaluateAt(model, xAdv, y, loss, targets);
      grad.dispose();
      grad = ev.grad;
      xBestAdv = swap(xBestAdv, pick(ev.fooled, xAdv, xBestAdv));
      everFooled = swap(everFooled, tf.maximum(everFooled, ev.fooled));
      const improved = tf.tidy(() => tf.cast(tf.greater(ev.loss, lossBest), 'float32') as tf.Tensor1D);
      xBest = swap(xBest, pick(improved, xAdv, xBest));
      gradBest = swap(gradBest, pick(improved, grad, gradBest));
      lossBest = swap(lossBest, tf.tidy(() => tf.where(tf.cast(improved, 'bool'), ev.loss, lossBest) as tf.Tensor1D));
      improved.dispose();
      increases = swap(increases, tf.tidy(() => tf.add(increases, tf.cast(tf.greater(ev.loss, prevLoss), 'float32')) as tf.Tensor1D));
      prevLoss.dispose();
      prevLoss = ev.loss;
      ev.fooled.dispose();
      sinceCheck++;
      if (checkpoints.has(i + 1)) {
        const k = sinceCheck;
        const reduce = tf.tidy(() => {
          const oscillating = tf.lessEqual(increases, k * o.rho);
          const stalled = tf.logicalAnd(tf.equal(reducedLastCheck, 0), tf.greaterEqual(lossBestLastCheck, lossBest));
          return tf.cast(tf.logicalOr(oscillating, stalled), 'float32') as tf.Tensor1D;
        });
        stepSize = swap(stepSize, tf.tidy(() => tf.mul(stepSize, tf.reshape(tf.sub(1, tf.mul(reduce, 0.5)), stepSize.shape)) as tf.Tensor4D));
        xAdv = swap(xAdv, pick(reduce, xBest, xAdv));
        grad = swap(grad, pick(reduce, gradBest, grad));
        reducedLastCheck.dispose();
        reducedLastCheck = reduce;
        lossBestLastCheck = swap(lossBestLastCheck, lossBest.clone());
        increases = swap(increases, tf.zerosLike(increases));
        sinceCheck = 0;
        // Once every example is broken nothing can change the outcome; stop early.
        const allFooled = tf.min(everFooled);
        const done = allFooled.dataSync()[0] === 1;
        allFooled.dispose();
        if (done) break;
      }
    }
    const out = pick(everFooled, xBestAdv, xBest);
    return { xAdv: out, fooled: everFooled.clone() };
  } finally {
    tf.dispose([xAdv, xOld, grad, everFooled, xBestAdv, xBest, gradBest, lossBest, prevLoss, lossBestLastCheck, reducedLastCheck, increases, stepSize]);
  }
}

/**
 * APGD with restarts: each restart runs from its own random start, and an example keeps
 * the first run that broke it (or the last run's best point when none did). Restart 0's
 * seed does not depend on the number of restarts, so more restarts never do worse.
 */
export function apgd(task: ApgdTask, o: ApgdSettings, seed: number | undefined): ApgdResult {
  const { x, y, eps } = task;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`eps must be a finite number ≥ 0, got ${eps}`);
  if (x.shape[0] !== y.shape[0]) throw new Error(`x has ${x.shape[0]} examples but y has ${y.shape[0]}`);
  const seedFor = (r: number) => (seed === undefined ? undefined : deriveSeed(seed, r));
  let best = apgdRun(task, o, seedFor(0));
  for (let r = 1; r < o.restarts; r++) {
    const cand = apgdRun(task, o, seedFor(r));
    const merged = tf.tidy(() => ({
      xAdv: pick(best.fooled, best.xAdv, cand.xAdv),
      fooled: tf.maximum(best.fooled, cand.fooled) as tf.Tensor1D,
    }));
    tf.dispose([best.xAdv, best.fooled, cand.xAdv, cand.fooled]);
    best = merged;
  }
  return best;
}
