/**
 * tfjs' "Hi, looks like you are running TensorFlow.js in Node.js…" banner never reaches
 * the user, and a missing optional tfjs-node is said once, in the backend's one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { backendLine, initBackend, TFJS_NODE_MISSING } from '../src/node/backend.js';
import { ROOT } from './helpers/cli.js';

const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

function runScript(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout + r.stderr;
}

test('no banner when a tensor is made on the cpu backend before initBackend, nor in the kernel tests', () => {
  const early = runScript(`
    import * as tf from '@tensorflow/tfjs-core';
    import './src/node/backend.ts';
    await tf.setBackend('cpu');
    tf.tensor([1, 2, 3]).dataSync();
    console.log('ok');`);
  assert.match(early, /ok/);
  assert.doesNotMatch(early, BANNER);
  const kernels = runScript(`
    import { runOn, operand } from './test/helpers/kernel-check.ts';
    import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    await runOn('cpu', [operand([2, 2])], (a) => tf.add(a, a));
    console.log('ok');`);
  assert.match(kernels, /ok/);
  assert.doesNotMatch(kernels, BANNER);
});

test('a missing tfjs-node is one line naming the optional package and the backend used instead', async (t) => {
  const line = backendLine({ name: 'wasm+native', tfBackend: 'wasm', threads: 2, notes: [TFJS_NODE_MISSING] });
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /^backend: wasm\+native \(.*optional native TensorFlow.*not installed\)$/);
  let installed = true;
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
  } catch {
    installed = false;
  }
  if (installed) return t.skip('tfjs-node is installed here');
  const info = await initBackend('cpu');
  assert.equal(backendLine(info), 'backend: cpu', 'a forced backend never tried tfjs-node');
});
