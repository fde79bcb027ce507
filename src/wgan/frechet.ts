/**
 * The Fréchet distance between two Gaussians fitted to feature sets (the FID of Heusel
 * et al. 2017, here with a fixed MNIST classifier's features instead of Inception's):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)
 *
 * tr((Σ₁Σ₂)^½) equals tr((Σ₁^½ Σ₂ Σ₁^½)^½), and the latter is the square root of a
 * symmetric positive semi-definite matrix, so everything is done with symmetric
 * eigendecompositions (cyclic Jacobi with accumulated rotations, float64): Σ₁^½ = V √Λ Vᵀ,
 * then the trace term is Σ √λᵢ(Σ₁^½ Σ₂ Σ₁^½). No general (non-symmetric) sqrtm, no
 * complex parts to discard. Eigenvalues that rounding pushes slightly below zero are
 * clamped to 0 (the matrices are PSD in exact arithmetic). The eigen-solver is
 * linalg/jacobi.ts's.
 */
import { symmetricEigen, type SymMatrix } from '../linalg/jacobi.js';

export type { SymMatrix } from '../linalg/jacobi.js';

/** The PSD square root V·diag(√max(λ,0))·Vᵀ of a symmetric PSD matrix. */
export function sqrtPsd(a: SymMatrix): SymMatrix {
  const { n } = a;
  const { values, vectors } = symmetricEigen(a);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(values[k]!, 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * r;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k]!;
    }
  }
  return { n, data: out };
}

function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j]!;
    }
  }
  return out;
}

export interface GaussianStats {
  readonly mean: Float64Array;
  readonly cov: SymMatrix;
  readonly count: number;
}

/** Mean and unbiased covariance of `count` rows of dimension `dim` (row-major). */
export function featureStats(features: ArrayLike<number>, count: number, dim: number): GaussianStats {
  if (features.length !== count * dim) throw new Error(`featureStats: ${features.length} values for ${count}×${dim}`);
  if (count < 2) throw new Error('featureStats: need at least 2 feature vectors');
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let j = 0; j < dim; j++) mean[j] += features[r * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] /= count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < dim; j++) centred[j] = features[r * dim + j]! - mean[j]!;
    for (let i = 0; i < dim; i++) {
      const ci = centred[i]!;
      if (ci === 0) continue;
      for (let j = i; j < dim; j++) cov[i * dim + j] += ci * centred[j]!;
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j]! / (count - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  }
  return { mean, cov: { n: dim, data: cov }, count };
}

/** ‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^½Σ₂Σ₁^½)^½); pass `sqrtCov1` to reuse Σ₁^½. */
export function frechetDistance(a: Pick<GaussianStats, 'mean' | 'cov'>, b: Pick<GaussianStats, 'mean' | 'cov'>, sqrtCov1?: SymMatrix): number {
  const n = a.cov.n;
  if (b.cov.n !== n || a.mean.length !== n || b.mean.length !== n) throw new Error('frechetDistance: dimensions differ');
  let meanTerm = 0;
  for (let i = 0; i < n; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a.cov.data[i * n + i]! + b.cov.data[i * n + i]!;
  const s = sqrtCov1 ?? sqrtPsd(a.cov);
  const inner = matMul(matMul(s.data, b.cov.data, n), s.data, n);
  const { values } = symmetricEigen({ n, data: inner });
  let cross = 0;
  for (const v of values) cross += Math.sqrt(Math.max(v, 0));
  // Rounding can make an exact 0 come out as −1e-12.
  return Math.max(0, meanTerm + trace - 2 * cross);
}
