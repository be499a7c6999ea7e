// Gradient checking: analytic gradients from the engine vs central finite differences. The differences
// come from a float64 reference function when one is given (exact enough for tight tolerances), otherwise
// from the engine itself in float32 (use a larger eps and looser tolerance).
import { Tensor } from '../tensor/tensor.js';
import { fromArray } from '../tensor/ops/creation.js';
import { sum } from '../tensor/ops/reduce-ops.js';
import { mul } from '../tensor/ops/elementwise.js';
import { tidy } from '../tensor/scope.js';
import { grad } from './backward.js';

export interface GradcheckInput {
  data: Float64Array | number[];
  shape: number[];
}

export interface GradcheckOptions {
  /** float64 reference of the same function: inputs -> output values (flattened) */
  reference?: (inputs: Float64Array[]) => Float64Array | number[];
  eps?: number;
  atol?: number;
  rtol?: number;
  /** seed for the random projection of non-scalar outputs */
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxError: number;
  worst: string;
}

/**
 * Checks d(sum(w * f(inputs)))/d(input) for a fixed random weighting w, so non-scalar outputs are covered.
 */
export async function gradcheck(
  f: (xs: Tensor[]) => Tensor,
  inputs: GradcheckInput[],
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const eps = opts.eps ?? (opts.reference ? 1e-6 : 1e-2);
  const atol = opts.atol ?? (opts.reference ? 1e-3 : 5e-2);
  const rtol = opts.rtol ?? (opts.reference ? 1e-3 : 5e-2);
  let seed = opts.seed ?? 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296 - 0.5;
  };

  // analytic
  const probe = tidy(() => f(inputs.map((x) => fromArray(Float32Array.from(x.data), x.shape))));
  const weights = Float64Array.from({ length: probe.size }, () => rnd() + 1.5);
  probe.dispose();
  const analytic = await (async () => {
    const gs = tidy(() => {
      const xs = inputs.map((x) => {
        const t = fromArray(Float32Array.from(x.data), x.shape);
        t.requiresGrad = true;
        return t;
      });
      const y = f(xs);
      const loss = sum(mul(y, fromArray(Float32Array.from(weights), y.shape)));
      return grad(loss, xs);
    });
    const arrs = await Promise.all(gs.map((g) => g.toFloat32()));
    gs.forEach((g) => g.dispose());
    return arrs;
  })();

  // numeric
  const evalAt = async (vals: Float64Array[]): Promise<number> => {
    let out: ArrayLike<number>;
    if (opts.reference) out = opts.reference(vals);
    else {
      const y = tidy(() => f(vals.map((v, i) => fromArray(Float32Array.from(v), inputs[i].shape))));
      out = await y.toFloat32();
      y.dispose();
    }
    let s = 0;
    for (let i = 0; i < out.length; i++) s += weights[i] * out[i];
    return s;
  };
  let maxError = 0,
    worst = '',
    ok = true;
  const base = inputs.map((x) => Float64Array.from(x.data));
  for (let k = 0; k < base.length; k++) {
    for (let i = 0; i < base[k].length; i++) {
      const orig = base[k][i];
      base[k][i] = orig + eps;
      const fp = await evalAt(base);
      base[k][i] = orig - eps;
      const fm = await evalAt(base);
      base[k][i] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[k][i];
      const err = Math.abs(a - numeric);
      if (err > maxError) {
        maxError = err;
        worst = `input ${k}[${i}]: analytic ${a}, numeric ${numeric}`;
      }
      if (!(err <= atol + rtol * Math.abs(numeric))) ok = false;
    }
  }
  return { ok, maxError, worst };
}
