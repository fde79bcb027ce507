import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseExperiment, expandRuns } from '../src/config/experiment.js';
import { runExperiment } from '../src/pipeline/run-experiment.js';
import { REGULARIZER_NAMES } from '../src/regularizers/index.js';
import { readTables } from '../src/results/csv.js';
import { tempDir } from './helpers/cli.js';
import { initBackend } from '../src/node/backend.js';

/** One example per registered regularizer; the test fails when a new one has no row. */
const EXAMPLES: Record<string, Record<string, unknown>> = {
  none: { name: 'none' },
  l2: { name: 'l2', lambda: 1e-3 },
  spectral: { name: 'spectral', lambda: 0.05 },
  'spectral-norm': { name: 'spectral-norm' },
  'spectral-projection': { name: 'spectral-projection', c: 1 },
  'grad-penalty': { name: 'grad-penalty', lambda: 0.1, points: 'data' },
  clip: { name: 'clip', c: 0.05 },
  'frobenius-norm': { name: 'frobenius-norm', c: 2 },
  'adversarial-training': { name: 'adversarial-training', eps: 0.1, steps: 2 },
  gloro: { name: 'gloro', eps: 0.3, warmupSteps: 4 },
  'lipschitz-margin': { name: 'lipschitz-margin', eps: 0.3, pairwise: false },
  orthonormal: { name: 'orthonormal' },
};

test('every registered regularizer has a soundness example', () => {
  assert.deepEqual([...REGULARIZER_NAMES].sort(), Object.keys(EXAMPLES).sort());
});

test('on trained models of every regularizer, every lower bound ≤ the upper bound', async () => {
  // wasm: the conv-heavy methods (gradient penalty, adversarial training) are ~10× faster there.
  const backend = await initBackend('wasm');
  const cfg = parseExperiment('soundness', {
    name: 'soundness',
    data: { trainSize: 256, testSize: 64 },
    models: [{ kind: 'cnn', filters: [4], dense: 16 }],
    methods: Object.values(EXAMPLES),
    train: { epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 3e-3 } },
    attacks: [{ name: 'pgd-linf', eps: [0.05, 0.3], steps: 5 }, { name: 'pgd-l2', eps: [0.5, 2], steps: 5 }],
    lipschitz: { gradPoints: 64, ascentSteps: 2 },
  });
  const root = tempDir('lipbench-sound-');
  const s = await runExperiment({ source: 'soundness', config: cfg, runs: expandRuns('soundness', cfg) }, { resultsRoot: root, backend, log: () => {}, progress: false });
  assert.equal(s.failed, 0);
  const t = readTables(path.join(root, 'soundness'));
  assert.equal(t.results.length, REGULARIZER_NAMES.length);
  for (const r of t.results) {
    assert.ok(r.lipUpper !== null && r.lipLowerGrad !== null && r.lipLowerPgd !== null, r.regularizer);
    assert.ok(r.lipLowerGrad <= r.lipUpper * (1 + 1e-5), `${r.regularizer}: gradient bound ${r.lipLowerGrad} > upper ${r.lipUpper}`);
    assert.ok(r.lipLowerPgd <= r.lipUpper * (1 + 1e-5), `${r.regularizer}: pair bound ${r.lipLowerPgd} > upper ${r.lipUpper}`);
    assert.ok(r.lipUpper <= r.lipUpperFrobenius! * (1 + 1e-5), `${r.regularizer}: Frobenius product ${r.lipUpperFrobenius} < operator product ${r.lipUpper}`);
    assert.ok(r.lipLowerGrad > 0);
  }
  const certified = t.attacks.filter((a) => a.norm === 'l2');
  for (const a of certified) {
    assert.ok(a.certifiedAcc !== null && a.certifiedAcc <= a.robustAcc + 1e-12, `${a.regularizer} ε=${a.eps}: certified ${a.certifiedAcc} > empirical robust ${a.robustAcc}`);
  }
});
