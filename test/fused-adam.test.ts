/**
 * FusedAdam (train/fused-adam.ts) against tfjs' AdamOptimizer: the same weights bit for
 * bit after every step, through a learning-rate change and a variable with no gradient,
 * on cpu, on wasm (one JavaScript pass over the heap) and on wasm+native (the addon,
 * threaded for large variables); it runs its kernel, and it leaks no tensors.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { ADAM_UPDATE } from '../src/kernels/adam-update.js';
import { FusedAdam } from '../src/train/fused-adam.js';
import { setOptimizerRate } from '../src/train/schedule.js';
import { randArray } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

// Small, odd and one large enough (> 2^18 floats) for the addon's threads.
const SHAPES = [[37, 19], [19], [3, 3, 2, 5], [300001]];

describe('FusedAdam', () => {
  const modes = MODES;
  before(() => setupModes());

  for (const mode of modes) {
    it(`${mode}: the same weights as tfjs' Adam, bit for bit, over 6 steps with a rate change and a missing gradient`, async () => {
      await useMode(mode);
      const init = SHAPES.map((s) => randArray(s));
      const grads = Array.from({ length: 6 }, () => SHAPES.map((s) => randArray(s)));
      const run = (opt: tf.Optimizer, tag: string): Float32Array[] => {
        const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(init[i]!, s), true, `${tag}_${mode}_${i}`));
        grads.forEach((step, t) => {
          if (t === 3) setOptimizerRate(opt, 0.0123);
          tf.tidy(() => {
            // The last variable gets no gradient at step 2.
            const named = vars.flatMap((v, i) => (t === 2 && i === SHAPES.length - 1 ? [] : [{ name: v.name, tensor: tf.mul(tf.tensor(step[i]!, SHAPES[i]), t + 1) }]));
            opt.applyGradients(named);
          });
        });
        const out = vars.map((v) => Float32Array.from(v.dataSync()));
        tf.dispose(vars);
        opt.dispose();
        return out;
      };
      const expected = run(tf.train.adam(0.05, 0.8, 0.95), 'ref');
      const actual = run(new FusedAdam(0.05, 0.8, 0.95), 'fused');
      expected.forEach((e, i) => {
        const a = actual[i]!;
        for (let k = 0; k < e.length; k++) {
          if (!Object.is(a[k], e[k])) assert.fail(`${mode} variable ${i} [${SHAPES[i]}] element ${k}: ${a[k]} vs tfjs ${e[k]}`);
        }
      });
    });

    it(`${mode}: runs its kernel and leaks no tensors`, async () => {
      await useMode(mode);
      const v = tf.variable(tf.ones([10, 4]), true, `leak_${mode}`);
      const opt = new FusedAdam(0.01);
      const step = (): void => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.onesLike(v) }]));
      step();
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => step());
      for (let i = 0; i < 3; i++) step();
      assert.ok(profile.kernelNames.includes(ADAM_UPDATE), `kernels: ${profile.kernelNames.join(', ')}`);
      assert.equal(tf.memory().numTensors, before);
      opt.dispose();
      v.dispose();
    });
  }
});
