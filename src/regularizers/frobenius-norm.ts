/**
 * `frobenius-norm`: project every kernel onto the Frobenius ball after each optimizer
 * step, W ← W / max(1, ‖W‖_F / c). The seed post's refinement of WGAN's weight
 * clipping ("clip the Frobenius norm of the parameters instead"): since σ(W) ≤ ‖W‖_F,
 * each layer becomes c-Lipschitz, with more freedom than entry-wise clipping but a far
 * stronger constraint than σ(W) ≤ c (it bounds all singular values jointly:
 * Σσᵢ² ≤ c²). Conv kernels use ‖K‖_F of the kernel tensor, which bounds the reshaped
 * kernel's σ, not the conv operator's (that can be up to √(kh·kw)·‖K‖_F larger).
 *
 * Options:
 *  - `c` (> 0, default 1): the radius of the ball. Biases are not constrained.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { kernelsOf } from './weight-matrices.js';
import type { Regularizer } from './types.js';

export const FrobeniusNormOptions = z
  .object({
    name: z.literal('frobenius-norm'),
    c: z.number().positive().default(1),
  })
  .strict();
export type FrobeniusNormOptions = z.infer<typeof FrobeniusNormOptions>;

export function createFrobeniusNorm(opts: FrobeniusNormOptions): Regularizer {
  const { c } = opts;
  return {
    name: 'frobenius-norm',
    afterStep({ model }) {
      tf.tidy(() => {
        for (const k of kernelsOf(model)) {
          const scale = tf.maximum(tf.div(tf.norm(k.variable), c), 1);
          k.variable.assign(tf.div(k.variable, scale));
        }
      });
    },
  };
}
