/**
 * `spectral`: spectral norm regularization (Yoshida & Miyato 2017, "Spectral Norm
 * Regularization for Improving the Generalizability of Deep Learning").
 * Penalty λ/2·Σ σ(W)² over every kernel, σ estimated by power iteration.
 *
 * The paper's trick, kept here: u and v persist across training steps, so one
 * power iteration per step (`powerIters`, default 1) tracks σ as W drifts slowly.
 * The update of u, v happens outside the gradient tape; inside it σ = uᵀWv with u, v
 * constant, whose gradient u·vᵀ is exactly ∂σ/∂W at the converged vectors.
 *
 * Conv kernels use the reshaped [kh·kw·cin, cout] matrix as the paper does. That σ
 * is not the operator norm of the convolution; lipschitz/ measures the latter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { asMatrix, kernelsOf } from './weight-matrices.js';
import type { Regularizer } from './types.js';
import { tfSeed } from '../util/rng.js';
import { l2normalize, matrixPowerSteps, type SingularPair } from '../linalg/power-step.js';

export const SpectralOptions = z
  .object({
    name: z.literal('spectral'),
    lambda: z.number().nonnegative(),
    /** Power iterations per training step on the persistent vectors. */
    powerIters: z.number().int().positive().default(1),
  })
  .strict();
export type SpectralOptions = z.infer<typeof SpectralOptions>;

export function createSpectral(opts: SpectralOptions, seed = 0): Regularizer {
  const { lambda, powerIters } = opts;
  const state = new Map<tf.Variable, SingularPair>();
  return {
    name: 'spectral',
    beforeStep({ model }) {
      for (const k of kernelsOf(model)) {
        const prev = state.get(k.variable);
        const next = tf.tidy(() => {
          const w = asMatrix(k.variable);
          const u0 = prev?.u ?? l2normalize(tf.randomNormal<tf.Rank.R2>([w.shape[0], 1], 0, 1, 'float32', tfSeed(seed + state.size)));
          return matrixPowerSteps(w, u0, powerIters);
        });
        if (prev) {
          prev.u.dispose();
          prev.v.dispose();
        }
        state.set(k.variable, next);
      }
    },
    penalty({ model }) {
      const terms = kernelsOf(model).map((k) => {
        const uv = state.get(k.variable);
        if (!uv) throw new Error(`spectral regularizer: no power-iteration state for ${k.layer}; beforeStep was not called`);
        const sigma = tf.sum(tf.mul(uv.u, tf.matMul(asMatrix(k.variable), uv.v)));
        return tf.square(sigma);
      });
      return tf.mul(tf.addN(terms), lambda / 2) as tf.Scalar;
    },
    dispose() {
      for (const uv of state.values()) {
        uv.u.dispose();
        uv.v.dispose();
      }
      state.clear();
    },
  };
}
