/**
 * FGM-L2, the fast gradient method in the L2 norm (Goodfellow et al. 2015's one-step
 * attack with the L2 steepest-ascent direction; "FGM" in CleverHans, `L2FastGradientAttack`
 * in Foolbox). Norm: L2.
 *
 * x_adv = clip_[0,1](x + ε·∇ₓL/‖∇ₓL‖₂), computed as one step of the PGD core with
 * step size ε and no random start. Examples with a zero gradient are left unchanged.
 *
 * Options (all optional):
 *   loss   'ce' | 'cw'                 objective; default 'ce' (cross-entropy on logits)
 *   target 'none' | 'next' | 'given'   targeting; default 'none'
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import { z } from 'zod';
import { lossOptionShape } from './losses.js';
import { pgdCore } from './pgd-core.js';
import type { Attack } from './types.js';

export const FgmL2Options = z.strictObject({ ...lossOptionShape });
export type FgmL2Options = z.input<typeof FgmL2Options>;

export function fgmL2(options: FgmL2Options = {}): Attack {
  const o = FgmL2Options.parse(options);
  return {
    name: 'fgm-l2',
    norm: 'l2',
    perturb: (model, x, y, eps, ctx) =>
      pgdCore(model, x, y, eps, { norm: 'l2', steps: 1, stepSize: eps, randomStart: false, restarts: 1, ...o }, ctx),
  };
}
