import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { matrixSpectralNorm } from '../lipschitz/power-iteration.js';
import { isSpectralNormLayer } from '../models/spectral-layers.js';
import { asMatrix, kernelsOf } from '../regularizers/weight-matrices.js';
import type { LayerSigma } from '../train/loop.js';

/**
 * Per-epoch σ of every kernel as the layer applies it: the effective W̄ = c·W/σ̂ for
 * spectral-normalized layers (their raw W is not what the network uses), the kernel
 * itself otherwise. Exact operator norm for dense layers, reshaped-kernel σ for convs
 * (the full conv operator norm is measured once after training; per epoch it would
 * cost more than the epoch). A fixed seed keeps the curve smooth across epochs.
 */
export function kernelSigmas(model: tfl.LayersModel): LayerSigma[] {
  const layers = new Map(model.layers.map((l) => [l.name, l]));
  return kernelsOf(model).map((k) => {
    const layer = layers.get(k.layer);
    const w = layer && isSpectralNormLayer(layer) ? layer.effectiveKernel() : k.variable;
    const m = asMatrix(w);
    try {
      return { layer: k.layer, sigma: matrixSpectralNorm(m, { tol: 1e-4, maxIters: 300, seed: 1234 }).sigma };
    } finally {
      if (m !== w) m.dispose();
      if (w !== k.variable) w.dispose();
    }
  });
}
