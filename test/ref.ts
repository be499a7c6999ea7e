// Float64 CPU reference implementations, written independently of the engine, used by the tests.
export interface Arr {
  data: Float64Array;
  shape: number[];
}

export const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
export const strides = (s: readonly number[]) => {
  const r = new Array(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) r[i] = r[i + 1] * s[i + 1];
  return r;
};
export const arr = (data: ArrayLike<number>, shape: number[]): Arr => ({ data: Float64Array.from(data), shape });

function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

export function bshape(...shapes: number[][]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(...shapes.map((s) => s[s.length - n + i] ?? 1)));
}

function bget(a: Arr, coord: number[]): number {
  const off = coord.length - a.shape.length;
  const st = strides(a.shape);
  let k = 0;
  for (let d = 0; d < a.shape.length; d++) k += (a.shape[d] === 1 ? 0 : coord[d + off]) * st[d];
  return a.data[k];
}

export function map(xs: Arr[], f: (...v: number[]) => number): Arr {
  const shape = bshape(...xs.map((x) => x.shape));
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    out[i] = f(...xs.map((x) => bget(x, c)));
  }
  return { data: out, shape };
}

export function reduce(x: Arr, axes: number[], f: (vals: number[]) => number, keepdim = false): Arr {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(kept) }, () => []);
  const ks = strides(kept);
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape);
    let k = 0;
    c.forEach((v, d) => {
      if (!axes.includes(d)) k += v * ks[d];
    });
    groups[k].push(x.data[i]);
  }
  const shape = keepdim ? kept : x.shape.filter((_, i) => !axes.includes(i));
  return { data: Float64Array.from(groups.map(f)), shape };
}

export const sumF = (v: number[]) => v.reduce((a, b) => a + b, 0);

export function permute(x: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => x.shape[p]);
  const st = strides(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    let k = 0;
    c.forEach((v, d) => {
      k += v * st[perm[d]];
    });
    out[i] = x.data[k];
  }
  return { data: out, shape };
}

export function matmul(a: Arr, b: Arr): Arr {
  // [..., M, K] x [..., K, N], batch dims broadcast
  const M = a.shape[a.shape.length - 2],
    K = a.shape[a.shape.length - 1],
    N = b.shape[b.shape.length - 1];
  const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = new Float64Array(size(batch) * M * N);
  const aB = a.shape.slice(0, -2),
    bB = b.shape.slice(0, -2);
  for (let bi = 0; bi < size(batch); bi++) {
    const c = unravel(bi, batch);
    const offA = idx(c, aB) * M * K,
      offB = idx(c, bB) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[offA + i * K + k] * b.data[offB + k * N + j];
        out[bi * M * N + i * N + j] = s;
      }
  }
  return { data: out, shape: [...batch, M, N] };
  function idx(c: number[], shape: number[]) {
    const off = c.length - shape.length,
      st = strides(shape);
    return shape.reduce((k, d, i) => k + (d === 1 ? 0 : c[i + off]) * st[i], 0);
  }
}

export function softmax(x: Arr, axis: number, log = false): Arr {
  const out = new Float64Array(x.data.length);
  const st = strides(x.shape);
  const R = x.shape[axis];
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape);
    if (c[axis] !== 0) continue;
    const idxs = Array.from({ length: R }, (_, r) => i + r * st[axis]);
    const m = Math.max(...idxs.map((k) => x.data[k]));
    const s = idxs.reduce((a, k) => a + Math.exp(x.data[k] - m), 0);
    for (const k of idxs) out[k] = log ? x.data[k] - m - Math.log(s) : Math.exp(x.data[k] - m) / s;
  }
  return { data: out, shape: [...x.shape] };
}

export function slice(x: Arr, axis: number, start: number, end: number, step: number): Arr {
  const shape = [...x.shape];
  const n = x.shape[axis];
  const cl = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = cl(start),
    e = cl(end);
  shape[axis] = Math.max(0, Math.ceil((e - s) / step));
  const st = strides(x.shape);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    c[axis] = s + c[axis] * step;
    out[i] = x.data[c.reduce((k, v, d) => k + v * st[d], 0)];
  }
  return { data: out, shape };
}

export function concat(xs: Arr[], axis: number): Arr {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    let k = 0,
      a = c[axis];
    while (a >= xs[k].shape[axis]) {
      a -= xs[k].shape[axis];
      k++;
    }
    c[axis] = a;
    const st = strides(xs[k].shape);
    out[i] = xs[k].data[c.reduce((q, v, d) => q + v * st[d], 0)];
  }
  return { data: out, shape };
}

export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `index ${i}: got ${a}, expected ${e}`;
  }
  return null;
}

export interface ConvParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export function conv2d(x: Arr, w: Arr, b: Arr | null, o: ConvParams): Arr {
  const [N, Cin, H, W] = x.shape;
  const [Cout, Cg, KH, KW] = w.shape;
  const [sH, sW] = o.stride,
    [pH, pW] = o.padding,
    [dH, dW] = o.dilation;
  const OH = Math.floor((H + 2 * pH - dH * (KH - 1) - 1) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - dW * (KW - 1) - 1) / sW) + 1;
  const M = Cout / o.groups;
  const out = new Float64Array(N * Cout * OH * OW);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / M);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = b ? b.data[co] : 0;
          for (let ci = 0; ci < Cg; ci++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * sH - pH + kh * dH,
                  iw = ow * sW - pW + kw * dW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x.data[((n * Cin + g * Cg + ci) * H + ih) * W + iw] * w.data[((co * Cg + ci) * KH + kh) * KW + kw];
              }
          out[((n * Cout + co) * OH + oh) * OW + ow] = s;
        }
    }
  return { data: out, shape: [N, Cout, OH, OW] };
}

/** mode: max | avg (count_include_pad) | avg_exclude_pad | adaptive */
export function pool2d(x: Arr, mode: string, k: number, s: number, p: number, out?: [number, number]): Arr {
  const [N, C, H, W] = x.shape;
  const OH = out ? out[0] : Math.floor((H + 2 * p - k) / s) + 1;
  const OW = out ? out[1] : Math.floor((W + 2 * p - k) / s) + 1;
  const res = new Float64Array(N * C * OH * OW);
  for (let pl = 0; pl < N * C; pl++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let r0: number, r1: number, c0: number, c1: number;
        if (mode === 'adaptive') {
          r0 = Math.floor((oh * H) / OH);
          r1 = Math.ceil(((oh + 1) * H) / OH);
          c0 = Math.floor((ow * W) / OW);
          c1 = Math.ceil(((ow + 1) * W) / OW);
        } else {
          r0 = oh * s - p;
          r1 = r0 + k;
          c0 = ow * s - p;
          c1 = c0 + k;
        }
        const padCount = (Math.min(r1, H + p) - r0) * (Math.min(c1, W + p) - c0);
        const vals: number[] = [];
        for (let r = Math.max(r0, 0); r < Math.min(r1, H); r++)
          for (let c = Math.max(c0, 0); c < Math.min(c1, W); c++) vals.push(x.data[(pl * H + r) * W + c]);
        const sum = vals.reduce((a, b) => a + b, 0);
        res[(pl * OH + oh) * OW + ow] =
          mode === 'max' ? Math.max(...vals) : mode === 'avg' ? sum / padCount : sum / vals.length;
      }
  return { data: res, shape: [N, C, OH, OW] };
}
