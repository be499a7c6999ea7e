// The seed's fit form (MatLabScript/flops.m): a rational function num(x) / den(x) of degrees N/N (2/2 by
// default, 3/3 and 4/4 as options), fitted by nonlinear least squares from seeded multiple starts and
// accepted only when it is non-decreasing over the data's range: a predictor of accuracy loss must not say
// that more divergence costs less. Written here (Levenberg–Marquardt, ~100 lines) rather than taken from a
// registry package: the npm numeric libraries (ml-levenberg-marquardt, fmin) fit fine but have no notion of a
// shape constraint, so the monotone acceptance and the multi-start loop would be ours anyway.
//
// In scaled u = x / xScale: num(u) = p0 + p1 u + ... + pN u^N, den(u) = 1 + q1 u + ... + qN u^N (the
// constant term fixed at 1 removes the scale ambiguity and keeps polynomials, q = 0, inside the family).
// Platform-neutral.
import { solveLinear } from './linear-solve.js';
import seedrandom from 'seedrandom';

export interface RationalFit {
  degree: number;
  /** p0..pN then q1..qN, in scaled x */
  params: number[];
  xScale: number;
  sse: number;
}

export function rationalValue(f: Pick<RationalFit, 'degree' | 'params' | 'xScale'>, x: number): number {
  const u = x / f.xScale;
  const n = f.degree;
  let num = 0,
    den = 0;
  for (let i = n; i >= 0; i--) num = num * u + f.params[i];
  for (let i = n; i >= 1; i--) den = den * u + f.params[n + i];
  return num / (den * u + 1);
}

/** The points a fit is checked on: the seed's min(x):0.5:max(x) and a fine grid of 2001 points. */
export function monotoneGrid(lo: number, hi: number): number[] {
  const coarse: number[] = [];
  for (let x = lo; x <= hi && coarse.length < 100000; x += 0.5) coarse.push(x);
  const fine = Array.from({ length: 2001 }, (_, i) => lo + ((hi - lo) * i) / 2000);
  return [...new Set([...coarse, ...fine])].sort((a, b) => a - b);
}

/**
 * value(x) never falls below its running maximum on monotoneGrid(lo, hi) by more than a millionth of the
 * curve's span plus `floor` (a smaller fall is rounding, not a shape: penalised fits end there), and is finite.
 * The one monotone test of every fit form.
 */
export function nonDecreasing(value: (x: number) => number, lo: number, hi: number, floor: number): boolean {
  const tol = 1e-6 * Math.abs(value(hi) - value(lo)) + floor;
  let high = -Infinity;
  for (const x of monotoneGrid(lo, hi)) {
    const v = value(x);
    if (!Number.isFinite(v) || v < high - tol) return false;
    high = Math.max(high, v);
  }
  return true;
}

/** Non-decreasing (to rounding) and pole-free (denominator of one sign) on [lo, hi]. */
export function isMonotone(f: RationalFit, lo: number, hi: number): boolean {
  const n = f.degree;
  let sign = 0;
  for (const x of monotoneGrid(lo, hi)) {
    const u = x / f.xScale;
    let den = 0;
    for (let i = n; i >= 1; i--) den = den * u + f.params[n + i];
    const s = Math.sign(den * u + 1);
    if (s === 0 || (sign && s !== sign)) return false;
    sign = s;
  }
  return nonDecreasing((x) => rationalValue(f, x), lo, hi, 1e-18);
}

/** num(u) and den(u) of the scaled form. */
function parts(u: number, p: number[], n: number): { num: number; den: number } {
  let num = 0,
    den = 0;
  for (let i = n; i >= 0; i--) num = num * u + p[i];
  for (let i = n; i >= 1; i--) den = den * u + p[n + i];
  return { num, den: den * u + 1 };
}

/**
 * Levenberg–Marquardt on the data residuals y - f(u; p) plus, with weight w > 0, penalty residuals that are
 * non-zero only where the curve's slope is negative or the denominator nears zero:
 * raising w walks the fit to the nearest non-decreasing, pole-free one. Numeric Jacobian (2N + 1 params).
 */
