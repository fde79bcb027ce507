import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certifiedCells, certifiedGapFinding, certifiedVsEmpiricalSpec } from '../src/charts/certified-vs-empirical.js';
import { compileChart, renderSvg } from '../src/charts/render.js';
import type { AttackRow } from '../src/results/rows.js';
import { QUIET_ATTACK_COLUMNS } from './chartsFixture.js';

function row(o: Partial<AttackRow> & Pick<AttackRow, 'runId' | 'attack' | 'norm' | 'eps' | 'robustAcc'>): AttackRow {
  return {
    experiment: 'x',
    dataset: 'mnist',
    model: 'mlp',
    regularizer: 'gloro',
    method: 'gloro',
    lambda: 0,
    seed: 0,
    n: 100,
    cleanAcc: 0.98,
    successRate: 0,
    certifiedAcc: null,
    ...QUIET_ATTACK_COLUMNS,
    seconds: 0,
    ...o,
  };
}

/** Two seeds of one method, two ℓ2 attacks at ε = 0.3, and one ℓ∞ attack without certificates. */
function rows(): AttackRow[] {
  const out: AttackRow[] = [];
  for (const [seed, k] of [[0, 0], [1, 0.02]] as const) {
    const runId = `r${seed}`;
    out.push(
      row({ runId, seed, attack: 'pgd-l2', norm: 'l2', eps: 0, robustAcc: 0.98, certifiedAcc: 0.98, certifiedPairwiseAcc: 0.98 }),
      row({ runId, seed, attack: 'pgd-l2', norm: 'l2', eps: 0.3, robustAcc: 0.95 - k, certifiedAcc: 0.6 - k, certifiedPairwiseAcc: 0.9 - k, certifiedCrownAcc: seed === 0 ? 0.92 : null }),
      row({ runId, seed, attack: 'autoattack-l2', norm: 'l2', eps: 0.3, robustAcc: 0.93 - k, certifiedAcc: 0.6 - k, certifiedPairwiseAcc: 0.9 - k }),
      row({ runId, seed, attack: 'pgd-linf', norm: 'linf', eps: 0.1, robustAcc: 0.5 }),
    );
  }
  return out;
}

test('certified-vs-empirical cells: worst attack per run, then the seed mean; a certificate only when every seed has it; ε = 0 and uncertified norms left out', () => {
  const cells = certifiedCells(rows());
  assert.equal(cells.length, 1, 'only ℓ2 ε = 0.3 carries a certificate at ε > 0');
  const c = cells[0]!;
  assert.deepEqual([c.norm, c.eps, c.seeds], ['l2', 0.3, 2]);
  // Independently: worst attack per seed is autoattack (0.93, 0.91), mean 0.92.
  assert.ok(Math.abs(c.robust - (0.93 + 0.91) / 2) < 1e-12, String(c.robust));
  assert.ok(Math.abs(c.clean - 0.98) < 1e-12);
  assert.ok(Math.abs(c.certified.get('certified: pairwise K_yj')! - (0.9 + 0.88) / 2) < 1e-12);
  assert.ok(Math.abs(c.certified.get('certified: global margin/(√2·L)')! - (0.6 + 0.58) / 2) < 1e-12);
  assert.ok(!c.certified.has('certified: CROWN'), 'CROWN was computed for one seed only');
  // The invariant the chart is there to show.
  for (const v of c.certified.values()) assert.ok(v <= c.robust && c.robust <= c.clean);
});

test('certified-vs-empirical: null without certificates; renders without vega warnings; the bar spans lowest certificate → robust', async () => {
  assert.equal(certifiedVsEmpiricalSpec(rows().filter((r) => r.norm === 'linf')), null);
  assert.equal(certifiedGapFinding(rows().filter((r) => r.norm === 'linf')), null);
  const spec = certifiedVsEmpiricalSpec(rows());
  assert.ok(spec);
  const values = (spec as { data: { values: Record<string, unknown>[] } }).data.values;
  const span = values.find((v) => v['kind'] === 'span')!;
  assert.ok(Math.abs((span['lo'] as number) - 0.59) < 1e-12 && Math.abs((span['hi'] as number) - 0.92) < 1e-12, JSON.stringify(span));
  assert.equal(values.filter((v) => v['kind'] === 'point').length, 4, 'clean, robust, global, pairwise');
  const { vega, warnings } = compileChart(spec);
  assert.deepEqual(warnings, []);
  assert.deepEqual((await renderSvg(vega)).warnings, []);
});

test('certified-vs-empirical finding names the gap, and says VIOLATION when a certificate beats the attacks', () => {
  const ok = certifiedGapFinding(rows())!;
  assert.match(ok, /gloro at ℓ2 ε = 0\.3 \(robust 92\.0%, pairwise K_yj 89\.0%\)/);
  assert.doesNotMatch(ok, /VIOLATION/);
  const broken = rows().map((r) => (r.eps === 0.3 ? { ...r, certifiedPairwiseAcc: 0.97 } : r));
  assert.match(certifiedGapFinding(broken)!, /^VIOLATION: a certificate exceeds the empirical robust accuracy in 1 cell/);
});
