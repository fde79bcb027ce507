/**
 * APGD-DLR: Auto-PGD on the Difference of Logits Ratio loss (Croce & Hein, ICML 2020).
 * DLR = −(f_y − max_{j≠y} f_j)/(f_π1 − f_π3) is unchanged by shifting or scaling the
 * logits, so it keeps a usable gradient where cross-entropy saturates in float32.
 * Norms: `apgd-dlr-linf` and `apgd-dlr-l2`. Needs at least 3 classes.
 *
 * Options: as apgd-ce (steps 100, restarts 1, momentum 0.75, rho 0.75).
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import { apgd, ApgdOptions } from './apgd-core.js';
import type { Attack, Norm } from './types.js';

export const ApgdDlrOptions = ApgdOptions;
export type ApgdDlrOptions = ApgdOptions;

export function apgdDlr(norm: Norm, options: ApgdDlrOptions = {}): Attack {
  const o = ApgdOptions.parse(options);
  return {
    name: `apgd-dlr-${norm}`,
    norm,
    validate(info) {
      if (info.numClasses < 3) throw new Error(`apgd-dlr-${norm}: the DLR loss needs at least 3 classes; the model has ${info.numClasses}`);
    },
    perturb: (model, x, y, eps, ctx) => {
      const r = apgd({ model, x, y, eps, norm, loss: 'dlr' }, o, ctx?.seed);
      r.fooled.dispose();
      return r.xAdv;
    },
  };
}
