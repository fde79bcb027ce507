/**
 * PGD-L∞, projected gradient descent (Madry, Makelov, Schmidt, Tsipras & Vladu,
 * "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018). Norm: L∞.
 *
 * From a random start (uniform on [−ε, ε]^d), repeat `steps` times:
 * x ← Π(x + α·sign(∇ₓL)), Π = projection onto the L∞ ε-ball around x₀, then onto [0,1].
 * With `restarts` > 1 each example keeps its worst case over restarts (see pgd-core.ts).
 *
 * Options (all optional):
 *   steps        int ≥ 1                   iterations; default 40
 *   stepSize     number > 0                absolute step α; no default
 *   relStepSize  number > 0                α = relStepSize·ε; no default
 *                                          (neither given: α = 2.5·ε/steps, Madry et al.)
 *   randomStart  boolean                   default true
 *   restarts     int ≥ 1                   default 1
 *   loss         'ce' | 'cw'               default 'ce' (cross-entropy on logits)
 *   target       'none' | 'next' | 'given' default 'none'
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import { z } from 'zod';
import { lossOptionShape } from './losses.js';
import { pgdCore, resolveStepSize } from './pgd-core.js';
import type { Attack } from './types.js';

export const PgdLinfOptions = z
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
export type PgdLinfOptions = z.input<typeof PgdLinfOptions>;

export function pgdLinf(options: PgdLinfOptions = {}): Attack {
  const o = PgdLinfOptions.parse(options);
  return {
    name: 'pgd-linf',
    norm: 'linf',
    perturb: (model, x, y, eps, ctx) =>
      pgdCore(
        model,
        x,
        y,
        eps,
        {
          norm: 'linf',
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
