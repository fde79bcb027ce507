/**
 * runAttack's bookkeeping: seeds, memory, definitions of the metrics, bounded
 * adversarial storage, and AttackSpec validation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { AttackSpec, createAttack, type Attack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { randomInBall } from '../src/attacks/geometry.js';
import { mlp, syntheticData, D } from './attacks-helpers.js';

let model: tfl.LayersModel;
let x: tf.Tensor4D;
let y: tf.Tensor1D;

before(async () => {
  await initBackend('cpu');
  model = mlp(5);
  ({ x, y } = syntheticData(24, 8));
});

async function values<T extends Float32Array | Int32Array = Float32Array>(t: tf.Tensor): Promise<T> {
  const v = (await t.data()) as T;
  t.dispose();
  return v;
}

test('same seed ⇒ identical results; another seed ⇒ different random starts', async () => {
  for (const name of ['pgd-linf', 'pgd-l2'] as const) {
    const attack = createAttack(name, { steps: 3, restarts: 2 });
    const eps = name === 'pgd-linf' ? 0.2 : 1.5;
    const a = await values(attack.perturb(model, x, y, eps, { seed: 11 }));
    const b = await values(attack.perturb(model, x, y, eps, { seed: 11 }));
    const c = await values(attack.perturb(model, x, y, eps, { seed: 12 }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const opts = { progress: false, seed: 4, batchSize: 7, keepAdversarial: true } as const;
    const r1 = await runAttack(model, x, y, attack, [eps], opts);
    const r2 = await runAttack(model, x, y, attack, [eps], opts);
    assert.deepEqual(r1.perEps[0]!.success, r2.perEps[0]!.success);
    assert.deepEqual(await values(r1.perEps[0]!.adversarial!), await values(r2.perEps[0]!.adversarial!));
  }
});

test('randomInBall: inside the ball, and L2 radii spread like ε·U^(1/d)', () => {
  const n = 400;
  const eps = 2;
  const s = tf.tidy(() => tf.sqrt(tf.sum(tf.square(randomInBall([n, 8, 8, 1], 'l2', eps, 1)), [1, 2, 3])));
  const r = Array.from(s.dataSync()).sort((p, q) => p - q);
  s.dispose();
  assert.ok(r.at(-1)! <= eps * (1 + 1e-6));
  // For d = 64 the median radius is ε·0.5^(1/64) ≈ 0.989ε; Gaussian-then-clip would sit at ε.
  const median = r[n / 2]!;
  assert.ok(Math.abs(median - eps * 0.5 ** (1 / D)) < 0.01 * eps, `median radius ${median}`);
  assert.ok(r[0]! < eps * 0.95, 'some radii must be clearly inside the ball');
  const u = tf.tidy(() => tf.max(tf.abs(randomInBall([n, 8, 8, 1], 'linf', 0.3, 1))));
  assert.ok(u.dataSync()[0]! <= 0.3 && u.dataSync()[0]! > 0.29);
  u.dispose();
});

test('memory is bounded: no tensor survives runAttack, whatever the number of batches', async () => {
  const attack = createAttack('pgd-linf', { steps: 2, restarts: 2 });
  const big = syntheticData(48, 9);
  await runAttack(model, big.x, big.y, attack, [0, 0.1], { progress: false, batchSize: 24 }); // warm-up
  const base = tf.memory().numTensors;
  await runAttack(model, big.x, big.y, attack, [0, 0.1, 0.2], { progress: false, batchSize: 24 }); // 2 batches
  const after2 = tf.memory().numTensors;
  await runAttack(model, big.x, big.y, attack, [0, 0.1, 0.2], { progress: false, batchSize: 8 }); // 6 batches
  const after6 = tf.memory().numTensors;
  assert.equal(after2, base);
  assert.equal(after6, base);
  // Kept adversarials are the only tensors returned, one per kept ε.
  const r = await runAttack(model, big.x, big.y, attack, [0.1, 0.2], {
    progress: false,
    batchSize: 8,
    keepAdversarial: { maxExamples: 10, epsilons: [0.2] },
  });
  assert.equal(tf.memory().numTensors, base + 1);
  assert.equal(r.perEps[0]!.adversarial, undefined);
  assert.deepEqual(r.perEps[1]!.adversarial!.shape, [10, 8, 8, 1]);
  assert.equal(r.keptExamples, 10);
  r.perEps[1]!.adversarial!.dispose();
  tf.dispose([big.x, big.y]);
});

test('kept adversarials match across batch boundaries and equal x at ε = 0', async () => {
  const attack = createAttack('fgsm');
  const r = await runAttack(model, x, y, attack, [0, 0.1], { progress: false, batchSize: 5, keepAdversarial: { maxExamples: 13 } });
  const x13 = tf.slice(x, [0, 0, 0, 0], [13, -1, -1, -1]);
  assert.deepEqual(await values(r.perEps[0]!.adversarial!), await values(x13.clone()));
  const direct = attack.perturb(model, x13, tf.slice(y, [0], [13]), 0.1);
  assert.deepEqual(await values(r.perEps[1]!.adversarial!), await values(direct));
  x13.dispose();
});

test('robust accuracy counts clean errors as non-robust; success rate counts flips of correct points', async () => {
  const labels = await y.data();
  const preds = await values<Int32Array>(tf.tidy(() => tf.argMax(model.apply(x, { training: false }) as tf.Tensor2D, 1)));
  const n = x.shape[0];
  // A no-op attack: any change in the metrics between ε values would be bookkeeping, not the attack.
  const fake: Attack = {
    name: 'noop',
    norm: 'linf',
    perturb: (_m, xx) => xx.clone(),
  };
  const r = await runAttack(model, x, y, fake, [0, 1], { progress: false, batchSize: 10 });
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const ok = preds[i] === labels[i] ? 1 : 0;
    correct += ok;
    assert.equal(r.cleanCorrect[i], ok);
    assert.equal(r.perEps[0]!.success[i], 1 - ok, 'a clean error is a success at ε = 0');
  }
  assert.ok(correct > 0 && correct < n, 'the random model should be partly right so both cases occur');
  assert.equal(r.cleanAcc, correct / n);
  for (const p of r.perEps) {
    assert.equal(p.robustAcc, correct / n);
    assert.equal(p.successRate, 0);
  }
  // Now a real attack at a huge ε: every correct point that flips raises successRate, robustAcc = 1 − mean(success).
  const big = await runAttack(model, x, y, createAttack('pgd-linf', { steps: 10 }), [1], { progress: false });
  const s = big.perEps[0]!;
  const flips = s.success.reduce((a, v, i) => a + (v === 1 && r.cleanCorrect[i] === 1 ? 1 : 0), 0);
  assert.equal(s.successRate, flips / correct);
  assert.equal(s.robustAcc, 1 - s.success.reduce((a, v) => a + v, 0) / n);
});

test('targeted attack with given targets reports target hits', async () => {
  const targets = tf.tidy(() => tf.fill([x.shape[0]], 2, 'int32') as tf.Tensor1D);
  const attack = createAttack('pgd-linf', { steps: 10, target: 'given' });
  const r = await runAttack(model, x, y, attack, [0, 1], { progress: false, targets });
  const hits = r.perEps[1]!.targetHit!;
  assert.ok(hits.reduce((a, v) => a + v, 0) >= x.shape[0] - 1, 'at ε = 1 (whole box) the target should be reached');
  await assert.rejects(runAttack(model, x, y, attack, [0.1], { progress: false }), /targets/);
  targets.dispose();
});

test('AttackSpec: accepts the documented configs and rejects bad ones with clear messages', () => {
  const ok = [
    { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2, 0.3] },
    { name: 'pgd-linf', eps: [0, 0.1], steps: 40, stepSize: 0.01, randomStart: true },
    { name: 'pgd-l2', eps: [0, 0.5, 1, 2, 3], steps: 40, relStepSize: 0.1 },
  ] as const;
  for (const s of ok) {
    const p = AttackSpec.parse(s);
    assert.equal(p.name, s.name);
    assert.deepEqual(p.eps, s.eps);
  }
  assert.deepEqual(AttackSpec.parse(ok[1]).options, { steps: 40, stepSize: 0.01, randomStart: true });

  const msg = (v: unknown) => {
    const r = AttackSpec.safeParse(v);
    assert.equal(r.success, false, JSON.stringify(v));
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };
  assert.match(msg({ name: 'pgd', eps: [0.1] }), /name: unknown attack "pgd"; registered attacks: fgsm, fgm-l2, pgd-linf, pgd-l2/);
  assert.match(msg({ name: 'pgd-linf', eps: [0.1], step: 40 }), /attack pgd-linf: .*step/);
  assert.match(msg({ name: 'pgd-linf', eps: [0.1], stepSize: 0.1, relStepSize: 0.1 }), /not both/);
  assert.match(msg({ name: 'fgsm', eps: [-0.1] }), /eps/);
  assert.match(msg({ name: 'fgsm', eps: [] }), /eps/);
  assert.match(msg({ name: 'fgsm', loss: 'hinge' }), /loss/);
  assert.throws(() => createAttack('nope'), /unknown attack "nope"/);
});
