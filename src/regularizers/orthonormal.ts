/**
 * `orthonormal`: every dense and conv layer computes with a Björck-orthonormalized
 * kernel (deel-lip style; models/orthonormal-layers.ts says what is and is not
 * guaranteed), for 1-Lipschitz bodies. With the `maxmin` activation on an MLP whose
 * widths do not grow, the product of the layer bounds is then ≈ the true Lipschitz
 * constant, so the global and pairwise certificates lose little to the bound.
 *
 * Takes effect like `spectral-norm`: a `layerFactory` the run builds the model with,
 * the same first-step check that the model really has these layers, and the σ̂
 * power-iteration update moved to after each optimizer step (spectral-norm.ts says why).
 *
 * Options: `bjorckIters` (int ≥ 0, default 15: deel-lip's niter_bjorck; more costs one
 * small matrix product per layer and forward pass each), `powerIters` (int ≥ 1,
 * default 5) per step and `initIters` (default 50) at build for the σ̂ pre-scaling.
 * Composes with penalties and with gloro/lipschitz-margin's logits only where those
 * accept the layers (their tracker handles plain Dense/Conv2D only, and says so).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { isOrthonormalLayer, orthonormalLayers } from '../models/orthonormal-layers.js';
import { isSpectralNormLayer } from '../models/spectral-layers.js';
import { createSpectralNorm } from './spectral-norm.js';
import type { Regularizer } from './types.js';

export const OrthonormalOptions = z
  .object({
    name: z.literal('orthonormal'),
    bjorckIters: z.number().int().nonnegative().default(15),
    powerIters: z.number().int().positive().default(5),
    initIters: z.number().int().nonnegative().default(50),
  })
  .strict();
export type OrthonormalOptions = z.infer<typeof OrthonormalOptions>;

export function createOrthonormal(opts: OrthonormalOptions): Regularizer {
  // The σ̂ bookkeeping is spectral normalization's: the orthonormal layers extend SN layers.
  const sn = createSpectralNorm({ name: 'spectral-norm', coeff: 1, sigma: 'reshaped', powerIters: opts.powerIters, initIters: opts.initIters });
  let checked: tfl.LayersModel | undefined;
  return {
    name: 'orthonormal',
    layerFactory: orthonormalLayers({ bjorckIters: opts.bjorckIters, powerIters: opts.powerIters, initIters: opts.initIters }),
    beforeStep(ctx) {
      if (checked !== ctx.model) {
        const plainSn = ctx.model.layers.filter((l) => isSpectralNormLayer(l) && !isOrthonormalLayer(l));
        if (plainSn.length > 0) throw new Error(`orthonormal: layers ${plainSn.map((l) => l.name).join(', ')} are spectral-normalized, not orthonormalized; build the model with buildModel(..., { layers: layerFactoryFor(regularizers) })`);
        checked = ctx.model;
      }
      sn.beforeStep!(ctx);
    },
    afterStep: sn.afterStep,
  };
}
