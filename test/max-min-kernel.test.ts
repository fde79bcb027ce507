/**
 * lipbench's MaxMin kernel (kernels/max-min.ts) against tfjs' own composition of it
 * (split → maximum, minimum → concat): the same values, first- and second-order
 * gradients, bit for bit, on cpu, on wasm (one JavaScript pass over the heap) and on
 * wasm+native (the addon, threaded for large inputs), with ties and NaN in the input.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { MAX_MIN } from '../src/kernels/max-min.js';
import { maxMinComposite, maxMinOp } from '../src/models/maxmin.js';
import { randArray } from './helpers/kernel-check.js';
import { getAddon, nativeSkip } from './helpers/native.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

/** Random values with exact ties (b copied from a) in about a quarter of the pairs, and one NaN. */
function input(shape: number[]): Float32Array {
  const x = randArray(shape);
  const c = shape[shape.length - 1]!;
  const h = c / 2;
  for (let r = 0; r < x.length / c; r++) for (let j = 0; j < h; j++) if ((r * 7 + j * 3) % 4 === 0) x[r * c + h + j] = x[r * c + j]!;
  if (x.length > 4) x[1] = Number.NaN;
  return x;
}

const SHAPES = [[1, 2], [5, 6], [3, 4, 4, 8], [2, 7, 5, 10], [64, 14, 14, 32]];

/** [y, dx of Σ w·y, d/dw of Σ u·(dx of Σ w·y)] through `op`. */
function outputs(op: (x: tf.Tensor) => tf.Tensor, xs: Float32Array, shape: number[]): Float32Array[] {
  const x = tf.tensor(xs, shape);
  const w = tf.tensor(randFor(shape, 1), shape);
  const u = tf.tensor(randFor(shape, 2), shape);
  try {
    return tf.tidy(() => {
      const y = op(x);
      const dx = (wt: tf.Tensor) => tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(wt, op(xt))))(x);
      const second = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(u, dx(wt))))(w);
      return [y, dx(w), second];
    }).map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return Float32Array.from(v);
    });
  } finally {
    tf.dispose([x, w, u]);
  }
}

/** A fixed pseudo-random array per (shape, salt), the same for every mode. */
function randFor(shape: number[], salt: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + salt * 78.233) * 2);
}

function sameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || (a === 0 && e === 0))) assert.fail(`${what}: element ${i} is ${a}, composition gives ${e}`);
  }
}

describe('MaxMin kernel', () => {
  const modes = MODES;
  before(() => setupModes());

  for (const mode of modes) {
    it(`${mode}: values, gradients and second-order gradients equal the composition bit for bit`, async () => {
      await useMode(mode);
      for (const shape of SHAPES) {
        const xs = input(shape);
        const viaKernel = outputs(maxMinOp, xs, shape);
        const viaOps = outputs(maxMinComposite, xs, shape);
        ['values', 'gradient', 'second-order gradient'].forEach((what, i) => sameBits(viaKernel[i]!, viaOps[i]!, `${mode} [${shape}] ${what}`));
      }
    });

    it(`${mode}: maxMinOp runs lipbench's kernel (not the composition) and leaks no tensors`, async () => {
      await useMode(mode);
      const x = tf.tensor(input([4, 6]), [4, 6]);
      const profile = await tf.profile(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(maxMinOp(t)))(x);
        g.dispose();
      });
      assert.ok(profile.kernelNames.includes(MAX_MIN), `kernels run: ${profile.kernelNames.join(', ')}`);
      assert.ok(!profile.kernelNames.includes('SplitV'), `the composition ran: ${profile.kernelNames.join(', ')}`);
      // tfjs caches a few scalars on first use: count after one step.
      const step = (): void => tf.tidy(() => void tf.grad((t: tf.Tensor) => tf.sum(maxMinOp(t)))(x));
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
    });
  }

  it('the addon refuses an odd channel count and operands outside the heap', { skip: nativeSkip }, () => {
    const addon = getAddon();
    const heap = new Float32Array(64);
    assert.throws(() => addon.maxMin(heap, 0, 2, 3, 32), /even/);
    assert.throws(() => addon.maxMin(heap, 0, 8, 8, 32), /heap|outside|range/i);
    assert.throws(() => addon.maxMinGrad(heap, 0, 16, 4, 5, 40), /even/);
  });
});