function refine(us: number[], ys: number[], n: number, p0: number[], grid: number[], w: number, iters = 200) {
  const residuals = (p: number[]): number[] => {
    const r = us.map((u, i) => {
      const { num, den } = parts(u, p, n);
      return ys[i] - num / den;
    });
    if (w > 0) {
      const sw = Math.sqrt(w);
      for (const u of grid) {
        const { num, den } = parts(u, p, n);
        r.push(sw * Math.min(0, den - 0.05));
        // the sign of f' = (num' den - num den') / den^2 is the sign of its numerator: keep it >= 0
        let dnum = 0,
          dden = 0;
        for (let i = n; i >= 1; i--) dnum = dnum * u + i * p[i];
        for (let i = n; i >= 1; i--) dden = dden * u + i * p[n + i];
        r.push(sw * Math.min(0, dnum * den - num * dden));
      }
    }
    return r;
  };
  const sq = (r: number[]) => r.reduce((s, v) => s + v * v, 0);
  let p = [...p0],
    r = residuals(p),
    cur = sq(r),
    lambda = 1e-3;
  if (!Number.isFinite(cur)) return { p, loss: Infinity };
  const k = p.length;
  for (let it = 0; it < iters; it++) {
    const J = p.map((v, j) => {
      const h = 1e-7 * Math.max(1, Math.abs(v));
      const q = [...p];
      q[j] += h;
      return residuals(q).map((x, i) => (x - r[i]) / h);
    });
    const JtJ = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => dot(J[a], J[b])));
    const Jtr = J.map((col) => -dot(col, r));
    let improved = false;
    for (let tries = 0; tries < 12; tries++) {
      const A = JtJ.map((row, a) => row.map((v, b) => (a === b ? v * (1 + lambda) + 1e-15 : v)));
      const d = solveLinear(A, Jtr, 1e-300);
      if (d) {
        const q = p.map((v, j) => v + d[j]);
        const rq = residuals(q);
        const l = sq(rq);
        if (Number.isFinite(l) && l < cur) {
          improved = cur - l > 1e-14 * (1 + cur);
          p = q;
          r = rq;
          cur = l;
          lambda = Math.max(lambda / 10, 1e-15);
          break;
        }
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { p, loss: cur };
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

function sseOf(us: number[], ys: number[], n: number, p: number[]): number {
  return us.reduce((s, u, i) => {
    const { num, den } = parts(u, p, n);
    return s + (ys[i] - num / den) ** 2;
  }, 0);
}

/** Linearised start (Levy): y den(u) = num(u) is linear in p and q; solved by least squares. */
function linearStart(us: number[], ys: number[], n: number): number[] | null {
  const k = 2 * n + 1;
  const rows = us.map((u, i) => [
    ...Array.from({ length: n + 1 }, (_, j) => u ** j),
    ...Array.from({ length: n }, (_, j) => -ys[i] * u ** (j + 1)),
  ]);
  const A = Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => rows.reduce((s, r) => s + r[a] * r[b], 0)),
  );
  for (let a = 0; a < k; a++) A[a][a] += 1e-10 * (A[a][a] || 1);
  const b = Array.from({ length: k }, (_, a) => rows.reduce((s, r, i) => s + r[a] * ys[i], 0));
  return solveLinear(A, b, 1e-300);
}

export interface RationalOptions {
  degree?: number;
  starts?: number;
  seed?: string;
}

/**
 * The best monotone rational fit over seeded starts (the linearised solution, then random ones), or null when
 * no start gives a non-decreasing, pole-free curve on [min x, max x].
 */
export function fitRational(xs: number[], ys: number[], o: RationalOptions = {}): RationalFit | null {
  const degree = o.degree ?? 2;
  if (xs.length < 2 * degree + 2) return null;
  const xScale = Math.max(...xs.map(Math.abs)) || 1;
  const us = xs.map((x) => x / xScale);
  const lo = Math.min(...xs),
    hi = Math.max(...xs);
  const rng = seedrandom(o.seed ?? `rational:${degree}`);
  const yScale = Math.max(...ys.map(Math.abs)) || 1;
  const starts: number[][] = [];
  const lin = linearStart(us, ys, degree);
  if (lin) starts.push(lin);
  // a monotone line through the data's ends, and random starts around it (the seed: random starts)
  const base = [Math.min(...ys), (Math.max(...ys) - Math.min(...ys)) / Math.max(hi / xScale, 1e-9)];
  for (let s = 0; s < (o.starts ?? 40); s++) {
    const p = Array.from({ length: 2 * degree + 1 }, (_, i) => {
      const center = i < 2 ? base[i] : 0;
      const spread = i <= degree ? yScale : 3;
      return center + spread * (2 * rng.quick() - 1) * (s === 0 ? 0 : 1);
    });
    starts.push(p);
  }
  let best: RationalFit | null = null;
  // the penalty grid in scaled units: 200 points over the data's range
  const grid = Array.from({ length: 200 }, (_, i) => (lo + ((hi - lo) * i) / 199) / xScale);
  // unconstrained fits first, best first; starts that land on the same optimum are pushed only once
  const free = starts
    .map((p0) => refine(us, ys, degree, p0, grid, 0).p)
    .map((p) => ({ p, sse: sseOf(us, ys, degree, p) }))
    .filter((c) => Number.isFinite(c.sse))
    .sort((x, y) => x.sse - y.sse);
  const seen: number[][] = [];
  for (const c of free) {
    // a constrained fit is never better than its unconstrained start: nothing below can win any more
    if (best && c.sse >= best.sse) break;
    if (seen.some((q) => q.every((v, i) => Math.abs(v - c.p[i]) <= 1e-6 * (1 + Math.abs(v))))) continue;
    seen.push(c.p);
    let p = c.p;
    let fit: RationalFit = { degree, params: p, xScale, sse: c.sse };
    // not monotone: pushed toward the nearest non-decreasing curve with a growing penalty
    for (let w = 1; !isMonotone(fit, lo, hi) && w <= 1e12; w *= 10) {
      p = refine(us, ys, degree, p, grid, w).p;
      fit = { degree, params: p, xScale, sse: sseOf(us, ys, degree, p) };
    }
    if (Number.isFinite(fit.sse) && (!best || fit.sse < best.sse) && isMonotone(fit, lo, hi)) best = fit;
  }
  return best;
}
