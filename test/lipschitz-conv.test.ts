import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/node/backend.js';
import { avgPoolFactor, maxPoolFactor } from '../src/lipschitz/factors.js';
import { exactSpectralNorm } from '../src/linalg/jacobi.js';
import type { Padding, Window2D } from '../src/lipschitz/layer-config.js';
import { conv2dFrobeniusBound, conv2dOperatorNorm, convOverlap, reshapedKernelNorm, type Conv2DGeometry } from '../src/lipschitz/layer-norms.js';

type Shape4 = [number, number, number, number];

before(async () => {
  await initBackend('cpu');
});

/**
 * The explicit matrix M (outDim × inDim) of a linear op on [1,H,W,C] inputs, built
 * column by column from unit inputs (all columns in one batched call).
 */
function explicitMatrix(op: (x: tf.Tensor4D) => tf.Tensor, inputShape: Shape4): number[][] {
  const inDim = inputShape[1] * inputShape[2] * inputShape[3];
  const cols = tf.tidy(() => {
    const eye = tf.reshape(tf.eye(inDim), [inDim, inputShape[1], inputShape[2], inputShape[3]]) as tf.Tensor4D;
    return tf.reshape(op(eye), [inDim, -1]);
  });
  const outDim = cols.size / inDim;
  const v = cols.dataSync();
  cols.dispose();
  return Array.from({ length: outDim }, (_, r) => Array.from({ length: inDim }, (_, c) => v[c * outDim + r]));
}

function exactConvNorm(kernel: tf.Tensor4D, inputShape: Shape4, g: Conv2DGeometry): number {
  return exactSpectralNorm(explicitMatrix((x) => tf.conv2d(x, kernel, g.strides, g.padding, 'NHWC', g.dilations), inputShape));
}

const geom = (s: number, padding: Padding, d = 1): Conv2DGeometry => ({ strides: [s, s], padding, dilations: [d, d] });

