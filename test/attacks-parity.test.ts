/**
 * The same saved model and seed give the same robust accuracy on `cpu` and on the
 * default wasm backend (wasm+native where the addon loads), within 0.5 points, for
 * FGSM, PGD-L∞ and APGD: the check that would have caught wasm's thresholded Sign
 * (FGSM at ε=0.2 was 9.0% robust on wasm and 1.2% on cpu). The model is made confident
 * enough that cross-entropy is exactly 0 in float32 on some points, where input
 * gradients are tiniest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { perExampleCrossEntropy } from '../src/attacks/losses.js';
import { loadNative } from '../src/node/native-addon.js';
import { saveModel } from '../src/node/model-files.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { smallMnist } from './helpers/setup.js';

const N = 500;
const SPECS = [
  { name: 'fgsm', eps: [0.05, 0.1, 0.2] },
  { name: 'pgd-linf', eps: [0.05, 0.1], steps: 40, stepSize: 0.01 },
  { name: 'apgd-ce-linf', eps: [0.05, 0.1], steps: 50 },
];

function runChild(backend: string, modelJson: string): { backend: string; rows: { attack: string; eps: number; robustAcc: number }[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'attack-child.ts'), backend, modelJson, String(N), JSON.stringify(SPECS)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${backend} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

test('cpu and the default wasm backend agree within 0.5 points on FGSM, PGD-L∞ and APGD, on a model with CE = 0 on some points', async () => {
  await initBackend('cpu');
  const data = smallMnist();
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(3e-3), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) });
  // No shuffling: fit's shuffle uses Math.random, and the model must be the same on every run.
  await model.fit(data.train.x, tf.oneHot(data.train.y, 10), { epochs: 8, batchSize: 100, verbose: 0, shuffle: false });
  // Sharpen the logits ×4: the same predictions, but softmax saturates on the confident points.
  const last = model.layers.at(-1)!;
  last.setWeights(last.getWeights().map((w) => tf.mul(w, 4)));
  const x = tf.slice(data.test.x, [0, 0, 0, 0], [N, -1, -1, -1]);
  const y = tf.slice(data.test.y, [0], [N]);
  const ce = await perExampleCrossEntropy(model.predict(x) as tf.Tensor2D, y as tf.Tensor1D).data();
  const zeros = ce.filter((v) => v === 0).length;
  assert.ok(zeros >= 5, `test premise: only ${zeros} of ${N} points have CE exactly 0`);
  const dir = tempDir('lipbench-parity-');
  await saveModel(model, dir);
  const modelJson = path.join(dir, 'model.json');

  const wasm = loadNative().addon ? 'wasm+native' : 'wasm';
  const a = runChild('cpu', modelJson);
  const b = runChild(wasm, modelJson);
  assert.equal(b.backend, wasm);
  for (const ra of a.rows) {
    const rb = b.rows.find((r) => r.attack === ra.attack && r.eps === ra.eps)!;
    assert.ok(Math.abs(ra.robustAcc - rb.robustAcc) <= 0.005 + 1e-12, `${ra.attack} ε=${ra.eps}: cpu ${ra.robustAcc} vs ${wasm} ${rb.robustAcc}`);
  }
  // The attacks must have had work to do, or agreement would be trivial.
  assert.ok(a.rows.some((r) => r.robustAcc > 0.1 && r.robustAcc < 0.9), JSON.stringify(a.rows));
});
