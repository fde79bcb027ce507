import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanInterval, pairedDifference, ranks, spearman, spearmanInterval, tQuantile975 } from '../src/claims/stats.js';

test('t intervals match hand-computed values', () => {
  // xs = 1,2,3: mean 2, sd 1, half-width t(2)·1/√3 = 4.303/1.732 = 2.4843
  const i = meanInterval([1, 2, 3]);
  assert.equal(i.mean, 2);
  assert.ok(Math.abs(i.hi - 2 - 4.303 / Math.sqrt(3)) < 1e-9);
  assert.ok(Math.abs(tQuantile975(40) - 2.021) < 2e-3);
  assert.equal(meanInterval([5]).hi, Infinity);
  const d = pairedDifference([3, 4, 5], [1, 2, 3]);
  assert.deepEqual([d.mean, d.lo, d.hi], [2, 2, 2]);
});

test('ranks average ties and Spearman matches known values', () => {
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // Monotone but non-linear: Spearman is still 1.
  assert.equal(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]), 1);
  // Classic textbook example (Spearman 1904 style): ρ = 1 − 6Σd²/(n(n²−1)) with Σd² = 2 for n = 5 → 0.9
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]) - 0.9) < 1e-12);
});

test('bootstrap interval brackets ρ, is seeded, and widens for noisy data', () => {
  const x = Array.from({ length: 30 }, (_, i) => i);
  const clean = x.map((v) => v * 2);
  const noisy = x.map((v, i) => v + ((i * 7919) % 13) * 3);
  const a = spearmanInterval(x, clean);
  assert.deepEqual([a.mean, a.lo, a.hi], [1, 1, 1]);
  const b = spearmanInterval(x, noisy, 1000, 3);
  assert.ok(b.lo <= b.mean && b.mean <= b.hi);
  assert.ok(b.hi - b.lo > 0.05);
  assert.deepEqual(spearmanInterval(x, noisy, 1000, 3), b);
});
