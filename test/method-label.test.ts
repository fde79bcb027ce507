/**
 * Method labels (issue 17, item 1): two variants of one regularizer (spectral-norm with
 * reshaped or operator σ, two clip values) must be two series in every chart, table
 * and claim, never one series with a fake seed range.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { expandRuns, parseExperiment } from '../src/config/experiment.js';
import { methodLabel, RegularizerSpec } from '../src/regularizers/index.js';
import { runKeyOf } from '../src/pipeline/run-experiment.js';
import { accuracyByMethodSpec, lipVsGapSpec, robustAccVsEpsSpec } from '../src/charts/specs.js';
import { attackTableSection } from '../src/charts/report-sections.js';
import { computeClaims } from '../src/claims/claims.js';
import { readTables, toCsv } from '../src/results/csv.js';
import { AttackRow, RunRow, type RunKey } from '../src/results/rows.js';
import type { TopLevelSpec } from '../src/charts/vl-types.js';
import { QUIET_ATTACK_COLUMNS } from './chartsFixture.js';

const spec = (raw: unknown): RegularizerSpec => RegularizerSpec.parse(raw);

test('methodLabel: the name alone at the defaults, every differing option otherwise', () => {
  assert.equal(methodLabel([spec({ name: 'spectral-norm' })]), 'spectral-norm');
  assert.equal(methodLabel([spec({ name: 'spectral-norm', sigma: 'reshaped' })]), 'spectral-norm', 'an explicit default is still the default');
  assert.equal(methodLabel([spec({ name: 'spectral-norm', sigma: 'operator' })]), 'spectral-norm(sigma=operator)');
  assert.equal(methodLabel([spec({ name: 'clip', c: 0.1 })]), 'clip(c=0.1)');
  assert.equal(methodLabel([spec({ name: 'l2', lambda: 1e-3 })]), 'l2', 'the main λ has its own column');
  assert.equal(
    methodLabel([spec({ name: 'spectral-norm', coeff: 2 }), spec({ name: 'l2', lambda: 1e-4, decoupled: true })]),
    'spectral-norm(coeff=2)+l2(decoupled=true)',
  );
  // Only the first λ is the run's λ column; a second one must be in the label.
  assert.equal(methodLabel([spec({ name: 'l2', lambda: 1e-4 }), spec({ name: 'grad-penalty', lambda: 1 })]), 'l2+grad-penalty(lambda=1)');
});

/** Two variants each of spectral-norm and clip, two seeds, as the grid expands them. */
function variantKeys(): RunKey[] {
  const cfg = parseExperiment('test', {
    name: 'variants',
    models: [{ kind: 'mlp', hidden: [8] }],
    methods: [{ name: 'spectral-norm' }, { name: 'spectral-norm', sigma: 'operator' }, { name: 'clip', c: 0.1 }, { name: 'clip', c: 0.05 }],
    seeds: [0, 1],
    train: { epochs: 1, batchSize: 32, optimizer: { name: 'adam', learningRate: 1e-3 } },
  });
  return expandRuns('test', cfg).map(runKeyOf);
}

function rowsFor(keys: readonly RunKey[]): { results: RunRow[]; attacks: AttackRow[] } {
  const results = keys.map((k, i) => ({
    ...k,
    regularizers: '[]',
    backend: 'cpu',
    threads: 1,
    epochs: 1,
    batchSize: 32,
    optimizer: 'adam',
    learningRate: 1e-3,
    trainSize: 100,
    testSize: 100,
    trainAcc: 0.9 + i * 0.001,
    testAcc: 0.85 + i * 0.002,
    trainLoss: 0.3,
    testLoss: 0.4,
    gapAcc: 0.05 - i * 0.001,
    gapLoss: 0.1,
    trainSeconds: 1,
    lipUpper: 2 + i,
    lipUpperFrobenius: 5 + i,
    lipUpperReshaped: null,
    lipLowerGrad: 1,
    lipLowerPgd: 0.5,
    lipLocalInterp: 1,
    lipLocalNoise: 1,
    powerIterTol: 1e-6,
  }));
  const attacks = keys.flatMap((k, i) =>
    [0, 0.1].map((eps) => ({
      ...k,
      attack: 'pgd-linf',
      norm: 'linf' as const,
      eps,
      n: 100,
      cleanAcc: 0.85,
      robustAcc: eps === 0 ? 0.85 : 0.5 - i * 0.01,
      successRate: eps === 0 ? 0 : 0.4,
      certifiedAcc: null,
      ...QUIET_ATTACK_COLUMNS,
      seconds: 1,
    })),
  );
  return { results, attacks };
}

/** Inline data rows of a spec: top level, or of its first concatenated panel. */
const values = (s: TopLevelSpec | null): Record<string, unknown>[] => {
  assert.ok(s !== null);
  const node = !('data' in s) && 'hconcat' in s ? (s.hconcat[0] as TopLevelSpec) : s;
  return (node as { data: { values: Record<string, unknown>[] } }).data.values;
};

test('a grid with two variants of one method gives two series in charts, tables and claims', () => {
  const keys = variantKeys();
  assert.deepEqual([...new Set(keys.map((k) => k.method))], ['spectral-norm', 'spectral-norm(sigma=operator)', 'clip(c=0.1)', 'clip(c=0.05)']);
  const { results, attacks } = rowsFor(keys);

  const gap = values(lipVsGapSpec(results));
  assert.equal(gap.length, 4, 'lip-vs-gap: one point per variant');
  for (const p of gap) assert.equal(p.seeds, 2, 'each point folds its own two seeds, not four runs of two variants');

  const robust = values(robustAccVsEpsSpec(attacks));
  assert.equal(new Set(robust.map((p) => p.series)).size, 4, 'robust-acc-vs-eps: one line per variant');

  const acc = values(accuracyByMethodSpec(results));
  assert.equal(new Set(acc.map((p) => p.method)).size, 4, 'accuracy-by-method: one row per variant');

  const table = attackTableSection(attacks).body.markup;
  assert.ok(table.includes('spectral-norm(sigma=operator)') && table.includes('clip(c=0.05)'), 'attack table names the variants');

  const claim2 = computeClaims('variants', { results, attacks, layers: [], epochs: [], failures: [] }).find((c) => c.claim === 2)!;
  assert.ok(claim2.measured.includes('spectral-norm(sigma=operator):') && claim2.measured.includes('clip(c=0.1):'), claim2.measured);
});

test('results written before the method column read back with the label derived from the regularizer list', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lipbench-method-'));
  try {
    const keys = variantKeys().slice(0, 4);
    const { results, attacks } = rowsFor(keys);
    // The specs the runs were made from, then the files as an older version wrote them.
    const specs = [[{ name: 'spectral-norm' }], [{ name: 'spectral-norm', sigma: 'operator' }]];
    const old = <R extends RunKey>(rows: R[]) => rows.map(({ method: _m, ...rest }) => rest);
    const withSpecs = results.map((r, i) => ({ ...r, regularizers: JSON.stringify(specs[Math.floor(i / 2)]) }));
    writeFileSync(path.join(dir, 'results.csv'), toCsv(RunRow.omit({ method: true }), old(withSpecs)));
    writeFileSync(path.join(dir, 'attacks.csv'), toCsv(AttackRow.omit({ method: true }), old(attacks.filter((a) => keys.some((k) => k.runId === a.runId)))));
    const t = readTables(dir);
    assert.deepEqual(t.results.map((r) => r.method), keys.map((k) => k.method));
    assert.deepEqual([...new Set(t.attacks.map((a) => a.method))], ['spectral-norm', 'spectral-norm(sigma=operator)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
