// Float64 references for the quantization formats, emulating the kernels' f32 steps exactly
// (v = fround(x * fround(1/scale)), clamp, nearest level with ties to the smaller magnitude, fround(q * scale)).
import type { QuantFormat } from '../src/quant/format.js';

const f = Math.fround;

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

export function refNearestLevel(levels: ArrayLike<number>, a: number): number {
  let best = levels[0];
  for (let i = 1; i < levels.length; i++) {
    const below = f(levels[i - 1]),
      above = f(levels[i]);
    if (a <= above) return f(above - a) < f(a - below) ? above : below;
    best = above;
  }
  return best;
}

export function refFakeQuant(x: ArrayLike<number>, fmt: QuantFormat, scale: number): Float64Array {
  const out = new Float64Array(x.length);
  if (fmt.kind === 'block-int') {
    const bs = fmt.blockSize ?? 32,
      F = fmt.fracBits ?? 0;
    for (let s = 0; s < x.length; s += bs) {
      let amax = 0;
      for (let i = s; i < Math.min(s + bs, x.length); i++) amax = Math.max(amax, Math.abs(x[i]));
      const e = amax === 0 ? 0 : Math.floor(Math.log2(amax));
      for (let i = s; i < Math.min(s + bs, x.length); i++) {
        out[i] =
          amax === 0 ? 0 : Math.min(fmt.qmax, Math.max(-fmt.qmax, roundHalfEven(x[i] * 2 ** (F - e)))) * 2 ** (e - F);
      }
    }
    return out;
  }
  const inv = scale === 0 ? 0 : f(1 / f(scale));
  const sc = f(scale);
  const qmax = f(fmt.qmax);
  for (let i = 0; i < x.length; i++) {
    let v = f(x[i] * inv);
    if (!fmt.unclamped) v = Math.min(qmax, Math.max(-qmax, v));
    let q: number;
    if (fmt.kind === 'int') q = roundHalfEven(v);
    else {
      const m = refNearestLevel(Float32Array.from(fmt.levels ?? []), Math.abs(v));
      q = v < 0 ? -m : m;
    }
    out[i] = f(q * sc);
  }
  return out;
}
