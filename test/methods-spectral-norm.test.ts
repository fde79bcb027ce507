import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../src/models/index.js';
import { loadModel, saveModel } from '../src/node/model-files.js';
import { isSpectralNormLayer, SNDense, spectralNormLayers, type SNLayer } from '../src/models/spectral-layers.js';
import { layerNorms } from '../src/lipschitz/index.js';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { createRegularizer, layerFactoryFor, RegularizerSpec } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const quiet = () => {};
const CNN = { kind: 'cnn' as const, filters: [4, 8], dense: 16 };

async function trainSN(spec: Record<string, unknown>, steps: number, seed = 0): Promise<tfl.LayersModel> {
  const d = smallMnist();
  const regs = [createRegularizer(RegularizerSpec.parse({ name: 'spectral-norm', ...spec }), seed)];
  const model = buildModel(CNN, d.imageShape, 10, seed, { layers: layerFactoryFor(regs) });
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 1e-3 }, logSigma: false });
  await trainModel(model, d.train, regs, opts, { seed, log: quiet, progress: false, maxSteps: steps });
  return model;
}

function snLayers(model: tfl.LayersModel): SNLayer[] {
  return model.layers.filter((l): l is SNLayer => isSpectralNormLayer(l));
}

async function uValues(model: tfl.LayersModel): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const l of snLayers(model)) {
    const u = l.uValue();
    out.push((await u.data()) as Float32Array);
    u.dispose();
  }
  return out;
}

test('after training steps with spectral-norm, every effective W̄ has reshaped σ (conv) / σ (dense) 1 ± 0.05', async () => {
  await testBackend();
  const model = await trainSN({}, 6);
  assert.equal(snLayers(model).length, 4);
  const rows = layerNorms(model, { tol: 1e-5, maxIters: 1000, seed: 5 });
  assert.equal(rows.length, 4);
  for (const r of rows) {
    const sigma = r.kind === 'sn-conv2d' ? r.reshapedSigma! : r.operatorSigma;
    assert.ok(Math.abs(sigma - 1) <= 0.05, `${r.layer} (${r.kind}): σ(W̄) = ${sigma}`);
  }
  // The raw kernels are not normalized; otherwise this test could not tell W from W̄.
  const raw = tf.tidy(() => tf.norm(model.getLayer('dense_1').getWeights()[0]!).dataSync()[0]!);
  assert.ok(raw > 1.5, `raw ‖W‖_F of dense_1 is ${raw}`);
  model.dispose();
});

test("with sigma: 'operator', each conv layer's operator norm (at its input shape) is 1 ± 0.05", async () => {
  await testBackend();
  const model = await trainSN({ sigma: 'operator', coeff: 1 }, 6);
  for (const r of layerNorms(model, { tol: 1e-5, maxIters: 1000, seed: 6 })) {
    assert.ok(Math.abs(r.operatorSigma - 1) <= 0.05, `${r.layer} (${r.kind}): operator σ(W̄) = ${r.operatorSigma}`);
    // The reshaped σ differs from the operator norm, so normalizing one does not fix the other.
    if (r.kind === 'sn-conv2d') assert.ok(Math.abs(r.reshapedSigma! - 1) > 0.1, `${r.layer}: reshaped σ ${r.reshapedSigma}`);
  }
  model.dispose();
});

test('coeff c scales W̄ to σ = c', async () => {
  await testBackend();
  const model = await trainSN({ coeff: 2.5 }, 3);
  for (const r of layerNorms(model, { tol: 1e-5, maxIters: 1000, seed: 7 })) {
    const sigma = r.kind === 'sn-conv2d' ? r.reshapedSigma! : r.operatorSigma;
    assert.ok(Math.abs(sigma / 2.5 - 1) <= 0.05, `${r.layer}: σ(W̄) = ${sigma}`);
  }
  model.dispose();
});

test('u is updated by a training-mode forward pass, and frozen in inference mode and during PGD', async () => {
  await testBackend();
  const d = smallMnist();
  const model = await trainSN({}, 2);
  const x = tf.slice(d.test.x, [0, 0, 0, 0], [16, -1, -1, -1]) as tf.Tensor4D;
  const y = tf.slice(d.test.y, [0], [16]) as tf.Tensor1D;
  const u0 = await uValues(model);
  tf.dispose(model.predict(x) as tf.Tensor);
  tf.dispose(model.apply(x, { training: false }) as tf.Tensor);
  const attack = createAttack('pgd-linf', { steps: 5 });
  const adv = attack.perturb(model, x, y, 0.1, { seed: 1 });
  adv.dispose();
  const r = await runAttack(model, x, y, createAttack('fgsm'), [0.05, 0.1], { seed: 2 });
  assert.equal(r.n, 16);
  const u1 = await uValues(model);
  u0.forEach((u, i) => assert.deepEqual(u1[i], u, `layer ${i}: u changed outside training`));
  // A training step does move u, so the comparison above is not vacuous.
  const regs = [createRegularizer(RegularizerSpec.parse({ name: 'spectral-norm' }), 0)];
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 2e-3 }, logSigma: false });
  await trainModel(model, d.train, regs, opts, { seed: 9, log: quiet, progress: false, maxSteps: 1 });
  const u2 = await uValues(model);
  u0.forEach((u, i) => assert.ok(u.some((v, j) => v !== u2[i]![j]), `layer ${i}: a training step left u unchanged`));
  // Outside our loop (e.g. model.fit), a training-mode call advances u itself.
  const fresh = buildModel(CNN, d.imageShape, 10, 1, { layers: spectralNormLayers() });
  const f0 = await uValues(fresh);
  tf.dispose(fresh.apply(x, { training: true }) as tf.Tensor);
  const f1 = await uValues(fresh);
  f0.forEach((u, i) => assert.ok(u.some((v, j) => v !== f1[i]![j]), `layer ${i}: a training-mode call left u unchanged`));
  tf.dispose([x, y]);
  fresh.dispose();
  model.dispose();
});

