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
  })
  .strict();
export type GloroOptions = z.infer<typeof GloroOptions>;

export function createGloro(opts: GloroOptions, seed = 0): Regularizer {
  const tracked = stepTracker('gloro', opts, seed);
  return {
    name: 'gloro',
    beforeStep: tracked.beforeStep,
    trainLogits({ logits, y, step }) {
      const t = tracked.get();
      return tf.tidy(() => {
        const eps = annealedEps(opts.eps, step, opts.warmupSteps, opts.schedule, opts.epsStart);
        const raised = raisedLogits(logits, y, t.pairConstants(), eps);
        // ⊥ = max over j ≠ y of the raised logits: mask y out with −∞-like values.
        const isY = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]);
        const bottom = tf.max(tf.sub(raised, tf.mul(isY, 1e9)), 1, true);
        return tf.concat([logits, bottom], 1) as tf.Tensor2D;
      });
    },
    dispose: tracked.dispose,
  };
}
