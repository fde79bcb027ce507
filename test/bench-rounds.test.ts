import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateRounds } from '../bench/bench.js';
import type { BenchResult } from '../bench/child.js';

const r = (backend: string, workload: string, medianMs: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  workload, backend, medianMs, reps: 5, description: `${workload} on ${backend}`, ...extra,
});

test('bench rounds: median of round medians, range, and GFLOP/s rescaled to the median time', () => {
  const rows = aggregateRounds([
    [r('wasm+native', 'W1', 5), r('wasm+native', 'W5', 10, { gflops: 200 }), r('torch', 'W1', 4)],
    [r('wasm+native', 'W1', 9), r('wasm+native', 'W5', 8, { gflops: 250 }), r('torch', 'W1', 12)],
    [r('wasm+native', 'W1', 6), r('wasm+native', 'W5', 20, { gflops: 100 }), r('torch', 'W1', 5)],
  ]);
  assert.deepEqual(rows.map((x) => `${x.backend}/${x.workload}`), ['wasm+native/W1', 'wasm+native/W5', 'torch/W1']);
  const w1 = rows[0];
  assert.equal(w1.medianMs, 6);
  assert.equal(w1.minMs, 5);
  assert.equal(w1.maxMs, 9);
  assert.equal(w1.rounds, 3);
  const w5 = rows[1];
  assert.equal(w5.medianMs, 10);
  // 200 GFLOP/s × 10 ms = 2 GFLOP, the same work in every round.
  assert.ok(Math.abs((w5.gflops ?? NaN) - 200) < 1e-9);
  assert.equal(rows[2].medianMs, 5);
});

test('bench rounds: a failed round is left out; an error survives only when every round failed', () => {
  const rows = aggregateRounds([
    [r('wasm', 'W2', NaN, { error: 'no kernel' }), r('wasm', 'W1', NaN, { error: 'flaky' })],
    [r('wasm', 'W2', NaN, { error: 'no kernel' }), r('wasm', 'W1', 7)],
    [r('wasm', 'W1', 3)],
  ]);
  const w2 = rows.find((x) => x.workload === 'W2');
  const w1 = rows.find((x) => x.workload === 'W1');
  assert.equal(w2?.error, 'no kernel');
  assert.ok(Number.isNaN(w2?.medianMs));
  assert.equal(w1?.error, undefined);
  assert.equal(w1?.medianMs, 5); // median of 7 and 3
  assert.equal(w1?.rounds, 2);
});
