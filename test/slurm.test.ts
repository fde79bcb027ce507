/**
 * The shipped Slurm job-array script, submitted for real to the Slurm that
 * .ci/slurm-up.sh starts: 3 array tasks from a fresh clone of this checkout, then
 * `lipbench merge`, equal cell for cell (apart from timing) to a serial run.
 * Skipped, with the reason, where no Slurm answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readTables } from '../src/results/csv.js';
import { ROOT, runCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
const idle = sinfo.status === 0 && /idle|mix|alloc/.test(sinfo.stdout);
const skip = idle ? false : `no Slurm answers here (${(sinfo.stderr || sinfo.error?.message || sinfo.stdout || 'sinfo failed').trim().split('\n').pop()}); .ci/slurm-up.sh starts one`;

const TIMING = new Set(['seconds', 'trainSeconds']);
function comparable(dir: string) {
  const t = readTables(dir);
  const strip = (rows: readonly object[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));
  return { results: strip(t.results), attacks: strip(t.attacks), layers: strip(t.layers), epochs: strip(t.epochs), failures: t.failures.length };
}

test('sbatch --array=1-3 of experiments/cluster/slurm-array.sh from a fresh clone, merged, equals a serial run', { skip, timeout: 600_000 }, () => {
  const dir = tempDir('lipbench-slurm-');
  const cfg = writeTinyExperiment(dir, 'slurm');
  // A fresh checkout: what git tracks, plus this checkout's installed node_modules
  // (the one-time `npm ci` the script asks for before submitting).
  const clone = path.join(dir, 'checkout');
  const git = spawnSync('git', ['clone', '-q', '--no-hardlinks', ROOT, clone], { encoding: 'utf8' });
  assert.equal(git.status, 0, git.stderr);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  assert.ok(fs.existsSync(path.join(clone, 'logs')), 'a fresh checkout has logs/ for #SBATCH --output');

  const out = path.join(dir, 'results');
  // The script asks for 2 CPUs and 8 GB per task; the test node may be smaller.
  const sb = spawnSync('sbatch', ['--parsable', '--array=1-3', '--cpus-per-task=1', '--mem=1G', 'experiments/cluster/slurm-array.sh', cfg, '-o', out, '--backend', 'cpu', '--no-charts'], {
    cwd: clone,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(sb.status, 0, `sbatch: ${sb.stdout}${sb.stderr}`);
  const jobId = sb.stdout.trim().split(';')[0]!;
  // Poll every 0.5 s (sbatch --wait backs off to 10 s between polls).
  const deadline = Date.now() + 540_000;
  while (spawnSync('squeue', ['-h', '-j', jobId], { encoding: 'utf8' }).stdout.trim() !== '' && Date.now() < deadline) {
    spawnSync('sleep', ['0.5']);
  }
  const states = spawnSync('scontrol', ['-o', 'show', 'job', jobId], { encoding: 'utf8' }).stdout.match(/JobState=\w+/g) ?? [];
  const logs = fs.readdirSync(path.join(clone, 'logs')).filter((f) => f.endsWith('.out'));
  const logText = logs.map((f) => `--- ${f}\n${fs.readFileSync(path.join(clone, 'logs', f), 'utf8')}`).join('\n');
  assert.deepEqual(states, ['JobState=COMPLETED', 'JobState=COMPLETED', 'JobState=COMPLETED'], logText);
  assert.equal(logs.length, 3, logText);
  for (const k of [1, 2, 3]) assert.ok(fs.existsSync(path.join(out, 'slurm', 'shards', `${k}-of-3`, 'results.csv')), `shard ${k}/3 wrote no results\n${logText}`);

  const merged = runCli(['merge', path.join(out, 'slurm'), '--no-charts']);
  assert.equal(merged.status, 0, merged.stderr);
  const serial = runCli(['run', cfg, '-o', path.join(dir, 'serial'), '--backend', 'cpu', '--no-charts']);
  assert.equal(serial.status, 0, serial.stderr);
  const a = comparable(path.join(out, 'slurm'));
  assert.equal(a.results.length, 3);
  assert.deepEqual(a, comparable(path.join(dir, 'serial', 'slurm')));
});
