import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/node/backend.js';
import { exactSpectralNorm, symmetricEigenvalues } from '../src/linalg/jacobi.js';
import { matrixSpectralNorm, powerIteration } from '../src/lipschitz/power-iteration.js';

/** Deterministic Gaussian stream (mulberry32 + Box–Muller), float64. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uni = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uni() + 1e-300)) * Math.cos(2 * Math.PI * uni());
}

/** n×n orthogonal matrix: Gram–Schmidt (twice, for float64 orthogonality) on Gaussian columns. */
function randomOrthogonal(n: number, seed: number): number[][] {
  const g = gaussian(seed);
  const cols: number[][] = [];
  for (let c = 0; c < n; c++) {
    const v = Array.from({ length: n }, g);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        const d = q.reduce((s, qi, i) => s + qi * v[i], 0);
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  return cols; // cols[c][i]: column c
}

/** W = U·diag(s)·Vᵀ (rows × cols) with the given singular values. */
function withSingularValues(rows: number, cols: number, s: number[], seed: number): number[][] {
  const U = randomOrthogonal(rows, seed);
  const V = randomOrthogonal(cols, seed + 1);
  const W = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let k = 0; k < s.length; k++) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) W[i][j] += U[k][i] * s[k] * V[k][j];
  }
  return W;
}

before(async () => {
  await initBackend('cpu');
});

describe('jacobi', () => {
  it('recovers the eigenvalues of Q·diag(λ)·Qᵀ', () => {
    const lam = [7, 3, 3, -1, 0.5, -4];
    const Q = randomOrthogonal(6, 11);
    const A = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 6 }, (_, j) => lam.reduce((s, l, k) => s + Q[k][i] * l * Q[k][j], 0)),
    );
    const eig = symmetricEigenvalues(A);
    const want = [...lam].sort((a, b) => b - a);
    eig.forEach((e, i) => assert.ok(Math.abs(e - want[i]) < 1e-10, `λ${i}: ${e} vs ${want[i]}`));
  });

  it('exactSpectralNorm of a built matrix', () => {
    const W = withSingularValues(5, 8, [4, 2, 1, 0.5, 0.1], 3);
    assert.ok(Math.abs(exactSpectralNorm(W) - 4) < 1e-10);
  });
});

describe('powerIteration', () => {
  const cases: { name: string; rows: number; cols: number; s: number[]; maxIters: number; tol: number }[] = [
    { name: 'tall, clear gap', rows: 40, cols: 20, s: [5, 3, 2, 1, 0.5], maxIters: 500, tol: 1e-7 },
    { name: 'wide, clear gap', rows: 12, cols: 50, s: [2.5, 1.2, 1, 0.3], maxIters: 500, tol: 1e-7 },
    // σ₂/σ₁ = 0.98: convergence factor ≈ 0.96 per step, needs hundreds of iterations.
    { name: 'close second singular value', rows: 30, cols: 30, s: [5, 4.9, 4, 1, 0.1], maxIters: 5000, tol: 1e-8 },
  ];
  for (const c of cases) {
    it(`matches σ_max within 1e-4 (${c.name})`, () => {
      const W = tf.tensor2d(withSingularValues(c.rows, c.cols, c.s, 42));
      const r = matrixSpectralNorm(W, { maxIters: c.maxIters, tol: c.tol, seed: 7 });
      W.dispose();
      const rel = Math.abs(r.sigma - c.s[0]) / c.s[0];
      assert.ok(rel < 1e-4, `σ̂=${r.sigma} vs ${c.s[0]} (rel ${rel}, ${r.iterations} iters, relChange ${r.relChange})`);
      // A lower estimate by construction, up to float32 rounding.
      assert.ok(r.sigma <= c.s[0] * (1 + 1e-5), `σ̂=${r.sigma} above σ_max`);
    });
  }

  it('too few iterations on a close gap is reported as not converged', () => {
    const W = tf.tensor2d(withSingularValues(30, 30, [5, 4.95, 1], 9));
    const r = matrixSpectralNorm(W, { maxIters: 5, tol: 1e-7, seed: 1, method: 'power' });
    // Lanczos closes the rank-3 Krylov space in 3 steps and is exact.
    const l = matrixSpectralNorm(W, { maxIters: 5, tol: 1e-7, seed: 1, method: 'lanczos' });
    W.dispose();
    assert.equal(r.converged, false);
    assert.equal(r.iterations, 5);
    assert.ok(r.relChange >= 1e-7);
    assert.equal(l.converged, true);
    assert.ok(l.iterations <= 4, `lanczos used ${l.iterations} iterations`);
    assert.ok(Math.abs(l.sigma - 5) < 1e-4, `lanczos σ ${l.sigma}`);
  });

  it('Lanczos finds σ_max where power iteration stalls on a cluster (3×3 conv, 7×7×2 → 3, valid)', () => {
    // Top singular values 7.96591 and 7.94914: power iteration from an unlucky start
    // reported the second one as converged.
    const K = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 52) as tf.Tensor4D;
    const shape = [1, 7, 7, 2] as const;
    const op = (x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, K, 1, 'valid');
    const adj = (y: tf.Tensor) => tf.conv2dTranspose(y as tf.Tensor4D, K, [...shape], 1, 'valid');
    for (let seed = 0; seed < 12; seed++) {
      const r = powerIteration(op, adj, shape, { seed, tol: 1e-6 });
      assert.ok(Math.abs(r.sigma - 7.9659145) / 7.9659145 < 1e-5, `seed ${seed}: ${r.sigma} after ${r.iterations}`);
    }
    K.dispose();
  });

  it('handles the zero operator and does not leak tensors', () => {
    const before = tf.memory().numTensors;
    const r = powerIteration((x) => tf.mul(x, 0), (y) => tf.mul(y, 0), [3, 4], { seed: 1 });
    assert.equal(r.sigma, 0);
    assert.equal(r.converged, true);
    const W = tf.randomNormal([6, 4]) as tf.Tensor2D;
    matrixSpectralNorm(W, { checkEvery: 3, maxIters: 50 });
    W.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('a scaled identity has σ = scale after one step', () => {
    const r = powerIteration((x) => tf.mul(x, -3), (y) => tf.mul(y, -3), [2, 5, 5, 1], { seed: 3 });
    assert.ok(Math.abs(r.sigma - 3) < 1e-5);
  });
});
