/**
 * kernels/wasm/pool-grad.ts: max- and average-pooling's input gradients on wasm and
 * wasm+native equal the cpu backend's bit for bit, where stock wasm's MaxPoolGrad routed
 * no gradient out of a window whose maximum is ≤ 0, broke ties to the last maximum and
 * dropped windows with a NaN.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { rand, randInt, pick } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode, type Mode } from './helpers/three-backends.js';

interface Case { shape: [number, number, number, number]; size: number | [number, number]; stride: number | [number, number]; pad: 'valid' | 'same' }
type Pool = 'max' | 'avg';

/** ∂/∂x of Σ dy ⊙ pool(x) on `mode`. */
async function poolGrad(mode: Mode, c: Case, x: Float32Array, dyOf: (shape: number[]) => Float32Array, pool: Pool = 'max'): Promise<Float32Array> {
  await useMode(mode);
  const op = (t: tf.Tensor): tf.Tensor => (pool === 'max' ? tf.maxPool : tf.avgPool)(t as tf.Tensor4D, c.size, c.stride, c.pad);
  const xt = tf.tensor4d(x, c.shape);
  const outShape = tf.tidy(() => op(xt).shape);
  const dy = tf.tensor(dyOf(outShape), outShape);
  const before = tf.memory().numTensors;
  const g = tf.grad(op)(xt, dy);
  const out = Float32Array.from(g.dataSync());
  g.dispose();
  assert.equal(tf.memory().numTensors, before, `${mode}: tensors leaked`);
  tf.dispose([xt, dy]);
  return out;
}

/** Values from a small set, so windows tie, with zeros, negatives and the odd NaN / -∞. */
function poolInput(n: number, special: boolean): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rand();
    if (special && r < 0.03) return Number.NaN;
    if (special && r < 0.05) return Number.NEGATIVE_INFINITY;
    return pick([-2, -1, -0.5, 0, 0, 0.5, 1, 2, 3]) * (rand() < 0.5 ? 1 : 0.25);
  });
}

describe('MaxPoolGrad on wasm equals cpu', () => {
  before(() => setupModes());
  const seeded: Case[] = [
    { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
    { shape: [2, 7, 9, 4], size: 3, stride: 2, pad: 'same' }, // overlapping windows, padding
    { shape: [1, 6, 5, 2], size: 3, stride: 1, pad: 'valid' }, // each pixel in up to 9 windows
    { shape: [3, 5, 6, 5], size: [2, 3], stride: [1, 2], pad: 'same' },
    { shape: [1, 4, 4, 1], size: 1, stride: 1, pad: 'valid' },
    // Past the addon's threading threshold (256K floats): images split over its threads.
    { shape: [4, 64, 64, 20], size: 3, stride: 2, pad: 'same' },
  ];
  const cases = [...seeded, ...Array.from({ length: 6 }, (): Case => ({
    shape: [randInt(1, 3), randInt(2, 11), randInt(2, 11), randInt(1, 7)], size: randInt(1, 3), stride: randInt(1, 3), pad: pick(['valid', 'same'] as const),
  }))];

  for (const [pool, special] of [['max', false], ['max', true], ['avg', false], ['avg', true]] as const) {
    it(`${pool}: bit for bit on ${cases.length} geometries (${pool === 'max' ? 'ties, zeros, negative windows' : 'overlapping windows, padding'}${special ? ', NaN, -∞, dy with -0 and NaN' : ''})`, async () => {
      for (const c of cases) {
        const x = poolInput(c.shape.reduce((a, b) => a * b, 1), special);
        // The same dy on every backend: a fixed function of the index.
        const dyOf = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) =>
          special && i % 11 === 3 ? -0 : special && i % 29 === 5 ? Number.NaN : Math.sin(i * 12.9898 + 0.5) * 2);
        const expected = await poolGrad('cpu', c, x, dyOf, pool);
        for (const mode of MODES.filter((m) => m !== 'cpu')) {
          const actual = await poolGrad(mode, c, x, dyOf, pool);
          for (let i = 0; i < expected.length; i++) {
            if (!Object.is(actual[i], expected[i])) assert.fail(`${pool} ${mode} ${JSON.stringify(c)}: dx[${i}] = ${actual[i]}, cpu ${expected[i]}`);
          }
        }
      }
    });
  }

  it('routes the gradient of a window whose maximum is negative or zero (stock wasm dropped it)', async () => {
    const c: Case = { shape: [1, 2, 4, 1], size: 2, stride: 2, pad: 'valid' };
    const x = Float32Array.from([-3, -1, 0, 0, -2, -4, 0, 0]); // windows: max -1 at 1; all zeros, first at 2
    for (const mode of MODES) {
      const dx = await poolGrad(mode, c, x, () => Float32Array.from([5, 7]));
      assert.deepEqual(Array.from(dx), [0, 5, 7, 0, 0, 0, 0, 0], mode);
    }
  });
});
