/** The tightest lower bound (issue 17, item 2): the largest probe wins, and it is named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tightestLowerBound } from '../src/results/lower-bound.js';
import { runOutcome } from '../src/pipeline/run-experiment.js';
import { runTableSection } from '../src/charts/report-sections.js';
import { syntheticTables } from './chartsFixture.js';

const base = syntheticTables().results[0]!;

test('tightestLowerBound: the largest measured probe, named; null when none was measured', () => {
  const g = base.lipLowerGrad!;
  const row = { ...base, lipLowerGrad: g, lipLowerPgd: g * 1.04, lipLocalInterp: g * 1.02, lipLocalNoise: null };
  assert.deepEqual(tightestLowerBound(row), { value: g * 1.04, column: 'lipLowerPgd', probe: 'PGD pairs ‖f(x′)−f(x)‖/‖x′−x‖' });
  const interp = { ...row, lipLocalInterp: g * 1.1 };
  assert.equal(tightestLowerBound(interp)!.column, 'lipLocalInterp');
  assert.equal(tightestLowerBound({ lipLowerGrad: null, lipLowerPgd: null, lipLocalInterp: Number.NaN, lipLocalNoise: 0 }), null);
});

test('run log and report use the tightest lower bound, not the gradient one', () => {
  const g = base.lipLowerGrad!;
  const row = { ...base, lipLowerPgd: g * 1.5 };
  const line = runOutcome(row);
  assert.ok(line.includes(`L ≥ ${(g * 1.5).toPrecision(4)} (PGD pairs`), line);
  assert.ok(!line.includes(`L ≥ ${g.toPrecision(4)}`), line);
  const table = runTableSection([row]).body.markup;
  const ratio = Number((row.lipUpper! / (g * 1.5)).toPrecision(4)).toString();
  assert.ok(table.includes(`${ratio}×`), `upper / tightest lower = ${ratio}× in ${table}`);
  assert.ok(table.includes('PGD pairs'), 'the probe is named');
});
