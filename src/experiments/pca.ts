// PCA in float64 on the host: centre, covariance, top components by subspace (block power) iteration with
// Rayleigh–Ritz, which is exact to rounding for the few components pictures need.

export interface Pca {
  mean: Float64Array;
  components: Float64Array[];
  variances: number[];
  dim: number;
}

function symmetricEigen2(
  a: number,
  b: number,
  d: number,
): { values: [number, number]; vectors: [[number, number], [number, number]] } {
  // eigen-decomposition of [[a, b], [b, d]]
  const tr = a + d,
    det = a * d - b * b;
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  const l1 = tr / 2 + disc,
    l2 = tr / 2 - disc;
  // eigenvector of the larger eigenvalue from the better-conditioned of the two rows of (M - l1 I); the
  // other is its perpendicular (exact for a symmetric 2x2, and stable when b is tiny)
  const r1: [number, number] = [b, l1 - a],
    r2: [number, number] = [l1 - d, b];
  let v1 = Math.hypot(...r1) >= Math.hypot(...r2) ? r1 : r2;
  const n1 = Math.hypot(v1[0], v1[1]);
  v1 = n1 > 0 ? [v1[0] / n1, v1[1] / n1] : [1, 0];
  return { values: [l1, l2], vectors: [v1, [-v1[1], v1[0]]] };
}

/** Top-k principal components (k = 2 supported exactly via Rayleigh–Ritz on a 2-D subspace; k = 1 too). */
export function pca(data: Float32Array | Float64Array, n: number, dim: number, k = 2, iters = 300): Pca {
  if (data.length !== n * dim) throw new Error(`pca: ${data.length} values for ${n} x ${dim}`);
  if (k < 1 || k > 2) throw new Error('pca: k must be 1 or 2');
  if (n < 2) throw new Error('pca: need at least 2 samples');
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += data[i * dim + j] / n;
  const X = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) X[i * dim + j] = data[i * dim + j] - mean[j];
  // C v = X^T (X v) / (n - 1), never forming C
  const apply = (v: Float64Array): Float64Array => {
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += X[i * dim + j] * v[j];
      t[i] = s;
    }
    const out = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const ti = t[i];
      for (let j = 0; j < dim; j++) out[j] += X[i * dim + j] * ti;
    }
    for (let j = 0; j < dim; j++) out[j] /= n - 1;
    return out;
  };
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  const normalise = (a: Float64Array) => {
    const s = Math.sqrt(dot(a, a)) || 1;
    return a.map((v) => v / s);
  };
  // deterministic start: varied entries so it is not orthogonal to the top components
  let q1 = normalise(Float64Array.from({ length: dim }, (_, j) => 1 + Math.sin(j * 1.3)));
  let q2 = Float64Array.from({ length: dim }, (_, j) => Math.cos(j * 0.7 + 0.3));
  for (let it = 0; it < iters; it++) {
    const a1 = apply(q1),
      a2 = apply(q2);
    q1 = normalise(a1);
    const p = dot(a2, q1);
    q2 = normalise(a2.map((v, j) => v - p * q1[j]));
  }
  // Rayleigh–Ritz in span(q1, q2)
  const c1 = apply(q1),
    c2 = apply(q2);
  const e = symmetricEigen2(dot(q1, c1), dot(q1, c2), dot(q2, c2));
  const comp = e.vectors.map(([s, t]) => {
    const v = q1.map((x, j) => s * x + t * q2[j]);
    // sign convention: the largest-magnitude entry is positive
    let m = 0;
    for (let j = 1; j < dim; j++) if (Math.abs(v[j]) > Math.abs(v[m])) m = j;
    return v[m] < 0 ? v.map((x) => -x) : v;
  });
  return { mean, components: comp.slice(0, k), variances: e.values.slice(0, k), dim };
}

export function project(p: Pca, data: Float32Array | Float64Array, n: number): Float64Array[] {
  return p.components.map((c) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < p.dim; j++) s += (data[i * p.dim + j] - p.mean[j]) * c[j];
      out[i] = s;
    }
    return out;
  });
}
