import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseShard, shardFromEnv, shardRunIds } from '../src/config/shard.js';
import { readTables } from '../src/results/csv.js';
import { runCli, spawnCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

test('shard assignment covers every run exactly once for n = 1…5', () => {
  const ids = Array.from({ length: 23 }, (_, i) => `run${(i * 7919).toString(16)}`);
  for (let n = 1; n <= 5; n++) {
    const seen = new Map<string, number>();
    for (let k = 1; k <= n; k++) for (const id of shardRunIds(ids, { index: k, count: n })) seen.set(id, (seen.get(id) ?? 0) + 1);
    assert.equal(seen.size, ids.length, `n=${n}: every run assigned`);
    for (const [id, c] of seen) assert.equal(c, 1, `n=${n}: ${id} assigned ${c} times`);
    const sizes = Array.from({ length: n }, (_, k) => shardRunIds(ids, { index: k + 1, count: n }).size);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: balanced ${sizes}`);
  }
  // Stable: the order the ids are listed in does not matter.
  assert.deepEqual([...shardRunIds([...ids].reverse(), { index: 2, count: 3 })].sort(), [...shardRunIds(ids, { index: 2, count: 3 })].sort());
});

test('shards come from --shard, Slurm job arrays or Kubernetes Indexed Jobs', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  assert.throws(() => parseShard('0/5'), /out of range/);
  assert.throws(() => parseShard('two'), /expected k\/n/);
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' }), { index: 1, count: 4 });
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }), { index: 4, count: 4 });
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '2', LIPBENCH_SHARD_COUNT: '3' }), { index: 3, count: 3 });
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '2' }), /set LIPBENCH_SHARD_COUNT/);
  assert.equal(shardFromEnv({}), undefined);
});

const TIMING = new Set(['trainSeconds', 'seconds']);
function withoutTiming(rows: readonly object[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));
}

test('three concurrent shards, then a merge, equal a single-process run; a diverging run is recorded as failed', async () => {
  const dir = tempDir('lipbench-shard-');
  // l2 with λ = 1e38 makes the loss infinite at once: the NaN/Inf-injecting run.
  const cfg = writeTinyExperiment(dir, 'grid', {
    methods: [{ name: 'none' }, { name: 'l2', lambda: [1e-4, 1e-3, 1e38] }, { name: 'spectral', lambda: 0.01 }],
    seeds: [0, 1],
  });
  const args = ['--backend', 'cpu', '--no-charts'];
  const sharded = path.join(dir, 'sharded');
  const procs = [1, 2, 3].map((k) => spawnCli(['run', cfg, '-o', sharded, '--shard', `${k}/3`, ...args]));
  const codes = await Promise.all(procs.map((p) => new Promise<number | null>((r) => p.on('close', r))));
  // The shard that holds a diverging run exits 3; the others 0.
  assert.ok(codes.every((c) => c === 0 || c === 3), `exit codes ${codes}`);
  const exp = path.join(sharded, 'grid');
  const merged = runCli(['merge', exp, '--no-charts']);
  assert.equal(merged.status, 0, merged.stderr);
  assert.match(merged.stdout, /merged 3 shard\(s\): 8 runs, 2 failed/);
  const again = runCli(['merge', exp, '--no-charts']);
  assert.equal(again.status, 0, 'merge is idempotent');

  const single = path.join(dir, 'single');
  const one = runCli(['run', cfg, '-o', single, ...args]);
  assert.equal(one.status, 3, 'a failed run makes the exit code 3');
  assert.match(one.stdout, /10 runs \(8 trained, 0 re-evaluated, 0 already done, 2 failed\)/);
  assert.match(one.stdout + one.stderr, /FAILED: training diverged: loss is (Infinity|NaN)/);

  const a = readTables(exp);
  const b = readTables(path.join(single, 'grid'));
  assert.equal(a.results.length, 8);
  assert.equal(new Set(a.results.map((r) => r.runId)).size, 8, 'no duplicates');
  for (const t of ['results', 'attacks', 'layers', 'epochs'] as const) {
    assert.deepEqual(withoutTiming(a[t]), withoutTiming(b[t]), `${t}.csv differs between sharded and single-process runs`);
  }
  assert.deepEqual(a.failures.map((f) => f.runId).sort(), b.failures.map((f) => f.runId).sort());
  assert.ok(a.failures.every((f) => f.lambda === 1e38 && /diverged/.test(f.reason)));

  // status lists them; a rerun skips the failed ones unless asked.
  const st = runCli(['status', path.join(single, 'grid')]);
  assert.match(st.stdout, /8 done, 2 failed, 0 trained but not evaluated, 0 missing, of 10/);
  const rerun = runCli(['run', cfg, '-o', single, ...args]);
  assert.match(rerun.stdout, /8 already done, 2 failed/);
  const retry = runCli(['run', cfg, '-o', single, '--retry-failed', ...args]);
  assert.match(retry.stdout, /0 trained, 0 re-evaluated, 8 already done, 2 failed/);

  // A stale shard folder holding the same run again is refused.
  fs.cpSync(path.join(exp, 'shards', '1-of-3'), path.join(exp, 'shards', '4-of-4'), { recursive: true });
  const dup = runCli(['merge', exp, '--no-charts']);
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, /appears in both 1-of-3 and 4-of-4/);
});
