/**
 * Exact (float64) eigen-decomposition of a small symmetric matrix by cyclic Jacobi
 * rotations (Golub & Van Loan §8.5): the one eigen-solver, for the ground truth of the
 * power-iteration estimators (it has no start vector and no spectral-gap dependence,
 * so it cannot share their failure modes) and for the Fréchet distance (wgan/frechet.ts).
 * O(n³) per sweep; meant for n up to a few hundred.
 */

export interface JacobiOptions {
  /** Default 100 sweeps; Jacobi converges quadratically, ~10 is typical. */
  readonly maxSweeps?: number;
  /** Stop when the off-diagonal Frobenius norm ≤ tol·‖A‖_F. Default 1e-13. */
  readonly tol?: number;
}

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
 * Eigenvalues and eigenvectors of a symmetric matrix. The input is symmetrized exactly
 * first, so rounding asymmetry cannot bias the rotations.
 */
export function symmetricEigen(a: SymMatrix, opts: JacobiOptions = {}): Eigen {
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

/** Eigenvalues of the symmetric matrix `a` (row-major arrays), sorted descending; throws on an asymmetric `a`. */
export function symmetricEigenvalues(a: readonly (readonly number[])[], opts: JacobiOptions = {}): number[] {
  const n = a.length;
  const m: Float64Array[] = a.map((row, i) => {
    if (row.length !== n) throw new Error(`symmetricEigenvalues: row ${i} has ${row.length} entries, expected ${n}`);
    return Float64Array.from(row);
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.abs(m[i][j] - m[j][i]);
      if (d > 1e-9 * (Math.abs(m[i][j]) + Math.abs(m[j][i]) + 1e-300)) {
        throw new Error(`symmetricEigenvalues: matrix is not symmetric at (${i},${j})`);
      }
    }
  }
  // An exactly symmetric input is left as it is by the symmetrization, so the values are those of `a`.
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data.set(m[i]!, i * n);
  return Array.from(symmetricEigen({ n, data }, { maxSweeps: opts.maxSweeps, tol: opts.tol ?? 1e-14 }).values);
}

/** Largest singular value of a (rows × cols) matrix, via the eigenvalues of MᵀM. */
export function exactSpectralNorm(mat: readonly (readonly number[])[]): number {
  const rows = mat.length;
  const cols = rows === 0 ? 0 : mat[0].length;
  const g: number[][] = Array.from({ length: cols }, () => new Array<number>(cols).fill(0));
  for (let r = 0; r < rows; r++) {
    const row = mat[r];
    for (let i = 0; i < cols; i++) {
      const ri = row[i];
      if (ri === 0) continue;
      for (let j = 0; j < cols; j++) g[i][j] += ri * row[j];
    }
  }
  const top = cols === 0 ? 0 : symmetricEigenvalues(g)[0];
  return Math.sqrt(Math.max(0, top));
}
