/**
 * What the report says (issue 17, items 4–7): the settings needed to rerun, 95% binomial
 * intervals on accuracies, a summary with one data-driven sentence per chart that says
 * when the data contradicts the expected direction, and "only one seed" when it is so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wilsonInterval } from '../src/claims/stats.js';
import { defaultReportSections } from '../src/charts/report.js';
import { settingsSection, SavedConfig } from '../src/charts/settings.js';
import { accuracyText, chartFindings, summarySection } from '../src/charts/summary.js';
import { CHARTS } from '../src/charts/specs.js';
import { worstCaseRobustAcc, mainEps } from '../src/results/worst-case.js';
import type { AttackRow } from '../src/results/rows.js';
import { syntheticTables } from './chartsFixture.js';

const text = (markup: string): string => markup.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');

test('wilsonInterval: the textbook values, inside [0, 1], not zero-width at 0 or n', () => {
  // 8 of 10: the Wilson interval is [0.4902, 0.9433] (Newcombe 1998, table I method 3).
  const a = wilsonInterval(8, 10);
  assert.ok(Math.abs(a.lo - 0.4902) < 1e-4 && Math.abs(a.hi - 0.9433) < 1e-4, JSON.stringify(a));
  // 0 of 200: [0, z²/(n+z²)] = [0, 0.01884].
  const z = wilsonInterval(0, 200);
  assert.equal(z.lo, 0);
  assert.ok(Math.abs(z.hi - 1.959964 ** 2 / (200 + 1.959964 ** 2)) < 1e-12);
  const full = wilsonInterval(200, 200);
  assert.ok(full.hi === 1 && full.lo < 1 && full.lo > 0.98);
  assert.equal(accuracyText([0.8], 10), '80.0% [49.0%, 94.3%]');
});

test('worst-case robust accuracy: the minimum over every attack of the norm at that ε, named', () => {
  const t = syntheticTables();
  const runId = t.results[0]!.runId;
  const at = (norm: AttackRow['norm'], eps: number) => t.attacks.filter((a) => a.runId === runId && a.norm === norm && a.eps === eps);
  const rows = at('linf', 0.1);
  assert.ok(rows.length >= 2, 'fixture has several ℓ∞ attacks');
  const w = worstCaseRobustAcc(t.attacks, runId, 'linf', 0.1)!;
  assert.equal(w.robustAcc, Math.min(...rows.map((r) => r.robustAcc)));
  assert.equal(w.attack, rows.find((r) => r.robustAcc === w.robustAcc)!.attack);
  // A new attack that breaks more points becomes the worst case without code changes.
  const ensemble = { ...rows[0]!, attack: 'autoattack-linf', robustAcc: w.robustAcc / 2 };
  assert.equal(worstCaseRobustAcc([...t.attacks, ensemble], runId, 'linf', 0.1)!.attack, 'autoattack-linf');
  assert.equal(worstCaseRobustAcc(t.attacks, runId, 'linf', 0.123), null);
  assert.equal(mainEps(t.attacks, 'linf'), 0.1);
});

test('settings: sizes, model, training, every method and attack option, versions, wall time', () => {
  const t = syntheticTables();
  const saved = SavedConfig.parse({
    source: 'experiments/synthetic.ts',
    config: {
      name: 'synthetic',
      data: { trainEvalSize: 1000 },
      models: [{ kind: 'mlp', hidden: [8] }],
      train: { epochs: 5, batchSize: 64, optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999 } },
      attacks: [{ name: 'pgd-linf', eps: [0, 0.1], options: { steps: 40 } }],
      attackSize: 500,
      lipschitz: { tol: 1e-5 },
    },
    environment: { lipbenchVersion: '9.9.9', gitCommit: 'abc123', tfjsVersion: '4.22.0', backend: 'cpu', node: 'v20.0.0', cpu: 'Test CPU', cores: 2 },
  });
  const page = text(settingsSection(t.results, t.attacks, saved).body.markup);
  for (const want of ['npx lipbench run experiments/synthetic.ts', 'Training examples 1000', 'Test examples (clean accuracy) 500', 'the first 500 test examples', 'Epochs 5', 'Batch size 64', '"beta1":0.9', '9.9.9, commit abc123', '4.22.0', 'Test CPU', 'Wall time per run']) {
    assert.ok(page.includes(want), `settings lack "${want}"`);
  }
  // The attack's defaults are filled in: stepSize, restarts and randomStart appear though the config named only steps.
  assert.match(page, /pgd-linf ℓ∞ 0, 0\.05, 0\.1, 0\.2 \{[^}]*"steps":40[^}]*"restarts":\d/);
  assert.match(page, /"randomStart":(true|false)/);
  for (const r of t.results) assert.ok(page.includes(r.runId), `no wall time for ${r.runId}`);
  assert.ok(page.includes('"attackSize": 500'), 'the resolved config is on the page');
  const bare = text(settingsSection(t.results, t.attacks, null).body.markup);
  assert.match(bare, /No config\.json/);
});

test('summary: intervals, "only one seed", one sentence per chart, contradictions said', () => {
  const t = syntheticTables();
  const one = { ...t, results: t.results.filter((r) => r.seed === 1), attacks: t.attacks.filter((a) => a.seed === 1), epochs: t.epochs.filter((e) => e.seed === 1) };
  const charts = CHARTS.map((c) => ({ name: c.name, title: c.title }));
  const single = text(summarySection(one, charts).body.markup);
  assert.match(single, /Only one seed was run/);
  assert.ok(!/\b1 seeds\b|\b1 runs\b/.test(defaultReportSections(one, []).map((s) => text(s.body.markup)).join(' ')));
  const r0 = one.results.find((r) => r.method === 'none')!;
  assert.ok(single.includes(accuracyText([r0.testAcc], r0.testSize)), 'clean accuracy with its Wilson interval');
  const several = text(summarySection(t, charts).body.markup);
  assert.doesNotMatch(several, /Only one seed/);
  assert.match(several, /seeds \[/);
  assert.equal(chartFindings(t).size, CHARTS.length);

  // Make the smallest-bound method the one with the largest gap: the sentence must say so.
  const lowest = [...one.results].sort((a, b) => a.lipUpper! - b.lipUpper!)[0]!;
  const flipped = { ...one, results: one.results.map((r) => (r.runId === lowest.runId ? { ...r, gapAcc: 0.5 } : r)) };
  assert.match(chartFindings(flipped).get('lip-vs-gap')!, /contrary to the expected direction/);
  assert.match(chartFindings(one).get('lip-vs-gap')!, /as expected/);
  // Likewise when the smallest bound is broken more often than a larger one.
  const broken = { ...one, attacks: one.attacks.map((a) => (a.runId === lowest.runId && a.eps > 0 ? { ...a, robustAcc: 0, successRate: 1 } : a)) };
  assert.match(chartFindings(broken).get('lip-vs-attack-success')!, /higher than .* at every ℓ∞ ε \(by up to [\d.]+ pp\).*contrary to the expected direction/);
  assert.match(chartFindings(one).get('lip-vs-attack-success')!, /as expected/);
});
