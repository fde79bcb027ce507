/**
 * FGSM, the fast gradient sign method (Goodfellow, Shlens & Szegedy, "Explaining and
 * Harnessing Adversarial Examples", ICLR 2015). Norm: L∞.
 *
 * x_adv = clip_[0,1](x + ε·sign(∇ₓ L(x, y))), computed as one step of the PGD core
 * with step size ε and no random start.
 *
 * Options (all optional):
 *   loss   'ce' | 'cw'                 objective; default 'ce' (cross-entropy on logits)
 *   target 'none' | 'next' | 'given'   targeting; default 'none'. Targeted FGSM descends
 *                                      the target's CE (Kurakin et al. 2017's "step l.l." idea)
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import { z } from 'zod';
import { lossOptionShape } from './losses.js';
import { pgdCore } from './pgd-core.js';
import type { Attack } from './types.js';

export const FgsmOptions = z.strictObject({ ...lossOptionShape });
export type FgsmOptions = z.input<typeof FgsmOptions>;

export function fgsm(options: FgsmOptions = {}): Attack {
  const o = FgsmOptions.parse(options);
  return {
    name: 'fgsm',
    norm: 'linf',
    perturb: (model, x, y, eps, ctx) =>
      pgdCore(model, x, y, eps, { norm: 'linf', steps: 1, stepSize: eps, randomStart: false, restarts: 1, ...o }, ctx),
  };
}
