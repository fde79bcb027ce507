/**
 * `adversarial-training`: PGD adversarial training (Madry, Makelov, Schmidt, Tsipras &
 * Vladu, "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018):
 * minimise the loss at the worst case found by PGD-L∞ in the ε-ball around each
 * training point, min_θ E[max_{‖δ‖∞≤ε} L(θ, x+δ, y)]. Not a penalty: it replaces the
 * batch (`transformBatch`), outside the gradient tape, with the adversarial examples
 * from src/attacks' PGD-L∞ (random start, projection onto the ε-ball and the [0,1] box
 * at every step). The attack runs the model in inference mode, so layers with
 * per-step state (spectral-norm's u) stay frozen while it searches, and the function
 * attacked is the one the next forward pass trains. Composes with penalties, which
 * then see the adversarial batch.
 *
 * Options:
 *  - `eps` (≥ 0, default 0.3, Madry et al.'s MNIST radius): L∞ radius in [0,1] pixels.
 *  - `steps` (int ≥ 1, default 10; the paper used 40 on MNIST, 7 on CIFAR-10).
 *  - `stepSize` (> 0, default 2.5·ε/steps, the paper's rule): absolute PGD step.
 *  - `randomStart` (default true).
 *  - `mix` (in [0,1], default 0): fraction of each batch left clean (Goodfellow et al.
 *    2015 used 0.5); the batch is already shuffled, so the clean part is random.
 * Cost: about `steps` extra forward+backward passes per training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createAttack } from '../attacks/index.js';
import type { Regularizer } from './types.js';

export const AdversarialTrainingOptions = z
  .object({
    name: z.literal('adversarial-training'),
    eps: z.number().nonnegative().default(0.3),
    steps: z.number().int().positive().default(10),
    stepSize: z.number().positive().optional(),
    randomStart: z.boolean().default(true),
    mix: z.number().min(0).max(1).default(0),
  })
  .strict();
export type AdversarialTrainingOptions = z.infer<typeof AdversarialTrainingOptions>;

export function createAdversarialTraining(opts: AdversarialTrainingOptions, seed = 0): Regularizer {
  const attack = createAttack('pgd-linf', {
    steps: opts.steps,
    randomStart: opts.randomStart,
    ...(opts.stepSize !== undefined ? { stepSize: opts.stepSize } : {}),
  });
  return {
    name: 'adversarial-training',
    transformBatch({ model, x, y, step }) {
      const n = x.shape[0];
      const clean = Math.round(opts.mix * n);
      if (clean >= n || opts.eps === 0) return tf.clone(x);
      return tf.tidy(() => {
        const xa = clean === 0 ? x : (tf.slice(x, [clean, 0, 0, 0], [n - clean, -1, -1, -1]) as tf.Tensor4D);
        const ya = clean === 0 ? y : (tf.slice(y, [clean], [n - clean]) as tf.Tensor1D);
        const adv = attack.perturb(model, xa, ya, opts.eps, { seed: seed * 1000003 + step + 1 });
        // runAttack's rule: never trust an attack's own output to be feasible.
        const delta = tf.clipByValue(tf.sub(adv, xa), -opts.eps, opts.eps);
        const feasible = tf.clipByValue(tf.add(xa, delta), 0, 1) as tf.Tensor4D;
        if (clean === 0) return feasible;
        return tf.concat([tf.slice(x, [0, 0, 0, 0], [clean, -1, -1, -1]), feasible], 0) as tf.Tensor4D;
      });
    },
  };
}
