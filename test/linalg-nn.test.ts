import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { ready, expectClose, valuesArb, RUNS } from './helpers.js';
import { matmul as refMatmul, softmax as refSoftmax, size, arr } from './ref.js';

beforeAll(async () => {
  await ready;
});

const dims = fc.integer({ min: 1, max: 37 });

describe('matmul', () => {
  it('2-D products of any size (odd, non-multiple-of-4 dims) match the reference', async () => {
    await fc.assert(
      fc.asyncProperty(dims, dims, dims, async (M, K, N) => {
        const a = Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.7));
        const b = Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.3));
        const out = q.matmul(q.fromArray(a, [M, K]), q.fromArray(b, [K, N]));
        expect(out.shape).toEqual([M, N]);
        expectClose(await out.toArray(), refMatmul(arr(a, [M, K]), arr(b, [K, N])).data, 1e-4, 1e-4);
      }),
      { numRuns: 20 },
    );
  });

  it('large products pick the 16x16 tile and stay exact', async () => {
    const M = 200,
      K = 130,
      N = 260;
    const a = Array.from({ length: M * K }, (_, i) => ((i * 7919) % 13) / 13 - 0.5);
    const b = Array.from({ length: K * N }, (_, i) => ((i * 104729) % 17) / 17 - 0.5);
    const out = q.matmul(q.fromArray(a, [M, K]), q.fromArray(b, [K, N]));
    expectClose(await out.toArray(), refMatmul(arr(a, [M, K]), arr(b, [K, N])).data, 1e-4, 1e-4);
  });

  it('batched and broadcast batch dims, 1-D operands', async () => {
    const cases: [number[], number[]][] = [
      [
        [3, 4, 5],
        [3, 5, 2],
      ],
      [
        [2, 3, 4, 5],
        [5, 6],
      ],
      [
        [1, 4, 5],
        [3, 5, 2],
      ],
      [[4], [4, 3]],
      [[2, 3, 4], [4]],
      [
        [2, 1, 3, 4],
        [5, 4, 2],
      ],
    ];
    for (const [sa, sb] of cases) {
      const a = Array.from({ length: size(sa) }, (_, i) => Math.sin(i));
      const b = Array.from({ length: size(sb) }, (_, i) => Math.cos(i));
      const ra = sa.length === 1 ? [1, ...sa] : sa,
        rb = sb.length === 1 ? [...sb, 1] : sb;
      const e = refMatmul(arr(a, ra), arr(b, rb));
      let eshape = e.shape;
      if (sa.length === 1) eshape = [...eshape.slice(0, -2), eshape[eshape.length - 1]];
      if (sb.length === 1) eshape = eshape.slice(0, -1);
      const out = q.matmul(q.fromArray(a, sa), q.fromArray(b, sb));
      expect(out.shape).toEqual(eshape);
      expectClose(await out.toArray(), e.data, 1e-4, 1e-4);
    }
  });

  it('gradients w.r.t. both operands (2-D, batched, broadcast) match finite differences', async () => {
    const arb = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom('2d', 'batched', 'bcast'),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([B, M, K, N, mode]) => {
        const sa = mode === '2d' ? [M, K] : [B, M, K];
        const sb = mode === 'batched' ? [B, K, N] : [K, N];
        const a = Array.from({ length: size(sa) }, (_, i) => Math.sin(i + 1));
        const b = Array.from({ length: size(sb) }, (_, i) => Math.cos(i + 2));
        const r = await q.gradcheck(
          ([x, y]) => q.matmul(x, y),
          [
            { data: a, shape: sa },
            { data: b, shape: sb },
          ],
          {
            reference: ([x, y]) => refMatmul({ data: x, shape: sa }, { data: y, shape: sb }).data,
          },
        );
        expect(r.ok, r.worst).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('softmax, log_softmax, gather, cross-entropy', () => {
  const arb = fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 2 }),
    )
    .chain(([a, b, c, axis]) =>
      fc.tuple(fc.constant([a, b, c] as number[]), fc.constant(axis), valuesArb(a * b * c, -5, 5)),
    );
  for (const log of [false, true]) {
    const name = log ? 'log_softmax' : 'softmax';
    const f = log ? q.logSoftmax : q.softmax;
    it(`${name} along any axis: forward and gradient`, async () => {
      await fc.assert(
        fc.asyncProperty(arb, async ([s, axis, v]) => {
          const e = refSoftmax(arr(v, s), axis, log);
          expectClose(await f(q.fromArray(v, s), axis).toArray(), e.data, 1e-5, 1e-4);
          const r = await q.gradcheck(([x]) => f(x, axis), [{ data: v, shape: s }], {
            reference: ([x]) => refSoftmax({ data: x, shape: s }, axis, log).data,
          });
          expect(r.ok, r.worst).toBe(true);
        }),
        RUNS,
      );
    });
  }

  it('softmax is stable for huge logits', async () => {
    expectClose(await q.softmax(q.fromArray([1000, 1000, -1000])).toArray(), [0.5, 0.5, 0]);
  });

  it('gather along an axis and its gradient (repeated indices accumulate)', async () => {
    const x = q.fromArray([1, 2, 3, 4, 5, 6], [2, 3]).requiresGrad_();
    const idx = q.fromArray(new Int32Array([2, 2, 0, 1]), [2, 2]);
    const y = q.gather(x, 1, idx);
    expectClose(await y.toArray(), [3, 3, 4, 5]);
    const [g] = q.grad(q.sum(y), [x]);
    expectClose(await g.toArray(), [0, 0, 2, 1, 1, 0]);
  });

  function refCE(logits: number[], N: number, C: number, target: (n: number, c: number) => number, reduction: string) {
    const per = Array.from({ length: N }, (_, n) => {
      const row = logits.slice(n * C, (n + 1) * C);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      return row.reduce((s, v, c) => s - target(n, c) * (v - lse), 0);
    });
    const s = per.reduce((a, b) => a + b, 0);
    return reduction === 'sum' ? [s] : reduction === 'mean' ? [s / N] : per;
  }

  it(
    'cross-entropy with int labels and soft ' + 'labels (mean/sum/none) matches torch formulas, with gradients',
    async () => {
      const arbCE = fc.tuple(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 7 }),
        fc.constantFrom('mean', 'sum', 'none'),
        fc.boolean(),
      );
      await fc.assert(
        fc.asyncProperty(arbCE, async ([N, C, reduction, soft]) => {
          const logits = Array.from({ length: N * C }, (_, i) => 2 * Math.sin(i * 1.3));
          const labels = Array.from({ length: N }, (_, n) => (n * 5 + 1) % C);
          const probs = Array.from({ length: N * C }, (_, i) => Math.exp(Math.cos(i)));
          const rowSum = (n: number) => probs.slice(n * C, (n + 1) * C).reduce((a, b) => a + b, 0);
          const target = soft
            ? (n: number, c: number) => probs[n * C + c] / rowSum(n)
            : (n: number, c: number) => +(labels[n] === c);
          const softT = Array.from({ length: N * C }, (_, i) => target(Math.floor(i / C), i % C));
          const mk = () => (soft ? q.fromArray(softT, [N, C]) : q.fromArray(new Int32Array(labels), [N]));
          const opts = { reduction: reduction as 'mean' };
          expectClose(
            await q.crossEntropy(q.fromArray(logits, [N, C]), mk(), opts).toArray(),
            refCE(logits, N, C, target, reduction),
            1e-5,
            1e-4,
          );
          const r = await q.gradcheck(([x]) => q.crossEntropy(x, mk(), opts), [{ data: logits, shape: [N, C] }], {
            reference: ([x]) => refCE(Array.from(x), N, C, target, reduction),
          });
          expect(r.ok, r.worst).toBe(true);
        }),
        RUNS,
      );
    },
  );

  it('gradients w.r.t. inputs (not only parameters) through a small network', async () => {
    const r = await q.gradcheck(
      ([x, w]) => q.crossEntropy(q.matmul(q.tanh(x), w), q.fromArray(new Int32Array([0, 2]), [2])),
      [
        { data: [0.1, -0.4, 0.3, 0.9, -0.2, 0.5], shape: [2, 3] },
        { data: [0.2, -0.1, 0.4, 0.3, 0.6, -0.5, -0.3, 0.1, 0.2], shape: [3, 3] },
      ],
    );
    expect(r.ok, r.worst).toBe(true);
  });
});
