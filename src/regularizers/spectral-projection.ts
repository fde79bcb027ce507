/**
 * `spectral-projection`: spectral normalization as a constraint, applied after each
 * optimizer step: W ← W / max(1, σ(W)/c). This is the Keras `kernel_constraint`
 * variant the seed post describes (and warns about): the forward pass and the gradients
 * use the raw W, and W is only rescaled after the step, so unlike `spectral-norm` the
 * optimizer never sees the normalization. With max(1, ·) it is a projection onto
 * {σ ≤ c} along the ray (layers already inside are left alone), rather than the post's
 * w/σ(w), which would also scale small layers up.
 *
 * σ is the reshaped kernel's [kh·kw·cin, cout] (as in the paper and the post's Keras
 * code), estimated by power iteration on persistent vectors: `initIters` iterations the
 * first time a kernel is seen, then `powerIters` per step on the post-step kernel.
 * σ̂ ≤ σ, so right after a projection σ(W) can exceed c by the estimator's error.
 *
 * Options:
 *  - `c` (> 0, default 1): the bound on each kernel's σ.
 *  - `powerIters` (int ≥ 1, default 1), `initIters` (int ≥ 1, default 50).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { tfSeed } from '../util/rng.js';
import { asMatrix, kernelsOf } from './weight-matrices.js';
import { matrixPowerSteps } from '../linalg/power-step.js';
import type { Regularizer } from './types.js';

export const SpectralProjectionOptions = z
  .object({
    name: z.literal('spectral-projection'),
    c: z.number().positive().default(1),
    powerIters: z.number().int().positive().default(1),
    initIters: z.number().int().positive().default(50),
  })
  .strict();
export type SpectralProjectionOptions = z.infer<typeof SpectralProjectionOptions>;

export function createSpectralProjection(opts: SpectralProjectionOptions, seed = 0): Regularizer {
  const { c, powerIters, initIters } = opts;
  // Left singular vector estimate u [rows, 1] per kernel, kept across steps.
  const state = new Map<tf.Variable, tf.Tensor2D>();
  return {
    name: 'spectral-projection',
    afterStep({ model }) {
      for (const k of kernelsOf(model)) {
        const prev = state.get(k.variable);
        const next = tf.tidy(() => {
          const w = asMatrix(k.variable);
          const u0 = prev ?? (tf.randomNormal([w.shape[0], 1], 0, 1, 'float32', tfSeed(seed * 1000 + state.size)) as tf.Tensor2D);
          const { u, v } = matrixPowerSteps(w, u0, prev ? powerIters : initIters);
          const sigma = tf.sum(tf.mul(u, tf.matMul(w, v)));
          k.variable.assign(tf.div(k.variable, tf.maximum(tf.div(sigma, c), 1)));
          return u;
        });
        prev?.dispose();
        state.set(k.variable, next);
      }
    },
    dispose() {
      for (const u of state.values()) u.dispose();
      state.clear();
    },
  };
}
