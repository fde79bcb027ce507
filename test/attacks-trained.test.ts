/**
 * Attack strength on a small trained model: multi-step attacks are at least as strong
 * as their one-step baselines, restarts never help the defender, and the sanity flags
 * stay quiet on a sound evaluation but fire on a crippled attack or a dead gradient.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { evaluateAttacks, pgdWeakerThanFgsm, robustAccRises } from '../src/attacks/evaluate.js';
import { accuracy, linearModel, syntheticData, trainedMlp, D, K } from './attacks-helpers.js';

let model: tfl.LayersModel;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
const LINF = [0, 0.05, 0.1, 0.15, 0.2];
const L2 = [0, 0.5, 1, 1.5, 2];

before(async () => {
  await initBackend('cpu');
  model = await trainedMlp();
  ({ x, y } = syntheticData(120, 7, 0.45));
  assert.ok(accuracy(model, x, y) > 0.9, 'the test model should be accurate before attacks mean anything');
});

// A single random-start PGD run can lose to FGSM on an example or two (AutoAttack's
// reason for flagging it); with Madry's 40 steps and 3 restarts it must not.
test('PGD robust accuracy ≤ its one-step baseline at every ε (L∞ and L2)', async () => {
  for (const [multi, single, eps] of [
    ['pgd-linf', 'fgsm', LINF],
    ['pgd-l2', 'fgm-l2', L2],
  ] as const) {
    const a = await runAttack(model, x, y, createAttack(multi, { steps: 40, restarts: 3 }), eps, { progress: false, seed: 3 });
    const b = await runAttack(model, x, y, createAttack(single), eps, { progress: false });
    a.perEps.forEach((p, i) =>
      assert.ok(p.robustAcc <= b.perEps[i]!.robustAcc, `${multi} ε=${p.eps}: ${p.robustAcc} > ${single} ${b.perEps[i]!.robustAcc}`),
    );
    // Otherwise the comparison is vacuous: the attacks must actually bite in this range.
    assert.ok(a.perEps.at(-1)!.robustAcc < a.perEps[0]!.robustAcc);
  }
});

test('restarts never raise robust accuracy (per example: success set only grows)', async () => {
  for (const name of ['pgd-linf', 'pgd-l2'] as const) {
    const eps = name === 'pgd-linf' ? [0.1, 0.15] : [1, 1.5];
    const opts = { steps: 5, relStepSize: 0.3 };
    const one = await runAttack(model, x, y, createAttack(name, { ...opts, restarts: 1 }), eps, { progress: false, seed: 9 });
    const three = await runAttack(model, x, y, createAttack(name, { ...opts, restarts: 3 }), eps, { progress: false, seed: 9 });
    one.perEps.forEach((p, e) => {
      const q = three.perEps[e]!;
      assert.ok(q.robustAcc <= p.robustAcc, `${name} ε=${p.eps}: restarts raised ${p.robustAcc} → ${q.robustAcc}`);
      p.success.forEach((s, i) => assert.ok(q.success[i]! >= s, `${name} ε=${p.eps}: example ${i} lost its adversarial`));
    });
  }
});

test('evaluateAttacks: rows, definitions and quiet flags on a sound evaluation', async () => {
  const { rows, runs } = await evaluateAttacks(
    model,
    x,
    y,
    [
      { name: 'fgsm', eps: LINF },
      { name: 'pgd-linf', eps: LINF, steps: 10, relStepSize: 0.25 },
      { name: 'fgm-l2' },
      { name: 'pgd-l2', steps: 10 },
    ],
    L2,
    { progress: false, largeEpsCheck: true },
  );
  assert.equal(rows.length, 4 * 5);
  assert.deepEqual(
    rows.filter((r) => r.attack === 'pgd-l2').map((r) => r.eps),
    L2,
    'specs without eps use the default list, and the large-ε point is not a row',
  );
  for (const r of rows) {
    assert.equal(r.n, 120);
    assert.equal(r.flagPgdWeakerThanFgsm, false, JSON.stringify(r));
    assert.equal(r.flagRobustAccRises, false, JSON.stringify(r));
    assert.equal(r.flagLargeEpsNotZero, false, JSON.stringify(r));
    assert.equal(r.flagZeroGrad, false, JSON.stringify(r));
    assert.ok(r.robustAcc <= r.cleanAcc + 1e-12);
    // Robust accuracy counts all points; success rate only the clean-correct ones.
    assert.ok(Math.abs(r.robustAcc - r.cleanAcc * (1 - r.successRate)) < 1e-9);
  }
  // Only the iterative attacks get the box-covering check; one-step attacks may fail there.
  assert.deepEqual(runs.map((run) => run.largeEps?.eps), [undefined, 1, undefined, Math.sqrt(D)]);
});

test('flags fire: a crippled PGD is weaker than FGSM, and does not reach zero at huge ε', async () => {
  const { rows } = await evaluateAttacks(
    model,
    x,
    y,
    [
      { name: 'fgsm', eps: [0.1, 0.2] },
      { name: 'pgd-linf', eps: [0.1, 0.2], steps: 1, stepSize: 1e-4, randomStart: false },
    ],
    undefined,
    { progress: false, largeEpsCheck: true },
  );
  const pgd = rows.filter((r) => r.attack === 'pgd-linf');
  assert.ok(pgd.every((r) => r.flagPgdWeakerThanFgsm && r.flagLargeEpsNotZero), JSON.stringify(pgd));
  assert.ok(rows.filter((r) => r.attack === 'fgsm').every((r) => !r.flagPgdWeakerThanFgsm && !r.flagLargeEpsNotZero));
});

test('flagZeroGrad fires on a model whose input gradient vanishes', async () => {
  const bias = new Float32Array(K);
  bias[0] = 1;
  const dead = linearModel(new Float32Array(D * K), bias);
  const { rows } = await evaluateAttacks(dead, x, y, [{ name: 'fgsm', eps: [0, 0.1] }], undefined, { progress: false });
  assert.ok(rows.every((r) => r.flagZeroGrad));
  // A constant classifier: robust accuracy equals clean accuracy (class 0's share).
  const share = Array.from(y.dataSync()).filter((c) => c === 0).length / y.shape[0];
  assert.ok(rows.every((r) => Math.abs(r.robustAcc - share) < 1e-9));
  dead.dispose();
});

test('robustAccRises and pgdWeakerThanFgsm on hand-made numbers', () => {
  const pts = [
    { eps: 0, robustAcc: 0.9 },
    { eps: 0.1, robustAcc: 0.5 },
    { eps: 0.2, robustAcc: 0.6 },
    { eps: 0.3, robustAcc: 0.4 },
  ];
  assert.deepEqual(robustAccRises(pts), [false, false, true, false]);
  assert.deepEqual(robustAccRises(pts, 0.2), [false, false, false, false]);
  assert.deepEqual(robustAccRises([...pts].reverse()), [false, true, false, false]);
  assert.equal(pgdWeakerThanFgsm(0.51, 0.5), true);
  assert.equal(pgdWeakerThanFgsm(0.504, 0.5), false);
});
