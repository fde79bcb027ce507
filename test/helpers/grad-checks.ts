/**
 * Checks shared by the cpu and wasm gradient-penalty tests (the backend is fixed per
 * process, so each backend gets its own test file running these).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerSecondOrderGradients } from '../../src/kernels/gradients/index.js';
import { createRegularizer, RegularizerSpec, type Regularizer } from '../../src/regularizers/index.js';

type PoolCase = { name: string; kind: 'max' | 'avg'; in: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' };

export const POOL_CASES: PoolCase[] = [
  { name: 'max 2×2/2 valid', kind: 'max', in: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' },
  { name: 'max 3×3/1 same (overlapping)', kind: 'max', in: [1, 5, 5, 2], size: 3, stride: 1, pad: 'same' },
  { name: 'max 2×2/2 same, odd size', kind: 'max', in: [1, 5, 5, 2], size: 2, stride: 2, pad: 'same' },
  { name: 'avg 2×2/2 valid', kind: 'avg', in: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' },
  { name: 'avg 3×3/1 same (clipped borders)', kind: 'avg', in: [1, 5, 5, 2], size: 3, stride: 1, pad: 'same' },
  { name: 'avg 2×2/2 same, odd size', kind: 'avg', in: [1, 5, 5, 2], size: 2, stride: 2, pad: 'same' },
];

/**
 * The gradient of MaxPoolGrad/AvgPoolGrad w.r.t. dy against central finite differences
 * of F(dy) = ⟨PoolGrad(dy, x), R⟩, every entry. x is a ReLU output, so max windows are
 * full of ties: if our argmax and the kernel's routing disagreed, this would fail.
 * Also checks that the gradient w.r.t. x is zero.
 */
export async function checkPoolGradGradient(c: PoolCase): Promise<void> {
  registerSecondOrderGradients();
  const x = tf.tidy(() => tf.relu(tf.randomNormal(c.in, 0, 1, 'float32', 17)) as tf.Tensor4D);
  const pooled = c.kind === 'max' ? tf.maxPool(x, c.size, c.stride, c.pad) : tf.avgPool(x, c.size, c.stride, c.pad);
  const r = tf.randomNormal(c.in, 0, 1, 'float32', 18);
  const attrs = { filterSize: c.size, strides: c.stride, pad: c.pad };
  const op = (dy: tf.Tensor, xx: tf.Tensor = x): tf.Tensor =>
    c.kind === 'max'
      ? (tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: xx, output: pooled }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor)
      : (tf.engine().runKernel(tf.AvgPoolGrad, { dy, input: xx }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor);
  const F = (dy: tf.Tensor, xx?: tf.Tensor) => tf.sum(tf.mul(op(dy, xx), r)) as tf.Scalar;
  const dy0 = tf.randomNormal(pooled.shape, 0, 1, 'float32', 19);
  const g = await tf.grad((dy) => F(dy))(dy0).data();
  const gx = tf.grad((xx) => F(dy0, xx))(x);
  assert.equal(tf.max(tf.abs(gx)).dataSync()[0], 0, `${c.name}: gradient w.r.t. the input should be zero`);
  const base = await dy0.data();
  const h = 0.5; // F is linear in dy: any step is exact up to rounding.
  let maxErr = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number) =>
      tf.tidy(() => {
        const d = Float32Array.from(base);
        d[i]! += delta;
        return F(tf.tensor(d, dy0.shape)).dataSync()[0]!;
      });
    const fd = (at(h) - at(-h)) / (2 * h);
    maxErr = Math.max(maxErr, Math.abs(fd - g[i]!));
  }
  assert.ok(maxErr < 1e-4, `${c.name}: max |autodiff − finite difference| = ${maxErr}`);
  tf.dispose([x, pooled, r, dy0, gx]);
}

/** conv3×3 → ReLU → pool 2×2 → flatten → dense: the CNN shape, tiny. */
export function tinyCnn(pool: 'max' | 'avg', seed: number): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
      tfl.layers.activation({ activation: 'relu' }),
      pool === 'max' ? tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }) : tfl.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
}

function penaltyOf(reg: Regularizer, model: tfl.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D): tf.Scalar {
  const logits = tf.zeros([x.shape[0], 4]) as tf.Tensor2D;
  try {
    return reg.penalty!({ model, x, y, logits, step: 3 });
  } finally {
    logits.dispose();
  }
}

/**
 * The weight gradient of the gradient penalty (double backprop) against central finite
 * differences on a few weights of every variable. Float32 forward passes limit the
 * agreement to ~1e-3; kinks of ReLU/max are rarely crossed with this step.
 */
export async function checkPenaltyGradient(model: tfl.LayersModel, spec: Record<string, unknown>, seed: number): Promise<void> {
  const reg = createRegularizer(RegularizerSpec.parse({ name: 'grad-penalty', ...spec }), seed);
  const [, h0, w0, c0] = model.inputs[0]!.shape as number[];
  const x = tf.randomUniform([5, h0!, w0!, c0!], 0, 1, 'float32', seed + 3) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3, 1], 'int32');
  reg.beforeStep?.({ model, step: 0, learningRate: 0 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => penaltyOf(reg, model, x, y), vars);
  const p0 = value.dataSync()[0]!;
  assert.ok(p0 > 1e-4, `penalty ${p0} too small to test its gradient`);
  const h = 1e-3;
  let checked = 0;
  let skipped = 0;
  for (const v of vars) {
    // tfjs omits variables the value does not depend on (e.g. the last bias for fn 'projection').
    const g = grads[v.name] ? await grads[v.name]!.data() : new Float32Array(v.size);
    const w = await v.data();
    const picks = [0, Math.floor(w.length / 3), Math.floor((2 * w.length) / 3), w.length - 1];
    for (const i of picks) {
      const at = (delta: number) => {
        const ww = Float32Array.from(w);
        ww[i]! += delta;
        v.assign(tf.tensor(ww, v.shape));
        return tf.tidy(() => penaltyOf(reg, model, x, y).dataSync()[0]!);
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      const fdHalf = (at(h / 2) - at(-h / 2)) / h;
      v.assign(tf.tensor(w, v.shape));
      const tol = 2e-3 + 3e-2 * Math.max(Math.abs(fd), Math.abs(g[i]!));
      // ‖∇ₓ‖ jumps where a ReLU or a max-pool argmax switches; a difference quotient
      // across a jump means nothing, and shows as disagreement between the two steps.
      if (Math.abs(fd - fdHalf) > tol) {
        skipped++;
        continue;
      }
      assert.ok(Math.abs(fd - g[i]!) <= tol, `${v.name}[${i}]: autodiff ${g[i]} vs finite difference ${fd} (penalty ${p0})`);
      checked++;
    }
  }
  assert.ok(checked >= 12 && skipped <= checked / 4, `checked ${checked} entries, skipped ${skipped} at kinks`);
  tf.dispose([x, y, value, ...Object.values(grads)]);
  reg.dispose?.();
}
