/**
 * Tiny models and synthetic data for the attack tests. Everything is seeded so a
 * failing property reproduces exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 as mulberry } from '../src/util/rng.js';

export const H = 8;
export const W = 8;
export const C = 1;
export const D = H * W * C;
/** Classes of the synthetic problems: 4, the fewest the targeted DLR loss (APGD-T) accepts. */
export const K = 4;

/** Logits = flatten(x)·kernel + bias, with the given weights (kernel [D, K] row-major). */
export function linearModel(kernel: Float32Array, bias: Float32Array): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [H, W, C] }), tfl.layers.dense({ units: K, useBias: true })],
  });
  m.setWeights([tf.tensor2d(kernel, [D, K]), tf.tensor1d(bias)]);
  return m;
}

/** A small ReLU MLP with seeded Glorot init. */
export function mlp(seed: number, hidden = 32): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [H, W, C] }),
      tfl.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/**
 * n images of K noisy class prototypes; about a quarter of the pixels sit exactly at 0
 * or 1 so that box clipping is exercised.
 */
export function syntheticData(n: number, seed: number, noise = 0.25, classes = K): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rand = mulberry(seed);
  const protoRand = mulberry(12345);
  const protos = Array.from({ length: classes }, () => Float32Array.from({ length: D }, () => protoRand()));
  const xs = new Float32Array(n * D);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    ys[i] = k;
    for (let j = 0; j < D; j++) {
      const v = protos[k]![j]! + noise * (2 * rand() - 1) * 1.6;
      xs[i * D + j] = Math.min(1, Math.max(0, v));
    }
  }
  return { x: tf.tensor4d(xs, [n, H, W, C]), y: tf.tensor1d(ys, 'int32') };
}

/** Train an MLP with Adam on synthetic data; enough to be accurate but not robust. */
export async function trainedMlp(seed = 1, steps = 80): Promise<tfl.LayersModel> {
  const model = mlp(seed);
  const { x, y } = syntheticData(150, seed + 100, 0.45);
  const opt = tf.train.adam(0.01);
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(() => {
      const z = model.apply(x, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, K), z) as tf.Scalar;
    }, true);
    loss?.dispose();
  }
  opt.dispose();
  tf.dispose([x, y]);
  return model;
}

/** Per-example ‖a_i − b_i‖ in float64 on the host, so the check does not share float32 error with the code under test. */
export function hostNorms(a: Float32Array, b: Float32Array, n: number, norm: 'linf' | 'l2'): number[] {
  const d = a.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.abs(a[i * d + j]! - b[i * d + j]!);
      acc = norm === 'linf' ? Math.max(acc, v) : acc + v * v;
    }
    out.push(norm === 'linf' ? acc : Math.sqrt(acc));
  }
  return out;
}

export function accuracy(model: tfl.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D): number {
  const t = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.apply(x, { training: false }) as tf.Tensor2D, 1), y), 'float32')));
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}
