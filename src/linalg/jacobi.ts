/**
 * Exact (float64) eigenvalues of a small symmetric matrix by cyclic Jacobi rotations.
 * Used as ground truth for the power-iteration estimators: it has no start vector
 * and no spectral-gap dependence, so it cannot share their failure modes.
 * O(n³) per sweep; meant for n up to a few hundred.
 */

export interface JacobiOptions {
  /** Default 100 sweeps; Jacobi converges quadratically, ~10 is typical. */
  readonly maxSweeps?: number;
  /** Stop when the off-diagonal Frobenius norm ≤ tol·‖A‖_F. Default 1e-14. */
  readonly tol?: number;
}

/** Eigenvalues of the symmetric matrix `a` (row-major arrays), sorted descending. */
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
  const maxSweeps = opts.maxSweeps ?? 100;
  const tol = opts.tol ?? 1e-14;
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) total += m[i][j] * m[i][j];
  const limit = tol * tol * total;

  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += 2 * m[i][j] * m[i][j];
    if (off <= limit) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p][q];
        if (apq === 0) continue;
        // Rotation angle that zeroes m[p][q] (Golub & Van Loan, sym.schur2).
        const theta = (m[q][q] - m[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p];
          const mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k];
          const mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
      }
    }
  }
  const eig: number[] = [];
  for (let i = 0; i < n; i++) eig.push(m[i][i]);
  return eig.sort((x, y) => y - x);
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
