/**
 * The certificate columns of attacks.csv and the invariant
 * certified ≤ empirical robust ≤ clean, checked on every run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseExperiment, expandRuns } from '../src/config/experiment.js';
import { runExperiment } from '../src/pipeline/run-experiment.js';
import { readTables } from '../src/results/csv.js';
import type { AttackRow } from '../src/results/rows.js';
import { CertifiedInvariantError, checkCertifiedInvariant, certifiedInvariantViolations } from '../src/pipeline/certified-invariant.js';
import { initBackend } from '../src/node/backend.js';
import { tempDir } from './helpers/cli.js';

function row(over: Partial<AttackRow>): AttackRow {
  return {
    runId: 'r1', experiment: 'e', dataset: 'mnist', model: 'm', regularizer: 'none', method: 'none', lambda: 0, seed: 0,
    attack: 'pgd-l2', norm: 'l2', eps: 0.5, n: 100, cleanAcc: 0.9, robustAcc: 0.5, successRate: 0.4,
    certifiedAcc: 0.2, flagPgdWeakerThanFgsm: false, flagRobustAccRises: false, flagLargeEpsNotZero: false, flagZeroGrad: false,
    flagZeroStep: false, flagGradientMasking: false, members: '', brokenBy: '', seconds: 1,
    ...over,
  };
}

test('the invariant holds against the worst attack at each (run, norm, ε), and each kind of violation is named', () => {
  const ok = [row({}), row({ attack: 'fgm-l2', robustAcc: 0.6, certifiedPairwiseAcc: 0.45, certifiedCrownAcc: 0.5 })];
  assert.equal(checkCertifiedInvariant(ok).length, 2);
  // A certificate above the worst attack (not merely above a weaker one) is a violation.
  const tooHigh = [row({ certifiedCrownAcc: 0.55 }), row({ attack: 'fgm-l2', robustAcc: 0.6 })];
  assert.throws(() => checkCertifiedInvariant(tooHigh), (e: unknown) => e instanceof CertifiedInvariantError && /certifiedCrownAcc 0.55 > empirical robust 0.5 \(pgd-l2\)/.test(e.message));
  assert.match(certifiedInvariantViolations([row({ robustAcc: 0.95 })]).join(), /empirical robust 0.95 \(pgd-l2\) > clean 0.9/);
  assert.match(certifiedInvariantViolations([row({}), row({ attack: 'x', n: 50 })]).join(), /different numbers of points/);
  // Groups are separate: a high certificate at another ε or norm is judged against its own attacks.
  assert.deepEqual(certifiedInvariantViolations([row({}), row({ norm: 'linf', eps: 0.5, robustAcc: 0.1, certifiedAcc: null, certifiedIbpAcc: 0.05 })]), []);
  assert.equal(certifiedInvariantViolations([row({ norm: 'linf', eps: 0.5, robustAcc: 0.1, certifiedAcc: null, certifiedIbpAcc: 0.2 })]).length, 1);
});

test('a run fills the pairwise, IBP and CROWN columns on the attacked points, ordered global ≤ pairwise and IBP ≤ CROWN ≤ robust', async () => {
  const backend = await initBackend('cpu');
  const cfg = parseExperiment('certify-pipeline', {
    name: 'certify-pipeline',
    data: { trainSize: 512, testSize: 64 },
    models: [{ kind: 'mlp', hidden: [24, 16] }],
    methods: [{ name: 'spectral-norm' }],
    train: { epochs: 2, batchSize: 64, optimizer: { name: 'adam', learningRate: 3e-3 } },
    attacks: [{ name: 'pgd-linf', eps: [0, 0.02, 0.1], steps: 10 }, { name: 'pgd-l2', eps: [0, 0.3, 1], steps: 10 }],
    attackSize: 48,
    lipschitz: { gradPoints: 32, certificates: ['pairwise', 'ibp', 'crown'] },
  });
  const root = tempDir('lipbench-cert-');
  const s = await runExperiment({ source: 'certify-pipeline', config: cfg, runs: expandRuns('certify-pipeline', cfg) }, { resultsRoot: root, backend, log: () => {}, progress: false });
  assert.equal(s.failed, 0);
  const t = readTables(path.join(root, 'certify-pipeline'));
  assert.equal(t.attacks.length, 6);
  for (const a of t.attacks) {
    assert.ok(a.certifiedIbpAcc !== null && a.certifiedIbpAcc !== undefined, `${a.attack} ε=${a.eps}: no IBP column`);
    assert.ok(a.certifiedCrownAcc !== null && a.certifiedCrownAcc !== undefined);
    assert.ok(a.certifiedIbpAcc <= a.certifiedCrownAcc + 1e-12, `ε=${a.eps}: IBP ${a.certifiedIbpAcc} > CROWN ${a.certifiedCrownAcc}`);
    assert.ok(a.certifiedCrownAcc <= a.robustAcc + 1e-12);
    if (a.norm === 'l2') {
      assert.ok(a.certifiedPairwiseAcc !== null && a.certifiedPairwiseAcc !== undefined && a.certifiedAcc !== null);
      assert.ok(a.certifiedAcc <= a.certifiedPairwiseAcc + 1e-12 && a.certifiedPairwiseAcc <= a.robustAcc + 1e-12);
    } else {
      assert.equal(a.certifiedPairwiseAcc, null);
    }
  }
  // At ε = 0 every certificate counts the correctly classified points (margin > 0).
  for (const a of t.attacks.filter((r) => r.eps === 0)) assert.equal(a.certifiedCrownAcc, a.cleanAcc);
  // Something is certified above ε = 0, or the orderings above say nothing.
  assert.ok(t.attacks.some((a) => a.eps > 0 && (a.certifiedCrownAcc ?? 0) > 0));
});
