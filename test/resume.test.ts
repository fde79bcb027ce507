import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readTables } from '../src/results/csv.js';
import { runCli, spawnCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

const BACKEND = ['--backend', 'cpu', '--no-charts'];

function runIds(dir: string): string[] {
  return readTables(dir).results.map((r) => r.runId);
}

test('a rerun skips completed runs and leaves the CSVs identical', () => {
  const dir = tempDir('lipbench-resume-');
  const cfg = writeTinyExperiment(dir, 'resume');
  const out = path.join(dir, 'results');
  const first = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /3 runs \(3 trained, 0 re-evaluated, 0 already done, 0 failed\)/);
  const exp = path.join(out, 'resume');
  const before = Object.fromEntries(['results', 'attacks', 'layers', 'epochs'].map((t) => [t, fs.readFileSync(path.join(exp, `${t}.csv`), 'utf8')]));
  assert.equal(runIds(exp).length, 3);

  const second = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /3 runs \(0 trained, 0 re-evaluated, 3 already done, 0 failed\)/);
  for (const [t, text] of Object.entries(before)) assert.equal(fs.readFileSync(path.join(exp, `${t}.csv`), 'utf8'), text, `${t}.csv changed`);

  // Changing only the attack settings re-evaluates the saved models instead of retraining.
  writeTinyExperiment(dir, 'resume', { attacks: [{ name: 'fgsm', eps: [0, 0.1, 0.2] }] });
  const third = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stdout, /3 runs \(0 trained, 3 re-evaluated, 0 already done, 0 failed\)/);
  assert.equal(readTables(exp).attacks.filter((r) => r.eps === 0.2).length, 3);
  assert.equal(new Set(runIds(exp)).size, 3, "re-evaluation must not duplicate rows");
});

test('a run killed mid-experiment resumes without losing or duplicating rows', async () => {
  const dir = tempDir('lipbench-kill-');
  const cfg = writeTinyExperiment(dir, 'kill', { methods: [{ name: 'none' }, { name: 'l2', lambda: [1e-4, 1e-3, 1e-2] }] });
  const out = path.join(dir, 'results');
  const exp = path.join(out, 'kill');
  const child = spawnCli(['run', cfg, '-o', out, ...BACKEND]);
  // Kill hard (no cleanup handlers) as soon as the first run is recorded.
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(exp, 'results.csv')) && runIds(exp).length >= 1) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      resolve();
    });
    setTimeout(() => reject(new Error('timed out waiting for the first run')), 120_000).unref();
  });
  await new Promise((r) => child.on('close', r));
  const partial = runIds(exp);
  assert.ok(partial.length >= 1 && partial.length <= 4);
  assert.equal(new Set(partial).size, partial.length, 'no duplicate rows');
  // No temporary files are mistaken for results; the lock of the dead process is stale.
  const resumed = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const ids = runIds(exp);
  assert.equal(ids.length, 4);
  assert.equal(new Set(ids).size, 4, 'no duplicate rows after resume');
  for (const id of partial) assert.ok(ids.includes(id), `run ${id} was lost`);
  const t = readTables(exp);
  for (const id of ids) assert.ok(t.attacks.some((a) => a.runId === id), `attacks for ${id}`);
});

test('a second process on the same results folder is refused with a clear message', () => {
  const dir = tempDir('lipbench-lock-');
  const cfg = writeTinyExperiment(dir, 'locked');
  const exp = path.join(dir, 'results', 'locked');
  fs.mkdirSync(exp, { recursive: true });
  // This test process is alive, so its pid makes the lock current.
  fs.writeFileSync(path.join(exp, '.lock'), JSON.stringify({ pid: process.pid }));
  const r = runCli(['run', cfg, '-o', path.join(dir, 'results'), ...BACKEND]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`locked is in use by process ${process.pid}`));
  assert.ok(!fs.existsSync(path.join(exp, 'results.csv')));
});
