import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { ready, expectClose, shapeArb, valuesArb, RUNS } from './helpers.js';
import { reduce, sumF, size, arr, permute as refPermute, slice as refSlice, concat as refConcat } from './ref.js';

beforeAll(async () => {
  await ready;
});

const withAxes = shapeArb(1, 4, 5).chain((s) =>
  fc.tuple(fc.constant(s), fc.subarray([...s.keys()], { minLength: 1 }), fc.boolean(), valuesArb(size(s), -3, 3)),
);

const REDUCTIONS: Record<string, [(x: q.Tensor, axes: number[], k: boolean) => q.Tensor, (v: number[]) => number]> = {
  sum: [q.sum, sumF],
  mean: [q.mean, (v) => sumF(v) / v.length],
  max: [q.max, (v) => Math.max(...v)],
  min: [q.min, (v) => Math.min(...v)],
  var: [
    (x, a, k) => q.variance(x, a, { keepdim: k }),
    (v) => {
      const m = sumF(v) / v.length;
      return v.length > 1 ? sumF(v.map((x) => (x - m) ** 2)) / (v.length - 1) : NaN;
    },
  ],
};

describe('reductions over any axes', () => {
  for (const [name, [f, ref]] of Object.entries(REDUCTIONS)) {
    it(`${name}: forward matches reference`, async () => {
      await fc.assert(
        fc.asyncProperty(withAxes, async ([s, axes, keep, v]) => {
          const e = reduce(arr(v, s), axes, ref, keep);
          const out = q.tidy(() => f(q.fromArray(v, s), axes, keep));
          expect(out.shape).toEqual(e.shape);
          expectClose(await out.toArray(), e.data, 1e-4, 1e-4);
          out.dispose();
        }),
        RUNS,
      );
    });
    it(`${name}: gradient matches finite differences`, async () => {
      await fc.assert(
        fc.asyncProperty(withAxes, async ([s, axes, keep, v]) => {
          if (name === 'var' && axes.reduce((p, a) => p * s[a], 1) < 2) return;
          const vals = v.map((x, i) => x + 1e-3 * i); // distinct values: no ties for max/min
          const r = await q.gradcheck(([x]) => f(x, axes, keep), [{ data: vals, shape: s }], {
            reference: ([x]) => reduce({ data: x, shape: s }, axes, ref, keep).data,
          });
          expect(r.ok, r.worst).toBe(true);
        }),
        RUNS,
      );
    });
  }

  it('large reductions use the two-pass path and stay accurate', async () => {
    const n = 100_000;
    const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const s = await q.sum(q.fromArray(v)).item();
    expect(s).toBeCloseTo(
      v.reduce((a, b) => a + b, 0),
      2,
    );
    const x = q.fromArray(v, [4, 25_000]);
    expectClose(
      await q.max(x, 1).toArray(),
      [0, 1, 2, 3].map((r) => Math.max(...v.slice(r * 25000, (r + 1) * 25000))),
    );
  });

  it('max shares the gradient among ties (amax semantics)', async () => {
    const x = q.fromArray([1, 3, 3, 2]).requiresGrad_();
    const [g] = q.grad(q.max(x), [x]);
    expectClose(await g.toArray(), [0, 0.5, 0.5, 0]);
  });

  it('argmax/argmin return the first extremum as int32', async () => {
    const x = q.fromArray([1, 5, 5, 0, -1, 7, 7, 2], [2, 4]);
    const am = q.argmax(x, 1);
    expect(am.dtype).toBe('int32');
    expect(Array.from(await am.toArray())).toEqual([1, 1]);
    expect(Array.from(await q.argmin(x, 1).toArray())).toEqual([3, 0]);
    expect(Array.from(await q.argmax(x, 0).toArray())).toEqual([0, 1, 1, 1]);
  });
});

