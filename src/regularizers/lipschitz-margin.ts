/**
 * `lipschitz-margin`: Lipschitz-margin training (Tsuzuku, Sato & Sugiyama,
 * "Lipschitz-Margin Training: Scalable Certification of Perturbation Invariance for
 * Deep Neural Networks", NeurIPS 2018). Each non-target logit is raised by what an
 * ε-perturbation could move the margin before the cross-entropy:
 *     pairwise (default):  f_j + ε·K_yj,  K_yj = ‖w_y − w_j‖₂·L(body)
 *     global:              f_j + √2·ε·L   (the paper's form)
 * with L and K from persistent power iteration, differentiable (lipschitz-tracker.ts).
 * Unlike GloRo there is no ⊥ class: the loss pushes every pair apart by its own margin.
 *
 * Options: `eps` (> 0, default 0.3, ℓ2), `pairwise` (default true), `warmupSteps`,
 * `schedule`, `epsStart`, `powerIters`, `initIters` as in gloro.ts. Certifies ℓ2 only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { annealedEps, certifiedTrainingShape, raisedLogits, stepTracker } from './lipschitz-tracker.js';
import type { Regularizer } from './types.js';

export const LipschitzMarginOptions = z
  .object({
    name: z.literal('lipschitz-margin'),
    ...certifiedTrainingShape('lipschitz-margin'),
    pairwise: z.boolean().default(true),
  })
  .strict();
export type LipschitzMarginOptions = z.infer<typeof LipschitzMarginOptions>;

export function createLipschitzMargin(opts: LipschitzMarginOptions, seed = 0): Regularizer {
  const tracked = stepTracker('lipschitz-margin', opts, seed);
  return {
    name: 'lipschitz-margin',
    beforeStep: tracked.beforeStep,
    trainLogits({ logits, y, step }) {
      const t = tracked.get();
      return tf.tidy(() => {
        const eps = annealedEps(opts.eps, step, opts.warmupSteps, opts.schedule, opts.epsStart);
        const k = logits.shape[1];
        // Global form: every pair gets √2·L, L the product bound of the whole logit map.
        const K = opts.pairwise ? t.pairConstants() : (tf.mul(tf.ones([k, k]), tf.mul(Math.SQRT2, t.globalLipschitz())) as tf.Tensor2D);
        return raisedLogits(logits, y, K, eps);
      });
    },
    dispose: tracked.dispose,
  };
}
