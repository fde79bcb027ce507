import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, RegularizerSpec } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const EPS = 0.1;

async function robustAccuracy(specs: unknown[]): Promise<{ clean: number; robust: number }> {
  const d = smallMnist();
  const regs = specs.map((s, i) => createRegularizer(RegularizerSpec.parse(s), i));
  const model = buildModel({ kind: 'mlp', hidden: [64] }, d.imageShape, 10, 4);
  const opts = TrainOptions.parse({ epochs: 1, batchSize: 25, optimizer: { name: 'adam', learningRate: 2e-3 }, logSigma: false });
  await trainModel(model, d.train, regs, opts, { seed: 4, log: () => {}, progress: false });
  const x = tf.slice(d.test.x, [0, 0, 0, 0], [300, -1, -1, -1]) as tf.Tensor4D;
  const y = tf.slice(d.test.y, [0], [300]) as tf.Tensor1D;
  const r = await runAttack(model, x, y, createAttack('pgd-linf', { steps: 10, relStepSize: 0.25 }), [EPS], { seed: 1 });
  tf.dispose([x, y]);
  model.dispose();
  return { clean: r.cleanAcc, robust: r.perEps[0]!.robustAcc };
}

test('PGD adversarial training raises PGD-L∞ robust accuracy over normal training (same seed, 2k MNIST)', async () => {
  await testBackend();
  const plain = await robustAccuracy([{ name: 'none' }]);
  const adv = await robustAccuracy([{ name: 'adversarial-training', eps: EPS, steps: 5, stepSize: 0.03 }]);
  assert.ok(adv.robust > plain.robust + 0.15, `robust accuracy at ε=${EPS}: adversarial ${adv.robust} vs normal ${plain.robust}`);
  assert.ok(adv.clean > 0.6, `clean accuracy of the adversarially trained model ${adv.clean}`);
});

test('transformBatch returns examples in the ε-ball and the [0,1] box, and keeps the clean part with mix', async () => {
  await testBackend();
  const d = smallMnist();
  const model = buildModel({ kind: 'mlp', hidden: [16] }, d.imageShape, 10, 1);
  const reg = createRegularizer(RegularizerSpec.parse({ name: 'adversarial-training', eps: 0.2, steps: 3, mix: 0.5 }), 0);
  const x = tf.slice(d.train.x, [0, 0, 0, 0], [8, -1, -1, -1]) as tf.Tensor4D;
  const y = tf.slice(d.train.y, [0], [8]) as tf.Tensor1D;
  const xa = reg.transformBatch!({ model, x, y, step: 0 });
  assert.deepEqual(xa.shape, x.shape);
  const diff = tf.abs(tf.sub(xa, x));
  assert.ok(tf.max(diff).dataSync()[0]! <= 0.2 + 1e-6);
  assert.ok(tf.min(xa).dataSync()[0]! >= 0 && tf.max(xa).dataSync()[0]! <= 1);
  assert.equal(tf.max(tf.slice(diff, [0, 0, 0, 0], [4, -1, -1, -1])).dataSync()[0], 0, 'the clean half changed');
  assert.ok(tf.max(tf.slice(diff, [4, 0, 0, 0], [4, -1, -1, -1])).dataSync()[0]! > 0.1, 'the adversarial half did not move');
  tf.dispose([x, y, xa, diff]);
  model.dispose();
});
