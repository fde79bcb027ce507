import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRegularizer, RegularizerSpec } from '../src/regularizers/index.js';
import { GradPenaltyOptions, inputGradientNorms, penaltyFromNorms, sampleProbe, summedCrossEntropy } from '../src/regularizers/grad-penalty.js';
import { buildModel } from '../src/models/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { checkPenaltyGradient, checkPoolGradGradient, POOL_CASES, tinyCnn } from './helpers/grad-checks.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const quiet = () => {};

for (const c of POOL_CASES) {
  test(`${c.kind === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad'} gradient matches finite differences: ${c.name}`, async () => {
    await testBackend();
    await checkPoolGradGradient(c);
  });
}

test('the penalty-gradient w.r.t. weights matches finite differences (tiny MLP, tanh, interpolated points)', async () => {
  await testBackend();
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 4, 1] }),
      tfl.layers.dense({ units: 6, activation: 'tanh', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }),
      tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
    ],
  });
  await checkPenaltyGradient(model, { lambda: 3, target: 1, points: 'interpolate' }, 1);
  await checkPenaltyGradient(model, { lambda: 3, target: 0, points: 'data', fn: 'projection' }, 2);
  model.dispose();
});

test('the penalty-gradient matches finite differences through conv/ReLU/max-pool and avg-pool (double backprop)', async () => {
  await testBackend();
  for (const pool of ['max', 'avg'] as const) {
    const model = tinyCnn(pool, 5);
    await checkPenaltyGradient(model, { lambda: 5, target: 0, points: 'data' }, 3);
    await checkPenaltyGradient(model, { lambda: 5, target: 0.05, points: 'ball', eps: 0.1, fn: 'projection' }, 4);
    model.dispose();
  }
});

test('summedCrossEntropy equals tfjs softmaxCrossEntropy (sum over examples)', async () => {
  await testBackend();
  const z = tf.randomNormal([6, 5], 0, 3, 'float32', 1) as tf.Tensor2D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5) as tf.Tensor2D;
  const ours = summedCrossEntropy(z, tf.cast(y, 'float32') as tf.Tensor2D).dataSync()[0]!;
  const ref = tf.mul(tf.losses.softmaxCrossEntropy(y, z), 6).dataSync()[0]!;
  assert.ok(Math.abs(ours - ref) < 1e-4 * Math.abs(ref), `${ours} vs ${ref}`);
});

test('the one-sided penalty is exactly zero (value and gradient) when every gradient norm ≤ K', async () => {
  await testBackend();
  const model = tinyCnn('max', 9);
  const x = tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
  const probe = { x, weights: tf.cast(tf.oneHot(y, 4), 'float32') as tf.Tensor2D };
  const norms = await inputGradientNorms(model, probe, 'loss').data();
  const maxNorm = Math.max(...norms);
  const minNorm = Math.min(...norms);
  assert.ok(maxNorm > 0 && minNorm < maxNorm);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const run = (target: number) =>
    tf.variableGrads(() => penaltyFromNorms(inputGradientNorms(model, probe, 'loss'), { lambda: 10, target, oneSided: true }), vars);
  const above = run(maxNorm * 1.001 + 1e-6);
  assert.equal(above.value.dataSync()[0], 0);
  for (const g of Object.values(above.grads)) assert.equal(tf.max(tf.abs(g)).dataSync()[0], 0);
  // With K below some norms the same penalty is positive, so the zero is not vacuous.
  const below = run((minNorm + maxNorm) / 2);
  assert.ok(below.value.dataSync()[0]! > 0);
  // Two-sided at the same K is positive too: it also pulls small norms up.
  const two = penaltyFromNorms(tf.tensor1d(Array.from(norms)), { lambda: 10, target: maxNorm * 1.001, oneSided: false });
  assert.ok(two.dataSync()[0]! > 0);
  tf.dispose([x, y, probe.weights, above.value, below.value, two, ...Object.values(above.grads), ...Object.values(below.grads)]);
  model.dispose();
});

