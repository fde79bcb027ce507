/**
 * `clip`: weight clipping, the original WGAN's Lipschitz constraint (Arjovsky, Chintala
 * & Bottou, "Wasserstein GAN", ICML 2017). After every optimizer step each weight is
 * clipped to [−c, c]. Every entry bounded by c bounds ‖W‖_F ≤ c·√(rows·cols), hence the
 * network's Lipschitz constant by a constant: crude, and (as the seed post says) not
 * friendly to optimization, since it pushes weights to ±c.
 *
 * Options:
 *  - `c` (> 0, default 0.01, the WGAN paper's value): the clipping bound.
 *  - `scope` ('all' | 'kernels', default 'all'): clip every trainable weight (as WGAN
 *    does, biases included) or only the kernels of dense/conv layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { kernelsOf } from './weight-matrices.js';
import type { Regularizer } from './types.js';

export const ClipOptions = z
  .object({
    name: z.literal('clip'),
    c: z.number().positive().default(0.01),
    scope: z.enum(['all', 'kernels']).default('all'),
  })
  .strict();
export type ClipOptions = z.infer<typeof ClipOptions>;

/** The variables a weight constraint applies to. */
export function constrainedVariables(model: tfl.LayersModel, scope: 'all' | 'kernels'): tf.Variable[] {
  if (scope === 'kernels') return kernelsOf(model).map((k) => k.variable);
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

export function createClip(opts: ClipOptions): Regularizer {
  const { c, scope } = opts;
  return {
    name: 'clip',
    afterStep({ model }) {
      tf.tidy(() => {
        for (const v of constrainedVariables(model, scope)) v.assign(tf.clipByValue(v, -c, c));
      });
    },
  };
}
