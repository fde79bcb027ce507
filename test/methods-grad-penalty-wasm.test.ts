/**
 * The gradient-penalty checks on the wasm backend (with lipbench's kernels), in their own
 * file because the backend is chosen once per process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/node/backend.js';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, RegularizerSpec } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { checkPenaltyGradient, checkPoolGradGradient, POOL_CASES, tinyCnn } from './helpers/grad-checks.js';
import { smallMnist } from './helpers/setup.js';

async function wasm(): Promise<void> {
  const b = await initBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm', `backend is ${b.name}`);
}

for (const c of POOL_CASES) {
  test(`wasm: ${c.kind === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad'} gradient matches finite differences: ${c.name}`, async () => {
    await wasm();
    await checkPoolGradGradient(c);
  });
}

test('wasm: the penalty-gradient matches finite differences through conv/ReLU/max-pool (double backprop)', async () => {
  await wasm();
  for (const pool of ['max', 'avg'] as const) {
    const model = tinyCnn(pool, 5);
    await checkPenaltyGradient(model, { lambda: 5, target: 0, points: 'data' }, 3);
    model.dispose();
  }
});

test('wasm: the MNIST CNN trains with the gradient penalty, loss finite, no tensor leak', async () => {
  await wasm();
  const d = smallMnist();
  const regs = [createRegularizer(RegularizerSpec.parse({ name: 'grad-penalty', lambda: 1, oneSided: true }), 0)];
  const model = buildModel({ kind: 'cnn', filters: [8, 16], dense: 32 }, d.imageShape, 10, 1);
  const counts = new Map<number, number>();
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 1e-3 }, logSigma: false });
  const r = await trainModel(model, d.train, regs, opts, { seed: 0, log: () => {}, progress: false, maxSteps: 8, onStep: (s) => counts.set(s, tf.memory().numTensors) });
  assert.ok(Number.isFinite(r.epochs[0]!.loss));
  assert.equal(counts.get(8), counts.get(2));
  model.dispose();
});