test('interpolation pairs: same-class stays within each class, any mixes classes', async () => {
  await testBackend();
  // Every image of class c is the constant c/4, so a same-class interpolation returns the
  // point itself, and a cross-class one lands strictly between two constants.
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
  const y = tf.tensor1d(labels, 'int32');
  const x = tf.mul(tf.ones([12, 6, 6, 1]), tf.reshape(tf.div(tf.cast(y, 'float32'), 4), [12, 1, 1, 1])) as tf.Tensor4D;
  const opts = (pairs: 'any' | 'same-class') => GradPenaltyOptions.parse({ name: 'grad-penalty', lambda: 1, points: 'interpolate', pairs });
  const same = sampleProbe(opts('same-class'), x, y, 4, 11);
  assert.ok(tf.max(tf.abs(tf.sub(same.x, x))).dataSync()[0]! < 1e-6, 'same-class interpolation left its class');
  assert.equal(tf.min(tf.max(same.weights, 1)).dataSync()[0], 1, 'same-class soft labels are not one-hot');
  const any = sampleProbe(opts('any'), x, y, 4, 11);
  assert.ok(tf.max(tf.abs(tf.sub(any.x, x))).dataSync()[0]! > 0.05, 'cross-class interpolation never mixed classes');
  // The mixed label puts weight t on yᵢ and 1 − t on yⱼ, matching the mixed image.
  const xi = any.x.dataSync();
  const w = any.weights.arraySync();
  for (let i = 0; i < 12; i++) {
    const expected = w[i]!.reduce((acc, wk, k) => acc + wk * (k / 4), 0);
    assert.ok(Math.abs(xi[i * 36]! - expected) < 1e-5, `point ${i}: image ${xi[i * 36]} vs label mix ${expected}`);
  }
  tf.dispose([x, y, same.x, same.weights, any.x, any.weights]);
});

test('a model with an op lacking a second-order gradient fails at the first step, naming the op', async () => {
  await testBackend();
  const model = tfl.sequential({
    layers: [
      tfl.layers.upSampling2d({ inputShape: [3, 3, 1], size: [2, 2] }),
      tfl.layers.conv2d({ filters: 2, kernelSize: 3 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3 }),
    ],
  });
  const reg = createRegularizer(RegularizerSpec.parse({ name: 'grad-penalty', lambda: 1 }), 0);
  assert.throws(() => reg.beforeStep!({ model, step: 0, learningRate: 0.1 }), /no gradient for the op 'ResizeNearestNeighborGrad'/);
  model.dispose();
});

test('the CNN trains with the gradient penalty on cpu, loss finite, no tensor leak', async () => {
  await testBackend();
  const d = smallMnist();
  for (const spec of [
    { name: 'grad-penalty', lambda: 1, oneSided: true },
    { name: 'grad-penalty', lambda: 0.5, points: 'ball', eps: 0.1, fn: 'projection' },
    { name: 'grad-penalty', lambda: 0.5, points: 'interpolate', pairs: 'same-class', target: 0 },
  ]) {
    const regs = [createRegularizer(RegularizerSpec.parse(spec), 0)];
    const model = buildModel({ kind: 'cnn', filters: [4], dense: 8 }, d.imageShape, 10, 1);
    const counts = new Map<number, number>();
    const opts = TrainOptions.parse({ epochs: 1, batchSize: 16, optimizer: { name: 'adam', learningRate: 1e-3 }, logSigma: false });
    const r = await trainModel(model, d.train, regs, opts, { seed: 0, log: quiet, progress: false, maxSteps: 6, onStep: (s) => counts.set(s, tf.memory().numTensors) });
    assert.ok(Number.isFinite(r.epochs[0]!.loss));
    assert.equal(counts.get(6), counts.get(2), `${JSON.stringify(spec)}: ${counts.get(2)} tensors after step 2, ${counts.get(6)} after step 6`);
    model.dispose();
  }
});
