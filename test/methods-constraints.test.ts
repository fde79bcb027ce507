import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, layerFactoryFor, RegularizerSpec, type Regularizer } from '../src/regularizers/index.js';
import { asMatrix, kernelsOf } from '../src/regularizers/weight-matrices.js';
import { matrixSpectralNorm } from '../src/lipschitz/power-iteration.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const quiet = () => {};
const CNN = { kind: 'cnn' as const, filters: [4], dense: 8 };

/** Train a few steps, calling `check` after every step (after the after-step hooks). */
async function trainChecking(specs: unknown[], steps: number, check: (model: tfl.LayersModel, step: number) => void, lr = 0.05): Promise<void> {
  const d = smallMnist();
  const regs = specs.map((s, i) => createRegularizer(RegularizerSpec.parse(s), i));
  const model = buildModel(CNN, d.imageShape, 10, 2, { layers: layerFactoryFor(regs) });
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 16, optimizer: { name: 'sgd', learningRate: lr }, logSigma: false });
  try {
    await trainModel(model, d.train, regs, opts, { seed: 0, log: quiet, progress: false, maxSteps: steps, onStep: (s) => check(model, s) });
  } finally {
    for (const r of regs) r.dispose?.();
    model.dispose();
  }
}

function maxAbs(model: tfl.LayersModel): number {
  let m = 0;
  for (const w of model.trainableWeights) for (const v of w.read().dataSync()) m = Math.max(m, Math.abs(v));
  return m;
}

function frobenius64(t: tf.Tensor): number {
  let s = 0;
  for (const v of t.dataSync()) s += v * v;
  return Math.sqrt(s);
}

test('clip: after every step every weight is in [−c, c]', async () => {
  await testBackend();
  const c = 0.02;
  let binding = false;
  await trainChecking([{ name: 'clip', c }], 6, (model) => {
    const m = maxAbs(model);
    // c itself is a float32 weight bound: compare with its float32 value.
    assert.ok(m <= Math.fround(c), `max |w| = ${m} > c = ${c}`);
    binding ||= m === Math.fround(c);
  });
  assert.ok(binding, 'no weight reached c: the constraint was never active');
});

test("clip with scope 'kernels' leaves biases alone", async () => {
  await testBackend();
  await trainChecking([{ name: 'clip', c: 1e-3, scope: 'kernels' }], 3, (model) => {
    for (const k of kernelsOf(model)) assert.ok(tf.max(tf.abs(k.variable)).dataSync()[0]! <= Math.fround(1e-3));
    const biasMax = Math.max(...model.trainableWeights.filter((w) => w.originalName.endsWith('bias')).map((w) => tf.max(tf.abs(w.read())).dataSync()[0]!));
    assert.ok(biasMax > 1e-3, `biases were clipped too (max ${biasMax})`);
  });
});

test('frobenius-norm: after every step every kernel has ‖W‖_F ≤ c + 1e-6', async () => {
  await testBackend();
  const c = 1;
  let active = 0;
  await trainChecking([{ name: 'frobenius-norm', c }], 6, (model) => {
    for (const k of kernelsOf(model)) {
      const f = frobenius64(k.variable);
      assert.ok(f <= c + 1e-6, `${k.layer}: ‖W‖_F = ${f}`);
      if (f > c - 1e-4) active++;
    }
  });
  assert.ok(active > 0, 'no kernel was on the boundary: the projection was never active');
});

test('spectral-projection: after every step every kernel has σ(reshaped W) ≤ c (1 + 1e-2)', async () => {
  await testBackend();
  const c = 0.5;
  await trainChecking([{ name: 'spectral-projection', c }], 5, (model) => {
    for (const k of kernelsOf(model)) {
      const m = asMatrix(k.variable);
      const s = matrixSpectralNorm(m, { tol: 1e-7, maxIters: 3000, seed: 3 }).sigma;
      if (m !== (k.variable as tf.Tensor)) m.dispose();
      assert.ok(s <= c * 1.01, `${k.layer}: σ = ${s}`);
    }
  });
});

const LEAK_CASES: unknown[][] = [
  [{ name: 'spectral-norm' }],
  [{ name: 'spectral-norm', sigma: 'operator' }, { name: 'l2', lambda: 1e-4 }],
  [{ name: 'spectral-projection' }],
  [{ name: 'clip', c: 0.05 }],
  [{ name: 'frobenius-norm', c: 2 }],
  [{ name: 'grad-penalty', lambda: 1 }],
  [{ name: 'adversarial-training', eps: 0.1, steps: 2, mix: 0.25 }],
  [{ name: 'spectral-norm' }, { name: 'grad-penalty', lambda: 1, fn: 'projection' }, { name: 'adversarial-training', eps: 0.1, steps: 1 }],
];
for (const specs of LEAK_CASES) {
  test(`no tensor leak across steps with ${JSON.stringify(specs)}`, async () => {
    await testBackend();
    const counts = new Map<number, number>();
    await trainChecking(specs, 8, (_m, s) => counts.set(s, tf.memory().numTensors), 0.01);
    assert.equal(counts.get(8), counts.get(2), `${counts.get(2)} tensors after step 2, ${counts.get(8)} after step 8`);
  });
}

test('every registered method name parses with its defaults (or its required λ)', () => {
  for (const name of ['spectral-norm', 'spectral-projection', 'clip', 'frobenius-norm', 'adversarial-training']) {
    const r: Regularizer = createRegularizer(RegularizerSpec.parse({ name }), 0);
    assert.equal(r.name, name);
  }
  assert.throws(() => RegularizerSpec.parse({ name: 'grad-penalty' }));
  assert.throws(() => RegularizerSpec.parse({ name: 'clip', c: -1 }));
  assert.throws(() => RegularizerSpec.parse({ name: 'spectral-norm', sigma: 'frobenius' }));
});