test('a saved spectral-norm model reloads with identical logits (u is saved)', async () => {
  await testBackend();
  const d = smallMnist();
  for (const sigma of ['reshaped', 'operator'] as const) {
    const model = await trainSN({ sigma }, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipbench-sn-'));
    try {
      await saveModel(model, dir);
      const loaded = await loadModel(path.join(dir, 'model.json'));
      assert.deepEqual(
        loaded.layers.map((l) => l.getClassName()),
        model.layers.map((l) => l.getClassName()),
      );
      assert.ok(loaded.layers.some((l) => l.getClassName() === 'SNConv2D'));
      const names = loaded.getLayer('conv_1').weights.map((w) => w.originalName);
      assert.ok(names.some((n) => n.endsWith('sn_u')), `weights: ${names}`);
      const x = tf.slice(d.test.x, [0, 0, 0, 0], [32, -1, -1, -1]);
      const a = await (model.predict(x) as tf.Tensor).data();
      const b = await (loaded.predict(x) as tf.Tensor).data();
      assert.deepEqual(b, a, `${sigma}: logits differ after reload`);
      // The reloaded persistent vectors equal the trained ones (not a fresh warm-up).
      assert.deepEqual(await uValues(loaded), await uValues(model));
      loaded.dispose();
      x.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  }
});

test('the weight gradient flows through σ with u held constant', async () => {
  await testBackend();
  const rows = 5;
  const cols = 3;
  const layer = new SNDense({ units: cols, inputShape: [rows], useBias: false, snInitIters: 100 });
  const model = tfl.sequential({ layers: [layer] });
  const kernel = model.trainableWeights[0]!.read() as tf.Variable;
  const x = tf.randomNormal([4, rows], 0, 1, 'float32', 3);
  const r = tf.randomNormal([4, cols], 0, 1, 'float32', 4);
  // f(W) = ⟨R, x·W̄⟩ in inference mode: u is fixed, so f is a smooth function of W alone.
  const f = () => tf.sum(tf.mul(model.apply(x, { training: false }) as tf.Tensor, r)) as tf.Scalar;
  const g = await tf.variableGrads(f, [kernel]).grads[kernel.name]!.data();
  const w0 = await kernel.data();
  const h = 1e-2;
  let maxErr = 0;
  for (let i = 0; i < w0.length; i++) {
    const at = async (delta: number) => {
      const w = Float32Array.from(w0);
      w[i]! += delta;
      kernel.assign(tf.tensor(w, kernel.shape));
      return (await f().data())[0]!;
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    maxErr = Math.max(maxErr, Math.abs(fd - g[i]!));
  }
  kernel.assign(tf.tensor(w0, kernel.shape));
  assert.ok(maxErr < 2e-3, `max |autodiff − finite difference| = ${maxErr}`);
  // Without the σ term the gradient would be c/σ·xᵀR; make sure that differs here.
  const naive = tf.tidy(() => tf.div(tf.matMul(x, r, true, false), layer.sigmaEstimate(kernel)).dataSync());
  const diff = Math.max(...Array.from(naive, (v, i) => Math.abs(v - g[i]!)));
  assert.ok(diff > 1e-2, `gradient equals the σ-constant one (max diff ${diff})`);
  model.dispose();
});

test('spectral-norm refuses a model that was built without its layers', async () => {
  await testBackend();
  const d = smallMnist();
  const reg = createRegularizer(RegularizerSpec.parse({ name: 'spectral-norm' }), 0);
  const model = buildModel(CNN, d.imageShape, 10, 0);
  assert.throws(() => reg.beforeStep!({ model, step: 0, learningRate: 0.1 }), /not built with spectral-normalized layers/);
  model.dispose();
  const sn = buildModel(CNN, d.imageShape, 10, 0, { layers: spectralNormLayers() });
  assert.doesNotThrow(() => reg.beforeStep!({ model: sn, step: 0, learningRate: 0.1 }));
  sn.dispose();
});

test('spectral-norm composes with l2 and cannot be combined with another layer factory', async () => {
  await testBackend();
  const specs = [RegularizerSpec.parse({ name: 'spectral-norm' }), RegularizerSpec.parse({ name: 'l2', lambda: 1e-3 })];
  const regs = specs.map((s, i) => createRegularizer(s, i));
  assert.equal(layerFactoryFor(regs)?.name, 'spectral-norm');
  assert.throws(() => layerFactoryFor([regs[0]!, createRegularizer(specs[0]!, 5)]), /cannot be combined/);
});
