import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parseTable, toCsv } from '../src/results/csv.js';
import { AttackRow, RunRow } from '../src/results/rows.js';

const key = { runId: 'abc', experiment: 'e', dataset: 'mnist', model: 'mlp-8', regularizer: 'l2', method: 'l2', lambda: 0.001, seed: 0 };
const attack = { ...key, attack: 'pgd-l2', norm: 'l2' as const, eps: 0.5, n: 10, cleanAcc: 0.9, robustAcc: 0.5, successRate: 0.4444, certifiedAcc: null, certifiedPairwiseAcc: null, certifiedIbpAcc: null, certifiedCrownAcc: null, flagPgdWeakerThanFgsm: false, flagRobustAccRises: true, flagLargeEpsNotZero: false, flagZeroGrad: false, flagZeroStep: null, flagGradientMasking: true, members: 'autoattack:0.5:1.50s;square:0.4:2.00s', brokenBy: 'clean:1;a:4', seconds: 1.5 };

test('rows round-trip through CSV with types, nulls and quoting intact', () => {
  const tricky = { ...attack, experiment: 'a "quoted", name\nwith newline' };
  const text = toCsv(AttackRow, [attack, tricky]);
  const back = parseTable('t.csv', text, AttackRow);
  assert.deepEqual(back, [attack, tricky]);
  assert.equal(parseCsv('a,b\n"x,1","y""z"\n')[1]![1], 'y"z');
});

test('bad cells name the file, line and field', () => {
  const text = toCsv(AttackRow, [attack]).replace(',0.5,10,', ',0.5,ten,');
  assert.throws(() => parseTable('results/x/attacks.csv', text, AttackRow), /results\/x\/attacks\.csv: line 2: field "n": /);
  const noCol = toCsv(AttackRow, [attack]).replace('robustAcc', 'robustness');
  assert.throws(() => parseTable('a.csv', noCol, AttackRow), /a\.csv: missing column robustAcc/);
  const short = toCsv(AttackRow, [attack]).trimEnd().replace(/,[^,]*$/, '') + '\n';
  assert.throws(() => parseTable('s.csv', short, AttackRow), /s\.csv: line 2: 27 fields, header has 28/);
});

test('nullable columns missing from older files read as null; required ones do not', () => {
  const cols = Object.keys(RunRow.shape).filter((c) => c !== 'lipLocalNoise');
  const row: Record<string, unknown> = { ...key, regularizers: '[]', backend: 'cpu', epochs: 1, batchSize: 1, optimizer: 'sgd', learningRate: 0.1, trainSize: 1, testSize: 1, trainAcc: 1, testAcc: 1, trainLoss: 0, testLoss: 0, gapAcc: 0, gapLoss: 0, trainSeconds: 1 };
  const text = cols.join(',') + '\n' + cols.map((c) => (row[c] === undefined ? '' : String(row[c]))).join(',') + '\n';
  const [r] = parseTable('old.csv', text, RunRow);
  assert.equal(r!.lipLocalNoise, null);
  assert.equal(r!.lipUpper, null);
  const noAcc = text.replace('testAcc', 'testAccuracy');
  assert.throws(() => parseTable('old.csv', noAcc, RunRow), /missing column testAcc/);
});
