/** Issue 21: results.csv records the compute threads of the backend that trained each run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readTables } from '../src/results/csv.js';
import { loadNative } from '../src/node/native-addon.js';
import { ROOT, tempDir, writeTinyExperiment } from './helpers/cli.js';

function run(backend: string, env: Record<string, string>): number[] {
  const dir = tempDir('lipbench-threads-');
  const cfg = writeTinyExperiment(dir, 'threads', { methods: [{ name: 'none' }], attacks: [{ name: 'fgsm', eps: [0.1] }] });
  const out = path.join(dir, 'results');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'run', cfg, '-o', out, '--backend', backend, '--no-charts'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIPBENCH_DEBUG: '', ...env } });
  assert.equal(r.status, 0, r.stderr);
  const rows = readTables(path.join(out, 'threads')).results;
  assert.ok(rows.length > 0);
  return rows.map((row) => row.threads ?? Number.NaN);
}

test('results.csv records 1 thread on the single-threaded cpu backend', () => {
  assert.deepEqual([...new Set(run('cpu', {}))], [1]);
});

test('results.csv records the native pool size on wasm+native', { skip: loadNative().addon ? false : 'native addon not built' }, () => {
  // An odd count that no machine default would produce by accident on a 2-core VM.
  assert.deepEqual([...new Set(run('wasm+native', { LIPBENCH_NATIVE_THREADS: '3' }))], [3]);
});
