import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

/** Each bad input: exit code 2, one line on stderr naming the problem, no stack trace, no results written. */
function expectUserError(args: string[], results: string, pattern: RegExp): void {
  const r = runCli([...args, '-o', results]);
  assert.equal(r.status, 2, `exit code ${r.status}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!fs.existsSync(results) || fs.readdirSync(results).length === 0, 'no results written');
}

const dir = tempDir('lipbench-cli-');
const results = path.join(dir, 'results');

test('a missing experiment is named, with the available ones', () => {
  expectUserError(['run', 'no-such-experiment'], results, /unknown experiment "no-such-experiment".*available: .*mnist-quick/);
  expectUserError(['run', path.join(dir, 'nope.json')], results, /nope\.json: no such experiment file/);
});

test('malformed JSON names the file', () => {
  const f = path.join(dir, 'broken.json');
  fs.writeFileSync(f, '{"name": "broken", ');
  expectUserError(['run', f], results, /broken\.json: malformed JSON/);
});

test('an unknown regularizer names the field and the known ones', () => {
  const f = writeTinyExperiment(dir, 'badreg', { methods: [{ name: 'none' }, { name: 'dropout-magic', lambda: 1 }] });
  expectUserError(['run', f], results, /badreg\.json: methods\[1\]\.name: unknown regularizer "dropout-magic" \(known: none, l2, spectral/);
});

test('an unknown model kind names the field', () => {
  const f = writeTinyExperiment(dir, 'badmodel', { models: [{ kind: 'transformer' }] });
  expectUserError(['run', f], results, /badmodel\.json: models\[0\]\.kind/);
});

test('λ < 0 is rejected with its path', () => {
  const f = writeTinyExperiment(dir, 'neglambda', { methods: [{ name: 'l2', lambda: [0.1, -1] }] });
  expectUserError(['run', f], results, /neglambda\.json: methods\[0\]\.lambda: .*>=0/);
});

test('zero epochs is rejected', () => {
  const f = writeTinyExperiment(dir, 'zeroepochs', { train: { epochs: 0 } });
  expectUserError(['run', f], results, /zeroepochs\.json: train\.epochs: epochs must be at least 1/);
});

test('an unknown attack is rejected with the registered ones', () => {
  const f = writeTinyExperiment(dir, 'badattack', { attacks: [{ name: 'deepfool', eps: [0.1] }] });
  expectUserError(['run', f], results, /badattack\.json: attacks\[0\]\.name: unknown attack "deepfool"/);
});

test('a bad backend name is rejected before anything runs', () => {
  const f = writeTinyExperiment(dir, 'okcfg');
  expectUserError(['run', f, '--backend', 'tpu'], results, /backend.*tpu.*expected one of auto, tfjs-node, wasm, cpu/);
});

test('charts on a folder without results says so', () => {
  const r = runCli(['charts', path.join(dir, 'empty')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no results\.csv here/);
});
