// Fake quantization of tensors on the GPU with a straight-through backward (the gradient passes
// unchanged, as in quantization-aware training). Scales are host numbers: weight scales come from
// max|w| (read back once per tensor), activation scales from calibration.
import { defineOp } from '../autograd/tape.js';
import { expectFloat } from '../tensor/ops/alloc.js';
import { fakeQuantBlockRaw, fakeQuantRaw } from '../tensor/ops/kernel-ops.js';
import { fromArray } from '../tensor/ops/creation.js';
import { abs, scaleShift, sub } from '../tensor/ops/elementwise.js';
import { max, sum } from '../tensor/ops/reduce-ops.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { QuantFormat } from './format.js';

const levelTables = new Map<string, Tensor>();
function levelTable(f: QuantFormat): Tensor {
  const key = f.kind === 'levels' ? f.name : '-';
  let t = levelTables.get(key);
  if (!t) {
    t = keep(fromArray(f.kind === 'levels' && f.levels ? Float32Array.from(f.levels) : new Float32Array([0])));
    levelTables.set(key, t);
  }
  return t;
}

/** Scale for a tensor whose largest magnitude is amax (0 when amax is 0: everything quantizes to 0). */
export function scaleFor(f: QuantFormat, amax: number): number {
  if (Number.isNaN(amax)) throw new Error(`${f.name}: cannot quantize NaN values`);
  if (!Number.isFinite(amax)) throw new Error(`${f.name}: cannot quantize infinite values`);
  return amax / f.qmax;
}

/**
 * Quantize-dequantize x with a given per-tensor scale (ignored by block formats). The kernel multiplies
 * by the f32-rounded 1/scale (a correctly rounded operation, so the float64 reference can match exactly).
 */
// straight-through estimator: quantization is treated as the identity in the backward pass
const FAKE_QUANT = defineOp('fake_quant', (g) => [scaleShift(g, 1, 0)]);

export function fakeQuant(x: Tensor, f: QuantFormat, scale: number): Tensor {
  expectFloat(`fake_quant ${f.name}`, x);
  let out: Tensor;
  if (f.kind === 'block-int') {
    out = fakeQuantBlockRaw(x, f.blockSize ?? 32, f.fracBits ?? 0, f.qmax);
  } else {
    if (!(scale >= 0) || !Number.isFinite(scale))
      throw new Error(`${f.name}: scale must be a finite number >= 0, got ${scale}`);
    const invScale = scale === 0 ? 0 : 1 / scale;
    if (!Number.isFinite(Math.fround(invScale)))
      throw new Error(`${f.name}: scale ${scale} is too small for float32 arithmetic (values are all below 1e-38)`);
    out = fakeQuantRaw(x, {
      mode: f.kind === 'int' ? 'int' : 'levels',
      levels: levelTable(f),
      nLevels: f.levels?.length ?? 1,
      clamp: !f.unclamped,
      invScale,
      scale,
      qmax: f.qmax,
    });
  }
  return FAKE_QUANT.record(out, [x]);
}

/** max|x|, read back; NaN/inf are detected through sum(x - x), which only they make non-zero
 * (comparisons with NaN are not reliable under the drivers' fast-math). */
export async function absMax(x: Tensor): Promise<number> {
  const [m, bad] = tidy(() => [max(abs(x)), sum(sub(x, x))]);
  const [a, b] = [await m.item(), await bad.item()];
  m.dispose();
  bad.dispose();
  if (b !== 0) throw new Error(`${x.describe()}: holds NaN or infinite values, which cannot be quantized`);
  return a;
}

/** Quantize a tensor with its own per-tensor scale; returns the result and the scale. */
export async function quantizeTensor(x: Tensor, f: QuantFormat): Promise<{ q: Tensor; scale: number }> {
  const scale = scaleFor(f, await absMax(x));
  return { q: fakeQuant(x, f, scale), scale };
}
