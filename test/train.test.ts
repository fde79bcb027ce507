import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, type RegularizerSpec } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { evaluate } from '../src/train/evaluate.js';
import { TrainOptions } from '../src/train/options.js';
import { kernelSigmas } from '../src/pipeline/sigma-probe.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const quiet = () => {};

test('a tiny MLP trained one epoch on 2k MNIST images beats 85% test accuracy', async () => {
  await testBackend();
  const d = smallMnist();
  const model = buildModel({ kind: 'mlp', hidden: [64] }, d.imageShape, 10, 0);
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 2e-3 } });
  const r = await trainModel(model, d.train, [], opts, { seed: 0, log: quiet, progress: false });
  assert.equal(r.steps, Math.ceil(2000 / 32));
  const m = await evaluate(model, d.test);
  assert.ok(m.accuracy > 0.85, `test accuracy ${m.accuracy}`);
  model.dispose();
});

const leakCases: RegularizerSpec[][] = [
  [{ name: 'none' }],
  [{ name: 'l2', lambda: 1e-3, decoupled: false }],
  [{ name: 'l2', lambda: 1e-3, decoupled: true }],
  [{ name: 'spectral', lambda: 0.01, powerIters: 1 }],
];
for (const specs of leakCases) {
  const label = specs.map((s) => s.name + ('decoupled' in s && s.decoupled ? '(decoupled)' : '')).join('+');
  test(`no tensor leak in the training loop with ${label}`, async () => {
    await testBackend();
    const d = smallMnist();
    for (const kind of ['mlp', 'cnn'] as const) {
      const spec = kind === 'mlp' ? { kind, hidden: [32] } : { kind, filters: [4], dense: 8 };
      const model = buildModel(spec, d.imageShape, 10, 1);
      const regs = specs.map((s, i) => createRegularizer(s, i));
      const counts = new Map<number, number>();
      const opts = TrainOptions.parse({ epochs: 1, batchSize: 16, optimizer: { name: 'momentum', learningRate: 0.01 } });
      await trainModel(model, d.train, regs, opts, { seed: 0, log: quiet, progress: false, maxSteps: 10, onStep: (s) => counts.set(s, tf.memory().numTensors) });
      assert.equal(counts.get(10), counts.get(2), `${kind}: ${counts.get(2)} tensors after step 2, ${counts.get(10)} after step 10`);
      for (const r of regs) r.dispose?.();
      model.dispose();
    }
  });
}

test('the spectral regularizer lowers the largest per-layer σ relative to no regularization', async () => {
  await testBackend();
  const d = smallMnist();
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 2e-3 }, logSigma: false });
  const sig = async (specs: RegularizerSpec[]) => {
    const model = buildModel({ kind: 'mlp', hidden: [64] }, d.imageShape, 10, 3);
    const regs = specs.map((s, i) => createRegularizer(s, i));
    await trainModel(model, d.train, regs, opts, { seed: 3, log: quiet, progress: false });
    const s = kernelSigmas(model).map((x) => x.sigma);
    for (const r of regs) r.dispose?.();
    model.dispose();
    return s;
  };
  const plain = await sig([{ name: 'none' }]);
  const spectral = await sig([{ name: 'spectral', lambda: 0.5, powerIters: 1 }]);
  const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
  assert.ok(prod(spectral) < 0.8 * prod(plain), `σ product: spectral ${prod(spectral)} vs none ${prod(plain)}`);
});

test('training stops with a clear error when the loss diverges', async () => {
  await testBackend();
  const d = smallMnist();
  const model = buildModel({ kind: 'mlp', hidden: [16] }, d.imageShape, 10, 0);
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 64, optimizer: { name: 'sgd', learningRate: 1e12 } });
  await assert.rejects(trainModel(model, d.train, [], opts, { seed: 0, log: quiet, progress: false }), /training diverged: loss is (NaN|Infinity)/);
  model.dispose();
});

test('per-epoch σ of a spectral-normalized model is that of the effective kernel (≈ coeff)', async () => {
  await testBackend();
  const { createRegularizer, layerFactoryFor } = await import('../src/regularizers/index.js');
  const d = smallMnist();
  const regs = [createRegularizer({ name: 'spectral-norm', coeff: 2, sigma: 'reshaped', powerIters: 20, initIters: 50 }, 0)];
  const model = buildModel({ kind: 'mlp', hidden: [32] }, d.imageShape, 10, 0, { layers: layerFactoryFor(regs) });
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 64, optimizer: { name: 'adam', learningRate: 1e-2 }, logSigma: false });
  await trainModel(model, d.train, regs, opts, { seed: 0, log: quiet, progress: false, maxSteps: 15 });
  for (const s of kernelSigmas(model)) assert.ok(Math.abs(s.sigma - 2) < 0.1, `${s.layer}: σ ${s.sigma}`);
  model.dispose();
});
