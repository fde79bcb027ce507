import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { matrixSpectralNorm } from '../lipschitz/power-iteration.js';
import { asMatrix, kernelsOf } from '../regularizers/kernels.js';
import type { LayerSigma } from '../train/loop.js';

/**
 * Per-epoch σ of every kernel: the exact operator norm for dense layers, the
 * reshaped-kernel σ for convs (the full conv operator norm is measured once after
 * training; per epoch it would cost more than the epoch). A fixed seed keeps the
 * curve smooth across epochs.
 */
export function kernelSigmas(model: tfl.LayersModel): LayerSigma[] {
  return kernelsOf(model).map((k) => {
    const m = asMatrix(k.variable);
    try {
      return { layer: k.layer, sigma: matrixSpectralNorm(m, { tol: 1e-4, maxIters: 300, seed: 1234 }).sigma };
    } finally {
      if (m !== (k.variable as tf.Tensor)) m.dispose();
    }
  });
}
