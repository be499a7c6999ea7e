// Small dense linear systems for the fits (normal equations, Levenberg–Marquardt steps).

/**
 * Solve A x = b by Gaussian elimination with partial pivoting; null when a pivot's magnitude falls below
 * `minPivot` (a singular or degenerate design) or the solution is not finite.
 */
export function solveLinear(A: number[][], b: number[], minPivot = 1e-14): number[] | null {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (!(Math.abs(M[piv][c]) >= minPivot)) return null;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = M[r][c] / M[c][c];
      for (let j = c; j <= n; j++) M[r][j] -= k * M[c][j];
    }
  }
  const x = M.map((row, i) => row[n] / M[i][i]);
  return x.every(Number.isFinite) ? x : null;
}
