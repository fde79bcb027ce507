import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { layerNorms } from '../src/lipschitz/index.js';
import { isSpectralNormLayer } from '../src/models/spectral-layers.js';
import { expandWganRuns, WganExperiment } from '../src/wgan/config.js';
import { buildCritic, buildGenerator } from '../src/wgan/models.js';
import { WganTrainer } from '../src/wgan/trainer.js';
import { smallMnist, testBackend } from './helpers/setup.js';

const SMALL = { noiseDim: 16, generatorFilters: [8, 4], criticFilters: [4, 8] };

function runFor(variant: Record<string, unknown>) {
  const cfg = WganExperiment.parse({ name: 't', data: { trainSize: 256, evalSize: 64 }, models: SMALL, variants: [variant], seeds: [3], train: { epochs: 1, batchSize: 16 } });
  return expandWganRuns(cfg)[0]!;
}

test('generator maps noise [n, d] to images [n, 28, 28, 1] in [0, 1], for extreme noise too', async () => {
  await testBackend();
  const cfg = WganExperiment.parse({ name: 't', variants: [{ kind: 'gp' }], models: SMALL, train: { epochs: 1 } });
  const g = buildGenerator(cfg.models, 0);
  for (const scale of [1, 100]) {
    const x = tf.tidy(() => g.apply(tf.mul(tf.randomNormal([5, 16], 0, 1, 'float32', 2), scale), { training: true }) as tf.Tensor);
    assert.deepEqual(x.shape, [5, 28, 28, 1]);
    const [lo, hi] = [tf.min(x).dataSync()[0]!, tf.max(x).dataSync()[0]!];
    assert.ok(lo >= 0 && hi <= 1, `range [${lo}, ${hi}] at noise scale ${scale}`);
    assert.ok(hi > lo, 'the output is not constant');
    x.dispose();
  }
  g.dispose();
});

test('critic maps [n, 28, 28, 1] to one real score per image; sn builds spectral-normalized layers only for sn', async () => {
  await testBackend();
  const cfg = WganExperiment.parse({ name: 't', variants: [{ kind: 'gp' }, { kind: 'sn' }], models: SMALL, train: { epochs: 1 } });
  const [gp, sn] = cfg.variants;
  const dgp = buildCritic(cfg.models, gp!, 0);
  const dsn = buildCritic(cfg.models, sn!, 0);
  const y = tf.tidy(() => dsn.apply(tf.zeros([3, 28, 28, 1])) as tf.Tensor);
  assert.deepEqual(y.shape, [3, 1]);
  assert.equal(dgp.layers.filter(isSpectralNormLayer).length, 0);
  assert.equal(dsn.layers.filter(isSpectralNormLayer).length, 3);
  tf.dispose([y]);
  dgp.dispose();
  dsn.dispose();
});

test('sn critic: every layer has σ(W̄) ≈ 1 after training steps (reshaped σ for convs, as the paper normalizes)', async () => {
  await testBackend();
  const d = smallMnist();
  const t = new WganTrainer(runFor({ kind: 'sn', optimizer: { name: 'adam', learningRate: 1e-3, beta1: 0.5, beta2: 0.9 } }));
  for (let i = 0; i < 6; i++) {
    const real = tf.slice(d.train.x, i * 16, 16) as tf.Tensor4D;
    t.criticStep(real);
    real.dispose();
    if (i % 5 === 4) t.generatorStep(16);
  }
  const rows = layerNorms(t.critic, { tol: 1e-6, maxIters: 2000, seed: 5 });
  assert.equal(rows.length, 3);
  for (const r of rows) {
    const sigma = r.kind === 'sn-conv2d' ? r.reshapedSigma! : r.operatorSigma;
    assert.ok(Math.abs(sigma - 1) <= 0.05, `${r.layer} (${r.kind}): σ(W̄) = ${sigma}`);
  }
  // The raw kernels moved and are not normalized: otherwise this could not tell W from W̄.
  const raw = tf.tidy(() => tf.norm(t.critic.getLayer('d_conv_2').getWeights()[0]!).dataSync()[0]!);
  assert.ok(Math.abs(raw - 1) > 0.1, `raw ‖W‖_F of d_conv_2 is ${raw}`);
  t.dispose();
});

test('clip critic: every weight is within ±c after a step; gp critic: the step includes a positive penalty', async () => {
  await testBackend();
  const d = smallMnist();
  const real = tf.slice(d.train.x, 0, 16) as tf.Tensor4D;
  const clip = new WganTrainer(runFor({ kind: 'clip', clip: 0.01 }));
  const before = Math.max(...clip.critic.trainableWeights.map((w) => tf.tidy(() => tf.max(tf.abs(w.read())).dataSync()[0]!)));
  assert.ok(before > 0.01, 'the initial weights exceed the clip value, so clipping is tested');
  clip.criticStep(real);
  for (const w of clip.critic.trainableWeights) {
    const m = tf.tidy(() => tf.max(tf.abs(w.read())).dataSync()[0]!);
    assert.ok(m <= 0.01 + 1e-7, `${w.name}: max |w| = ${m}`);
  }
  clip.dispose();
  const gp = new WganTrainer(runFor({ kind: 'gp' }));
  gp.criticStep(real); // creates the optimizer's slot variables
  gp.generatorStep(16);
  const tensors = tf.memory().numTensors;
  const s = gp.criticStep(real);
  gp.generatorStep(16);
  assert.equal(tf.memory().numTensors, tensors, 'a critic and a generator step leak no tensors');
  assert.ok(s.penalty > 0 && Number.isFinite(s.loss), `penalty ${s.penalty}, loss ${s.loss}`);
  assert.ok(Math.abs(s.loss - (-s.wasserstein + s.penalty)) < 1e-4, 'L_D = −W + penalty');
  gp.dispose();
  real.dispose();
});
