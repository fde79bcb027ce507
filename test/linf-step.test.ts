/**
 * The fused PGD-L∞ step (kernels/linf-step.ts, used by attacks/geometry.ts's
 * ascentStep) against the tfjs composition it replaces, bit for bit, on cpu (where it
 * composes), on wasm (one JavaScript pass over the heap) and on wasm+native (the addon's
 * threads): values spread over the ball's and the box's edges, gradients that are zero,
 * subnormal, infinite or NaN, points outside the box, a small and a large batch. Also:
 * the ε-ball and the box hold, ε = 0 composes, no tensor leaks, and a bad call is refused.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ascentStep, normalizeLinf, projectToFeasible } from '../src/attacks/geometry.js';
import { LINF_STEP } from '../src/kernels/linf-step.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

/** Deterministic values with the awkward cases mixed in. */
function data(n: number, seed: number): { x: Float32Array; xa: Float32Array; g: Float32Array } {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(n), xa = new Float32Array(n), g = new Float32Array(n);
  const special = [0, -0, 1e-45, -1e-45, 1e-30, -3e-38, Infinity, -Infinity, NaN, -NaN, 1, -1];
  for (let i = 0; i < n; i++) {
    x[i] = i % 97 === 0 ? 1 : i % 89 === 0 ? 0 : i % 83 === 0 ? 1.2 : i % 79 === 0 ? -0.1 : rnd();
    // xAdv within about 2ε of x, sometimes exactly on the ball's edge.
    xa[i] = i % 61 === 0 ? x[i]! + 0.1 : i % 59 === 0 ? NaN : x[i]! + (rnd() - 0.5) * 0.4;
    g[i] = i % 7 === 0 ? special[(i / 7) % special.length]! : (rnd() - 0.5) * 10 ** (-Math.floor(rnd() * 12));
  }
  return { x, xa, g };
}

const composed = (x: tf.Tensor4D, xa: tf.Tensor4D, g: tf.Tensor4D, alpha: number, eps: number): tf.Tensor4D =>
  tf.tidy(() => projectToFeasible(x, tf.add(xa, tf.mul(normalizeLinf(g), alpha)) as tf.Tensor4D, 'linf', eps));

describe('fused L∞ attack step', () => {
  before(() => setupModes());

  for (const mode of MODES) {
    it(`${mode}: equals the composition bit for bit (small and large batches, edge values, NaN and infinite gradients)`, async () => {
      await useMode(mode);
      // 300 images are above the size from which the addon splits the pass between threads.
      const cases = [[[3, 28, 28, 1], 0.01, 0.1], [[300, 28, 28, 1], 0.025, 0.3], [[100, 5, 2, 1], 0.5, 0.05]] as const;
      for (const [dims, alpha, eps] of cases) {
        const shape = [...dims] as [number, number, number, number];
        const n = shape.reduce((p, q) => p * q, 1);
        const { x, xa, g } = data(n, n);
        const [tx, txa, tg] = [x, xa, g].map((v) => tf.tensor4d(v, shape)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const want = composed(tx, txa, tg, alpha, eps);
        const prof = await tf.profile(() => ascentStep(tx, txa, tg, 'linf', alpha, eps));
        const got = prof.result as tf.Tensor4D;
        const ran = prof.kernelNames.includes(LINF_STEP);
        assert.equal(ran, mode !== 'cpu', `${mode}: the fused kernel ${mode === 'cpu' ? 'must not run' : 'must run'}`);
        const [w, a] = [want.dataSync(), got.dataSync()];
        let bad = 0, first = '';
        for (let i = 0; i < n; i++) {
          if (!Object.is(a[i], w[i])) {
            if (bad++ === 0) first = `element ${i} (x ${x[i]}, xAdv ${xa[i]}, g ${g[i]}): ${a[i]} vs composition ${w[i]}`;
          }
        }
        assert.equal(bad, 0, `${mode} n=${n}: ${bad} elements differ; first ${first}`);
        // Where x is in the box and the numbers are finite, the step stays in the ball and the box.
        for (let i = 0; i < n; i++) {
          if (!(x[i]! >= 0 && x[i]! <= 1) || !Number.isFinite(xa[i]!) || Number.isNaN(g[i]!)) continue;
          assert.ok(a[i]! >= 0 && a[i]! <= 1 && Math.abs(a[i]! - x[i]!) <= Math.fround(eps) * (1 + 1e-6) + 1e-7, `${mode} n=${n} element ${i}: ${a[i]} outside the ball or box around ${x[i]}`);
        }
        tf.dispose([tx, txa, tg, want, got]);
      }
    });

    it(`${mode}: ε = 0 composes; no tensor leaks`, async () => {
      await useMode(mode);
      const x = tf.fill([2, 28, 28, 1], 0.5) as tf.Tensor4D;
      const g = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
      const zero = await tf.profile(() => ascentStep(x, x, g, 'linf', 0.1, 0));
      assert.ok(!zero.kernelNames.includes(LINF_STEP));
      assert.deepEqual(Array.from((zero.result as tf.Tensor).dataSync()), Array.from(x.dataSync()));
      (zero.result as tf.Tensor).dispose();
      ascentStep(x, x, g, 'linf', 0.1, 0.2).dispose();
      const n0 = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) ascentStep(x, x, g, 'linf', 0.1, 0.2).dispose();
      assert.equal(tf.memory().numTensors, n0);
      tf.dispose([x, g]);
    });
  }

  it('wasm: the kernel refuses mismatched shapes, other dtypes and ε ≤ 0 with a clear error', async () => {
    await useMode('wasm');
    const x = tf.zeros([2, 3]), y = tf.zeros([3, 2]), i = tf.zeros([2, 3], 'int32');
    assert.throws(() => tf.engine().runKernel(LINF_STEP, { x, xAdv: y, g: x }, { stepSize: 0.1, eps: 0.1 } as never), /L∞ step: shapes differ/);
    assert.throws(() => tf.engine().runKernel(LINF_STEP, { x, xAdv: x, g: i }, { stepSize: 0.1, eps: 0.1 } as never), /float32 tensors expected/);
    assert.throws(() => tf.engine().runKernel(LINF_STEP, { x, xAdv: x, g: x }, { stepSize: 0.1, eps: 0 } as never), /eps must be positive/);
    tf.dispose([x, y, i]);
  });
});
