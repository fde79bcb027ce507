/**
 * lipbench's softmax cross-entropy kernel (kernels/softmax-ce.ts) on cpu, wasm and
 * wasm+native: values and gradients against a float64 computation written differently
 * (log Σ exp zⱼ without the max shift, for moderate logits), extreme logits, labels outside
 * [0, C), second-order gradients (through both the logits and dy) against float64
 * Hessian-vector products, the three backends against each other bit for bit, no leaked tensors, and
 * that the training and attack losses run it.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { SOFTMAX_CE, SOFTMAX_CE_GRAD, softmaxCrossEntropyComposite, softmaxCrossEntropyRows } from '../src/kernels/softmax-ce.js';
import { meanCrossEntropy } from '../src/train/loss.js';
import { perExampleCrossEntropy } from '../src/attacks/losses.js';
import { randArray } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

before(() => setupModes());

const ROWS = 37;
const C = 10;

/** Logits in [−spread, spread], labels in [0, C) (and the given out-of-range ones). */
function problem(spread: number, seedShift = 0): { z: Float32Array; y: Int32Array } {
  const z = randArray([ROWS, C]).map((v) => v * spread);
  const y = Int32Array.from({ length: ROWS }, (_, r) => (r * 7 + seedShift) % C);
  return { z, y };
}

