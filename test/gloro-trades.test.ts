/**
 * gloro's TRADES-style loss: the KL term equals the definition computed by hand from
 * the logits and K, its gradient reaches every kernel, it leaks no tensors, the option
 * is validated naming the field, and the method label carries it.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, methodLabel, RegularizerSpec } from '../src/regularizers/index.js';
import { tradesKl } from '../src/regularizers/gloro.js';
import { expandRuns, parseExperiment } from '../src/config/experiment.js';
import { testBackend } from './helpers/setup.js';
import { C, H, W, syntheticData } from './attacks-helpers.js';

const K = 4;

before(async () => {
  await testBackend();
});

/** KL(p ‖ q) by the definition, in float64, one row. */
function klByHand(f: number[], Kmat: number[][], eps: number): number {
  const c = f.indexOf(Math.max(...f));
  const raised = f.map((v, j) => (j === c ? -Infinity : v + eps * Kmat[c]![j]!));
  const aug = [...f, Math.max(...raised)];
  const lse = (xs: number[]): number => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  const lp = f.map((v) => v - lse(f));
  const lq = aug.map((v) => v - lse(aug));
  return lp.reduce((s, l, i) => s + Math.exp(l) * (l - lq[i]!), 0);
}

test('tradesKl is KL(softmax(f) with p_⊥ = 0 ‖ softmax([f, ⊥ against argmax f])), batch-averaged', () => {
  const f = tf.randomNormal([6, K], 0, 2, 'float32', 3) as tf.Tensor2D;
  const A = tf.randomUniform([K, K], 0.5, 2, 'float32', 4);
  const Kt = tf.tidy(() => tf.mul(tf.add(A, tf.transpose(A)), tf.sub(1, tf.eye(K)))) as tf.Tensor2D;
  const eps = 0.4;
  const got = tf.tidy(() => tradesKl(f, Kt, eps).dataSync()[0]!);
  const rows = f.arraySync();
  const Km = Kt.arraySync();
  const want = rows.reduce((s, r) => s + klByHand(r, Km, eps), 0) / rows.length;
  assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, want), `tradesKl ${got} vs by hand ${want}`);
  assert.ok(want > 0);
  tf.dispose([f, A, Kt]);
});

test("gloro loss: 'trades' trains clean logits (no trainLogits) plus λ·KL whose gradient reaches every kernel, without leaking tensors", () => {
  const model = buildModel({ kind: 'convnet', conv: [{ filters: 3, kernel: 3, stride: 2 }], dense: [8] }, [H, W, C], K, 5);
  const data = syntheticData(16, 2, undefined, K);
  const spec = RegularizerSpec.parse({ name: 'gloro', eps: 0.5, loss: 'trades', tradesLambda: 2 });
  const half = createRegularizer(RegularizerSpec.parse({ name: 'gloro', eps: 0.5, loss: 'trades' }), 0);
  const reg = createRegularizer(spec, 0);
  assert.equal(reg.trainLogits, undefined, 'the cross-entropy must be on the clean logits');
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = (r: typeof reg): { value: number; grads: Map<string, number> } => {
    r.beforeStep!({ model, step: 0, learningRate: 1e-3 });
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(data.x, { training: true }) as tf.Tensor2D;
      return r.penalty!({ model, x: data.x, y: data.y, logits, step: 0 });
    }, vars);
    const out = { value: value.dataSync()[0]!, grads: new Map(Object.entries(grads).map(([k, g]) => [k, tf.tidy(() => tf.norm(g).dataSync()[0]!)])) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const one = step(half);
  step(reg);
  const before = tf.memory().numTensors;
  const two = step(reg);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by a TRADES step');
  assert.ok(one.value > 0 && Number.isFinite(one.value));
  assert.ok(Math.abs(two.value - 2 * one.value) <= 1e-3 * two.value, `λ = 2 gives ${two.value}, λ = 1 gives ${one.value}`);
  for (const w of model.trainableWeights.filter((w) => w.originalName.endsWith('kernel'))) {
    const g = two.grads.get((w.read() as tf.Variable).name)!;
    assert.ok(Number.isFinite(g) && g > 0, `no gradient reached ${w.name}: ${g}`);
  }
  reg.dispose?.();
  half.dispose?.();
  tf.dispose([data.x, data.y]);
  model.dispose();
});

test("gloro's loss option: validated naming the field, and shown in the method label", () => {
  const base = { name: 'x', models: [{ kind: 'mlp', hidden: [4] }], train: { epochs: 1 } };
  const runs = (method: Record<string, unknown>) => expandRuns('x.json', parseExperiment('x.json', { ...base, methods: [method] }));
  assert.throws(() => runs({ name: 'gloro', tradesLambda: 2 }), /methods\[0\].*tradesLambda.*only with loss: 'trades'/);
  assert.throws(() => runs({ name: 'gloro', loss: 'trades', tradesLambda: 0 }), /methods\[0\].*tradesLambda/);
  assert.throws(() => runs({ name: 'gloro', loss: 'kl' }), /methods\[0\].*loss/);
  assert.equal(runs({ name: 'gloro', loss: 'trades', tradesLambda: 1.5 }).length, 1);
  assert.equal(methodLabel([RegularizerSpec.parse({ name: 'gloro', loss: 'trades', tradesLambda: 1.5 })]), 'gloro(loss=trades,tradesLambda=1.5)');
  assert.equal(methodLabel([RegularizerSpec.parse({ name: 'gloro', loss: 'trades' })]), 'gloro(loss=trades)');
  assert.equal(methodLabel([RegularizerSpec.parse({ name: 'gloro' })]), 'gloro');
});
