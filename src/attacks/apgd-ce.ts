/**
 * APGD-CE: Auto-PGD on the cross-entropy loss (Croce & Hein, ICML 2020), the first
 * member of AutoAttack. Norms: `apgd-ce-linf` and `apgd-ce-l2`.
 *
 * Options (all optional):
 *   steps     int ≥ 1        iterations; default 100 (the paper's)
 *   restarts  int ≥ 1        random restarts; default 1 (AutoAttack 'standard')
 *   momentum  (0, 1]         default 0.75
 *   rho       (0, 1]         step-size halving threshold; default 0.75
 * Inputs: NHWC float32 in [0,1]; the model returns logits. The step schedule is
 * described in apgd-core.ts.
 */
import { apgd, ApgdOptions } from './apgd-core.js';
import type { Attack, Norm } from './types.js';

export const ApgdCeOptions = ApgdOptions;
export type ApgdCeOptions = ApgdOptions;

export function apgdCe(norm: Norm, options: ApgdCeOptions = {}): Attack {
  const o = ApgdOptions.parse(options);
  return {
    name: `apgd-ce-${norm}`,
    norm,
    perturb: (model, x, y, eps, ctx) => {
      const r = apgd({ model, x, y, eps, norm, loss: 'ce' }, o, ctx?.seed);
      r.fooled.dispose();
      return r.xAdv;
    },
  };
}
