// Quantization formats: level sets (count and values) as the seed defines them, nearest-value rounding on
// the GPU against the float64 reference (random and edge values), straight-through gradient, NaN errors,
// histograms against a CPU count, JS divergence against a float64 reference.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import {
  absMax,
  fakeQuant,
  floatFormat,
  getFormat,
  histogram,
  histogramJs,
  intFormat,
  jsDivergence,
  jsFromCounts,
  potFormat,
  quantizeTensor,
  scaleFor,
  sweepFormats,
} from '../src/quant/index.js';
import { ready } from './helpers.js';
import { refFakeQuant } from './quant-ref.js';

beforeAll(async () => {
  await ready;
});

const ALL = () => sweepFormats(['INT', 'POT', 'FLOAT', 'OCP', 'MX'], [2, 3, 4, 5, 6, 7, 8, 16]);
const signedLevels = (m: Float64Array) =>
  [...m]
    .reverse()
    .map((v) => -v)
    .concat([...m].slice(1))
    .filter((v, i, a) => i === 0 || v !== a[i - 1]);

describe('format level sets', () => {
  it('INT-k: qmax = 2^(k-1) - 1', () => {
    for (let k = 2; k <= 16; k++) expect(getFormat(`INT${k}`).qmax).toBe(2 ** (k - 1) - 1);
    expect(() => getFormat('INT17')).toThrow(/2\.\.16/);
  });

  it('POT-k: {0} ∪ {±2^i : i = -2^(k-1)+2 .. 0}, 2^k - 1 values', () => {
    for (let k = 2; k <= 8; k++) {
      const f = potFormat(k);
      expect(signedLevels(f.levels as Float64Array).length).toBe(2 ** k - 1);
      expect(f.qmax).toBe(1);
      expect(f.levels?.[1]).toBe(2 ** (-(2 ** (k - 1)) + 2));
    }
    expect([...(potFormat(3).levels ?? [])]).toEqual([0, 0.25, 0.5, 1]);
  });

  it('FLOAT-k/e: subnormals, normals and qmax as the seed defines them', () => {
    const f = floatFormat(5, 2); // m = 2: subnormals j/4 * 2^-1, normals (1 + j/4) 2^E for E = 0..2
    expect([...(f.levels ?? [])]).toEqual([0, 0.125, 0.25, 0.375, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7]);
    expect(f.qmax).toBe(7);
    for (let k = 3; k <= 8; k++) {
      for (let e = 1; e <= k - 2; e++) {
        const g = floatFormat(k, e);
        expect(signedLevels(g.levels as Float64Array).length, g.name).toBe(2 ** k - 1);
        expect(g.levels?.[(g.levels?.length ?? 1) - 1], g.name).toBe(g.qmax);
      }
    }
    expect(() => floatFormat(4, 3)).toThrow(/exponent bits must be 1\.\.2/);
  });

  it('OCP element formats match the spec (max values and code counts)', () => {
    const max = (n: string) => {
      const l = getFormat(n).levels as Float64Array;
      return l[l.length - 1];
    };
    expect(max('FP8_E4M3')).toBe(448);
    expect(max('FP8_E5M2')).toBe(57344);
    expect(max('FP6_E3M2')).toBe(28);
    expect(max('FP6_E2M3')).toBe(7.5);
    expect([...(getFormat('FP4_E2M1').levels ?? [])]).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(getFormat('FP8_E4M3').levels?.length).toBe(127); // 256 codes, ±0 merged, 2 NaN codes
    expect(getFormat('FP8_E5M2').levels?.[1]).toBe(2 ** -16); // smallest subnormal
  });

  it('biases: INT unclamped, POT on POT8, FLOAT on FLOAT16_E7', () => {
    expect(intFormat(4).biasFormat().unclamped).toBe(true);
    expect(potFormat(4).biasFormat().name).toBe('POT8');
    expect(floatFormat(6, 3).biasFormat().name).toBe('FLOAT16_E7');
  });

  it('unknown names are errors that list the families', () => {
    expect(() => getFormat('BF16')).toThrow(/unknown quantization format "BF16".*INT.*POT.*FLOAT/);
  });
});