/** CE and its gradient in float64, as log Σ exp(zⱼ) − z_y and exp(zⱼ)/Σ exp − [j = y]: no max shift. */
function reference(z: Float32Array, y: Int32Array, dy: Float64Array): { ce: Float64Array; grad: Float64Array } {
  const ce = new Float64Array(ROWS);
  const grad = new Float64Array(ROWS * C);
  for (let r = 0; r < ROWS; r++) {
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(z[r * C + j]!);
    ce[r] = Math.log(s) - z[r * C + y[r]!]!;
    for (let j = 0; j < C; j++) grad[r * C + j] = dy[r]! * (Math.exp(z[r * C + j]!) / s - (j === y[r] ? 1 : 0));
  }
  return { ce, grad };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= rtol * Math.max(1, Math.abs(e)))) assert.fail(`${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

/** [CE, ∂(Σ dy·CE)/∂z] through `ce` on the current backend. */
function valueAndGrad(ce: typeof softmaxCrossEntropyRows, z: Float32Array, y: Int32Array, dy: Float64Array): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const zt = tf.tensor2d(z, [ROWS, C]);
    const yt = tf.tensor1d(y, 'int32');
    const w = tf.tensor1d(Float32Array.from(dy));
    const v = ce(zt, yt);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, ce(x as tf.Tensor2D, yt))))(zt);
    return [v.dataSync().slice() as Float32Array, g.dataSync().slice() as Float32Array];
  });
}

const dyOf = (): Float64Array => Float64Array.from({ length: ROWS }, (_, r) => Math.fround(0.25 + (r % 5) * 0.5));

describe('softmax cross-entropy kernel', () => {
  it('runs as one kernel forward and one backward on every backend here', async () => {
    for (const mode of MODES) {
      await useMode(mode);
      const { z, y } = problem(3);
      const info = await tf.profile(() => valueAndGrad(softmaxCrossEntropyRows, z, y, dyOf()));
      const names = info.kernels.map((k) => k.name);
      assert.ok(names.includes(SOFTMAX_CE) && names.includes(SOFTMAX_CE_GRAD), `${mode}: ${names.join(',')}`);
      assert.ok(!names.includes('Exp'), `${mode}: the composition ran (${names.join(',')})`);
    }
  });

  it('matches a float64 computation without the max shift, values and gradients, on every backend', async () => {
    for (const mode of MODES) {
      await useMode(mode);
      for (const spread of [0.01, 1, 8, 30]) {
        const { z, y } = problem(spread, spread);
        const dy = dyOf();
        const ref = reference(z, y, dy);
        const [v, g] = valueAndGrad(softmaxCrossEntropyRows, z, y, dy);
        close(v, ref.ce, 2e-7, `${mode} CE spread ${spread}`);
        close(g, ref.grad, 2e-7, `${mode} gradient spread ${spread}`);
        // And tfjs' float32 composition, to float32 accuracy.
        const [cv, cg] = valueAndGrad(softmaxCrossEntropyComposite, z, y, dy);
        close(v, cv, 2e-5 * Math.max(1, spread), `${mode} CE vs composition spread ${spread}`);
        close(g, cg, 2e-5, `${mode} gradient vs composition spread ${spread}`);
      }
    }
  });

  it('stays finite and exact for extreme logits, and treats a label outside [0, C) as the composition does', async () => {
    for (const mode of MODES) {
      await useMode(mode);
      const z = new Float32Array(ROWS * C);
      z[0] = 1000; // row 0: class 0 at 1000, label 1 → CE = 1000
      z[C] = -1000; // row 1: class 0 at −1000, label 0 → CE = 1000 + log(C − 1)... exactly log(9 + e^-1000) + 1000
      const y = new Int32Array(ROWS);
      y[0] = 1;
      y[2] = C + 3; // outside: z_y counts as 0, CE = log Σ exp = log C
      y[3] = -1;
      const [v, g] = valueAndGrad(softmaxCrossEntropyRows, z, y, dyOf());
      assert.ok(v.every(Number.isFinite) && g.every(Number.isFinite), `${mode}: non-finite`);
      assert.equal(v[0], 1000);
      close([v[1]!], [1000 + Math.log(C - 1)], 1e-7, `${mode} row 1`);
      close([v[2]!, v[3]!], [Math.log(C), Math.log(C)], 1e-7, `${mode} labels outside [0, C)`);
      const [cv] = valueAndGrad(softmaxCrossEntropyComposite, z, y, dyOf());
      close([v[2]!, v[3]!], [cv[2]!, cv[3]!], 1e-6, `${mode} outside labels vs composition`);
    }
  });

  it('has second-order gradients (through the logits and through dy) equal to float64 Hessian-vector products', async () => {
    // tfjs' composition cannot be differentiated twice (logSumExp's max uses Equal, which has
    // no gradient), so the reference is analytic: for h(z, c) = Σ w ⊙ ∂/∂z Σ c·CE(z),
    // ∂h/∂c_r = Σⱼ w_rj(p_rj − [j = y_r]) and ∂h/∂z_rk = c_r·p_rk(w_rk − Σⱼ w_rj p_rj).
    const { z, y } = problem(2);
    const c = dyOf();
    const w = randArray([ROWS, C]);
    const refZ = new Float64Array(ROWS * C);
    const refC = new Float64Array(ROWS);
    for (let r = 0; r < ROWS; r++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += Math.exp(z[r * C + j]!);
      const p = Array.from({ length: C }, (_, j) => Math.exp(z[r * C + j]!) / s);
      let wp = 0;
      for (let j = 0; j < C; j++) {
        wp += w[r * C + j]! * p[j]!;
        refC[r] += w[r * C + j]! * (p[j]! - (j === y[r] ? 1 : 0));
      }
      for (let k = 0; k < C; k++) refZ[r * C + k] = c[r]! * p[k]! * (w[r * C + k]! - wp);
    }
    for (const mode of MODES) {
      await useMode(mode);
      const [gz, gc] = tf.tidy(() => {
        const zt = tf.tensor2d(z, [ROWS, C]);
        const yt = tf.tensor1d(y, 'int32');
        const wt = tf.tensor2d(w, [ROWS, C]);
        const h = (zz: tf.Tensor, cc: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(wt, tf.grad((x: tf.Tensor) => tf.sum(tf.mul(cc, softmaxCrossEntropyRows(x as tf.Tensor2D, yt))))(zz)));
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => h(a, b))([zt, tf.tensor1d(Float32Array.from(c))]).map((t) => t.dataSync().slice());
      });
      close(gz!, refZ, 1e-5, `${mode} ∂²/∂z`);
      close(gc!, refC, 1e-5, `${mode} ∂²/∂dy`);
      assert.ok(refZ.some((v) => Math.abs(v) > 1e-2) && refC.some((v) => Math.abs(v) > 1e-2), 'second-order terms are not all ~0');
    }
  });

  it('gives the same bits on cpu, wasm and wasm+native, and leaks no tensors', async () => {
    const { z, y } = problem(5);
    const results: Float32Array[][] = [];
    for (const mode of MODES) {
      await useMode(mode);
      const before = tf.memory().numTensors;
      results.push(valueAndGrad(softmaxCrossEntropyRows, z, y, dyOf()));
      assert.equal(tf.memory().numTensors, before, `${mode}: leaked tensors`);
    }
    for (let m = 1; m < results.length; m++) {
      for (let k = 0; k < 2; k++) assert.deepEqual(results[m]![k], results[0]![k], `${MODES[m]} vs cpu, output ${k}`);
    }
  });

  it('is what the training loss (mean) and the attack loss (per example) compute, with float labels cast', async () => {
    for (const mode of MODES) {
      await useMode(mode);
      const { z, y } = problem(4);
      tf.tidy(() => {
        const zt = tf.tensor2d(z, [ROWS, C]);
        const rows = softmaxCrossEntropyRows(zt, tf.tensor1d(y, 'int32')).dataSync();
        const mean = Array.from(rows).reduce((a, b) => a + b, 0) / ROWS;
        close(meanCrossEntropy(zt, tf.tensor1d(y, 'int32')).dataSync(), [mean], 1e-6, `${mode} mean`);
        assert.deepEqual(perExampleCrossEntropy(zt, tf.tensor1d(Float32Array.from(y))).dataSync(), rows, `${mode} per example, float labels`);
      });
    }
  });
});
