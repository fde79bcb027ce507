import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandWganRuns, WganExperiment } from '../src/wgan/config.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readVerdicts, writeVerdicts, type WganRow } from '../src/wgan/rows.js';
import { computeVerdicts, verdictOf } from '../src/wgan/verdicts.js';
import { loadWganExperiment } from '../src/wgan/load.js';

test('variant defaults follow the papers: gp λ=10, n_critic=5, Adam(1e-4, 0, 0.9); clip 0.01 with RMSprop(5e-5)', () => {
  const cfg = WganExperiment.parse({ name: 'x', variants: [{ kind: 'gp' }, { kind: 'gp-one-sided' }, { kind: 'sn' }, { kind: 'clip' }], train: { epochs: 1 } });
  const [gp, one, sn, clip] = cfg.variants;
  assert.deepEqual(gp, { kind: 'gp', nCritic: 5, optimizer: { name: 'adam', learningRate: 1e-4, beta1: 0, beta2: 0.9 }, lambda: 10, target: 1 });
  assert.equal(one!.kind, 'gp-one-sided');
  assert.deepEqual(sn, { kind: 'sn', nCritic: 5, optimizer: { name: 'adam', learningRate: 1e-4, beta1: 0, beta2: 0.9 }, powerIters: 1, sigma: 'reshaped' });
  assert.deepEqual(clip, { kind: 'clip', nCritic: 5, optimizer: { name: 'rmsprop', learningRate: 5e-5, decay: 0.9 }, clip: 0.01 });
  const runs = expandWganRuns(cfg);
  assert.equal(runs.length, 8);
  assert.equal(new Set(runs.map((r) => r.runId)).size, 8);
  assert.deepEqual(runs[0]!.variant.generatorOptimizer, runs[0]!.variant.optimizer);
});

test('invalid WGAN experiments are rejected with the field named', () => {
  const bad = (raw: unknown, field: RegExp) => {
    const r = WganExperiment.safeParse(raw);
    assert.ok(!r.success);
    assert.match(JSON.stringify(r.error.issues.map((i) => i.path.join('.'))), field);
  };
  bad({ name: 'x', variants: [{ kind: 'gp' }, { kind: 'gp' }], train: { epochs: 1 } }, /variants\.1\.label/);
  bad({ name: 'x', variants: [{ kind: 'wgan-lp' }], train: { epochs: 1 } }, /variants\.0/);
  bad({ name: 'x', variants: [{ kind: 'gp', lambda: -1 }], train: { epochs: 1 } }, /variants\.0\.lambda/);
  bad({ name: 'x', variants: [{ kind: 'gp' }], train: { epochs: 0 } }, /train\.epochs/);
  bad({ name: 'x', data: { trainSize: 100 }, variants: [{ kind: 'gp' }], train: { epochs: 1, batchSize: 64 } }, /variants\.0\.nCritic/);
});

test('the shipped mnist-wgan experiment validates: 4 variants × ≥ 2 seeds', async () => {
  const { config, runs } = await loadWganExperiment('mnist-wgan');
  assert.equal(config.name, 'mnist-wgan');
  assert.deepEqual(new Set(config.variants.map((v) => v.kind)), new Set(['gp', 'gp-one-sided', 'sn', 'clip']));
  assert.ok(config.seeds.length >= 2);
  assert.equal(runs.length, config.variants.length * config.seeds.length);
});

function rows(kind: string, seed: number, fds: number[], sec: number): WganRow[] {
  return fds.map((frechet, i) => ({
    runId: `${kind}-${seed}`, experiment: 'x', variant: kind, kind, seed, epoch: i + 1, criticSteps: 0, generatorSteps: 0, trainSeconds: sec * (i + 1), epochSeconds: sec,
    secondsPerCriticStep: sec / 100, secondsPerGeneratorStep: null, wassersteinTrain: null, wassersteinEval: 0, criticLoss: null, generatorLoss: null, penalty: null,
    frechet, confidence: 0.9, classEntropy: 2, lipUpper: 1, lipUpperReshaped: 1, powerIterTol: 0, lipLowerReal: 0.5, lipLowerFake: 0.5, lipLowerInterp: 0.5, gradNormMeanInterp: 0.4, backend: 'cpu', samples: '',
  }));
}

test('verdicts: SN faster, better and earlier → supported; reversed → not supported; noisy → inconclusive', () => {
  const good = [...rows('gp', 0, [50, 40, 30], 10), ...rows('gp', 1, [52, 41, 31], 11), ...rows('sn', 0, [30, 25, 20], 6), ...rows('sn', 1, [31, 27, 22], 6.5)];
  const v = computeVerdicts(good);
  const by = (claim: RegExp) => v.find((r) => claim.test(r.claim))!;
  // Target 30.5 (gp's mean final FD): gp reaches it at epoch 3 with seed 0 and never with
  // seed 1 (censored to 4), sn at epoch 1 and 2: differences 2 and 2.
  assert.equal(by(/fewer epochs/).difference, 2);
  assert.equal(by(/fewer epochs/).verdict, 'supported');
  assert.equal(by(/epochs are faster/).verdict, 'supported');
  assert.equal(by(/final quality is better than GP/).verdict, 'supported');
  assert.equal(by(/one-sided/).verdict, 'inconclusive'); // no gp-one-sided rows
  const bad = [...rows('gp', 0, [35, 25, 20], 6), ...rows('gp', 1, [36, 27, 22], 6.5), ...rows('sn', 0, [50, 40, 30], 10), ...rows('sn', 1, [52, 41, 32], 11)];
  const w = computeVerdicts(bad);
  assert.equal(w.find((r) => /final quality is better than GP/.test(r.claim))!.verdict, 'not supported');
  assert.equal(w.find((r) => /epochs are faster/.test(r.claim))!.verdict, 'not supported');
  assert.equal(verdictOf({ mean: 1, lo: -3, hi: 5, n: 2 }), 'inconclusive');
  // Written and read back; no field holds a comma (src/claims splits lines on ',').
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipbench-verdicts-'));
  try {
    writeVerdicts(dir, v);
    assert.deepEqual(readVerdicts(dir).map((r) => r.verdict), v.map((r) => r.verdict));
    const lines = fs.readFileSync(path.join(dir, 'wgan-verdicts.csv'), 'utf8').trim().split('\n');
    for (const l of lines) assert.equal(l.split(',').length, 11, l);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(verdictOf({ mean: 1, lo: 0.5, hi: 1.5, n: 1 }), 'inconclusive');
});