describe('fake quantization on the GPU', () => {
  it('every format matches the reference on random and edge values', async () => {
    const rng = new q.Random(3);
    const edge = [0, 1, -1, 0.5, -0.5, 1e-8, -1e-8, 3, -3, 2.9999, 1e-3, 1e-40, 0.1, 0.15, 0.2];
    const xs = Float32Array.from({ length: 3000 }, (_, i) =>
      i < edge.length ? edge[i] : Math.max(-2.9, Math.min(2.9, rng.normal() * (i % 7 === 0 ? 0.01 : 1))),
    );
    const x = q.keep(q.fromArray(xs));
    const amax = await absMax(x);
    expect(amax).toBe(3);
    for (const f of ALL()) {
      const scale = scaleFor(f, amax);
      const y = await fakeQuant(x, f, scale).toArray();
      const r = refFakeQuant(xs, f, scale);
      let mism = -1;
      for (let i = 0; i < xs.length && mism < 0; i++) if (y[i] !== r[i]) mism = i;
      expect(mism, `${f.name}: x=${xs[mism]} gpu=${y[mism]} ref=${r[mism]}`).toBe(-1);
      if (f.kind !== 'block-int') {
        // ±max stays exactly ±max; 0 stays 0
        expect(Math.abs(y[7]), f.name).toBeCloseTo(3, 5);
        expect(y[0], f.name).toBe(0);
      }
    }
    x.dispose();
  });

  it('ties: integers round half to even, levels go to the smaller magnitude', async () => {
    const y = await fakeQuant(q.fromArray([0.5, 1.5, 2.5, -2.5]), intFormat(8), 1).toArray();
    expect([...y]).toEqual([0, 2, 2, -2]);
    const p = await fakeQuant(q.fromArray([0.75, -0.375, 0.3]), potFormat(3), 1).toArray(); // levels 0, .25, .5, 1
    expect([...p]).toEqual([0.5, -0.25, 0.25]);
  });

  it('property: outputs match the reference and quantizing twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALL().filter((f) => f.kind !== 'block-int')),
        fc.array(
          fc.float({ min: -4, max: 4, noNaN: true }).map((v) => (Math.abs(v) < 1e-20 ? 0 : v)),
          { minLength: 1, maxLength: 64 },
        ),
        async (f, vals) => {
          const xs = Float32Array.from(vals);
          const amax = xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          const s = scaleFor(f, amax);
          const y = q.fromArray(xs);
          const once = fakeQuant(y, f, s);
          const a = await once.toArray(),
            b = await fakeQuant(once, f, s).toArray();
          const z = (v: ArrayLike<number>) => Array.from(v, (t) => t + 0); // -0 and +0 are the same value
          expect(z(b)).toEqual(z(a));
          expect(z(a)).toEqual(z(refFakeQuant(xs, f, s)));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('MXINT8 shares one power-of-two scale per 32 values', async () => {
    const xs = new Float32Array(64);
    xs[0] = 1;
    xs[1] = 3 / 128;
    xs[2] = 0.3;
    xs[3] = 1 / 128;
    xs[32] = 100;
    xs[33] = 0.3;
    const y = await fakeQuant(q.fromArray(xs), getFormat('MXINT8'), 0).toArray();
    expect(y[1]).toBe(1 / 32); // block max 1 -> X = 1, step 2^-6: 1.5 steps round (half to even) to 2
    expect(y[3]).toBe(0); // 0.5 steps round to 0
    expect(y[2]).toBeCloseTo(Math.round(0.3 * 64) / 64, 7);
    expect(y[33]).toBe(0); // block max 100 -> X = 64, step 1: 0.3 rounds to 0
  });

  it('gradient is straight-through (identity)', async () => {
    const x = q.fromArray([0.3, -1.2, 2.2]);
    x.requiresGrad = true;
    const [g] = q.grad(q.sum(q.mul(fakeQuant(x, intFormat(3), 0.7), q.fromArray([1, 2, 3]))), [x]);
    expect([...(await g.toArray())]).toEqual([1, 2, 3]);
  });

  it('NaN and infinite inputs are errors naming the problem', async () => {
    await expect(quantizeTensor(q.fromArray([1, NaN, 2]), intFormat(8))).rejects.toThrow(
      /holds NaN or infinite values/,
    );
    expect(() => scaleFor(intFormat(8), Infinity)).toThrow(/infinite/);
    expect(() => fakeQuant(q.fromArray([1], [1], 'int32'), intFormat(8), 1)).toThrow(/float32/);
  });
});

describe('histograms and JS divergence', () => {
  it('GPU histogram counts equal a CPU count', async () => {
    const rng = new q.Random(5);
    const xs = Float32Array.from({ length: 100_000 }, () => rng.normal());
    const bins = 2048,
      lo = -3,
      hi = 3;
    const inv = Math.fround(bins / (hi - lo));
    const ref = new Uint32Array(bins);
    for (const v of xs) ref[Math.min(bins - 1, Math.max(0, Math.floor(Math.fround(Math.fround(v - lo) * inv))))]++;
    for (const kernel of ['private', 'atomic'] as const) {
      const h = await histogram(q.fromArray(xs), bins, lo, hi, kernel);
      expect([...h], kernel).toEqual([...ref]);
      expect(h.reduce((s, c) => s + c, 0)).toBe(xs.length);
    }
    // small inputs (fewer elements than invocations) and out-of-range values
    const few = await histogram(q.fromArray([-10, 0.5, 0.5, 99]), 4, 0, 1);
    expect([...few]).toEqual([1, 0, 2, 1]);
  });

  it('seed JS divergence matches a float64 reference and is 0 for identical weights', async () => {
    const rng = new q.Random(9);
    const shape = [4, 3, 2, 2];
    const w = Float32Array.from({ length: 48 }, () => rng.normal());
    const wq = Float32Array.from(refFakeQuant(w, intFormat(3), 3 / 3));
    const ref = (() => {
      const sm = (a: Float32Array, o: number, r: number) => {
        // softmax over dim 1 at (o, ·, r)
        const v = [0, 1, 2].map((i) => a[o * 12 + i * 4 + r]);
        const mx = Math.max(...v),
          e = v.map((x) => Math.exp(x - mx)),
          s = e.reduce((x, y) => x + y);
        return e.map((x) => x / s);
      };
      let js = 0;
      for (let o = 0; o < 4; o++)
        for (let r = 0; r < 4; r++) {
          const p = sm(wq, o, r),
            qq = sm(w, o, r);
          for (let i = 0; i < 3; i++) {
            const m = (p[i] + qq[i]) / 2;
            js += 0.5 * p[i] * Math.log(p[i] / m) + 0.5 * qq[i] * Math.log(qq[i] / m);
          }
        }
      return js;
    })();
    const got = await jsDivergence(q.fromArray(wq, shape), q.fromArray(w, shape)).item();
    expect(got).toBeCloseTo(ref, 5);
    expect(ref).toBeGreaterThan(1e-4);
    expect(await jsDivergence(q.fromArray(w, shape), q.fromArray(w, shape)).item()).toBe(0);
    expect(() => jsDivergence(q.zeros([4]), q.zeros([4]))).toThrow(/at least 2 dims/);
  });

  it('count JS divergence: 0 for equal histograms, ln 2 for disjoint ones', async () => {
    expect(jsFromCounts([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    expect(jsFromCounts([1, 0], [0, 5])).toBeCloseTo(Math.LN2, 12);
    const x = q.fromArray(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)));
    expect(await histogramJs(x, x, 1)).toBe(0);
    expect(await histogramJs((await quantizeTensor(x, intFormat(2))).q, x, 1)).toBeGreaterThan(0.1);
  });
});
