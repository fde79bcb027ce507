/**
 * The L∞ step must use an exact sign. The wasm backend's `Sign` kernel returns 0 for
 * every |x| < FLT_EPSILON (1.19e-7), so on confident points, whose input gradients are
 * tiny, `tf.sign` zeroes most of the FGSM/PGD step. These tests run on wasm, where the
 * defect lives, with a model whose input gradients are all below 1e-7.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/node/backend.js';
import { exactSign, steepestDirection } from '../src/attacks/geometry.js';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { linearModel, syntheticData, D, K } from './attacks-helpers.js';
import { mulberry32 } from '../src/util/rng.js';

before(async () => {
  await initBackend('wasm');
});

test('exactSign is ±1 for tiny non-zero values and 0 only at exactly 0 (wasm)', async () => {
  // Subnormals down to the smallest (1.4e-45) and values large enough to overflow when scaled.
  const v = tf.tensor1d([1e-30, -1e-30, 1e-8, -5e-8, 1.1e-7, 0, -0, 3, -2, 1e-40, -1.4e-45, 3e38, -3e38]);
  const s = exactSign(v);
  // −0 for −0 is fine: a step of −0 moves nothing.
  assert.deepEqual(Array.from(await s.data(), (u) => (u === 0 ? 0 : u)), [1, -1, 1, -1, 1, 0, 0, 1, -1, 1, -1, 1, -1]);
  tf.dispose([v, s]);
});

test('FGSM moves every coordinate of a model whose input gradients are all below 1e-7 (wasm)', async () => {
  // Kernel entries ~1e-9: the logit differences stay tiny, so ∇ₓ CE is ~1e-9 everywhere.
  const kernel = new Float32Array(D * K);
  const rand = mulberry32(5);
  // Random magnitudes: with integer multiples, Σ_k W_jk(p_k − [k = y]) can cancel exactly.
  for (let i = 0; i < kernel.length; i++) kernel[i] = (0.5 + rand()) * (rand() < 0.5 ? -1e-9 : 1e-9);
  const model = linearModel(kernel, new Float32Array(K));
  const { x, y } = syntheticData(6, 3);
  const g = tf.tidy(() =>
    tf.grad((xx: tf.Tensor) => {
      const z = model.apply(xx, { training: false }) as tf.Tensor2D;
      return tf.sum(tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, tf.oneHot(y, K)), 1)));
    })(x),
  );
  const gAbsMax = (await tf.max(tf.abs(g)).data())[0]!;
  assert.ok(gAbsMax > 0 && gAbsMax < 1e-7, `test premise: |∇| max ${gAbsMax} should be in (0, 1e-7)`);
  const dir = steepestDirection(g as tf.Tensor4D, 'linf');
  const zeros = (await tf.sum(tf.cast(tf.equal(dir, 0), 'float32')).data())[0]!;
  assert.equal(zeros, 0, `${zeros} of ${dir.size} step coordinates are 0`);

  const eps = 0.1;
  const r = await runAttack(model, x, y, createAttack('fgsm'), [eps], { progress: false, keepAdversarial: true });
  const adv = (await r.perEps[0]!.adversarial!.data()) as Float32Array;
  const xs = (await x.data()) as Float32Array;
  let moved = 0;
  let movable = 0;
  for (let i = 0; i < xs.length; i++) {
    const step = adv[i]! - xs[i]!;
    if (xs[i]! > eps && xs[i]! < 1 - eps) {
      movable++;
      if (Math.abs(Math.abs(step) - eps) < 1e-6) moved++;
    }
  }
  assert.ok(movable > 0);
  assert.equal(moved, movable, `only ${moved} of ${movable} interior coordinates moved by ε`);
  tf.dispose([g, dir, x, y, r.perEps[0]!.adversarial!]);
  model.dispose();
});