function dot(a: tf.Tensor, b: tf.Tensor): number {
  const t = tf.tidy(() => tf.sum(tf.mul(a, b)));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

describe('conv2d adjoint', () => {
  for (const size of [5, 6, 7, 8]) {
    for (const k of [2, 3, 4]) {
      for (const s of [1, 2, 3]) {
        for (const padding of ['same', 'valid'] as const) {
          it(`⟨conv(x),y⟩ = ⟨x,convT(y)⟩: ${size}×${size}, k${k}, stride ${s}, ${padding}`, () => {
            const seed = size * 100 + k * 10 + s;
            const inputShape: Shape4 = [1, size, size, 2];
            const x = tf.randomNormal(inputShape, 0, 1, 'float32', seed) as tf.Tensor4D;
            const K = tf.randomNormal([k, k, 2, 3], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
            const cx = tf.conv2d(x, K, s, padding);
            const y = tf.randomNormal(cx.shape, 0, 1, 'float32', seed + 2) as tf.Tensor4D;
            const cty = tf.conv2dTranspose(y, K, inputShape, s, padding);
            assert.deepEqual(cty.shape, inputShape);
            const lhs = dot(cx, y);
            const rhs = dot(x, cty);
            const scale = Math.sqrt(dot(cx, cx) * dot(y, y)) + 1e-12;
            assert.ok(Math.abs(lhs - rhs) / scale < 1e-5, `${lhs} vs ${rhs}`);
            tf.dispose([x, K, cx, y, cty]);
          });
        }
      }
    }
  }
});

describe('conv2d operator norm', () => {
  const shapes: Shape4[] = [
    [1, 6, 6, 2],
    [1, 7, 7, 2],
  ];
  for (const inputShape of shapes) {
    for (const cout of [2, 3]) {
      for (const s of [1, 2]) {
        for (const padding of ['same', 'valid'] as const) {
          it(`matches the explicit matrix σ within 1e-3: ${inputShape[1]}×${inputShape[2]}×2 → ${cout}, stride ${s}, ${padding}`, () => {
            const K = tf.randomNormal([3, 3, 2, cout], 0, 1, 'float32', 17 * cout + s) as tf.Tensor4D;
            const g = geom(s, padding);
            const exact = exactConvNorm(K, inputShape, g);
            const r = conv2dOperatorNorm(K, inputShape, g, { maxIters: 3000, tol: 1e-8, seed: 5 });
            K.dispose();
            const rel = Math.abs(r.sigma - exact) / exact;
            assert.ok(rel < 1e-3, `power ${r.sigma} vs exact ${exact} (rel ${rel}, ${r.iterations} iters)`);
          });
        }
      }
    }
  }

  it('dilated conv (vjp adjoint) matches the explicit matrix', () => {
    const inputShape: Shape4 = [1, 7, 7, 2];
    const K = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 99) as tf.Tensor4D;
    for (const padding of ['same', 'valid'] as const) {
      const g = geom(1, padding, 2);
      const exact = exactConvNorm(K, inputShape, g);
      const r = conv2dOperatorNorm(K, inputShape, g, { maxIters: 3000, tol: 1e-8, seed: 5 });
      assert.ok(Math.abs(r.sigma - exact) / exact < 1e-3, `${padding}: ${r.sigma} vs ${exact}`);
    }
    K.dispose();
  });

  it('reshaped-kernel σ is a different number: equal taps, stride 1 → operator ≈ 3× reshaped', () => {
    // K[t] = A for all 9 taps: reshaped σ = 3σ(A), the operator on constant images is 9A.
    const A = tf.randomNormal([1, 1, 2, 3], 0, 1, 'float32', 4);
    const K = tf.tile(A, [3, 3, 1, 1]) as tf.Tensor4D;
    const inputShape: Shape4 = [1, 16, 16, 2];
    const g = geom(1, 'same');
    const op = conv2dOperatorNorm(K, inputShape, g, { maxIters: 2000, tol: 1e-7, seed: 1 }).sigma;
    const reshaped = reshapedKernelNorm(K, { seed: 1 }).sigma;
    const fro = conv2dFrobeniusBound(K, g);
    const rawFro = fro / 3;
    tf.dispose([A, K]);
    assert.ok(op / reshaped > 2.5, `operator ${op} vs reshaped ${reshaped}`);
    // Hence the raw Frobenius norm of a conv kernel is not an operator bound either…
    assert.ok(rawFro < op, `‖K‖_F ${rawFro} should be below the operator norm ${op} here`);
    // …while √m·σ(K_r) and √m·‖K‖_F are.
    assert.ok(op <= 3 * reshaped * (1 + 1e-5));
    assert.ok(op <= fro);
  });

  it('reshaped σ can also exceed the operator norm (stride 2, valid, tiny input)', () => {
    // 3×3 input, 3×3 kernel, valid: a single output position, so the operator is K_rᵀ
    // itself: equal. With a 2×2 kernel at stride 2 on 4×4 the windows tile the input:
    // also equal. Alternating-sign taps at stride 1 cancel on smooth inputs but not
    // on checkerboards; check only the documented relation σ_op ≤ √m·σ_r there.
    const K = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 8) as tf.Tensor4D;
    const single = conv2dOperatorNorm(K, [1, 3, 3, 2], geom(1, 'valid'), { maxIters: 2000, tol: 1e-8, seed: 2 }).sigma;
    const reshaped = reshapedKernelNorm(K, { maxIters: 2000, tol: 1e-8, seed: 2 }).sigma;
    K.dispose();
    assert.ok(Math.abs(single - reshaped) / reshaped < 1e-4, `${single} vs ${reshaped}`);
  });
});

describe('conv Frobenius-style bound √m·‖K‖_F', () => {
  const configs: { k: number; s: number; padding: Padding; d?: number; size: number }[] = [
    { k: 3, s: 1, padding: 'same', size: 6 },
    { k: 3, s: 1, padding: 'valid', size: 7 },
    { k: 3, s: 2, padding: 'same', size: 7 },
    { k: 3, s: 2, padding: 'valid', size: 6 },
    { k: 2, s: 2, padding: 'valid', size: 6 },
    { k: 5, s: 2, padding: 'same', size: 6 },
    { k: 4, s: 3, padding: 'same', size: 7 },
    { k: 3, s: 1, padding: 'same', d: 2, size: 7 },
  ];
  for (const c of configs) {
    it(`≥ exact operator norm on random kernels: k${c.k} s${c.s} d${c.d ?? 1} ${c.padding} ${c.size}×${c.size}`, () => {
      const g = geom(c.s, c.padding, c.d ?? 1);
      for (let seed = 0; seed < 4; seed++) {
        // seed 0: equal taps, the worst case for overlap.
        const K = (seed === 0
          ? tf.tidy(() => tf.tile(tf.randomNormal([1, 1, 2, 2], 0, 1, 'float32', 50), [c.k, c.k, 1, 1]))
          : tf.randomNormal([c.k, c.k, 2, 2], 0, 1, 'float32', 50 + seed)) as tf.Tensor4D;
        const exact = exactConvNorm(K, [1, c.size, c.size, 2], g);
        const bound = conv2dFrobeniusBound(K, g);
        const sigmaR = reshapedKernelNorm(K, { maxIters: 2000, tol: 1e-8, seed: 1 }).sigma;
        K.dispose();
        assert.ok(bound >= exact * (1 - 1e-6), `seed ${seed}: bound ${bound} < exact ${exact}`);
        const m = convOverlap([c.k, c.k], g);
        assert.ok(Math.sqrt(m) * sigmaR >= exact * (1 - 1e-4), `seed ${seed}: √m·σ_r ${Math.sqrt(m) * sigmaR} < exact ${exact}`);
      }
    });
  }
});

