/**
 * Issue 21: the native addon's pool is sized from the CPUs the process may use (affinity
 * mask, cgroup v2 cpu.max or v1 CFS quota), overridable by LIPBENCH_NATIVE_THREADS. The rule
 * runs on fake inputs through planThreads, and the loaded addon is checked against the rule
 * on this machine's real inputs and under `taskset`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADDON_PATH } from '../src/node/native-addon.js';
import { tempDir } from './helpers/cli.js';
import { getAddon, nativeSkip as skip } from './helpers/native.js';

/** Writes files (path relative to root -> content) into a fresh fake cgroup mount. */
function fakeCgroup(files: Record<string, string>): string {
  const root = tempDir('lipbench-cgroup-');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('native thread count', { skip }, () => {
  it('follows the affinity mask, or the hardware count when the mask is unknown', () => {
    const addon = getAddon();
    const none = fakeCgroup({});
    for (const affinity of [1, 2, 7, 64]) assert.equal(addon.planThreads(affinity, 128, none, '0::/\n', null).threads, affinity);
    assert.equal(addon.planThreads(0, 12, none, '', null).threads, 12);
    assert.equal(addon.planThreads(0, 0, none, '', null).threads, 1);
  });

  it('is capped by a cgroup v2 cpu.max quota (rounded up), the tightest over the ancestors', () => {
    const addon = getAddon();
    for (let rep = 0; rep < 20; rep++) {
      const affinity = 1 + Math.floor(Math.random() * 32);
      const period = [50000, 100000][rep % 2];
      const quota = Math.floor(Math.random() * 16 * period) + 1000;
      const root = fakeCgroup({ 'app/cpu.max': `${quota} ${period}\n` });
      const plan = addon.planThreads(affinity, 64, root, '0::/app\n', null);
      const cpus = Math.ceil(quota / period);
      assert.equal(plan.quota, cpus, `quota ${quota}/${period}`);
      assert.equal(plan.threads, Math.min(affinity, cpus), `affinity ${affinity}, quota ${quota}/${period}`);
    }
    // Unlimited leaf under a limited parent; the limit applies from above.
    const nested = fakeCgroup({ 'a/cpu.max': '300000 100000\n', 'a/b/cpu.max': 'max 100000\n' });
    assert.deepEqual(addon.planThreads(16, 16, nested, '0::/a/b\n', null), { threads: 3, quota: 3 });
    // "max" alone, a missing file and garbage mean no limit.
    const open = fakeCgroup({ 'x/cpu.max': 'max 100000\n', 'y/cpu.max': 'nonsense' });
    assert.deepEqual(addon.planThreads(6, 6, open, '0::/x\n', null), { threads: 6, quota: 0 });
    assert.deepEqual(addon.planThreads(6, 6, open, '0::/y\n', null), { threads: 6, quota: 0 });
    // A host-side path that does not exist inside the container's mount: the mount's own file counts.
    const container = fakeCgroup({ 'cpu.max': '100000 100000\n' });
    assert.deepEqual(addon.planThreads(8, 8, container, '0::/docker/abc123\n', null), { threads: 1, quota: 1 });
  });

  it('reads a cgroup v1 CFS quota from the cpu hierarchy only', () => {
    const addon = getAddon();
    const self = '12:memory:/job\n4:cpu,cpuacct:/job\n1:name=systemd:/job\n';
    const limited = fakeCgroup({ 'cpu,cpuacct/job/cpu.cfs_quota_us': '250000\n', 'cpu,cpuacct/job/cpu.cfs_period_us': '100000\n' });
    assert.deepEqual(addon.planThreads(16, 16, limited, self, null), { threads: 3, quota: 3 });
    const unlimited = fakeCgroup({ 'cpu,cpuacct/job/cpu.cfs_quota_us': '-1\n', 'cpu,cpuacct/job/cpu.cfs_period_us': '100000\n' });
    assert.deepEqual(addon.planThreads(16, 16, unlimited, self, null), { threads: 16, quota: 0 });
    // The same files under a hierarchy that is not "cpu" (cpuacct alone) do not limit.
    const other = fakeCgroup({ 'cpu,cpuacct/job/cpu.cfs_quota_us': '100000\n', 'cpu,cpuacct/job/cpu.cfs_period_us': '100000\n' });
    assert.deepEqual(addon.planThreads(4, 4, other, '3:cpuacct:/job\n', null), { threads: 4, quota: 0 });
  });

  it('LIPBENCH_NATIVE_THREADS overrides when it is a positive integer', () => {
    const addon = getAddon();
    const root = fakeCgroup({ 'cpu.max': '100000 100000\n' });
    assert.equal(addon.planThreads(2, 2, root, '0::/\n', '6').threads, 6);
    for (const bad of ['0', '-3', 'two', '3x', '']) assert.equal(addon.planThreads(2, 2, root, '0::/\n', bad).threads, 1, `env=${bad}`);
  });

  it('the loaded pool follows the rule on this machine, and taskset narrows it', () => {
    const info = getAddon().info();
    const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
    const expected = getAddon().planThreads(info.affinityCpus, os.cpus().length, '/sys/fs/cgroup', self, process.env.LIPBENCH_NATIVE_THREADS ?? null);
    assert.equal(info.threads, expected.threads);
    assert.equal(info.quotaCpus, expected.quota);
    const which = spawnSync('taskset', ['-V'], { encoding: 'utf8' });
    if (which.error) return; // util-linux not installed: the fake-input tests above still ran
    const code = `const i = require(${JSON.stringify(ADDON_PATH)}).info(); console.log(JSON.stringify(i));`;
    const env = { ...process.env };
    delete env.LIPBENCH_NATIVE_THREADS;
    const r = spawnSync('taskset', ['-c', '0', process.execPath, '-e', code], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    const pinned = JSON.parse(r.stdout) as { threads: number; affinityCpus: number };
    assert.deepEqual([pinned.affinityCpus, pinned.threads], [1, 1]);
  });
});
