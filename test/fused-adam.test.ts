/**
 * FusedAdam (train/fused-adam.ts) against tfjs' AdamOptimizer: the same weights bit for
 * bit after every step, through a learning-rate change and a variable with no gradient,
 * the same weights and β powers over 400 steps with a setWeights among them, and with
 * steps on tfjs' own update (the kernel unregistered) in between,
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

  it('cpu: steps without the kernel in between (tfjs\' own update) leave the same weights as tfjs\' Adam', async () => {
    await useMode('cpu');
    const init = randArray([5]);
    const grads = Array.from({ length: 8 }, () => randArray([5]));
    const run = (opt: tf.Optimizer, tag: string, withoutKernel: (t: number) => boolean): Float32Array => {
      const v = tf.variable(tf.tensor(init, [5]), true, `switch_${tag}`);
      const cfg = tf.getKernel(ADAM_UPDATE, 'cpu')!;
      grads.forEach((g, t) => {
        const off = withoutKernel(t);
        if (off) tf.unregisterKernel(ADAM_UPDATE, 'cpu');
        try {
          tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor(g, [5]) }]));
        } finally {
          if (off) tf.registerKernel(cfg);
        }
      });
      const out = Float32Array.from(v.dataSync());
      v.dispose();
      opt.dispose();
      return out;
    };
    const expected = run(tf.train.adam(0.05, 0.8, 0.95), 'ref', () => false);
    const actual = run(new FusedAdam(0.05, 0.8, 0.95), 'fused', (t) => t === 3 || t === 4);
    assert.deepEqual(Array.from(actual), Array.from(expected));
  });

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

    it(`${mode}: 400 steps, a setWeights after 150, the same weights and β powers as tfjs' Adam, bit for bit`, async () => {
      await useMode(mode);
      // β powers compound in float32 every step; 400 steps take β2 = 0.95 to ~1e-9.
      const init = randArray([7]);
      const grads = Array.from({ length: 400 }, () => randArray([7]));
      const run = async (opt: tf.AdamOptimizer, tag: string): Promise<number[][]> => {
        const v = tf.variable(tf.tensor(init, [7]), true, `long_${tag}_${mode}`);
        const trace: number[][] = [];
        for (const [t, g] of grads.entries()) {
          if (t === 150) {
            // A restore: tfjs recomputes the β powers from the iteration count (float32 pow).
            const w = await opt.getWeights();
            await opt.setWeights(w);
            tf.dispose(w.map((x) => x.tensor));
          }
          tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor(g, [7]) }]));
          const s = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
          if (t % 25 === 24 || t === 150) trace.push([...v.dataSync(), s.accBeta1.dataSync()[0]!, s.accBeta2.dataSync()[0]!]);
        }
        v.dispose();
        opt.dispose();
        return trace;
      };
      const expected = await run(tf.train.adam(0.01, 0.8, 0.95), 'ref');
      const actual = await run(new FusedAdam(0.01, 0.8, 0.95), 'fused');
      expected.forEach((e, k) => e.forEach((x, i) => {
        if (!Object.is(actual[k]![i], x)) assert.fail(`${mode} sample ${k} value ${i} (7 weights, then β1^t, β2^t): ${actual[k]![i]} vs tfjs ${x}`);
      }));
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
