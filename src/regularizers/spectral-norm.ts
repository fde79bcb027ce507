/**
 * `spectral-norm`: spectral normalization as a reparameterization (Miyato, Kataoka,
 * Koyama & Yoshida, "Spectral Normalization for Generative Adversarial Networks",
 * ICLR 2018). Every dense and conv layer computes with W̄ = c·W/σ(W), σ from
 * `powerIters` power-iteration steps per training step (default 20, see below) on a
 * persistent vector u that is frozen in inference mode (evaluation, attacks). See
 * models/spectral-layers.ts for the layers.
 *
 * How it takes effect: a regularizer cannot swap the layers of a model that already
 * exists, so this one contributes a `layerFactory` and the run builds its model with
 * it (`buildModel(..., { layers })`, see `layerFactoryFor`). The regularizer adds no
 * penalty. At the first step it checks that the model really is made of SN layers, so
 * a model built without the factory (or loaded from elsewhere) fails loudly instead of
 * training unnormalized under the name `spectral-norm`. It then moves the power-
 * iteration update from the forward pass to right after each optimizer step: the same
 * (W, u) sequence as the paper's Algorithm 1 (W does not change between the end of one
 * step and the next forward pass), but the u kept between steps belongs to the current
 * W, so evaluation, attacks and the saved model see σ(W̄) ≈ c, not the σ of one Adam
 * step ago (measured: up to +13% after a step at lr 1e-3 on a small CNN).
 *
 * Options:
 *  - `coeff` (> 0, default 1): the target σ of each W̄ (the paper's c; K-Lipschitz layers).
 *  - `sigma` ('reshaped' | 'operator', default 'reshaped'): for conv layers, normalize by
 *    σ of the kernel reshaped to [kh·kw·cin, cout] (the paper), or by the operator norm of
 *    the convolution at the layer's input shape (power iteration with conv2d and its
 *    adjoint conv2dTranspose, as lipschitz/ measures it). Only 'operator' makes the
 *    product of layer norms a bound of c^depth; it costs one conv of a single image per
 *    forward pass. Dense layers are exact either way.
 *  - `powerIters` (int ≥ 1, default 20): power iterations per training step. The paper
 *    uses 1, arguing W moves slowly. Under Adam it does not: SN flattens the top of the
 *    spectrum (the gradient of W/σ(W) pushes the other singular values up), so the top
 *    direction keeps changing and one iteration per step lags. Measured on a small MNIST
 *    CNN after 8–120 Adam steps (lr 1e-3…5e-3): σ(W̄) up to 1.11–1.42 with 1 iteration,
 *    ≤ 1.07 with 5, ~1.05 with 10, ≤ 1.03 with 20. Matrix–vector products are cheap next
 *    to a batch; with sigma 'operator' each iteration is a conv and a transposed conv of
 *    one image (measured: SN ≈ +50% per step over plain training on a 16/32/64 CNN).
 *  - `initIters` (int ≥ 0, default 50): power iterations when a layer is built, so that
 *    σ̂ is converged from the first step instead of under-estimating σ for a while.
 *
 * Composes with penalties and constraints, e.g. [{name:'spectral-norm'}, {name:'l2',
 * lambda:1e-4}]: those see the raw kernels W (the trainable weights), as weight decay
 * on `weight_orig` does in PyTorch.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { isSpectralNormLayer, spectralNormLayers, type SNLayer } from '../models/spectral-layers.js';
import type { Regularizer } from './types.js';

export const SpectralNormOptions = z
  .object({
    name: z.literal('spectral-norm'),
    coeff: z.number().positive().default(1),
    sigma: z.enum(['reshaped', 'operator']).default('reshaped'),
    powerIters: z.number().int().positive().default(20),
    initIters: z.number().int().nonnegative().default(50),
  })
  .strict();
export type SpectralNormOptions = z.infer<typeof SpectralNormOptions>;

const LINEAR_CLASSES = new Set(['Dense', 'Conv2D', 'Conv1D', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

/** Layers that are linear maps with a kernel but not spectrally normalized. */
function unnormalizedLayers(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => LINEAR_CLASSES.has(l.getClassName()) && !isSpectralNormLayer(l)).map((l) => `${l.name} (${l.getClassName()})`);
}

export function createSpectralNorm(opts: SpectralNormOptions): Regularizer {
  let checked: tfl.LayersModel | undefined;
  const snLayers = (model: tfl.LayersModel): SNLayer[] => model.layers.filter((l): l is SNLayer => isSpectralNormLayer(l));
  return {
    name: 'spectral-norm',
    layerFactory: spectralNormLayers({ coeff: opts.coeff, sigma: opts.sigma, powerIters: opts.powerIters, initIters: opts.initIters }),
    beforeStep({ model }) {
      if (checked === model) return;
      const plain = unnormalizedLayers(model);
      const sn = snLayers(model);
      if (plain.length > 0 || sn.length === 0) {
        throw new Error(
          `spectral-norm: the model was not built with spectral-normalized layers (plain: ${plain.join(', ') || 'none'}, normalized: ${sn.length}); ` +
            'build it with buildModel(..., { layers: layerFactoryFor(regularizers) })',
        );
      }
      for (const l of sn) l.updateInForward = false;
      checked = model;
    },
    afterStep({ model }) {
      for (const l of snLayers(model)) l.advanceU(l.snPowerIters);
    },
  };
}