describe('shape ops', () => {
  it('permute matches reference and its gradient is the inverse permutation', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb(1, 4, 4).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }),
            valuesArb(size(s)),
          ),
        ),
        async ([s, perm, v]) => {
          const e = refPermute(arr(v, s), perm);
          const out = q.permute(q.fromArray(v, s), perm);
          expect(out.shape).toEqual(e.shape);
          expectClose(await out.toArray(), e.data);
          const r = await q.gradcheck(([x]) => q.permute(x, perm), [{ data: v, shape: s }], {
            reference: ([x]) => refPermute({ data: x, shape: s }, perm).data,
          });
          expect(r.ok, r.worst).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('slice (any axis, negative bounds, steps) and its gradient', async () => {
    const arb = shapeArb(1, 4, 6).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.integer({ min: 0, max: s.length - 1 }),
        fc.integer({ min: -7, max: 7 }),
        fc.integer({ min: -7, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        valuesArb(size(s)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([s, axis, start, end, step, v]) => {
        const e = refSlice(arr(v, s), axis, start, end, step);
        const out = q.slice(q.fromArray(v, s), axis, start, end, step);
        expect(out.shape).toEqual(e.shape);
        expectClose(await out.toArray(), e.data);
        if (!e.data.length) return;
        const r = await q.gradcheck(([x]) => q.slice(x, axis, start, end, step), [{ data: v, shape: s }], {
          reference: ([x]) => refSlice({ data: x, shape: s }, axis, start, end, step).data,
        });
        expect(r.ok, r.worst).toBe(true);
      }),
      RUNS,
    );
  });

  it('concat along any axis and its gradient', async () => {
    const arb = shapeArb(1, 4, 4).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.integer({ min: 0, max: s.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([s, axis, sizes]) => {
        const shapes = sizes.map((k) => s.map((d, i) => (i === axis ? k : d)));
        const datas = shapes.map((sh, j) => Array.from({ length: size(sh) }, (_, i) => Math.sin(i + 10 * j)));
        const e = refConcat(
          datas.map((d, j) => arr(d, shapes[j])),
          axis,
        );
        const out = q.concat(
          datas.map((d, j) => q.fromArray(d, shapes[j])),
          axis,
        );
        expect(out.shape).toEqual(e.shape);
        expectClose(await out.toArray(), e.data);
        const r = await q.gradcheck(
          (xs) => q.concat(xs, axis),
          datas.map((d, j) => ({ data: d, shape: shapes[j] })),
          {
            reference: (xs) =>
              refConcat(
                xs.map((d, j) => ({ data: d, shape: shapes[j] })),
                axis,
              ).data,
          },
        );
        expect(r.ok, r.worst).toBe(true);
      }),
      RUNS,
    );
  });

  it('reshape shares the buffer; -1 is inferred; expand broadcasts and sums back in backward', async () => {
    const x = q.arange(6);
    const y = q.reshape(x, [2, -1]);
    expect(y.shape).toEqual([2, 3]);
    expect(y.buffer).toBe(x.buffer);
    const e = q.fromArray([1, 2, 3], [3, 1]).requiresGrad_();
    const ex = q.expand(e, [2, 3, 4]);
    expect(ex.shape).toEqual([2, 3, 4]);
    expectClose((await ex.toArray()).slice(0, 8), [1, 1, 1, 1, 2, 2, 2, 2]);
    const [g] = q.grad(q.sum(ex), [e]);
    expectClose(await g.toArray(), [8, 8, 8]);
  });

  it('transpose, flatten, squeeze/unsqueeze, stack', async () => {
    const x = q.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    expectClose(await q.transpose(x).toArray(), [1, 4, 2, 5, 3, 6]);
    expect(q.flatten(q.zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(q.unsqueeze(x, 1).shape).toEqual([2, 1, 3]);
    expect(q.squeeze(q.zeros([1, 3, 1])).shape).toEqual([3]);
    const st = q.stack([x, x], 0);
    expect(st.shape).toEqual([2, 2, 3]);
  });

  it('creation: full, arange, seeded rand/randn reproducible', async () => {
    expect(Array.from(await q.arange(2, 11, 3).toArray())).toEqual([2, 5, 8]);
    expect(Array.from(await q.arange(4, undefined, 1, 'int32').toArray())).toEqual([0, 1, 2, 3]);
    expect(Array.from(await q.full([2], 7.5).toArray())).toEqual([7.5, 7.5]);
    const a = await q.randn([1000], new q.Random(3)).toFloat32();
    const b = await q.randn([1000], new q.Random(3)).toFloat32();
    expect(Array.from(a)).toEqual(Array.from(b));
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
    expect(Math.abs(m)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
    const u = await q.rand([1000], new q.Random(1)).toArray();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});
