/**
 * Fault injection, issue 16 items 3 and 5–8: overlapping processes, sizes beyond the
 * data, diverged models, one-line messages for bad files, and leftovers. One tiny
 * grid is trained once and shared.
 */
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnvironmentError, UserError } from '../src/util/errors.js';
import { loadExperiment } from '../src/config/load.js';
import { loadModel } from '../src/node/model-files.js';
import { ensureDir } from '../src/util/atomic.js';
import { readTables, toCsv } from '../src/results/csv.js';
import { TABLES } from '../src/results/rows.js';
import { runCli, spawnCli, tempDir, writeTinyExperiment, type CliResult } from './helpers/cli.js';

const BACKEND = ['--backend', 'cpu', '--no-charts'];
const dir = tempDir('lipbench-faults-');
const out = path.join(dir, 'results');
const cfg = writeTinyExperiment(dir, 'faults');
const exp = path.join(out, 'faults');
let runIds: string[] = [];

before(async () => {
  runIds = (await loadExperiment(cfg)).runs.map((r) => r.runId);
  const r = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(r.status, 0, r.stderr);
});

/** Exit code 2 (or `code`), exactly one line on stderr, matching `pattern`. */
function oneLine(r: CliResult, pattern: RegExp, code = 2): void {
  assert.equal(r.status, code, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

function copyModel(name: string): string {
  const to = path.join(dir, name);
  fs.cpSync(path.join(exp, 'runs', runIds[0]!, 'model'), to, { recursive: true });
  return path.join(to, 'model.json');
}

// Item 3 --------------------------------------------------------------------------

test('a run held by a live process is refused to a shard and to an unsharded run alike', () => {
  const d = path.join(dir, 'lock3');
  const c = writeTinyExperiment(dir, 'lock3');
  const e = path.join(d, 'lock3');
  fs.mkdirSync(path.join(e, '.locks'), { recursive: true });
  // This test process is alive, so its pid makes the lock current.
  fs.writeFileSync(path.join(e, '.locks', `${runIds[1]}.lock`), JSON.stringify({ pid: process.pid }));
  for (const extra of [['--shard', '1/1'], []]) {
    const r = runCli(['run', c, '-o', d, ...extra, ...BACKEND]);
    oneLine(r, new RegExp(`run ${runIds[1]} of \\S+ is in use by process ${process.pid}`));
  }
  assert.ok(!fs.existsSync(path.join(e, 'runs')), 'nothing trained');
  assert.deepEqual(fs.readdirSync(path.join(e, '.locks')), [`${runIds[1]}.lock`], 'the refused processes released their locks');
});

test('an unsharded run and --shard 1/1 started together train each run once', async () => {
  const d = path.join(dir, 'race');
  const c = writeTinyExperiment(dir, 'race');
  const start = (extra: string[]) =>
    new Promise<CliResult>((resolve) => {
      const p = spawnCli(['run', c, '-o', d, ...extra, ...BACKEND]);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (x: Buffer) => (stdout += x));
      p.stderr.on('data', (x: Buffer) => (stderr += x));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const [a, b] = await Promise.all([start([]), start(['--shard', '1/1'])]);
  const trained = (r: CliResult) => Number(/\((\d+) trained/.exec(r.stdout)?.[1] ?? 0);
  assert.equal(trained(a) + trained(b), 3, `${a.stdout}${a.stderr}\n---\n${b.stdout}${b.stderr}`);
  for (const r of [a, b]) assert.ok(r.status === 0 || (r.status === 2 && /is in use by process/.test(r.stderr)), r.stderr);
});

// Item 5 --------------------------------------------------------------------------

/** The UserError loadExperiment throws for a config: its message, one line. */
async function loadError(file: string): Promise<string> {
  const e = await loadExperiment(file).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  assert.ok(!e.message.includes('\n'), e.message);
  return e.message;
}

test('sizes beyond the data are one-line input errors before anything is written', async () => {
  const base = { data: { trainSize: 300, testSize: 100 } };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ data: { trainSize: 100000 } }, /sizes\.json: data\.trainSize: 100000 is more than the 60000 training examples of mnist$/],
    [{ data: { testSize: 1000 }, attackSize: 5000 }, /sizes\.json: attackSize: 5000 is more than the 1000 test examples used/],
    [{ train: { epochs: 1, batchSize: 1e9 } }, /sizes\.json: train\.batchSize: 1000000000 is more than the 300 training examples used/],
    [{ data: { trainSize: 300, trainEvalSize: 301 } }, /sizes\.json: data\.trainEvalSize: 301 is more than the 300 training examples used/],
  ];
  for (const [over, pattern] of cases) assert.match(await loadError(writeTinyExperiment(dir, 'sizes', { ...base, ...over })), pattern);
  // Through the CLI: exit 2, one line, nothing written.
  const d = path.join(dir, 'sizes-out');
  oneLine(runCli(['run', writeTinyExperiment(dir, 'sizes', { data: { trainSize: 100000 } }), '-o', d, ...BACKEND]), /data\.trainSize: 100000 is more/);
  assert.ok(!fs.existsSync(d), 'nothing written');
  oneLine(runCli(['attack', copyModel('m-size'), '-a', 'fgsm', '-e', '0.1', '-n', '100000', '-b', 'cpu']), /-n: 100000 is more than the 10000 test examples of mnist/);
});

// Item 6 --------------------------------------------------------------------------

test('weights that overflow end the run as diverged at that epoch; --retry-failed retrains it', () => {
  const d = path.join(dir, 'nan');
  const c = writeTinyExperiment(dir, 'nan', { methods: [{ name: 'none' }], train: { epochs: 3, batchSize: 50, optimizer: { name: 'sgd', learningRate: 1e6 } } });
  const r = runCli(['run', c, '-o', d, ...BACKEND]);
  assert.equal(r.status, 3, r.stderr);
  const f = readTables(path.join(d, 'nan')).failures;
  assert.equal(f.length, 1);
  assert.match(f[0]!.reason, /^training diverged: .* at epoch 1$/);
  const runDir = path.join(d, 'nan', 'runs', f[0]!.runId);
  assert.ok(!fs.existsSync(path.join(runDir, 'model')) && !fs.existsSync(path.join(runDir, 'train.json')), 'the diverged model is not saved');
  const again = runCli(['run', c, '-o', d, '--retry-failed', ...BACKEND]);
  assert.match(again.stdout, /FAILED: training diverged: .* at epoch 1/, 'retried by training, not by re-evaluating');
  assert.doesNotMatch(again.stdout, /re-evaluating/);
});

test('--retry-failed retrains a saved model with NaN weights instead of re-evaluating it', () => {
  const d = path.join(dir, 'legacy');
  const e = path.join(d, 'faults');
  fs.cpSync(exp, e, { recursive: true });
  const id = runIds[0]!;
  // What the old code left behind: a NaN model saved, then its evaluation failed.
  const w = path.join(e, 'runs', id, 'model', 'weights.bin');
  fs.writeFileSync(w, Buffer.from(new Float32Array(fs.statSync(w).size / 4).fill(Number.NaN).buffer));
  fs.rmSync(path.join(e, 'runs', id, 'record.json'));
  fs.writeFileSync(path.join(e, 'runs', id, 'failed.json'), JSON.stringify({ runId: id, experiment: 'faults', dataset: 'mnist', model: 'mlp-16', regularizer: 'none', lambda: 0, seed: 0, reason: 'certifiedRadii: L must be a positive finite number, got NaN', at: new Date().toISOString() }));
  const r = runCli(['run', cfg, '-o', d, '--retry-failed', ...BACKEND]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /non-finite weights .*; training again/);
  assert.match(r.stdout, /3 runs \(1 trained, 0 re-evaluated, 2 already done, 0 failed\)/);
});

// Item 7 --------------------------------------------------------------------------

test('bad model files are one line naming the file, exit 2', async () => {
  const loadError = (m: string) =>
    loadModel(m).then(
      () => 'loaded',
      (e: unknown) => (e as Error).message,
    );
  const notJson = copyModel('m-json');
  fs.writeFileSync(notJson, 'hello\nworld\n');
  assert.equal(await loadError(notJson), `${notJson}: not a tfjs model.json (not valid JSON)`);
  const short = copyModel('m-short');
  const wShort = path.join(path.dirname(short), 'weights.bin');
  fs.truncateSync(wShort, 1000);
  assert.match(await loadError(short), new RegExp(`^${wShort}: 1000 bytes, but ${short} lists \\d+ bytes of weights \\(truncated; not this model's weights\\?\\)$`));
  const long = copyModel('m-long');
  const wLong = path.join(path.dirname(long), 'weights.bin');
  fs.appendFileSync(wLong, Buffer.alloc(200));
  assert.match(await loadError(long), new RegExp(`^${wLong}: \\d+ bytes, but ${long} lists \\d+ bytes of weights \\(extra bytes`));
  // Through the CLI: exit 2, the same single line.
  oneLine(runCli(['attack', notJson, '-a', 'fgsm', '-e', '0.1', '-n', '20', '-b', 'cpu']), new RegExp(`^lipbench: ${notJson}: not a tfjs model\\.json`));
});

test('a mistyped or infinite λ names the field', async () => {
  for (const lambda of ['"0.1"', '1e309']) {
    const f = writeTinyExperiment(dir, 'lam', { methods: [{ name: 'l2', lambda: 12345 }] });
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('12345', lambda));
    assert.match(await loadError(f), /lam\.json: methods\[0\]\.lambda: Invalid input: expected number, received (string|Infinity)$/);
  }
});

