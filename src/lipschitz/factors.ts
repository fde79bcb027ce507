/**
 * Lipschitz factors (L2 → L2) of the non-linear and weight-free layers, plus batch-norm,
 * registered in the layer registry. Each constant below is a proven bound, with the
 * argument next to it; anything not listed throws via the registry.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { exactSpectralNorm } from '../linalg/jacobi.js';
import { activationName, configValue, poolConfig, requireWeight, weight, type Padding, type Window2D } from './layer-config.js';
import { registerLayerHandler, type LayerContribution } from './registry.js';

/**
 * sup |φ'| of elementwise activations; for an elementwise map that is its L2 Lipschitz
 * constant. Names are tfjs' serialized activation names.
 */
const ACTIVATION_FACTORS: Readonly<Record<string, number>> = {
  linear: 1,
  relu: 1,
  relu6: 1,
  tanh: 1,
  sigmoid: 0.25, // σ' = σ(1−σ) ≤ 1/4
  hardSigmoid: 0.2, // tfjs: clip(0.2x + 0.5, 0, 1)
  softplus: 1, // derivative is the sigmoid, < 1
  softsign: 1, // 1/(1+|x|)² ≤ 1
  elu: 1, // tfjs' 'elu' activation has α = 1: derivative e^x ≤ 1 for x < 0
  selu: 1.0507009873554805 * 1.6732632423543772, // λα e^x ≤ λα for x < 0; λ for x > 0
  // Softmax Jacobian diag(p) − ppᵀ has eigenvalues ≤ max p ≤ 1. Models should output
  // logits, but a softmax head still has a sound factor.
  softmax: 1,
};

export function activationFactor(name: string, where: string): number {
  const f = ACTIVATION_FACTORS[name];
  if (f === undefined) {
    throw new Error(`lipschitz: activation '${name}' of ${where} has no known Lipschitz factor (known: ${Object.keys(ACTIVATION_FACTORS).join(', ')})`);
  }
  return f;
}

/**
 * Max number of pooling/conv windows along one axis that contain a given input index:
 * window starts are multiples of the stride (shifted by padding); a pixel is read by the
 * taps {0, d, …, (k−1)d}, so at most k windows and at most ⌈((k−1)d+1)/s⌉ starts fit
 * in the span. Padding only shifts the starts, so the count holds for 'same' too.
 */
export function windowOverlap(k: number, s: number, d = 1): number {
  return Math.min(k, Math.ceil(((k - 1) * d + 1) / s));
}

/**
 * Max pooling: each output o satisfies |Δmax_o| ≤ max_{i∈W_o}|Δx_i| ≤ ‖Δx_{W_o}‖₂, so
 * ‖Δy‖² ≤ Σ_o ‖Δx_{W_o}‖² ≤ m·‖Δx‖² with m the max number of windows containing a
 * pixel. Factor √m: 1 for non-overlapping windows (stride ≥ pool), √4 for 3×3/1, etc.
 */
export function maxPoolFactor(w: Window2D): number {
  return Math.sqrt(windowOverlap(w.size[0], w.strides[0]) * windowOverlap(w.size[1], w.strides[1]));
}

/**
 * Output index ranges of one pooling axis: for each output, the clipped window
 * [from, to) of input indices, following TF's padding rule (out = ⌈n/s⌉ for 'same',
 * padding split with the smaller half before).
 */
export function poolWindows(n: number, k: number, s: number, padding: Padding): [number, number][] {
  const out = padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
  const before = padding === 'same' ? Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) : 0;
  const w: [number, number][] = [];
  for (let o = 0; o < out; o++) {
    const start = o * s - before;
    w.push([Math.max(0, start), Math.min(n, start + k)]);
  }
  return w;
}

/** One axis of the separable average-pooling matrix; `excludePad` divides by the clipped count. */
function poolAxisMatrix(n: number, windows: [number, number][], k: number, excludePad: boolean): number[][] {
  return windows.map(([a, b]) => {
    const row = new Array<number>(n).fill(0);
    for (let i = a; i < b; i++) row[i] = 1 / (excludePad ? b - a : k);
    return row;
  });
}

function kronApply(ah: number[][], aw: number[][], x: Float32Array | Int32Array | Uint8Array, h: number, w: number): Float64Array {
  const out = new Float64Array(ah.length * aw.length);
  for (let i = 0; i < ah.length; i++) {
    for (let j = 0; j < aw.length; j++) {
      let acc = 0;
      for (let a = 0; a < h; a++) {
        const ha = ah[i][a];
        if (ha === 0) continue;
        for (let b = 0; b < w; b++) acc += ha * aw[j][b] * x[a * w + b];
      }
      out[i * aw.length + j] = acc;
    }
  }
  return out;
}

/**
 * Exact operator norm of average pooling. Per channel the pooling matrix is separable,
 * A = A_h ⊗ A_w (each output averages a clipped rectangle, and the clipped count is a
 * product of per-axis counts), so σ(A) = σ(A_h)·σ(A_w), computed exactly (float64
 * Jacobi) on the small per-axis matrices. Whether edge windows divide by the clipped
 * count or by k is a backend convention (and tfjs' own avgPool gradient disagrees with
 * its forward for 'same'), so we check our matrix against tf.avgPool's forward at the
 * real input shape and throw if neither convention reproduces it.
 */
