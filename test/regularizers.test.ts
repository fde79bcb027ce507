import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRegularizer } from '../src/regularizers/index.js';
import { kernelsOf } from '../src/regularizers/weight-matrices.js';
import { matrixPowerSteps as powerStep } from '../src/linalg/power-step.js';
import { exactSpectralNorm } from '../src/linalg/jacobi.js';
import { testBackend } from './helpers/setup.js';

function tinyModel(seed: number): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
}

const dummyCtx = (model: tfl.LayersModel) => ({
  model,
  x: tf.zeros([1, 6, 6, 1]) as tf.Tensor4D,
  y: tf.zeros([1], 'int32') as tf.Tensor1D,
  logits: tf.zeros([1, 3]) as tf.Tensor2D,
  step: 0,
});

test('l2 penalty equals λ·Σw² over kernels only (biases excluded)', async () => {
  await testBackend();
  const model = tinyModel(1);
  // Give biases non-zero values so that including them would change the sum.
  for (const l of model.layers) for (const w of l.weights) if (w.name.includes('bias')) w.write(tf.onesLike(w.read()));
  const lambda = 0.37;
  const reg = createRegularizer({ name: 'l2', lambda, decoupled: false }, 0);
  const p = reg.penalty!(dummyCtx(model));
  let expected = 0;
  for (const k of kernelsOf(model)) for (const v of await k.variable.data()) expected += v * v;
  assert.equal(kernelsOf(model).length, 2);
  assert.ok(Math.abs((await p.data())[0]! - lambda * expected) < 1e-5 * lambda * expected);
});

test("l2 penalty's gradient is 2λW for kernels and none for biases, bit for bit what tfjs' sum(square(W)) gives", async () => {
  await testBackend();
  const model = tinyModel(4);
  const lambda = 0.37;
  const reg = createRegularizer({ name: 'l2', lambda, decoupled: false }, 0);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ctx = dummyCtx(model);
  const ours = tf.variableGrads(() => reg.penalty!(ctx), vars);
  const stock = tf.variableGrads(() => tf.mul(tf.addN(kernelsOf(model).map((k) => tf.sum(tf.square(k.variable)))), lambda) as tf.Scalar, vars);
  assert.equal(ours.value.dataSync()[0], stock.value.dataSync()[0]);
  for (const v of vars) {
    const isKernel = kernelsOf(model).some((k) => k.variable === v);
    if (!isKernel) {
      assert.equal(ours.grads[v.name], undefined, `${v.name} has a gradient`);
      assert.equal(stock.grads[v.name], undefined);
      continue;
    }
    const g = ours.grads[v.name]!.dataSync();
    assert.deepEqual(g, stock.grads[v.name]!.dataSync(), v.name);
    const w = v.dataSync();
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - 2 * lambda * w[i]!) <= 1e-6 * Math.abs(2 * lambda * w[i]!), `${v.name}[${i}]`);
  }
  tf.dispose([ours.value, stock.value, ...Object.values(ours.grads), ...Object.values(stock.grads)]);
});

test('decoupled l2 shrinks kernels by (1 − lr·λ) after a step and adds no penalty', async () => {
  await testBackend();
  const model = tinyModel(2);
  const reg = createRegularizer({ name: 'l2', lambda: 0.1, decoupled: true }, 0);
  assert.equal(reg.penalty, undefined);
  const before = await kernelsOf(model)[1]!.variable.data();
  reg.afterStep!({ model, step: 0, learningRate: 0.5 });
  const after = await kernelsOf(model)[1]!.variable.data();
  for (let i = 0; i < before.length; i++) assert.ok(Math.abs(after[i]! - before[i]! * 0.95) < 1e-6);
});

function matrixOf(values: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from(values.subarray(i * cols, (i + 1) * cols)));
}

test('persistent power iteration converges to σ_max of the reshaped kernel', async () => {
  await testBackend();
  const W = tf.randomNormal([7, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
  const exact = exactSpectralNorm(matrixOf(await W.data(), 7, 4));
  let u = tf.randomNormal([7, 1], 0, 1, 'float32', 4) as tf.Tensor2D;
  for (let i = 0; i < 200; i++) {
    const next = powerStep(W, u, 1);
    u.dispose();
    next.v.dispose();
    u = next.u;
  }
  const { u: uu, v } = powerStep(W, u, 1);
  const sigma = (await tf.sum(tf.mul(uu, tf.matMul(W, v))).data())[0]!;
  assert.ok(Math.abs(sigma - exact) / exact < 1e-4, `σ ${sigma} vs exact ${exact}`);
});

test("spectral penalty's gradient matches finite differences of λ/2·σ_max(W)²", async () => {
  await testBackend();
  const rows = 5;
  const cols = 3;
  const init = await tf.randomNormal([rows, cols], 0, 1, 'float32', 11).data();
  const lambda = 0.8;
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [rows], units: cols, useBias: false })] });
  model.layers[0]!.setWeights([tf.tensor2d(init, [rows, cols])]);
  const reg = createRegularizer({ name: 'spectral', lambda, powerIters: 50 }, 0);
  reg.beforeStep!({ model, step: 0, learningRate: 0 }); // converge u, v
  const kernel = kernelsOf(model)[0]!.variable;
  const g = await tf.variableGrads(() => reg.penalty!(dummyCtx(model)), [kernel]).grads[kernel.name]!.data();
  const f = (w: Float64Array) => (lambda / 2) * exactSpectralNorm(Array.from({ length: rows }, (_, i) => Array.from(w.subarray(i * cols, (i + 1) * cols)))) ** 2;
  const w0 = Float64Array.from(init);
  const h = 1e-4;
  for (let i = 0; i < w0.length; i++) {
    const wp = Float64Array.from(w0);
    const wm = Float64Array.from(w0);
    wp[i]! += h;
    wm[i]! -= h;
    const fd = (f(wp) - f(wm)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]!) < 2e-3 * Math.max(1, Math.abs(fd)), `entry ${i}: autodiff ${g[i]} vs finite difference ${fd}`);
  }
  reg.dispose!();
});
