/**
 * Property tests shared by every registered attack: the table iterates the registry,
 * so a new attack is covered as soon as it is registered. Variants add random starts,
 * restarts, the CW loss and targeting where the attack accepts them.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { attackNames, attackNorm, createAttack, type Attack, type AttackName } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { hostNorms, mlp, syntheticData, D } from './attacks-helpers.js';

/** Extra option sets per attack, on top of its defaults. Unknown names just get defaults. */
const VARIANTS: Partial<Record<AttackName, Record<string, unknown>[]>> = {
  fgsm: [{ loss: 'cw' }, { target: 'next' }],
  'fgm-l2': [{ loss: 'cw' }, { target: 'next' }],
  'pgd-linf': [
    { steps: 5, randomStart: true, restarts: 2 },
    { steps: 5, stepSize: 0.5, loss: 'cw' },
    { steps: 3, randomStart: false, target: 'next' },
  ],
  'pgd-l2': [
    { steps: 5, randomStart: true, restarts: 2 },
    { steps: 5, relStepSize: 3, loss: 'cw' },
    { steps: 3, randomStart: false, target: 'next' },
    { steps: 5, loss: 'dlr' },
  ],
  // Short budgets: the properties do not depend on the number of iterations.
  'apgd-ce-linf': [{ steps: 10, restarts: 2 }],
  'apgd-dlr-l2': [{ steps: 10 }],
  'apgd-t-linf': [{ steps: 10, targetClasses: 3 }],
  'square-linf': [{ queries: 50, pInit: 0.3 }],
  'square-l2': [{ queries: 50 }],
  'autoattack-linf': [{ version: 'fast', steps: 10, targetClasses: 2 }],
  'autoattack-l2': [{ steps: 10, targetClasses: 1, queries: 30 }],
};

const EPSILONS: Record<'linf' | 'l2', number[]> = { linf: [0.03, 0.3, 1, 2], l2: [0.1, 1, 3, 20] };

let model: tfl.LayersModel;
let x: tf.Tensor4D;
let y: tf.Tensor1D;

before(async () => {
  await initBackend('cpu');
  model = mlp(3);
  const data = syntheticData(12, 5);
  // Whole images at the box corners: any step outward must be clipped away.
  x = tf.tidy(() =>
    tf.concat([data.x, tf.zeros([2, 8, 8, 1]), tf.ones([2, 8, 8, 1])]) as tf.Tensor4D,
  );
  y = tf.tidy(() => tf.concat([data.y, tf.tensor1d([0, 1, 2, 0], 'int32')]) as tf.Tensor1D);
  tf.dispose([data.x, data.y]);
});

function cases(): Array<{ label: string; attack: () => Attack; name: AttackName }> {
  return attackNames().flatMap((name) =>
    [{}, ...(VARIANTS[name] ?? [])].map((opts) => ({
      label: `${name} ${JSON.stringify(opts)}`,
      name,
      attack: () => createAttack(name, opts),
    })),
  );
}

test('every registered attack has a shared-table entry and a norm', () => {
  for (const name of attackNames()) {
    assert.ok(['linf', 'l2'].includes(attackNorm(name)));
    assert.equal(createAttack(name).name, name);
    assert.equal(createAttack(name).norm, attackNorm(name));
  }
});

for (const c of cases()) {
  test(`${c.label}: ε = 0 returns x unchanged`, () => {
    const before = tf.memory().numTensors;
    const adv = c.attack().perturb(model, x, y, 0, { seed: 1 });
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(adv, x))));
    assert.equal(diff.dataSync()[0], 0);
    tf.dispose([adv, diff]);
    assert.equal(tf.memory().numTensors, before, 'perturb leaked tensors');
  });

  test(`${c.label}: output is within the ε-ball and the [0,1] box`, async () => {
    const attack = c.attack();
    const xs = x.dataSync() as Float32Array;
    const n = x.shape[0];
    for (const eps of EPSILONS[attack.norm]) {
      // The attack's own output, before runAttack's projection.
      const adv = attack.perturb(model, x, y, eps, { seed: 7 });
      assert.deepEqual(adv.shape, x.shape);
      const a = (await adv.data()) as Float32Array;
      adv.dispose();
      for (const [label, arr] of [['perturb', a]] as const) {
        for (let i = 0; i < arr.length; i++) {
          assert.ok(arr[i]! >= 0 && arr[i]! <= 1, `${label} ε=${eps}: value ${arr[i]} outside [0,1]`);
        }
        hostNorms(arr, xs, n, attack.norm).forEach((v, i) =>
          assert.ok(v <= eps + 1e-6, `${label} ε=${eps}: example ${i} has ‖δ‖=${v}`),
        );
      }
      // The same through runAttack, whose kept examples must satisfy it as well.
      const r = await runAttack(model, x, y, attack, [eps], { progress: false, batchSize: 5, keepAdversarial: true });
      const kept = r.perEps[0]!.adversarial!;
      const k = (await kept.data()) as Float32Array;
      kept.dispose();
      for (let i = 0; i < k.length; i++) assert.ok(k[i]! >= 0 && k[i]! <= 1);
      hostNorms(k, xs, n, attack.norm).forEach((v, i) =>
        assert.ok(v <= eps + 1e-6, `runAttack ε=${eps}: example ${i} has ‖δ‖=${v}`),
      );
    }
  });
}

test('runAttack projects and clips an attack that ignores ε, the box and finiteness', async () => {
  for (const norm of ['linf', 'l2'] as const) {
    const rogue: Attack = {
      name: `rogue-${norm}`,
      norm,
      perturb: (_m, xx) =>
        tf.tidy(() => {
          const big = tf.add(xx, tf.mul(tf.randomNormal(xx.shape, 0, 1, 'float32', 3), 5)) as tf.Tensor4D;
          // One NaN pixel per image: it must not survive into the adversarial example.
          const mask = tf.cast(tf.reshape(tf.oneHot(tf.zeros([xx.shape[0]], 'int32'), D), xx.shape), 'bool');
          return tf.where(mask, tf.fill(xx.shape, NaN), big) as tf.Tensor4D;
        }),
    };
    const eps = norm === 'linf' ? 0.1 : 0.5;
    const r = await runAttack(model, x, y, rogue, [eps], { progress: false, keepAdversarial: true });
    const k = (await r.perEps[0]!.adversarial!.data()) as Float32Array;
    r.perEps[0]!.adversarial!.dispose();
    for (let i = 0; i < k.length; i++) assert.ok(k[i]! >= 0 && k[i]! <= 1, `value ${k[i]} at ${i}`);
    const norms = hostNorms(k, x.dataSync() as Float32Array, x.shape[0], norm);
    norms.forEach((v) => assert.ok(v <= eps + 1e-6, `‖δ‖=${v} > ${eps}`));
    // The rogue attack moved far, so the projection must have put it on the sphere for most points.
    assert.ok(norms.filter((v) => v > eps * 0.5).length > x.shape[0] / 2);
  }
});