describe('pooling factors', () => {
  const pools: { p: number; s: number; padding: Padding; size: number; disjoint: boolean }[] = [
    { p: 2, s: 2, padding: 'valid', size: 6, disjoint: true },
    { p: 2, s: 2, padding: 'valid', size: 7, disjoint: true },
    { p: 2, s: 2, padding: 'same', size: 7, disjoint: true },
    { p: 3, s: 3, padding: 'same', size: 7, disjoint: true },
    { p: 3, s: 1, padding: 'same', size: 6, disjoint: false },
    { p: 2, s: 1, padding: 'valid', size: 6, disjoint: false },
    { p: 3, s: 2, padding: 'same', size: 7, disjoint: false },
  ];
  for (const c of pools) {
    const w: Window2D = { size: [c.p, c.p], strides: [c.s, c.s], dilations: [1, 1], padding: c.padding };
    it(`avgpool Schur factor ≥ exact σ${c.disjoint ? ' and equal when windows are disjoint' : ''}: ${c.p}/${c.s} ${c.padding} ${c.size}×${c.size}`, () => {
      const inputShape: Shape4 = [1, c.size, c.size, 2];
      const exact = exactSpectralNorm(explicitMatrix((x) => tf.avgPool(x, w.size, w.strides, w.padding), inputShape));
      const f = avgPoolFactor(w, inputShape);
      assert.ok(f >= exact * (1 - 1e-6), `factor ${f} < exact ${exact}`);
      if (c.disjoint) assert.ok(Math.abs(f - exact) / exact < 1e-5, `factor ${f} vs exact ${exact}`);
      else assert.ok(f <= 1.5 * exact, `factor ${f} needlessly loose vs ${exact}`);
    });
  }

  it('avgpool 2×2/2 on even input is exactly 1/2', () => {
    const w: Window2D = { size: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid' };
    assert.ok(Math.abs(avgPoolFactor(w, [1, 8, 8, 3]) - 0.5) < 1e-6);
  });

  it('maxpool factor is 1 for disjoint windows and √(windows per pixel) when overlapping — and that is attained', () => {
    const disjoint: Window2D = { size: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid' };
    const overlap: Window2D = { size: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'valid' };
    assert.equal(maxPoolFactor(disjoint), 1);
    assert.equal(maxPoolFactor(overlap), 3);
    assert.equal(maxPoolFactor({ ...overlap, strides: [2, 2] }), 2);
    // A bump at the centre of a 5×5 image is the max of all 9 windows: ratio 3 = √9.
    const x0 = tf.zeros([1, 5, 5, 1]) as tf.Tensor4D;
    const x1 = tf.tidy(() => tf.mul(tf.reshape(tf.oneHot(12, 25), [1, 5, 5, 1]), 0.7)) as tf.Tensor4D;
    const ratio = tf.tidy(() =>
      tf.div(tf.norm(tf.sub(tf.maxPool(x1, 3, 1, 'valid'), tf.maxPool(x0, 3, 1, 'valid'))), tf.norm(tf.sub(x1, x0))),
    );
    assert.ok(Math.abs(ratio.dataSync()[0] - 3) < 1e-5);
    // And random pairs never exceed the factor.
    for (let seed = 0; seed < 20; seed++) {
      const r = tf.tidy(() => {
        const a = tf.randomUniform([1, 6, 6, 2], 0, 1, 'float32', seed) as tf.Tensor4D;
        const b = tf.add(a, tf.randomNormal([1, 6, 6, 2], 0, 0.05, 'float32', seed + 100)) as tf.Tensor4D;
        return tf.div(tf.norm(tf.sub(tf.maxPool(b, 3, 2, 'same'), tf.maxPool(a, 3, 2, 'same'))), tf.norm(tf.sub(b, a)));
      });
      assert.ok(r.dataSync()[0] <= 2 + 1e-5);
      r.dispose();
    }
    tf.dispose([x0, x1, ratio]);
  });
});
