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
 * clamped to 0 (the matrices are PSD in exact arithmetic).
 */

/** Symmetric n×n matrix, row-major, float64. */
export interface SymMatrix {
  readonly n: number;
  readonly data: Float64Array;
}

export interface Eigen {
  /** Eigenvalues, descending. */
  readonly values: Float64Array;
  /** Eigenvectors as columns of a row-major n×n matrix, in the order of `values`. */
  readonly vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations
 * (Golub & Van Loan §8.5). Converges quadratically; stops when the off-diagonal
 * Frobenius norm is ≤ tol·‖A‖_F.
 */
export function symmetricEigen(a: SymMatrix, opts: { tol?: number; maxSweeps?: number } = {}): Eigen {
  const { n } = a;
  if (a.data.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries, got ${a.data.length}`);
  const m = Float64Array.from(a.data);
  // Symmetrize exactly, so rounding asymmetry cannot bias the rotations.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const tol = opts.tol ?? 1e-13;
  const maxSweeps = opts.maxSweeps ?? 100;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += m[i]! * m[i]!;
  const limit = tol * tol * total;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += 2 * m[i * n + j]! * m[i * n + j]!;
    if (off <= limit) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← JᵀAJ with J the rotation in the (p, q) plane: columns, then rows.
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        // V ← VJ accumulates the eigenvectors as columns.
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j]! - m[i * n + i]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values, vectors };
}

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
