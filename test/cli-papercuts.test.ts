/** CLI papercuts of issue 17, item 12: --version, list, status, attack --help, no issue numbers in help. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { expandRuns, parseExperiment } from '../src/config/experiment.js';
import { PgdOptions } from '../src/attacks/pgd-core.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

test('--version prints the package version and exits 0', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  }
});

test('help texts name no issue numbers; attack --help gives the PGD defaults the schema uses', () => {
  for (const args of [['--help'], ['wgan', '--help'], ['attack', '--help']]) {
    const r = runCli(args);
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.stdout, /\(issue \d+\)/, args.join(' '));
  }
  const help = runCli(['attack', '--help']).stdout.replace(/\s+/g, ' ');
  const defaults = PgdOptions.parse({}) as { steps: number; restarts: number; stepSize?: number };
  assert.match(help, new RegExp(`--steps <count> PGD steps \\(default: ${defaults.steps}\\)`));
  assert.match(help, new RegExp(`--restarts <count> .*\\(default: ${defaults.restarts}\\)`));
  assert.equal(defaults.stepSize, undefined, 'no fixed step size: the default is the 2.5·ε/steps rule');
  assert.match(help, /--step-size <size> .*\(default: 2\.5·ε\/steps/);
});

test('list gives each experiment with its one-line description', () => {
  const r = runCli(['list']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^mnist-quick +MLP on MNIST: none vs L2 weight decay vs spectral norm regularization$/m);
  for (const line of r.stdout.trim().split('\n')) assert.match(line, /^\S+ +\S/, `no description: ${line}`);
});

test('status shows each run\'s method label, λ and seed', () => {
  const dir = tempDir('lipbench-status-');
  const cfg = parseExperiment('t', {
    name: 'status-test',
    models: [{ kind: 'mlp', hidden: [8] }],
    methods: [{ name: 'spectral-norm', sigma: 'operator' }, { name: 'l2', lambda: 1e-3 }],
    train: { epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 1e-3 } },
  });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ source: 't', config: cfg, runs: expandRuns('t', cfg), shard: null }));
  const r = runCli(['status', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /spectral-norm\(sigma=operator\) +0 +0 +missing/);
  assert.match(r.stdout, /l2 +0\.001 +0 +missing/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('attack prints the settings it used, defaults filled in', { timeout: 120_000 }, async () => {
  const { initBackend } = await import('../src/node/backend.js');
  const { buildModel } = await import('../src/models/index.js');
  const { saveModel } = await import('../src/node/model-files.js');
  await initBackend('cpu');
  const dir = tempDir('lipbench-attack-');
  const model = buildModel({ kind: 'mlp', hidden: [8] }, [28, 28, 1], 10, 0);
  await saveModel(model, dir);
  model.dispose();
  const r = runCli(['attack', path.join(dir, 'model.json'), '-a', 'pgd-linf', '-e', '0,0.1', '-n', '20', '--steps', '3', '--backend', 'cpu']);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /pgd-linf on the first 20 mnist test points, seed 0, options \{[^}]*"steps":3[^}]*"randomStart":true[^}]*"restarts":1[^}]*\} \(step size 2\.5·ε\/steps\)/);
});
