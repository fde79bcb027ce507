/**
 * Issue 21: the end-to-end benchmark's two sides (lipbench's pipeline stages and the
 * PyTorch script) do the same work on a tiny plan: the same optimizer steps, attacked
 * points, attack gradient steps and bound evaluations, each counted by the side that did
 * it and both checked against the plan's own arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { E2EPlan, parseE2E, type E2EWork } from '../bench/e2e.js';
import { ROOT } from './helpers/cli.js';

const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;

const plan: E2EPlan = E2EPlan.parse({
  trainSize: 300, testSize: 120, trainEvalSize: 100, hidden: [16],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 5e-4 }, { name: 'spectral', lambda: 0.02 }],
  epochs: 2, batchSize: 64, learningRate: 1e-3,
  attacks: [
    { name: 'fgsm', eps: [0, 0.1, 0.2] },
    { name: 'pgd-linf', eps: [0, 0.1], steps: 3, stepSize: 0.05 },
    { name: 'pgd-l2', eps: [0, 1, 2], steps: 2, relStepSize: 0.2 },
  ],
  attackSize: 90, attackBatchSize: 40, gradPoints: 70, seed: 0,
});

/** The work the plan implies, computed here from the plan alone. */
function expected(p: E2EPlan): E2EWork {
  const runs = p.methods.length;
  const n = p.attackSize;
  let points = 0;
  let grads = 0;
  let pairs = 0;
  for (const a of p.attacks) {
    const positive = a.eps.filter((e) => e > 0).length + (a.name === 'fgsm' ? 0 : 1); // + the box-covering ε
    points += positive * n;
    grads += positive * n * (a.name === 'fgsm' ? 1 : a.steps);
    pairs += positive * Math.min(500, n);
  }
  return {
    trainSteps: runs * p.epochs * Math.ceil(p.trainSize! / p.batchSize),
    attackPoints: runs * points,
    attackGradSteps: runs * grads,
    boundGradPoints: runs * 3 * Math.min(p.gradPoints, n),
    boundPairs: runs * pairs,
  };
}

test('lipbench and the PyTorch peer do the same end-to-end work', { skip: torchOk ? false : '/usr/bin/python3 cannot import torch' }, () => {
  const json = JSON.stringify(plan);
  const ours = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'e2e-lipbench.ts'), json, 'auto'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(ours.status, 0, ours.stderr);
  const peer = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'peer_e2e.py'), json], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIPBENCH_PEER_THREADS: '1' },
  });
  assert.equal(peer.status, 0, peer.stderr);
  const a = parseE2E(ours.stdout, 'lipbench');
  const b = parseE2E(peer.stdout, 'peer');
  const want = expected(plan);
  assert.deepEqual(a.work, want, 'lipbench');
  assert.deepEqual(b.work, want, 'PyTorch peer');
  for (const r of [a, b]) {
    assert.equal(r.testAcc.length, plan.methods.length);
    for (const s of ['train', 'evaluate', 'attacks', 'bounds'] as const) assert.ok(r.seconds[s] > 0 && r.seconds[s] <= r.seconds.total, `${r.side} ${s}`);
  }
});
