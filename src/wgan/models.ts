/**
 * The two networks of the WGAN, small DCGAN-style (Radford et al. 2016) so that a few
 * epochs fit on a laptop CPU:
 *
 *   generator  z ~ N(0, I_d) → dense 7·7·f₀ → BN → ReLU → reshape 7×7×f₀
 *              → convT 4×4/2 f₁ → BN → ReLU (14×14) → convT 4×4/2 1 → sigmoid (28×28×1, in [0,1])
 *   critic     x (28×28×1) → conv 4×4/2 c₀ → leaky ReLU (14×14) → conv 4×4/2 c₁ → leaky ReLU (7×7)
 *              → flatten → dense 1 (a real number, no sigmoid)
 *
 * The critic has no batch-norm (WGAN-GP penalises per-example gradients, which BN would
 * couple), and every linear layer comes from a LayerFactory, so the `sn` variant is the
 * same network with spectral-normalized layers (models/spectral-layers.ts). The critic
 * is a plain chain of registered layer classes, so lipschitzUpperBounds applies to it.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tfSeed } from '../util/rng.js';
import { standardLayers, type LayerFactory } from '../models/layer-factory.js';
import { spectralNormLayers } from '../models/spectral-layers.js';
import type { WganModels, WganVariant } from './config.js';

export const IMAGE_SHAPE = [28, 28, 1] as const;

export function buildGenerator(spec: WganModels, seed: number): tfl.LayersModel {
  const [f0, f1] = spec.generatorFilters;
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: tfSeed(seed * 1009 + k) });
  return tfl.sequential({
    name: 'generator',
    layers: [
      tfl.layers.dense({ inputShape: [spec.noiseDim], units: 7 * 7 * f0, useBias: false, kernelInitializer: init(1), name: 'g_dense' }),
      tfl.layers.batchNormalization({ momentum: 0.9, name: 'g_bn_0' }),
      tfl.layers.reLU({ name: 'g_relu_0' }),
      tfl.layers.reshape({ targetShape: [7, 7, f0], name: 'g_reshape' }),
      tfl.layers.conv2dTranspose({ filters: f1, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(2), name: 'g_convt_1' }),
      tfl.layers.batchNormalization({ momentum: 0.9, name: 'g_bn_1' }),
      tfl.layers.reLU({ name: 'g_relu_1' }),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(3), name: 'g_out' }),
    ],
  });
}

/** The layer constructors a variant asks for: SN layers for `sn`, tfjs' own otherwise. */
export function criticLayers(variant: WganVariant): LayerFactory {
  if (variant.kind !== 'sn') return standardLayers;
  return spectralNormLayers({ coeff: 1, powerIters: variant.powerIters, sigma: variant.sigma, initIters: 50 });
}

export function buildCritic(spec: WganModels, variant: WganVariant, seed: number): tfl.LayersModel {
  const make = criticLayers(variant);
  const [c0, c1] = spec.criticFilters;
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: tfSeed(seed * 1013 + k) });
  return tfl.sequential({
    name: 'critic',
    layers: [
      make.conv2d({ inputShape: [...IMAGE_SHAPE], filters: c0, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(1), name: 'd_conv_1' }),
      tfl.layers.leakyReLU({ alpha: spec.leak, name: 'd_lrelu_1' }),
      make.conv2d({ filters: c1, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(2), name: 'd_conv_2' }),
      tfl.layers.leakyReLU({ alpha: spec.leak, name: 'd_lrelu_2' }),
      tfl.layers.flatten({ name: 'd_flatten' }),
      make.dense({ units: 1, kernelInitializer: init(3), name: 'd_out' }),
    ],
  });
}
