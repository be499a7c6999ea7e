// Curve fits of a similarity measure x (js_flops and variants) to acc_loss y. Candidate forms: the seed's
// rational functions (2/2, and 3/3 or 4/4 as options; ./rational.ts), polynomials of degree 1-4, a power law
// a·x^b and a saturating exponential a·(1 − e^(−b·x)). Only fits that are non-decreasing over the data's
// range are eligible (a predictor of accuracy loss must not say more divergence costs less). A preferred form
// (the seed's rat22) is chosen when eligible, else the best by R² on held-out points (k-fold). x is scaled by
// its maximum so the normal equations stay well conditioned.
// Platform-neutral: the browser page applies saved fits with predictFit().

import { solveLinear } from './linear-solve.js';
import { fitRational, nonDecreasing, rationalValue } from './rational.js';

export type FitForm = 'rat22' | 'rat33' | 'rat44' | 'poly1' | 'poly2' | 'poly3' | 'poly4' | 'power' | 'satexp';
export const FIT_FORMS: FitForm[] = ['rat22', 'poly1', 'poly2', 'poly3', 'poly4', 'power', 'satexp'];
export const RATIONAL_DEGREE: Partial<Record<FitForm, number>> = { rat22: 2, rat33: 3, rat44: 4 };

export interface Fit {
  form: FitForm;
  /** parameters in scaled x (u = x / xScale) */
  params: number[];
  xScale: number;
  /** R² on the points it was fitted to */
  r2: number;
  /** mean R² over held-out folds (NaN when there were too few points) */
  cvR2: number;
  n: number;
  /** non-decreasing on min(x):0.5:max(x) and a fine grid (only such fits are eligible) */
  monotone?: boolean;
  /** 5th and 95th percentiles of the held-out residuals y - prediction: a prediction interval's offsets */
  residualBand?: [number, number];
}

export function predictFit(f: Pick<Fit, 'form' | 'params' | 'xScale'>, x: number): number {
  const degree = RATIONAL_DEGREE[f.form];
  if (degree) return rationalValue({ degree, params: f.params, xScale: f.xScale }, x);
  const u = x / f.xScale;
  const p = f.params;
  switch (f.form) {
    case 'power':
      return p[0] * Math.pow(Math.max(u, 0), p[1]);
    case 'satexp':
      return p[0] * (1 - Math.exp(-p[1] * u));
    default:
      return p.reduce((s, c, i) => s + c * u ** i, 0);
  }
}

export function rSquared(ys: number[], preds: number[]): number {
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  let ssRes = 0,
    ssTot = 0;
  ys.forEach((y, i) => {
    ssRes += (y - preds[i]) ** 2;
    ssTot += (y - mean) ** 2;
  });
  return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
}

function polyFit(us: number[], ys: number[], degree: number): number[] | null {
  const k = degree + 1;
  const A = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => us.reduce((s, u) => s + u ** (i + j), 0)),
  );
  const b = Array.from({ length: k }, (_, i) => us.reduce((s, u, n) => s + ys[n] * u ** i, 0));
  // a tiny ridge keeps degenerate designs (repeated x) solvable
  for (let i = 0; i < k; i++) A[i][i] += 1e-12 * (A[i][i] || 1);
  return solveLinear(A, b);
}

