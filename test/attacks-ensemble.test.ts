/**
 * APGD, Square and the AutoAttack-style ensemble: the ensemble is a per-point worst
 * case, its bookkeeping adds up, DLR is what the paper defines, and the sanity flags
 * fire on a model whose gradients vanish.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { createAttack, resolveAttackName } from '../src/attacks/index.js';
import { apgdCheckpoints } from '../src/attacks/apgd-core.js';
import { squareFraction } from '../src/attacks/square.js';
import { attackObjective } from '../src/attacks/losses.js';
import { runAttack, CLEAN_ERROR, NOT_BROKEN } from '../src/attacks/run-attack.js';
import { evaluateAttacks } from '../src/attacks/evaluate.js';
import { parseExperiment } from '../src/config/experiment.js';
import { trainedMlp, syntheticData, K } from './attacks-helpers.js';

let model: tfl.LayersModel;
let x: tf.Tensor4D;
let y: tf.Tensor1D;

before(async () => {
  await initBackend('cpu');
  model = await trainedMlp(2);
  ({ x, y } = syntheticData(40, 21, 0.45));
});

test('APGD checkpoints follow the paper: p = 0, 0.22, then gaps shrinking by 0.03 down to 0.06', () => {
  assert.deepEqual(apgdCheckpoints(100), [22, 41, 57, 70, 80, 87, 93, 99]);
  assert.deepEqual(apgdCheckpoints(10), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('Square halves its window fraction on the paper schedule, rescaled to the budget', () => {
  assert.equal(squareFraction(0.8, 0, 10000), 0.8);
  assert.equal(squareFraction(0.8, 11, 10000), 0.4);
  assert.equal(squareFraction(0.8, 9000, 10000), 0.8 / 512);
  // The same points of the schedule at a 1000-query budget.
  assert.equal(squareFraction(0.8, 2, 1000), 0.4);
  assert.equal(squareFraction(0.8, 900, 1000), 0.8 / 512);
});

test('DLR is invariant to shifting and scaling the logits, and its gradient matches finite differences', async () => {
  const z = tf.tensor2d([[2, -1, 0.5, 3, 1], [0.1, 0.2, -0.3, 0.05, 1.5], [4, 3.9, 3.8, -2, 0]]);
  const yy = tf.tensor1d([3, 1, 0], 'int32');
  const tt = tf.tensor1d([0, 4, 1], 'int32');
  for (const targets of [undefined, tt]) {
    const a = await attackObjective(z, yy, 'dlr', targets).data();
    const b = await attackObjective(tf.add(tf.mul(z, 7), 3) as tf.Tensor2D, yy, 'dlr', targets).data();
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `row ${i}: ${v} vs ${b[i]}`));
    const g = await tf.grad((zz: tf.Tensor) => tf.sum(attackObjective(zz as tf.Tensor2D, yy, 'dlr', targets)))(z).data();
    const zs = await z.data();
    const h = 1e-2;
    for (let i = 0; i < zs.length; i++) {
      const plus = Float32Array.from(zs);
      const minus = Float32Array.from(zs);
      plus[i]! += h;
      minus[i]! -= h;
      const f = async (v: Float32Array) => (await tf.sum(attackObjective(tf.tensor2d(v, z.shape), yy, 'dlr', targets)).data())[0]!;
      const fd = ((await f(plus)) - (await f(minus))) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) < 1e-2 * Math.max(1, Math.abs(fd)), `∂/∂z[${i}]: autodiff ${g[i]} vs FD ${fd}`);
    }
  }
});

test('the ensemble breaks every point its first member breaks alone, and its bookkeeping adds up', async () => {
  for (const norm of ['linf', 'l2'] as const) {
    const eps = norm === 'linf' ? [0, 0.1, 0.2] : [0, 0.7, 1.4];
    const opts = { steps: 20, targetClasses: 2, queries: 100 };
    const ens = createAttack(`autoattack-${norm}`, opts);
    const first = createAttack(`apgd-ce-${norm}`, { steps: 20 });
    const run = { progress: false, seed: 5, batchSize: 16 } as const;
    const a = await runAttack(model, x, y, ens, eps, run);
    const b = await runAttack(model, x, y, first, eps, run);
    a.perEps.forEach((p, e) => {
      const alone = b.perEps[e]!;
      for (let i = 0; i < x.shape[0]; i++) assert.ok(p.success[i]! >= alone.success[i]!, `${norm} ε=${p.eps}: point ${i} broken by apgd-ce alone but not by the ensemble`);
      assert.ok(p.robustAcc <= alone.robustAcc);
      const members = p.members!;
      assert.deepEqual(members.map((m) => m.name), [`apgd-ce-${norm}`, `apgd-t-${norm}`, `square-${norm}`]);
      // The first member inside the ensemble is the same computation as alone.
      assert.equal(members[0]!.robustAcc, alone.robustAcc);
      for (let m = 1; m < members.length; m++) assert.ok(members[m]!.robustAcc <= members[m - 1]!.robustAcc);
      assert.equal(members.at(-1)!.robustAcc, p.robustAcc);
      const clean = p.brokenBy!.filter((v) => v === CLEAN_ERROR).length;
      const robust = p.brokenBy!.filter((v) => v === NOT_BROKEN).length;
      assert.equal(clean, a.cleanCorrect.filter((c) => c === 0).length);
      assert.equal(clean + members.reduce((s, m) => s + m.broken, 0) + robust, x.shape[0]);
      assert.equal(robust / x.shape[0], p.robustAcc);
      p.brokenBy!.forEach((v, i) => assert.equal(v === NOT_BROKEN, p.success[i] === 0));
    });
  }
});

test('the ensemble is at least as strong as PGD and FGSM on a trained model', async () => {
  const eps = [0.05, 0.1, 0.2];
  const { rows } = await evaluateAttacks(
    model,
    x,
    y,
    [
      { name: 'fgsm', eps },
      { name: 'pgd-linf', eps, steps: 20 },
      { name: 'autoattack-linf', eps, steps: 20, targetClasses: 3, queries: 200 },
    ],
    undefined,
    { progress: false, seed: 1 },
  );
  for (const e of eps) {
    const at = (a: string) => rows.find((r) => r.attack === a && r.eps === e)!;
    assert.ok(at('autoattack-linf').robustAcc <= at('pgd-linf').robustAcc, `ε=${e}`);
    assert.ok(at('autoattack-linf').robustAcc <= at('fgsm').robustAcc, `ε=${e}`);
    assert.match(at('autoattack-linf').brokenBy!, /^clean:\d+;apgd-ce-linf:\d+;apgd-t-linf:\d+;square-linf:\d+$/);
    assert.equal(at('pgd-linf').brokenBy, '');
  }
});

test('on a model whose cross-entropy saturates, the flags fire and Square exposes the masking', async () => {
  // The same trained MLP with its last layer scaled ×1e4: identical predictions, but
  // softmax is exactly one-hot in float32, so ∇ₓ CE is exactly 0 at every correct point.
  const scaled = await trainedMlp(2);
  const last = scaled.layers.at(-1)!;
  last.setWeights(last.getWeights().map((w) => tf.mul(w, 1e4)));
  const eps = [0.2];
  const { rows } = await evaluateAttacks(scaled, x, y, [{ name: 'apgd-ce-linf', eps, steps: 20 }, { name: 'square-linf', eps, queries: 300 }], undefined, {
    progress: false,
    seed: 2,
  });
  const ce = rows.find((r) => r.attack === 'apgd-ce-linf')!;
  const sq = rows.find((r) => r.attack === 'square-linf')!;
  assert.equal(ce.flagZeroGrad, true);
  assert.equal(ce.flagZeroStep, true);
  assert.ok(sq.robustAcc < ce.robustAcc - 0.1, `Square ${sq.robustAcc} should beat the masked APGD-CE ${ce.robustAcc}`);
  assert.equal(sq.flagGradientMasking, true);
  assert.equal(ce.flagGradientMasking, false);
  // On the unscaled model the gradient attack works and nothing is flagged.
  const plain = await evaluateAttacks(model, x, y, [{ name: 'apgd-ce-linf', eps, steps: 20 }, { name: 'square-linf', eps, queries: 300 }], undefined, { progress: false, seed: 2 });
  assert.ok(plain.rows.every((r) => !r.flagZeroGrad && !r.flagZeroStep && !r.flagGradientMasking));
  scaled.dispose();
});

test('bad ensemble and Square options fail with the field named', () => {
  assert.throws(() => createAttack('autoattack-linf', { version: 'plus' }), /version/);
  assert.throws(() => createAttack('square-l2', { queries: -5 }), /queries/);
  assert.throws(() => createAttack('apgd-t-linf', { targetClasses: 0 }), /targetClasses/);
  assert.throws(() => createAttack('apgd-t-linf', { targetClasses: K }).validate!({ numClasses: K, inputShape: [8, 8, 1] }), /targetClasses 4 is more than the 3 classes/);
  assert.throws(() => createAttack('square-linf').validate!({ numClasses: 10, inputShape: [784] }), /image inputs/);
  assert.throws(() => createAttack('square-linf').validate!({ numClasses: 10, inputShape: [784, 1, 1] }), /height and width ≥ 2/);
  assert.equal(resolveAttackName('autoattack', 'l2'), 'autoattack-l2');
  assert.equal(resolveAttackName('pgd-linf', 'l2'), 'pgd-linf');
  const base = { name: 'x', models: [{ kind: 'mlp', hidden: [8] }], methods: [{ name: 'none' }], train: { epochs: 1 } };
  assert.throws(() => parseExperiment('g.json', { ...base, attacks: [{ name: 'apgd-t-linf', targetClasses: 10 }] }), /g\.json: attacks\[0\]: apgd-t-linf: targetClasses 10 is more than the 9 classes/);
  assert.throws(() => parseExperiment('g.json', { ...base, attacks: [{ name: 'autoattack-l2', version: 'rand' }] }), /g\.json: attacks\[0\]\.version/);
  assert.throws(() => parseExperiment('g.json', { ...base, attacks: [{ name: 'square-linf', queries: -1 }] }), /g\.json: attacks\[0\]\.queries/);
});
