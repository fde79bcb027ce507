/**
 * Orthonormalized layers: Björck drives singular values to 1 and never above 1 from
 * a σ ≤ 1 start; the dense kernel is a co-isometry and the conv operator norm is ≤ 1
 * (both measured by the Lipschitz registry, independently of how they were built);
 * models survive save/load and train under the `orthonormal` method; and with MaxMin
 * the product bound meets the measured lower bound on a trained MLP (with ReLU it
 * does not).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { gradientLowerBound } from '../src/lipschitz/empirical.js';
import { matrixSpectralNorm } from '../src/lipschitz/power-iteration.js';
import { buildModel, type ModelSpec } from '../src/models/index.js';
import { loadModel, saveModel } from '../src/node/model-files.js';
import { bjorck, OrthoConv2D, orthonormalLayers } from '../src/models/orthonormal-layers.js';
import { createRegularizer, layerFactoryFor, methodLabel, RegularizerSpec } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { testBackend } from './helpers/setup.js';
import { tempDir } from './helpers/cli.js';
import { C, H, W, K, syntheticData } from './attacks-helpers.js';

before(async () => {
  await testBackend();
});

const sigma = (w: tf.Tensor2D): number => matrixSpectralNorm(w, { tol: 1e-7, maxIters: 2000, seed: 3 }).sigma;

test('Björck: every step keeps σ ≤ 1 from a σ ≤ 1 start, and 25 steps make the columns orthonormal', () => {
  const raw = tf.randomNormal([40, 12], 0, 1, 'float32', 7) as tf.Tensor2D;
  const start = tf.tidy(() => tf.div(raw, sigma(raw))) as tf.Tensor2D;
  for (let i = 1; i <= 25; i++) {
    const q = bjorck(start, i);
    assert.ok(sigma(q) <= 1 + 1e-4, `σ after ${i} steps: ${sigma(q)}`);
    q.dispose();
  }
  const q = bjorck(start, 25);
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.matMul(q, q, true, false), tf.eye(12)))).dataSync()[0]!);
  assert.ok(err < 1e-4, `QᵀQ − I max entry ${err}`);
  tf.dispose([raw, start, q]);
});

test('the registry measures an orthonormal dense layer at σ ≈ 1 and an orthonormal conv at operator norm ≤ 1 (strided and not)', () => {
  const model = buildModel({ kind: 'convnet', conv: [{ filters: 4, kernel: 3, stride: 1 }, { filters: 6, kernel: 4, stride: 2 }], dense: [8] }, [H, W, C], K, 2, { layers: orthonormalLayers({ bjorckIters: 25 }) });
  const ub = lipschitzUpperBounds(model, { tol: 1e-7, maxIters: 3000, seed: 1 });
  for (const l of ub.layers) {
    if (l.kind === 'ortho-dense') assert.ok(Math.abs(l.operatorSigma - 1) < 1e-3, `${l.layer}: σ ${l.operatorSigma}`);
    else {
      assert.equal(l.kind, 'ortho-conv2d');
      assert.ok(l.operatorSigma <= 1 + 1e-4, `${l.layer}: operator norm ${l.operatorSigma} > 1`);
      const conv = model.getLayer(l.layer) as OrthoConv2D;
      // The reshaped kernel is orthonormal, then divided by the overlap factor.
      assert.ok(Math.abs(l.reshapedSigma! * conv.overlap() - 1) < 1e-3, `${l.layer}: reshaped σ ${l.reshapedSigma} × ${conv.overlap()}`);
    }
  }
  assert.ok(ub.layers.filter((l) => l.kind === 'ortho-dense').length === 2 && ub.layers.filter((l) => l.kind === 'ortho-conv2d').length === 2);
  model.dispose();
});

async function trained(spec: ModelSpec, seed: number): Promise<{ model: tfl.LayersModel; ratio: number }> {
  const regSpec = RegularizerSpec.parse({ name: 'orthonormal', bjorckIters: 20 });
  const regs = [createRegularizer(regSpec, seed)];
  const model = buildModel(spec, [H, W, C], K, seed, { layers: layerFactoryFor(regs) });
  const data = syntheticData(200, seed);
  await trainModel(model, data, regs, TrainOptions.parse({ epochs: 3, batchSize: 25, optimizer: { name: 'adam', learningRate: 5e-3 }, logSigma: false }), { seed, progress: false, log: () => {} });
  const upper = lipschitzUpperBounds(model, { tol: 1e-7, maxIters: 3000, seed: 1 }).upper;
  const lower = gradientLowerBound(model, data.x, data.y, { randomDirections: 2, seed: 5 }).value;
  tf.dispose([data.x, data.y]);
  return { model, ratio: upper / lower };
}

test('with MaxMin and orthonormal layers the product bound is the true constant on a trained MLP (upper ÷ lower ≈ 1); with ReLU it is not', async () => {
  const mm = await trained({ kind: 'mlp', hidden: [32, 16], activation: 'maxmin' }, 1);
  const relu = await trained({ kind: 'mlp', hidden: [32, 16] }, 1);
  assert.ok(mm.ratio >= 1 - 1e-3, `a lower bound above the upper bound: ratio ${mm.ratio}`);
  assert.ok(mm.ratio <= 1.02, `maxmin + orthonormal: upper ÷ lower = ${mm.ratio}`);
  assert.ok(relu.ratio > mm.ratio + 0.05, `relu ${relu.ratio} vs maxmin ${mm.ratio}`);
  // Save/load keeps the function (the Björck kernel is recomputed from the same W and u).
  const dir = tempDir('lipbench-ortho-');
  await saveModel(mm.model, path.join(dir, 'm'));
  const back = await loadModel(path.join(dir, 'm', 'model.json'));
  const xs = syntheticData(5, 9).x;
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(mm.model.predict(xs) as tf.Tensor, back.predict(xs) as tf.Tensor))).dataSync()[0]!);
  assert.equal(d, 0, `predictions differ after save/load by ${d}`);
  assert.equal(back.layers.find((l) => l.getClassName() === 'OrthoDense')?.getClassName(), 'OrthoDense');
  tf.dispose(xs);
  for (const m of [mm.model, relu.model, back]) m.dispose();
});

test('orthonormal refuses a model built without its layers, and its label shows non-default options', async () => {
  const regs = [createRegularizer(RegularizerSpec.parse({ name: 'orthonormal' }), 0)];
  const model = buildModel({ kind: 'mlp', hidden: [8] }, [H, W, C], K, 0);
  const data = syntheticData(20, 0);
  await assert.rejects(
    trainModel(model, data, regs, TrainOptions.parse({ epochs: 1, batchSize: 10, logSigma: false }), { seed: 0, progress: false, log: () => {} }),
    /not built with spectral-normalized layers/,
  );
  assert.throws(() => RegularizerSpec.parse({ name: 'orthonormal', bjorckIters: -1 }), /bjorckIters/);
  assert.equal(methodLabel([RegularizerSpec.parse({ name: 'orthonormal', bjorckIters: 30 })]), 'orthonormal(bjorckIters=30)');
  tf.dispose([data.x, data.y]);
  model.dispose();
});
