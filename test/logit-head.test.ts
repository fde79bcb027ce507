/**
 * Models that end in softmax are attacked through their logits: the head is found
 * (an activation on the last layer, or a trailing Activation/Softmax layer), removed,
 * and the same weights give the same predictions and the same robust accuracy as a
 * twin built without the softmax. The test models are what users bring: Conv2D,
 * MaxPooling2D, Dropout and BatchNormalization, saved to disk and loaded back.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { loadModel, saveModel } from '../src/node/model-files.js';
import { toLogitModel } from '../src/models/logit-head.js';
import { initBackend } from '../src/node/backend.js';
import { smallMnist } from './helpers/setup.js';
import { runCli, tempDir } from './helpers/cli.js';

/** The shape of a typical tfjs MNIST CNN, with `head` as its last layers. */
function cnn(head: 'dense-softmax' | 'activation-layer' | 'logits'): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  // A fast momentum so that the few training steps below settle the moving statistics.
  m.add(tfl.layers.batchNormalization({ momentum: 0.5 }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dropout({ rate: 0.25 }));
  m.add(tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  m.add(tfl.layers.dense({ units: 10, activation: head === 'dense-softmax' ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
  if (head === 'activation-layer') m.add(tfl.layers.activation({ activation: 'softmax' }));
  return m;
}

let trained: tfl.Sequential;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
const dir = tempDir('lipbench-head-');

before(async () => {
  // wasm: a CNN is ~10× faster to train and attack there than on the pure-JS cpu backend.
  await initBackend('wasm');
  const data = smallMnist();
  trained = cnn('dense-softmax');
  trained.compile({ optimizer: tf.train.adam(3e-3), loss: 'sparseCategoricalCrossentropy' });
  await trained.fit(tf.slice(data.train.x, [0, 0, 0, 0], [1000, -1, -1, -1]), tf.cast(tf.slice(data.train.y, [0], [1000]), 'float32'), { epochs: 3, batchSize: 50, verbose: 0, shuffle: false });
  await saveModel(trained, path.join(dir, 'softmax'));
  x = tf.slice(data.test.x, [0, 0, 0, 0], [200, -1, -1, -1]);
  y = tf.slice(data.test.y, [0], [200]);
});

test('a saved Dense-softmax head is removed: same predictions, same PGD robust accuracy as the twin without softmax', async () => {
  const loaded = await loadModel(path.join(dir, 'softmax', 'model.json'));
  const head = await toLogitModel(loaded);
  assert.equal(head.change, 'removed-activation');
  assert.equal(head.removed, 'softmax');
  assert.match(head.note, /pre-softmax logits/);
  const twin = cnn('logits');
  twin.setWeights(trained.getWeights());
  const predict = (m: tfl.LayersModel) => tf.tidy(() => tf.argMax(m.predict(x) as tf.Tensor2D, 1).dataSync());
  assert.deepEqual(predict(head.model), predict(loaded));
  // The logits are not probabilities: rows do not sum to 1.
  const sums = tf.tidy(() => tf.sum(head.model.predict(x) as tf.Tensor2D, 1).dataSync());
  assert.ok(Array.from(sums).some((s) => Math.abs(s - 1) > 0.1));
  const attack = createAttack('pgd-linf', { steps: 10 });
  const opts = { progress: false, seed: 3 } as const;
  const a = await runAttack(head.model, x, y, attack, [0.1, 0.3], opts);
  const b = await runAttack(twin, x, y, attack, [0.1, 0.3], opts);
  assert.ok(a.cleanAcc > 0.8, `clean accuracy ${a.cleanAcc}`);
  assert.deepEqual(a.perEps.map((p) => p.robustAcc), b.perEps.map((p) => p.robustAcc));
  assert.ok(a.perEps[1]!.robustAcc <= 0.01, `robust accuracy at ε=0.3: ${a.perEps[1]!.robustAcc}`);
  head.model.dispose();
  loaded.dispose();
  twin.dispose();
});

test('a trailing Activation(softmax) layer and a functional Softmax layer are removed; a logit model is left alone', async () => {
  const seq = cnn('activation-layer');
  seq.setWeights(trained.getWeights());
  await saveModel(seq, path.join(dir, 'activation'));
  const h1 = await toLogitModel(await loadModel(path.join(dir, 'activation', 'model.json')));
  assert.equal(h1.change, 'removed-layer');
  assert.equal(h1.model.layers.length, seq.layers.length - 1);

  const input = tfl.input({ shape: [28, 28, 1] });
  const flat = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 10 }).apply(flat) as tfl.SymbolicTensor;
  const probs = tfl.layers.softmax().apply(logits) as tfl.SymbolicTensor;
  const fn = tfl.model({ inputs: input, outputs: probs });
  await saveModel(fn, path.join(dir, 'functional'));
  const h2 = await toLogitModel(await loadModel(path.join(dir, 'functional', 'model.json')));
  assert.equal(h2.change, 'removed-layer');
  const z = tf.tidy(() => (h2.model.predict(x) as tf.Tensor).arraySync() as number[][]);
  const zRef = tf.tidy(() => (tfl.model({ inputs: input, outputs: logits }).predict(x) as tf.Tensor).arraySync() as number[][]);
  assert.deepEqual(z, zRef);

  const plain = cnn('logits');
  const h3 = await toLogitModel(plain);
  assert.equal(h3.change, 'none');
  assert.equal(h3.model, plain);
});

test('lipbench attack on a softmax model says what it did and attacks the logits', () => {
  const r = runCli(['attack', path.join(dir, 'softmax', 'model.json'), '-a', 'fgsm,autoattack', '--ensemble', 'fast', '--steps', '5', '-e', '0,0.3', '-n', '50', '--backend', 'cpu']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ends in softmax; attacking its pre-softmax logits/);
  assert.match(r.stdout, /autoattack-linf on the first 50 mnist test points, seed 0, options \{"version":"fast","steps":5,/);
  assert.match(r.stdout, /broken by: clean:\d+, apgd-ce-linf:\d+, apgd-t-linf:\d+/);
  const bad = runCli(['attack', path.join(dir, 'softmax', 'model.json'), '-a', 'autoattack', '--target-classes', '10', '-e', '0.1', '-n', '10', '--backend', 'cpu']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /targetClasses 10 is more than the 9 classes/);
  const noTaker = runCli(['attack', path.join(dir, 'softmax', 'model.json'), '-a', 'fgsm', '--queries', '10', '-e', '0.1', '-n', '10', '--backend', 'cpu']);
  assert.equal(noTaker.status, 2);
  assert.match(noTaker.stderr, /--queries: none of fgsm takes this option/);
});
