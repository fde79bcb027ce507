/**
 * `gloro`: globally-robust networks (Leino, Wang & Fredrikson, "Globally-Robust Neural
 * Networks", ICML 2021). The logits get an extra class ⊥ whose logit is
 *     f_⊥ = max_{j≠y} (f_j + ε·K_yj),  K_yj = ‖w_y − w_j‖₂·L(body),
 * and the cross-entropy is taken over the k+1 logits with label y: the loss is small
 * only where f_y beats every class by what the Lipschitz bound allows an ε-ball to
 * move it, which is exactly the pairwise certificate (lipschitz/pairwise.ts) at radius
 * ε. K comes from persistent power iteration on every step, differentiably
 * (regularizers/lipschitz-tracker.ts). ε is annealed from `epsStart`·ε over
 * `warmupSteps` (the paper anneals; its MNIST schedule is logarithmic).
 *
 * Options:
 *  - `eps` (> 0, default 0.3): the training radius (ℓ2).
 *  - `warmupSteps` (int ≥ 0, default 0), `schedule` ('log' | 'linear', default 'log'),
 *    `epsStart` (fraction of ε at step 0, default 0.01).
 *  - `powerIters` (default 1) per step, `initIters` (default 50) on the first step.
 *  - `loss` ('ce' | 'trades', default 'ce'): 'trades' is a TRADES-style variant as
 *    the paper offers one (after Zhang et al. 2019): cross-entropy on the clean k
 *    logits plus `tradesLambda` (> 0, default 1; only with 'trades') ×
 *    KL(softmax(f) padded with p_⊥ = 0 ‖ softmax([f, ⊥])). ⊥ is taken against the
 *    predicted class ŷ = argmax f rather than the label (a choice made here, label-free
 *    like TRADES's KL term; not checked against the authors' code), so the robustness
 *    term asks the prediction, right or wrong, to be stable in the ε-ball, and λ sets
 *    the trade-off between clean accuracy and certifiability.
 * Certifies ℓ2 only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { annealedEps, certifiedTrainingShape, raisedLogits, stepTracker } from './lipschitz-tracker.js';
import type { Regularizer } from './types.js';

export const GloroOptions = z
  .object({
    name: z.literal('gloro'),
    ...certifiedTrainingShape('gloro'),
    loss: z.enum(['ce', 'trades']).default('ce'),
    tradesLambda: z.number().positive().optional(),
  })
  .strict()
  .refine((o) => o.tradesLambda === undefined || o.loss === 'trades', {
    path: ['tradesLambda'],
    message: "tradesLambda weighs the TRADES term; it applies only with loss: 'trades'",
  });
export type GloroOptions = z.infer<typeof GloroOptions>;

/** [f, ⊥] with ⊥ = max_{j≠c} (f_j + ε·K_cj) against the class c of each row. [N, k+1]. */
export function withBottom(logits: tf.Tensor2D, c: tf.Tensor1D, K: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const raised = raisedLogits(logits, c, K, eps);
    // ⊥ = max over j ≠ c of the raised logits: mask c out with −∞-like values.
    const isC = tf.oneHot(tf.cast(c, 'int32'), logits.shape[1]);
    const bottom = tf.max(tf.sub(raised, tf.mul(isC, 1e9)), 1, true);
    return tf.concat([logits, bottom], 1) as tf.Tensor2D;
  });
}

/**
 * The TRADES term: mean over the batch of KL(p ‖ q), p = softmax(f) with p_⊥ = 0,
 * q = softmax([f, ⊥_ŷ]); the ⊥ entry of p is 0 so only the k real classes contribute.
 */
export function tradesKl(logits: tf.Tensor2D, K: tf.Tensor2D, eps: number): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const predicted = tf.argMax(logits, 1) as tf.Tensor1D;
    const logP = tf.logSoftmax(logits);
    const logQ = tf.slice(tf.logSoftmax(withBottom(logits, predicted, K, eps)), [0, 0], [-1, k]);
    return tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1)) as tf.Scalar;
  });
}

export function createGloro(opts: GloroOptions, seed = 0): Regularizer {
  const tracked = stepTracker('gloro', opts, seed);
  const epsAt = (step: number): number => annealedEps(opts.eps, step, opts.warmupSteps, opts.schedule, opts.epsStart);
  if (opts.loss === 'trades') {
    const lambda = opts.tradesLambda ?? 1;
    // The clean cross-entropy is the loop's own (no trainLogits); the KL term is the penalty.
    return {
      name: 'gloro',
      beforeStep: tracked.beforeStep,
      penalty: ({ logits, step }) => tf.tidy(() => tf.mul(tradesKl(logits, tracked.get().pairConstants(), epsAt(step)), lambda) as tf.Scalar),
      dispose: tracked.dispose,
    };
  }
  return {
    name: 'gloro',
    beforeStep: tracked.beforeStep,
    trainLogits: ({ logits, y, step }) => tf.tidy(() => withBottom(logits, y, tracked.get().pairConstants(), epsAt(step))),
    dispose: tracked.dispose,
  };
}
