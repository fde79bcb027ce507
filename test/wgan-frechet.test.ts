import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../src/util/rng.js';
import { featureStats, frechetDistance, sqrtPsd, type SymMatrix } from '../src/wgan/frechet.js';
import { symmetricEigen } from '../src/linalg/jacobi.js';

function gaussians(n: number, dim: number, seed: number, mean: (j: number) => number, sd: (j: number) => number): Float64Array {
  const rand = mulberry32(seed);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n * dim; i += 2) {
    // Box–Muller, two normals per draw.
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n * dim) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = mean(j) + sd(j) * out[i * dim + j]!;
  return out;
}

/** A random orthogonal matrix (Gram–Schmidt on Gaussian columns), row-major. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const a = gaussians(n, n, seed, () => 0, () => 1);
  const q = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const col = Array.from({ length: n }, (_, r) => a[r * n + c]!);
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += col[r]! * q[r * n + p]!;
      for (let r = 0; r < n; r++) col[r]! -= dot * q[r * n + p]!;
    }
    const norm = Math.hypot(...col);
    for (let r = 0; r < n; r++) q[r * n + c] = col[r]! / norm;
  }
  return q;
}

/** Q·diag(d)·Qᵀ */
function rotated(q: Float64Array, d: readonly number[]): SymMatrix {
  const n = d.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j] += q[i * n + k]! * d[k]! * q[j * n + k]!;
  return { n, data: out };
}

test('symmetricEigen: A = V Λ Vᵀ with orthonormal V, eigenvalues descending', () => {
  const n = 12;
  const q = randomOrthogonal(n, 3);
  const d = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 0.5 + i)); // with repeated zero eigenvalues
  const a = rotated(q, d);
  const { values, vectors } = symmetricEigen(a);
  const sorted = [...d].sort((x, y) => y - x);
  values.forEach((v, i) => assert.ok(Math.abs(v - sorted[i]!) < 1e-9, `λ${i} = ${v}, expected ${sorted[i]}`));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rec = 0;
      let orth = 0;
      for (let k = 0; k < n; k++) {
        rec += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        orth += vectors[k * n + i]! * vectors[k * n + j]!;
      }
      assert.ok(Math.abs(rec - a.data[i * n + j]!) < 1e-9, `reconstruction (${i},${j})`);
      assert.ok(Math.abs(orth - (i === j ? 1 : 0)) < 1e-9, `orthonormality (${i},${j})`);
    }
  }
});

test('sqrtPsd(A)² = A for a non-diagonal PSD matrix', () => {
  const n = 8;
  const a = rotated(randomOrthogonal(n, 5), [4, 3, 2, 1, 0.5, 0.25, 0.1, 0]);
  const s = sqrtPsd(a);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += s.data[i * n + k]! * s.data[k * n + j]!;
      assert.ok(Math.abs(v - a.data[i * n + j]!) < 1e-9, `(${i},${j}): ${v} vs ${a.data[i * n + j]}`);
    }
  }
});

test('Fréchet distance is 0 for identical feature sets and positive for shifted ones', () => {
  const n = 500;
  const dim = 16;
  const f = gaussians(n, dim, 7, (j) => j / 10, (j) => 1 + j / 16);
  const s = featureStats(f, n, dim);
  assert.ok(frechetDistance(s, s) < 1e-8, `identical: ${frechetDistance(s, s)}`);
  const shifted = f.map((v, i) => (i % dim === 3 ? v + 0.5 : v));
  const d = frechetDistance(s, featureStats(shifted, n, dim));
  // A pure shift leaves the covariance unchanged: the distance is ‖Δμ‖² = 0.25.
  assert.ok(Math.abs(d - 0.25) < 1e-8, `shift by 0.5 in one coordinate: ${d}`);
  const other = featureStats(gaussians(n, dim, 8, (j) => j / 10, (j) => 1 + j / 16), n, dim);
  assert.ok(frechetDistance(s, other) > 0, 'two samples of one distribution are not identical');
});

test('Fréchet distance matches the closed form for diagonal covariances, also after a common rotation', () => {
  const dim = 10;
  const m1 = Float64Array.from({ length: dim }, (_, j) => Math.sin(j));
  const m2 = Float64Array.from({ length: dim }, (_, j) => Math.cos(j) / 2);
  const s1 = Array.from({ length: dim }, (_, j) => 0.2 + j);
  const s2 = Array.from({ length: dim }, (_, j) => 3 / (1 + j));
  let expected = 0;
  for (let j = 0; j < dim; j++) expected += (m1[j]! - m2[j]!) ** 2 + s1[j]! + s2[j]! - 2 * Math.sqrt(s1[j]! * s2[j]!);
  const diag = (s: number[]): SymMatrix => {
    const data = new Float64Array(dim * dim);
    s.forEach((v, j) => (data[j * dim + j] = v));
    return { n: dim, data };
  };
  const d = frechetDistance({ mean: m1, cov: diag(s1) }, { mean: m2, cov: diag(s2) });
  assert.ok(Math.abs(d - expected) < 1e-9 * (1 + expected), `diagonal: ${d} vs ${expected}`);
  // Rotating both Gaussians by the same Q changes neither ‖Δμ‖ nor the trace term.
  const q = randomOrthogonal(dim, 11);
  const rot = (m: Float64Array) => Float64Array.from({ length: dim }, (_, i) => m.reduce((acc, v, k) => acc + q[i * dim + k]! * v, 0));
  const dr = frechetDistance({ mean: rot(m1), cov: rotated(q, s1) }, { mean: rot(m2), cov: rotated(q, s2) });
  assert.ok(Math.abs(dr - expected) < 1e-8 * (1 + expected), `rotated: ${dr} vs ${expected}`);
});

test('Fréchet distance matches the 2×2 closed form for non-commuting covariances', () => {
  // For 2×2 PSD M, tr √M = √(tr M + 2√det M); here M = Σ₁^½Σ₂Σ₁^½, tr M = tr Σ₁Σ₂, det M = det Σ₁ det Σ₂.
  const a = { n: 2, data: Float64Array.of(2, 0.7, 0.7, 1) };
  const b = { n: 2, data: Float64Array.of(0.5, -0.3, -0.3, 3) };
  const trAB = 2 * 0.5 + 0.7 * -0.3 + 0.7 * -0.3 + 1 * 3;
  const det = (m: SymMatrix) => m.data[0]! * m.data[3]! - m.data[1]! * m.data[2]!;
  const cross = Math.sqrt(trAB + 2 * Math.sqrt(det(a) * det(b)));
  const expected = 1 + 4 + (2 + 1) + (0.5 + 3) - 2 * cross; // ‖Δμ‖² = ‖(1,2)‖² = 5, then tr Σ₁ + tr Σ₂ − 2 tr √M
  const d = frechetDistance({ mean: Float64Array.of(0, 0), cov: a }, { mean: Float64Array.of(1, 2), cov: b });
  assert.ok(Math.abs(d - expected) < 1e-10, `${d} vs ${expected}`);
});

test('featureStats: mean and unbiased covariance', () => {
  const s = featureStats(Float64Array.of(1, 2, 3, 6, 5, 10), 3, 2);
  assert.deepEqual([...s.mean], [3, 6]);
  assert.deepEqual([...s.cov.data], [4, 8, 8, 16]);
});
