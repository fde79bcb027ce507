import { after, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../src/util/errors.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { readTables } from '../src/results/csv.js';
import { runCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('writeFileAtomic loops over short writes instead of renaming a truncated file', () => {
  const dir = tempDir('lipbench-short-');
  const file = path.join(dir, 'epochs.csv');
  const text = 'x,'.repeat(5000);
  // write(2) may return fewer bytes than asked; this one writes at most 4096 per call.
  const real = fs.writeSync;
  const w = mock.method(fs, 'writeSync', ((fd: number, buf: Uint8Array, off?: number, len?: number) =>
    (real as (fd: number, b: Uint8Array, o: number, l: number) => number)(fd, buf, off ?? 0, Math.min(len ?? buf.byteLength - (off ?? 0), 4096))) as typeof fs.writeSync);
  try {
    writeFileAtomic(file, text);
  } finally {
    w.mock.restore();
  }
  assert.ok(w.mock.callCount() >= 3, `expected several partial writes, got ${w.mock.callCount()}`);
  assert.equal(fs.readFileSync(file, 'utf8'), text);
  assert.deepEqual(leftovers(dir), []);
});

test('a write failing with ENOSPC keeps the old file, removes the temporary and names the path', () => {
  const dir = tempDir('lipbench-enospc-');
  const file = path.join(dir, 'results.csv');
  fs.writeFileSync(file, 'old contents\n');
  let calls = 0;
  const real = fs.writeSync;
  // The first write gets 10 bytes through, the second finds the disk full: what a full disk does.
  const w = mock.method(fs, 'writeSync', ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
    if (++calls >= 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    return (real as (fd: number, b: Uint8Array, o: number, l: number) => number)(fd, buf, off ?? 0, Math.min(len ?? 10, 10));
  }) as typeof fs.writeSync);
  try {
    assert.throws(
      () => writeFileAtomic(file, 'new contents that do not fit\n'),
      (e: unknown) => e instanceof EnvironmentError && e.code === 'ENOSPC' && e.message.startsWith(`${file}: no space left`),
    );
  } finally {
    w.mock.restore();
  }
  assert.equal(fs.readFileSync(file, 'utf8'), 'old contents\n');
  assert.deepEqual(leftovers(dir), []);
});

// A real full disk: a 120 KiB tmpfs fills up during the second run of the tiny grid.
// Needs root and a kernel that lets this process mount; elsewhere the stubbed-fs
// tests above cover the same code path.
const mnt = tempDir('lipbench-tmpfs-');
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=120k', 'tmpfs', mnt], { encoding: 'utf8' });
const canMount = mounted.status === 0;
after(() => {
  if (canMount) spawnSync('umount', [mnt]);
});

test('a grid run into a full tmpfs exits 1 with one line and leaves no truncated file', { skip: canMount ? false : `cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()})` }, () => {
  const cfg = writeTinyExperiment(tempDir('lipbench-full-'), 'full');
  const r = runCli(['run', cfg, '-o', mnt, '--backend', 'cpu', '--no-charts']);
  assert.equal(r.status, 1, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^lipbench: ${mnt}/full/\\S+: no space left on the device \\(ENOSPC`));
  const exp = path.join(mnt, 'full');
  // Every file is whole: JSON parses, weights match their manifest, CSVs validate.
  const files = (fs.readdirSync(exp, { recursive: true }) as string[]).map((f) => path.join(exp, f)).filter((f) => fs.statSync(f).isFile());
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temporary left behind');
  for (const f of files.filter((f) => f.endsWith('.json'))) JSON.parse(fs.readFileSync(f, 'utf8'));
  for (const f of files.filter((f) => f.endsWith('model.json'))) {
    const m = JSON.parse(fs.readFileSync(f, 'utf8')) as { weightsManifest: { weights: { shape: number[] }[] }[] };
    const values = m.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(fs.statSync(path.join(path.dirname(f), 'weights.bin')).size, values * 4, `${f}: weights.bin is truncated`);
  }
  const t = readTables(exp);
  assert.ok(t.results.length >= 1 && t.results.length < 3, `results.csv lists ${t.results.length} runs`);
  for (const a of t.attacks) assert.ok(t.results.some((x) => x.runId === a.runId));
  // Room again: the rerun finishes the grid without retraining what was done.
  spawnSync('mount', ['-o', 'remount,size=4m', mnt]);
  const again = runCli(['run', cfg, '-o', mnt, '--backend', 'cpu', '--no-charts']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readTables(exp).results.length, 3);
});
