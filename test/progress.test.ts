import { afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/node/backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { installProgress, type ProgressBar, type ProgressFactory } from '../src/util/progress.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { createAttack } from '../src/attacks/index.js';
import { trainModel } from '../src/train/loop.js';
import { mlp, syntheticData } from './attacks-helpers.js';
import { TrainOptions } from '../src/train/options.js';

before(async () => {
  await initBackend('cpu');
});

let restore: ProgressFactory | undefined;
afterEach(() => {
  if (restore) installProgress(restore);
  restore = undefined;
});

function recorder(): { calls: string[]; factory: ProgressFactory } {
  const calls: string[] = [];
  const factory: ProgressFactory = (format) => {
    calls.push(`new ${format.split(' ')[0]}`);
    const bar: ProgressBar = {
      start: (total) => calls.push(`start ${total}`),
      update: (v) => calls.push(`update ${v}`),
      increment: (d = 1) => calls.push(`inc ${d}`),
      stop: () => calls.push('stop'),
    };
    return bar;
  };
  return { calls, factory };
}

test('runAttack draws through the installed factory: one tick per batch × ε, then stop; progress:false draws nothing', async () => {
  const { calls, factory } = recorder();
  restore = installProgress(factory);
  const model = mlp(3);
  const { x, y } = syntheticData(20, 1);
  await runAttack(model, x, y, createAttack('fgsm'), [0.1, 0.2], { batchSize: 8 });
  assert.equal(calls[0], 'new fgsm');
  assert.equal(calls[1], 'start 6');
  const ticks = calls.filter((c) => c.startsWith('inc')).reduce((sum, c) => sum + Number(c.slice(4)), 0);
  assert.equal(ticks, 6);
  assert.equal(calls.at(-1), 'stop');
  calls.length = 0;
  await runAttack(model, x, y, createAttack('fgsm'), [0.1], { batchSize: 8, progress: false });
  assert.deepEqual(calls, []);
  tf.dispose([x, y]);
  model.dispose();
});

test('training updates the bar once per step and stops it each epoch', async () => {
  const { calls, factory } = recorder();
  restore = installProgress(factory);
  const model = mlp(3);
  const data = syntheticData(32, 2);
  await trainModel(
    model,
    { x: data.x, y: data.y },
    [],
    TrainOptions.parse({ epochs: 2, batchSize: 16, optimizer: { name: 'adam', learningRate: 1e-3 } }),
    { seed: 0, label: 'probe', log: () => {} },
  );
  assert.equal(calls.filter((c) => c.startsWith('update')).length, 4);
  assert.equal(calls.filter((c) => c.startsWith('start')).length, 2);
  tf.dispose([data.x, data.y]);
  model.dispose();
});