export function avgPoolFactor(w: Window2D, inputShape: readonly number[]): number {
  if (inputShape.length !== 4) throw new Error(`avgPoolFactor: expected an NHWC input shape, got [${inputShape}]`);
  const [, h, wd] = inputShape;
  const winH = poolWindows(h, w.size[0], w.strides[0], w.padding);
  const winW = poolWindows(wd, w.size[1], w.strides[1], w.padding);
  const probe = tf.tidy(() => {
    const x = tf.randomUniform([1, h, wd, 1], 0, 1, 'float32', 1234);
    return tf.stack([tf.reshape(x, [-1]), tf.pad(tf.reshape(tf.avgPool(x as tf.Tensor4D, w.size, w.strides, w.padding), [-1]), [[0, h * wd - winH.length * winW.length]])]);
  });
  const vals = probe.dataSync();
  probe.dispose();
  const x = vals.subarray(0, h * wd);
  const y = vals.subarray(h * wd, h * wd + winH.length * winW.length);
  for (const excludePad of [true, false]) {
    const ah = poolAxisMatrix(h, winH, w.size[0], excludePad);
    const aw = poolAxisMatrix(wd, winW, w.size[1], excludePad);
    const mine = kronApply(ah, aw, x, h, wd);
    if (mine.every((v, i) => Math.abs(v - y[i]) <= 1e-5 * (1 + Math.abs(v)))) {
      return exactSpectralNorm(ah) * exactSpectralNorm(aw);
    }
  }
  throw new Error(`avgPoolFactor: tf.avgPool (${w.size}/${w.strides} ${w.padding} on ${h}×${wd}) matches no known padding convention on this backend`);
}

/**
 * Batch-norm in inference is x ↦ γ(x−μ)/√(var+ε) + β per channel: a diagonal linear map
 * (plus shift) with operator norm max|γ/√(var+ε)|.
 */
export function batchNormFactor(layer: tfl.layers.Layer): number {
  const { epsilon } = configValue(layer, z.object({ epsilon: z.number().nonnegative().optional() }));
  const eps = epsilon ?? 1e-3;
  const variance = requireWeight(layer, 'moving_variance');
  const gamma = weight(layer, 'gamma');
  const m = tf.tidy(() => {
    const inv = tf.rsqrt(tf.add(variance, eps));
    return tf.max(tf.abs(gamma ? tf.mul(gamma, inv) : inv));
  });
  const v = m.dataSync()[0];
  m.dispose();
  return v;
}

function fixed(factor: number, note: string): () => LayerContribution {
  return () => ({ factor, note });
}

// Shape-only or identity-in-inference layers: isometries, projections or copies.
for (const cls of ['Flatten', 'Reshape', 'Permute', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ZeroPadding2D', 'Cropping2D', 'GlobalMaxPooling2D', 'GlobalMaxPooling1D']) {
  registerLayerHandler(cls, fixed(1, `${cls}: 1 (identity in inference, reshape or 1-Lipschitz projection)`));
}

registerLayerHandler('Activation', (layer) => {
  const name = activationName(layer);
  const factor = activationFactor(name, `layer '${layer.name}'`);
  return { factor, note: `${name}: ${factor}` };
});
registerLayerHandler('ReLU', fixed(1, 'relu: 1'));
registerLayerHandler('Softmax', fixed(1, 'softmax: 1'));
registerLayerHandler('LeakyReLU', (layer) => {
  const { alpha } = configValue(layer, z.object({ alpha: z.number().optional() }));
  const factor = Math.max(1, Math.abs(alpha ?? 0.3));
  return { factor, note: `leakyRelu: max(1,|α|) = ${factor}` };
});
registerLayerHandler('ELU', (layer) => {
  const { alpha } = configValue(layer, z.object({ alpha: z.number().nonnegative().optional() }));
  const factor = Math.max(1, alpha ?? 1);
  return { factor, note: `elu: max(1,α) = ${factor}` };
});

registerLayerHandler('MaxPooling2D', (layer) => {
  const w = poolConfig(layer);
  const factor = maxPoolFactor(w);
  return { factor, note: `maxpool ${w.size.join('×')}/${w.strides.join('×')}: √(windows per pixel) = ${factor}` };
});
registerLayerHandler('AveragePooling2D', (layer, ctx) => {
  const w = poolConfig(layer);
  const factor = avgPoolFactor(w, ctx.inputShape);
  return { factor, note: `avgpool ${w.size.join('×')}/${w.strides.join('×')} ${w.padding}: Schur bound ${factor}` };
});
registerLayerHandler('GlobalAveragePooling2D', (layer, ctx) => {
  const [, h, w] = ctx.inputShape;
  // Each channel's output is (1/HW)·Σ pixels: a row of HW entries 1/HW, norm 1/√(HW).
  const factor = 1 / Math.sqrt(h * w);
  return { factor, note: `global avgpool over ${h}×${w}: 1/√(HW) = ${factor}` };
});
registerLayerHandler('UpSampling2D', (layer) => {
  const { size } = configValue(layer, z.object({ size: z.array(z.number().int().positive()).length(2).optional(), interpolation: z.literal('nearest').optional() }));
  const [a, b] = size ?? [2, 2];
  // Nearest upsampling copies each pixel a·b times.
  const factor = Math.sqrt(a * b);
  return { factor, note: `upsampling ${a}×${b} nearest: √(ab) = ${factor}` };
});
registerLayerHandler('BatchNormalization', (layer) => {
  const factor = batchNormFactor(layer);
  return { factor, note: `batchnorm: max|γ/√(var+ε)| = ${factor}` };
});