test('claims on a folder without results is a one-line input error', () => {
  fs.mkdirSync(path.join(dir, 'empty'));
  oneLine(runCli(['claims', path.join(dir, 'empty')]), /empty: no results\.csv here/);
});

test('a permission fault on mkdir is one line naming the folder', () => {
  const target = path.join(dir, 'denied', 'a', 'b');
  const m = mock.method(fs, 'mkdirSync', () => {
    throw Object.assign(new Error(`EACCES: permission denied, mkdir '${target}'`), { code: 'EACCES', syscall: 'mkdir', path: target });
  });
  try {
    assert.throws(() => ensureDir(target), (e: unknown) => e instanceof EnvironmentError && e.message === `${target}: permission denied (EACCES on mkdir)`);
  } finally {
    m.mock.restore();
  }
});

// A read-only mount answered ENOENT to a recursive mkdir. Needs a tmpfs (root).
const ro = tempDir('lipbench-ro-');
const roMount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro], { encoding: 'utf8' });
after(() => {
  if (roMount.status === 0) spawnSync('umount', [ro]);
});
test('a read-only results folder: one line naming it and EROFS, exit 1', { skip: roMount.status === 0 ? false : `cannot mount a tmpfs here (${(roMount.stderr || roMount.error?.message || '').trim()})` }, () => {
  oneLine(runCli(['run', cfg, '-o', path.join(ro, 'results'), ...BACKEND]), new RegExp(`^lipbench: ${ro}/results: read-only file system \\(EROFS on mkdir\\)$`), 1);
});

