/**
 * Orthogonal initialization (models/orthogonal-init.ts): the matrices have orthonormal
 * columns or rows to float32 precision, a convnet built with `init: 'orthogonal'` has
 * every reshaped kernel orthogonal (so every singular value is 1, checked against the
 * exact spectral norm), the weights depend on the seed only, and the saved model loads
 * back with the same weights and ordinary initializer configs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, modelLabel, ModelSpec } from '../src/models/index.js';
import { randomOrthogonal } from '../src/models/orthogonal-init.js';
import { exactSpectralNorm } from '../src/linalg/jacobi.js';
import { loadModel, saveModel } from '../src/node/model-files.js';
import { testBackend } from './helpers/setup.js';

before(async () => {
  await testBackend();
});

/** max |G − I| for the Gram matrix of the shorter side. */
function gramError(q: tf.Tensor2D): number {
  return tf.tidy(() => {
    const [r, c] = q.shape;
    const g = r >= c ? tf.matMul(q, q, true, false) : tf.matMul(q, q, false, true);
    return tf.max(tf.abs(tf.sub(g, tf.eye(g.shape[0])))).dataSync()[0]!;
  });
}

test('randomOrthogonal: orthonormal columns (tall) or rows (wide), seeded', () => {
  for (const [r, c] of [[300, 40], [40, 300], [64, 64], [9, 32], [1, 5]] as const) {
    const q = randomOrthogonal(r, c, 7);
    assert.deepEqual(q.shape, [r, c]);
    const err = gramError(q);
    assert.ok(err < 1e-5, `[${r}, ${c}]: max |QᵀQ − I| = ${err}`);
    const again = randomOrthogonal(r, c, 7);
    const other = randomOrthogonal(r, c, 8);
    assert.deepEqual(again.dataSync(), q.dataSync(), 'same seed, same matrix');
    assert.notDeepEqual(other.dataSync(), q.dataSync(), 'another seed, another matrix');
    tf.dispose([q, again, other]);
  }
});

test("a convnet with init 'orthogonal': every reshaped kernel has σ = 1 (He init does not), and it survives save/load", async () => {
  const spec = ModelSpec.parse({ kind: 'convnet', conv: [{ filters: 8, kernel: 3 }, { filters: 8, kernel: 4, stride: 2 }], dense: [16], activation: 'maxmin', init: 'orthogonal' });
  assert.match(modelLabel(spec), /-maxmin-orth$/);
  const he = ModelSpec.parse({ ...spec, init: undefined });
  assert.doesNotMatch(modelLabel(he), /orth/);
  const model = buildModel(spec, [12, 12, 1], 10, 3);
  const heModel = buildModel(he, [12, 12, 1], 10, 3);
  const kernels = (m: typeof model) => m.layers.flatMap((l) => l.getWeights().filter((_, i) => l.weights[i]!.originalName.endsWith('kernel')));
  const sigma = (k: tf.Tensor): number => {
    const cols = k.shape[k.shape.length - 1]!;
    const rows = k.size / cols;
    const mat = tf.tidy(() => tf.reshape(k, [rows, cols]).arraySync() as number[][]);
    return exactSpectralNorm(mat);
  };
  const ks = kernels(model);
  assert.equal(ks.length, 4, 'two convs, one hidden dense, the logits');
  for (const k of ks) {
    const cols = k.shape[k.shape.length - 1]!;
    const err = gramError(tf.reshape(k, [k.size / cols, cols]) as tf.Tensor2D);
    assert.ok(err < 1e-5, `kernel ${k.shape}: max |QᵀQ − I| = ${err}`);
    assert.ok(Math.abs(sigma(k) - 1) < 1e-5, `kernel ${k.shape}: σ = ${sigma(k)}`);
  }
  assert.ok(kernels(heModel).some((k) => Math.abs(sigma(k) - 1) > 0.1), 'He-initialized kernels are not orthogonal');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipbench-orth-'));
  try {
    await saveModel(model, dir);
    const json = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
    assert.doesNotMatch(json, /orthogonal/i, 'the saved config names only tfjs initializers');
    const back = await loadModel(path.join(dir, 'model.json'));
    kernels(back).forEach((k, i) => assert.deepEqual(k.dataSync(), ks[i]!.dataSync()));
    back.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    model.dispose();
    heModel.dispose();
  }
});
