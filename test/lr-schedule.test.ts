/**
 * Learning-rate schedules: the rates are the formulas' (endpoints, monotone), the
 * optimizer really steps with the scheduled rate (Adam's first step moves a weight by
 * exactly its rate; SGD's by rate × gradient), and the training loop hands hooks the
 * rate of each step. A schedule is validated naming the field.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/models/index.js';
import type { Regularizer } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { TrainOptions } from '../src/train/options.js';
import { LrSchedule, scheduledRate, setOptimizerRate } from '../src/train/schedule.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { parseExperiment } from '../src/config/experiment.js';
import { testBackend } from './helpers/setup.js';
import { C, H, W, K, syntheticData } from './attacks-helpers.js';

before(async () => {
  await testBackend();
});

const close = (a: number, b: number, rel = 1e-9): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

test('scheduled rates: exponential and cosine run from the base to the final rate, monotonically; step multiplies at the listed epochs', () => {
  const T = 101;
  for (const [s, final] of [[LrSchedule.parse({ kind: 'exponential', finalLearningRate: 1e-6 }), 1e-6], [LrSchedule.parse({ kind: 'cosine', finalLearningRate: 1e-5 }), 1e-5]] as const) {
    const rates = Array.from({ length: T }, (_, i) => scheduledRate(s, 1e-3, i, T, 1));
    assert.ok(close(rates[0]!, 1e-3), `${s.kind} starts at ${rates[0]}`);
    assert.ok(close(rates[T - 1]!, final, 1e-6), `${s.kind} ends at ${rates[T - 1]}`);
    for (let i = 1; i < T; i++) assert.ok(rates[i]! <= rates[i - 1]!, `${s.kind} rises at step ${i}`);
  }
  // Geometric: the midpoint is the geometric mean.
  assert.ok(close(scheduledRate({ kind: 'exponential', finalLearningRate: 1e-5 }, 1e-3, 50, T, 1), 1e-4, 1e-6));
  // Held for the first half, then geometric over the second: flat, then the same curve compressed.
  const held = LrSchedule.parse({ kind: 'exponential', finalLearningRate: 1e-6, holdFraction: 0.5 });
  const heldRates = Array.from({ length: T }, (_, i) => scheduledRate(held, 1e-3, i, T, 1));
  for (let i = 0; i <= 50; i++) assert.equal(heldRates[i], 1e-3, `held rate at step ${i}: ${heldRates[i]}`);
  assert.ok(heldRates[51]! < 1e-3 && close(heldRates[T - 1]!, 1e-6, 1e-6), `after the hold: ${heldRates[51]}, end ${heldRates[T - 1]}`);
  assert.ok(close(heldRates[75]!, Math.sqrt(1e-3 * 1e-6), 1e-6), `the middle of the decay is the geometric mean: ${heldRates[75]}`);
  assert.throws(() => LrSchedule.parse({ kind: 'exponential', finalLearningRate: 1e-6, holdFraction: 1 }));
  const step = LrSchedule.parse({ kind: 'step', epochs: [3, 5] });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((e) => Number(scheduledRate(step, 1, 0, T, e).toPrecision(6))), [1, 1, 0.1, 0.1, 0.01, 0.01]);
  assert.equal(scheduledRate(undefined, 0.02, 7, T, 3), 0.02);
});

test('setOptimizerRate changes the step the optimizer takes (Adam: first step = rate; SGD and momentum: rate × gradient)', () => {
  for (const spec of [{ name: 'adam', learningRate: 1e-3 }, { name: 'sgd', learningRate: 1e-3 }, { name: 'momentum', learningRate: 1e-3 }] as const) {
    const opt = createOptimizer(TrainOptions.parse({ epochs: 1, optimizer: spec }).optimizer);
    const v = tf.variable(tf.scalar(1));
    setOptimizerRate(opt, 0.25);
    opt.applyGradients({ [v.name]: tf.scalar(2) });
    const moved = 1 - v.dataSync()[0]!;
    const want = spec.name === 'adam' ? 0.25 : 0.5;
    assert.ok(Math.abs(moved - want) < 1e-4, `${spec.name}: moved ${moved}, want ${want}`);
    opt.dispose();
    v.dispose();
  }
});

test('the training loop steps with the scheduled rate and hands it to the hooks', async () => {
  const model = buildModel({ kind: 'mlp', hidden: [6] }, [H, W, C], K, 1);
  const data = syntheticData(40, 1);
  const seen: number[] = [];
  const spy: Regularizer = { name: 'spy', beforeStep: ({ learningRate }) => void seen.push(learningRate) };
  const opts = TrainOptions.parse({ epochs: 2, batchSize: 10, optimizer: { name: 'sgd', learningRate: 0.1 }, lrSchedule: { kind: 'exponential', finalLearningRate: 0.001 }, logSigma: false });
  await trainModel(model, data, [spy], opts, { seed: 0, progress: false, log: () => {} });
  assert.equal(seen.length, 8);
  assert.ok(close(seen[0]!, 0.1) && close(seen[7]!, 0.001, 1e-6), seen.join(' '));
  for (let i = 1; i < 8; i++) assert.ok(close(seen[i]! / seen[i - 1]!, Math.pow(0.01, 1 / 7), 1e-6));
  tf.dispose([data.x, data.y]);
  model.dispose();
});

test('a bad schedule is refused naming the field', () => {
  const cfg = (lrSchedule: unknown) => parseExperiment('x.json', { name: 'x', models: [{ kind: 'mlp', hidden: [4] }], methods: [{ name: 'none' }], train: { epochs: 1, lrSchedule } });
  assert.throws(() => cfg({ kind: 'exponential', finalLearningRate: 0 }), /train\.lrSchedule.*finalLearningRate/);
  assert.throws(() => cfg({ kind: 'warp' }), /train\.lrSchedule/);
  assert.equal(cfg({ kind: 'cosine' }).train.lrSchedule?.kind, 'cosine');
  assert.equal(cfg(undefined).train.lrSchedule, undefined);
});
