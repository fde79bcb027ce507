/**
 * Ctrl-C and SIGTERM through the `npx lipbench` entry point (bin/lipbench.js) take
 * effect within 2 s whatever the grid is doing, exit 130/143, release the lock, keep
 * finished runs and abandon the one in progress. One grid, resumed by each case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readTables } from '../src/results/csv.js';
import { ROOT, tempDir, writeTinyExperiment } from './helpers/cli.js';

const dir = tempDir('lipbench-signals-');
// Every stage lasts long enough to be hit: 2 epochs of 1000 images, Lipschitz bounds on
// 300 points. The same grid with a 1000-step PGD (`heavy`) re-evaluates the saved
// models: one attack batch then holds the JavaScript thread for seconds, which only
// the supervisor in bin/lipbench.js can cut short.
const grid = {
  data: { trainSize: 1000, testSize: 300 },
  models: [{ kind: 'mlp', hidden: [64] }],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 1e-3 }],
  train: { epochs: 2, batchSize: 25 },
  attacks: [{ name: 'fgsm', eps: [0, 0.1] }],
  attackSize: 300,
  lipschitz: { gradPoints: 300 },
};
const cfg = writeTinyExperiment(dir, 'sig', grid);
const heavy = writeTinyExperiment(tempDir('lipbench-signals-heavy-'), 'sig', { ...grid, attacks: [{ name: 'pgd-linf', eps: [0.1], steps: 1000 }] });
const out = path.join(dir, 'results');
const exp = path.join(out, 'sig');
const latencies: string[] = [];

interface Stopped {
  code: number | null;
  latency: number;
  output: string;
}

/** Start the grid, wait for `after` on stdout (+ `delayMs`), send the signal(s), time the exit. */
function interrupt(after: RegExp, signals: NodeJS.Signals[], delayMs = 0, config = cfg): Promise<Stopped> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lipbench.js'), 'run', config, '-o', out, '--backend', 'cpu', '--no-charts', '--no-progress'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let sentAt = 0;
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit; output so far:\n${output}`));
    }, 180_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (sentAt === 0 && after.test(output)) {
        sentAt = -1;
        setTimeout(() => {
          sentAt = performance.now();
          for (const s of signals) child.kill(s);
        }, delayMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timeout);
      if (sentAt <= 0) return reject(new Error(`exited (${code}) before the signal; output:\n${output}`));
      resolve({ code, latency: (performance.now() - sentAt) / 1000, output });
    });
  });
}

function doneRuns(): string[] {
  return fs.existsSync(path.join(exp, 'results.csv')) ? readTables(exp).results.map((r) => r.runId) : [];
}

function checkStopped(s: Stopped, label: string, code: number, before: string[]): void {
  latencies.push(`${label}: ${s.latency.toFixed(2)} s`);
  assert.equal(s.code, code, `${label}: exit code\n${s.output}`);
  assert.ok(s.latency < 2, `${label}: took ${s.latency.toFixed(2)} s to stop\n${s.output}`);
  assert.ok(!fs.existsSync(path.join(exp, '.lock')), `${label}: the lock is left behind`);
  const runLocks = fs.existsSync(path.join(exp, '.locks')) ? fs.readdirSync(path.join(exp, '.locks')) : [];
  assert.deepEqual(runLocks, [], `${label}: run locks left behind`);
  const after = doneRuns();
  for (const id of before) assert.ok(after.includes(id), `${label}: finished run ${id} lost`);
  // The run in progress is abandoned: no record, so a rerun does it again.
  const records = fs.existsSync(path.join(exp, 'runs')) ? fs.readdirSync(path.join(exp, 'runs')).filter((id) => fs.existsSync(path.join(exp, 'runs', id, 'record.json'))) : [];
  assert.deepEqual(records.sort(), [...after].sort(), `${label}: records and results.csv disagree`);
}

test('SIGINT during training stops within 2 s with exit 130', async () => {
  const s = await interrupt(/\[1\/2\] .* epoch 1\/2/, ['SIGINT']);
  checkStopped(s, 'SIGINT in training', 130, []);
});

test('SIGINT during the Lipschitz bounds stops within 2 s with exit 130', async () => {
  // The attack lines are logged when the attacks end and the Lipschitz stage begins.
  const s = await interrupt(/fgsm ε=0\.1: robust/, ['SIGINT']);
  checkStopped(s, 'SIGINT in Lipschitz', 130, []);
});

test('a second Ctrl-C exits at once; finished runs stay', async () => {
  const s = await interrupt(/\[2\/2\] .* epoch 1\/2/, ['SIGINT', 'SIGINT']);
  const before = doneRuns();
  assert.equal(before.length, 1, s.output);
  checkStopped(s, 'double SIGINT', 130, before);
  assert.ok(s.latency < 1, `double SIGINT took ${s.latency.toFixed(2)} s`);
});

test('SIGTERM inside one long attack batch stops within 2 s with exit 143', async () => {
  const before = doneRuns();
  // 3 s after the line, the clean evaluation is long done and the first PGD batch
  // (about a minute of work) has started.
  const s = await interrupt(/\[1\/2\] .*re-evaluating/, ['SIGTERM'], 3000, heavy);
  checkStopped(s, 'SIGTERM in a 1000-step PGD batch', 143, before);
  assert.match(s.output, /still busy 1 s after SIGTERM \(inside one long computation\); killed it/, 'the supervisor cut the batch short');
});

test('signal latencies (measured)', () => {
  console.log(`signal latencies: ${latencies.join('; ')}`);
  assert.ok(latencies.length >= 4);
});