/** Levenberg–Marquardt for two-parameter models, numeric Jacobian. */
function levenberg(
  us: number[],
  ys: number[],
  f: (u: number, p: number[]) => number,
  p0: number[],
  iters = 200,
): number[] {
  let p = [...p0];
  const loss = (q: number[]) => us.reduce((s, u, i) => s + (ys[i] - f(u, q)) ** 2, 0);
  let cur = loss(p);
  let lambda = 1e-3;
  for (let it = 0; it < iters; it++) {
    const J = us.map((u) =>
      p.map((_, j) => {
        const h = 1e-6 * Math.max(1, Math.abs(p[j]));
        const q = [...p];
        q[j] += h;
        return (f(u, q) - f(u, p)) / h;
      }),
    );
    const r = us.map((u, i) => ys[i] - f(u, p));
    const JtJ = p.map((_, a) => p.map((__, b) => J.reduce((s, row) => s + row[a] * row[b], 0)));
    const Jtr = p.map((_, a) => J.reduce((s, row, i) => s + row[a] * r[i], 0));
    let improved = false;
    for (let tries = 0; tries < 10; tries++) {
      const A = JtJ.map((row, a) => row.map((v, b) => (a === b ? v * (1 + lambda) + 1e-12 : v)));
      const d = solveLinear(A, Jtr);
      if (!d) {
        lambda *= 10;
        continue;
      }
      const q = p.map((v, j) => v + d[j]);
      const l = loss(q);
      if (Number.isFinite(l) && l < cur) {
        p = q;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = cur - l > 1e-15 * (1 + cur);
        cur = l;
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return p;
}

function fitParams(form: FitForm, us: number[], ys: number[]): number[] | null {
  switch (form) {
    case 'rat22':
    case 'rat33':
    case 'rat44':
      throw new Error('rational forms are fitted in x, not u (fitRational)');
    case 'poly1':
      return polyFit(us, ys, 1);
    case 'poly2':
      return polyFit(us, ys, 2);
    case 'poly3':
      return polyFit(us, ys, 3);
    case 'poly4':
      return polyFit(us, ys, 4);
    case 'power': {
      // start from a log-log line through the positive points
      const pos = us.map((u, i) => [u, ys[i]]).filter(([u, y]) => u > 0 && y > 0);
      let p0 = [Math.max(...ys, 1e-3), 1];
      if (pos.length >= 2) {
        const l = polyFit(
          pos.map(([u]) => Math.log(u)),
          pos.map(([, y]) => Math.log(y)),
          1,
        );
        if (l) p0 = [Math.exp(l[0]), l[1]];
      }
      return levenberg(us, ys, (u, p) => p[0] * Math.pow(Math.max(u, 0), p[1]), p0);
    }
    case 'satexp': {
      const a0 = Math.max(...ys.map(Math.abs), 1e-3);
      return levenberg(us, ys, (u, p) => p[0] * (1 - Math.exp(-p[1] * u)), [a0, 3]);
    }
  }
}

/**
 * Non-decreasing over [min x, max x] on the seed's 0.5 grid and a fine one (a fall below 1e-6 of the span is
 * rounding).
 */
export function isMonotoneFit(f: Fit, xs: number[]): boolean {
  return nonDecreasing((x) => predictFit(f, x), Math.min(...xs), Math.max(...xs), 1e-15);
}

/** Fit one form to all points (no cross-validation); rational forms from `starts` seeded starts. */
export function fitForm(form: FitForm, xs: number[], ys: number[], starts = 40): Fit | null {
  if (xs.length !== ys.length) throw new Error(`fit: ${xs.length} x values but ${ys.length} y values`);
  const degree = RATIONAL_DEGREE[form];
  if (degree) {
    const r = fitRational(xs, ys, { degree, starts });
    if (!r) return null;
    const fit: Fit = { form, params: r.params, xScale: r.xScale, r2: NaN, cvR2: NaN, n: xs.length, monotone: true };
    fit.r2 = rSquared(
      ys,
      xs.map((x) => predictFit(fit, x)),
    );
    return fit;
  }
  const xScale = Math.max(...xs.map(Math.abs)) || 1;
  const us = xs.map((x) => x / xScale);
  const params = fitParams(form, us, ys);
  if (!params || params.some((v) => !Number.isFinite(v))) return null;
  const fit: Fit = { form, params, xScale, r2: NaN, cvR2: NaN, n: xs.length };
  fit.r2 = rSquared(
    ys,
    xs.map((x) => predictFit(fit, x)),
  );
  fit.monotone = isMonotoneFit(fit, xs);
  return fit;
}

/** The 5th and 95th percentiles of residuals (linear interpolation between order statistics). */
export function residualBand(residuals: number[]): [number, number] {
  const s = [...residuals].sort((a, b) => a - b);
  const at = (q: number) => {
    const i = q * (s.length - 1),
      lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return [at(0.05), at(0.95)];
}

/** A prediction with the interval the held-out residuals give (the point alone when there were no folds). */
export function predictInterval(f: Fit, x: number): { value: number; lo: number; hi: number } {
  const value = predictFit(f, x);
  const [a, b] = f.residualBand ?? [0, 0];
  return { value, lo: value + a, hi: value + b };
}

/** Minimum points to fit a form (parameters + 1 so R² means something). */
const MIN_POINTS: Record<FitForm, number> = {
  rat22: 6,
  rat33: 8,
  rat44: 10,
  poly1: 3,
  poly2: 4,
  poly3: 5,
  poly4: 6,
  power: 3,
  satexp: 3,
};

/**
 * Fit every form, score each by k-fold held-out R², and return all: monotone fits first (the preferred form
 * leading when it is among them, then by held-out R²), non-monotone ones after (never eligible).
 */
export function selectFit(
  xs: number[],
  ys: number[],
  forms: FitForm[] = FIT_FORMS,
  folds = 5,
  preferred?: FitForm,
): Fit[] {
  const n = xs.length;
  const out: Fit[] = [];
  // deterministic interleaved folds (points are usually sorted by format and bits)
  const foldOf = (i: number) => i % folds;
  for (const form of forms) {
    if (n < MIN_POINTS[form]) continue;
    const fit = fitForm(form, xs, ys);
    if (!fit) continue;
    if (n >= MIN_POINTS[form] + 2 && n >= folds) {
      const heldY: number[] = [],
        heldP: number[] = [];
      for (let k = 0; k < folds; k++) {
        const tr = [...Array(n).keys()].filter((i) => foldOf(i) !== k);
        const te = [...Array(n).keys()].filter((i) => foldOf(i) === k);
        const f = fitForm(
          form,
          tr.map((i) => xs[i]),
          tr.map((i) => ys[i]),
          10, // fewer seeded starts per fold: the held-out score is a check, not the reported fit
        );
        if (!f) continue;
        for (const i of te) {
          heldY.push(ys[i]);
          heldP.push(predictFit(f, xs[i]));
        }
      }
      if (heldY.length === n) {
        fit.cvR2 = rSquared(heldY, heldP);
        fit.residualBand = residualBand(heldY.map((y, i) => y - heldP[i]));
      }
    }
    out.push(fit);
  }
  // without folds, fall back on fit R² (ranked after CV-scored forms)
  const score = (f: Fit) => (Number.isNaN(f.cvR2) ? f.r2 - 1 : f.cvR2);
  const rank = (f: Fit) => [f.monotone ? 1 : 0, f.form === preferred ? 1 : 0, score(f)];
  return out.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  });
}

export function describeFit(f: Fit): string {
  const p = f.params.map((v) => v.toPrecision(4));
  const u = `(x/${f.xScale.toPrecision(3)})`;
  const degree = RATIONAL_DEGREE[f.form];
  if (degree) {
    const poly = (c: string[], first: string) =>
      [first, ...c].map((v, i) => (i === 0 ? v : `${v}·${u}${i > 1 ? `^${i}` : ''}`)).join(' + ');
    return `(${poly(p.slice(1, degree + 1), p[0])}) / (${poly(p.slice(degree + 1), '1')})`;
  }
  switch (f.form) {
    case 'power':
      return `${p[0]}·${u}^${p[1]}`;
    case 'satexp':
      return `${p[0]}·(1 − exp(−${p[1]}·${u}))`;
    default:
      return p.map((c, i) => (i === 0 ? c : `${c}·${u}${i > 1 ? `^${i}` : ''}`)).join(' + ');
  }
}
