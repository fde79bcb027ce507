/**
 * Certified training: the differentiable Lipschitz tracker agrees with the sound
 * bounds once converged, GloRo's ⊥ logit and Lipschitz-margin's raised logits are what
 * the papers define, training with them certifies more than plain training, MaxMin is a
 * 1-Lipschitz activation that survives save/load, and bad specs are refused.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { chainOps, forwardOps } from '../src/lipschitz/chain-ops.js';
import { certifiedAccuracy } from '../src/lipschitz/empirical.js';
import { lipschitzRadii, pairwiseLipschitz } from '../src/lipschitz/pairwise.js';
import { buildModel, type ModelSpec } from '../src/models/index.js';
import { loadModel, saveModel } from '../src/node/model-files.js';
import { createRegularizer, RegularizerSpec } from '../src/regularizers/index.js';
import { annealedEps, LipschitzTracker } from '../src/regularizers/lipschitz-tracker.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { expandRuns, parseExperiment } from '../src/config/experiment.js';
import { testBackend } from './helpers/setup.js';
import { tempDir } from './helpers/cli.js';
import { C, H, W, syntheticData as synthetic4 } from './attacks-helpers.js';

// Three classes: the setting these thresholds were measured in (the shared helpers default to 4).
const K = 3;
const syntheticData = (n: number, seed: number, noise?: number) => synthetic4(n, seed, noise, K);

before(async () => {
  await testBackend();
});

const convnet: ModelSpec = { kind: 'convnet', conv: [{ filters: 4, kernel: 4, stride: 2 }, { filters: 6, kernel: 3, stride: 2 }], dense: [12] };

test('the tracker converges to the sound bounds: L(body), L and every K_yj', () => {
  for (const spec of [convnet, { kind: 'mlp', hidden: [10, 8], activation: 'maxmin' } as ModelSpec, { kind: 'cnn', filters: [3], dense: 8 } as ModelSpec]) {
    const model = buildModel(spec, [H, W, C], K, 3);
    const t = new LipschitzTracker(model, 1, 300, 1);
    t.update();
    for (let i = 0; i < 50; i++) t.update();
    const ub = lipschitzUpperBounds(model, { tol: 1e-7, maxIters: 3000, seed: 4 });
    const ref = pairwiseLipschitz(model, ub);
    const L = t.globalLipschitz();
    const Kt = t.pairConstants();
    const Lv = L.dataSync()[0]!;
    const kv = Kt.arraySync();
    tf.dispose([L, Kt]);
    assert.ok(Math.abs(Lv - ub.upper) <= 1e-3 * ub.upper, `${spec.kind}: tracker L ${Lv} vs bound ${ub.upper}`);
    ref.K.forEach((row, y) => row.forEach((k, j) => {
      if (y !== j) assert.ok(Math.abs(kv[y]![j]! - k) <= 1e-3 * k, `${spec.kind}: K[${y}][${j}] ${kv[y]![j]} vs ${k}`);
    }));
    t.dispose();
  }
});

test("gloro's ⊥ logit is max_{j≠y}(f_j + ε·K_yj); lipschitz-margin raises only the non-target logits; ε anneals", () => {
  const model = buildModel({ kind: 'mlp', hidden: [8] }, [H, W, C], K, 1);
  const { x, y } = syntheticData(6, 2);
  const logits = model.apply(x) as tf.Tensor2D;
  const eps = 0.4;
  const g = createRegularizer(RegularizerSpec.parse({ name: 'gloro', eps }), 0);
  const m = createRegularizer(RegularizerSpec.parse({ name: 'lipschitz-margin', eps }), 0);
  g.beforeStep!({ model, step: 0, learningRate: 0 });
  m.beforeStep!({ model, step: 0, learningRate: 0 });
  const t = new LipschitzTracker(model, 0, 50, 1);
  t.update();
  const Km = t.pairConstants().arraySync();
  const f = logits.arraySync();
  const labels = Array.from(y.dataSync());
  const gl = g.trainLogits!({ model, x, y, logits, step: 10 }).arraySync();
  const ml = m.trainLogits!({ model, x, y, logits, step: 10 }).arraySync();
  labels.forEach((yi, i) => {
    assert.equal(gl[i]!.length, K + 1);
    let bottom = -Infinity;
    for (let j = 0; j < K; j++) {
      assert.ok(Math.abs(gl[i]![j]! - f[i]![j]!) < 1e-5);
      const raised = j === yi ? f[i]![j]! : f[i]![j]! + eps * Km[yi]![j]!;
      assert.ok(Math.abs(ml[i]![j]! - raised) < 1e-4 * (1 + Math.abs(raised)), `margin logit ${i},${j}`);
      if (j !== yi) bottom = Math.max(bottom, raised);
    }
    assert.ok(Math.abs(gl[i]![K]! - bottom) < 1e-4 * (1 + Math.abs(bottom)), `⊥ ${gl[i]![K]} vs ${bottom}`);
  });
  assert.equal(annealedEps(0.3, 0, 100, 'log', 0.01), 0.003);
  assert.ok(Math.abs(annealedEps(0.3, 50, 100, 'log', 0.01) - 0.03) < 1e-12);
  assert.equal(annealedEps(0.3, 100, 100, 'log'), 0.3);
  assert.equal(annealedEps(0.3, 25, 100, 'linear'), 0.075);
  g.dispose?.();
  m.dispose?.();
  t.dispose();
  tf.dispose([x, y, logits]);
});

async function trainWith(method: Record<string, unknown>[], steps: number, spec: ModelSpec = { kind: 'mlp', hidden: [32] }): Promise<tfl.LayersModel> {
  const regs = method.map((r) => createRegularizer(RegularizerSpec.parse(r), 0));
  const model = buildModel(spec, [H, W, C], K, 0);
  const data = syntheticData(120, 7, 0.45);
  await trainModel(model, data, regs, TrainOptions.parse({ epochs: 100, batchSize: 40, optimizer: { name: 'adam', learningRate: 0.01 } }), { seed: 0, log: () => {}, progress: false, maxSteps: steps });
  for (const r of regs) r.dispose?.();
  tf.dispose([data.x, data.y]);
  return model;
}

test('gloro and lipschitz-margin training certify more at their ε than plain training (pairwise certificate, converged bounds)', async () => {
  const test = syntheticData(90, 8, 0.45);
  const eps = 1;
  const certified = async (method: Record<string, unknown>[]) => {
    const model = await trainWith(method, 150);
    const r = lipschitzRadii(model, lipschitzUpperBounds(model, { tol: 1e-7, maxIters: 2000, seed: 1 }), test.x, test.y);
    return certifiedAccuracy(r.pairwise, [eps])[0]!;
  };
  const none = await certified([{ name: 'none' }]);
  const gloro = await certified([{ name: 'gloro', eps: 1.1 * eps, warmupSteps: 75 }]);
  const margin = await certified([{ name: 'lipschitz-margin', eps: 1.1 * eps, warmupSteps: 75 }]);
  assert.ok(gloro > none + 0.1, `gloro certified ${gloro} vs none ${none}`);
  assert.ok(margin > none + 0.1, `lipschitz-margin certified ${margin} vs none ${none}`);
  tf.dispose([test.x, test.y]);
});

test('MaxMin is 1-Lipschitz, permutes each pair, has factor 1 in the registry, survives save/load in mlp and convnet; bound propagation computes it', async () => {
  const x = tf.randomNormal([200, 6], 0, 1, 'float32', 1);
  const dx = tf.mul(tf.randomNormal([200, 6], 0, 1, 'float32', 2), 0.1);
  const mlp = buildModel({ kind: 'mlp', hidden: [6], activation: 'maxmin' }, [H, W, C], K, 1);
  const mm = mlp.layers.find((l) => l.getClassName() === 'MaxMin')!;
  const a = mm.apply(x) as tf.Tensor;
  const b = mm.apply(tf.add(x, dx)) as tf.Tensor;
  const ratio = tf.tidy(() => tf.max(tf.div(tf.norm(tf.sub(b, a), 2, 1), tf.norm(dx, 2, 1))).dataSync()[0]!);
  assert.ok(ratio <= 1 + 1e-5, `MaxMin stretched a difference by ${ratio}`);
  const sums = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.sum(a, 1), tf.sum(x, 1)))).dataSync()[0]!);
  assert.ok(sums < 1e-4, 'MaxMin output is not a permutation of its pairs');
  const ub = lipschitzUpperBounds(mlp, { tol: 1e-6, seed: 1 });
  assert.ok(ub.factors.some((f) => f.className === 'MaxMin' && f.factor === 1));
  // Bound propagation takes MaxMin as an op of its own and computes the model with it.
  const chain = chainOps(mlp);
  assert.ok(chain.ops.some((o) => o.kind === 'maxmin'));
  const probe = syntheticData(4, 5).x;
  const viaOps = forwardOps(chain, probe);
  const viaModel = mlp.predict(probe) as tf.Tensor;
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(viaOps, viaModel))).dataSync()[0]!);
  assert.ok(gap < 1e-5, `chain ops differ from the model by ${gap}`);
  tf.dispose([probe, viaOps, viaModel]);
  chain.dispose();
  const dir = tempDir('lipbench-maxmin-');
  const xs = syntheticData(5, 3).x;
  for (const [name, m] of [['mlp', mlp], ['convnet', buildModel({ ...convnet, activation: 'maxmin' } as ModelSpec, [H, W, C], K, 2)]] as const) {
    await saveModel(m, path.join(dir, name));
    const back = await loadModel(path.join(dir, name, 'model.json'));
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(m.predict(xs) as tf.Tensor, back.predict(xs) as tf.Tensor))).dataSync()[0]!);
    assert.equal(d, 0, `${name}: predictions differ after save/load by ${d}`);
  }
  tf.dispose([x, dx, a, b, xs]);
});

test('bad specs are refused naming the field: ε ≤ 0, an ℓ∞ norm for an ℓ2-only method, two logit-replacing methods together', async () => {
  const base = { name: 'x', models: [{ kind: 'mlp', hidden: [4] }], train: { epochs: 1 } };
  const runs = (method: Record<string, unknown>) => expandRuns('x.json', parseExperiment('x.json', { ...base, methods: [method] }));
  assert.throws(() => runs({ name: 'gloro', eps: 0 }), /methods\[0\].*eps/);
  assert.throws(() => runs({ name: 'gloro', norm: 'linf' }), /methods\[0\].*norm.*gloro certifies ℓ2 balls only/);
  assert.throws(() => runs({ name: 'lipschitz-margin', norm: 'linf' }), /lipschitz-margin certifies ℓ2 balls only/);
  assert.equal(runs({ name: 'gloro', eps: 0.3 }).length, 1);
  await assert.rejects(trainWith([{ name: 'gloro' }, { name: 'lipschitz-margin' }], 1), /gloro and lipschitz-margin each replace the training logits/);
});
