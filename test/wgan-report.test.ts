/**
 * The WGAN report's "Not drawn" note lists WGAN charts without data, never the
 * classifier charts (issue 17, item 3).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CHARTS } from '../src/charts/specs.js';
import { WGAN_CHARTS } from '../src/wgan/charts.js';
import { renderWganResults } from '../src/wgan/report.js';
import { writeWganRows, type WganRow } from '../src/wgan/rows.js';

function rows(kind: string, seed: number): WganRow[] {
  return [1, 2].map((epoch) => ({
    runId: `${kind}-${seed}`, experiment: 'x', variant: kind, kind, seed, epoch, criticSteps: 10, generatorSteps: 2, trainSeconds: 5 * epoch, epochSeconds: 5,
    secondsPerCriticStep: 0.05, secondsPerGeneratorStep: 0.02, wassersteinTrain: 1, wassersteinEval: 1 / epoch, criticLoss: -1, generatorLoss: 1, penalty: 0.1,
    // No classifier confidence or class entropy measured: those two charts have nothing to draw.
    frechet: 40 / epoch + seed, confidence: null, classEntropy: null, lipUpper: 3, lipUpperReshaped: 2, powerIterTol: 1e-6, lipLowerReal: 0.5, lipLowerFake: 0.6, lipLowerInterp: 0.7, gradNormMeanInterp: 0.4, backend: 'cpu', samples: `runs/${kind}-${seed}/samples/epoch-00${epoch}.png`,
  }));
}

test('WGAN report: "Not drawn" names the WGAN charts without data, and no classifier chart', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lipbench-wgan-report-'));
  try {
    writeWganRows(dir, [...rows('gp', 0), ...rows('sn', 0)]);
    const out = await renderWganResults(dir);
    const page = readFileSync(out.report, 'utf8');
    const drawn = new Set(out.charts.map((c) => c.name));
    const skipped = WGAN_CHARTS.filter((c) => !drawn.has(c.name));
    assert.ok(skipped.some((c) => c.name === 'wgan-confidence'), 'the fixture leaves a WGAN chart undrawn');
    const note = /Not drawn \(no rows to plot\): ([^<]*)\./.exec(page);
    assert.ok(note, 'a "Not drawn" note');
    assert.deepEqual(note[1]!.split(', '), skipped.map((c) => c.title));
    for (const c of CHARTS) assert.ok(!note[1]!.includes(c.title), `classifier chart "${c.title}" listed in the WGAN report`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
