/**
 * Orthogonal initialization (Saxe et al. 2014), as GloRo initializes its networks: every
 * dense and conv kernel, flattened to [fan-in, out] (a conv's taps × input channels by
 * output channels), is set to a random matrix with orthonormal columns (or rows, when it
 * is wide), so each layer's reshaped kernel has all singular values 1 and a MinMax net
 * starts with a product bound near 1 rather than the hundreds He-normal gives.
 *
 * The matrix is the polar factor of a Gaussian one (Haar-distributed, like the QR
 * construction), computed by Björck iterations (`bjorck`, as the orthonormal layers
 * use): tfjs' QR took 33 s on a 3136 × 512 kernel, this well under a second. The
 * weights are written after the model is built, so saved models carry ordinary
 * initializer configs and load anywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { bjorck } from './orthonormal-layers.js';
import { tfSeed } from '../util/rng.js';

/** A [rows, cols] matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols). */
export function randomOrthogonal(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const tall = rows >= cols;
    const [m, n] = tall ? [rows, cols] : [cols, rows];
    // A Gaussian m×n matrix has singular values within about √m ± √n: scaled by their
    // upper end they lie in (0, 1], where Björck's iteration converges to the polar factor.
    const g = tf.div(tf.randomNormal([m, n], 0, 1, 'float32', tfSeed(seed)), Math.sqrt(m) + Math.sqrt(n)) as tf.Tensor2D;
    const q = bjorck(g, 40);
    return tall ? q : (tf.transpose(q) as tf.Tensor2D);
  });
}

/** Overwrites every trainable `kernel` weight of the model with an orthogonal one. */
export function orthogonalizeKernels(model: tfl.LayersModel, seed: number): void {
  model.layers.forEach((layer, i) => {
    for (const w of layer.trainableWeights) {
      if (!w.originalName.endsWith('kernel')) continue;
      const shape = w.shape.map((d) => {
        if (d === null) throw new Error(`orthogonal init: '${w.name}' has an unknown dimension`);
        return d;
      });
      const cols = shape[shape.length - 1]!;
      const rows = shape.reduce((a, b) => a * b, 1) / cols;
      const value = tf.tidy(() => tf.reshape(randomOrthogonal(rows, cols, seed * 1009 + i), shape));
      w.write(value);
      value.dispose();
    }
  });
}