// Item 8 --------------------------------------------------------------------------

test('temporaries left by a killed process are removed by the next run', () => {
  const planted = [
    path.join(exp, '.results.csv.99999.0a0b0c0d.tmp'),
    path.join(exp, 'runs', runIds[0]!, 'model', '.weights.bin.99999.0a0b0c0d.tmp'),
    path.join(exp, 'charts', '.robust-vs-eps.svg.99999.0a0b0c0d.tmp'),
  ];
  for (const f of planted) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, 'partial');
  }
  const r = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(r.status, 0, r.stderr);
  for (const f of planted) assert.ok(!fs.existsSync(f), `${f} left behind`);
});

test('readers see one set of runs even when results.csv and attacks.csv disagree', () => {
  const d = path.join(dir, 'mixed');
  fs.cpSync(exp, d, { recursive: true });
  // A kill between two renames: attacks.csv is new (3 runs), results.csv still old (2 runs).
  const lines = fs.readFileSync(path.join(d, 'results.csv'), 'utf8').trimEnd().split('\n');
  fs.writeFileSync(path.join(d, 'results.csv'), `${lines.slice(0, -1).join('\n')}\n`);
  const t = readTables(d);
  const ids = new Set(t.results.map((r) => r.runId));
  assert.equal(ids.size, 2);
  for (const table of [t.attacks, t.layers, t.epochs]) assert.deepEqual(new Set(table.map((r) => r.runId)), ids);
});

test('a merged config.json names no shard; a header-only CSV has no blank line', () => {
  const r = runCli(['run', cfg, '-o', out, '--shard', '1/1', ...BACKEND]);
  assert.equal(r.status, 0, r.stderr);
  const m = runCli(['merge', exp, '--no-charts']);
  assert.equal(m.status, 0, m.stderr);
  const saved = JSON.parse(fs.readFileSync(path.join(exp, 'config.json'), 'utf8')) as { shard: unknown; runs: unknown[] };
  assert.equal(saved.shard, null);
  assert.equal(saved.runs.length, 3);
  assert.equal(toCsv(TABLES.failures, []), `${Object.keys(TABLES.failures.shape).join(',')}\n`);
  assert.ok(!fs.readFileSync(path.join(exp, 'failures.csv'), 'utf8').endsWith('\n\n'));
});
