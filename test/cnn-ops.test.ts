import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { ready, expectClose, checkOp, RUNS } from './helpers.js';
import { pool2d, size } from './ref.js';

beforeAll(async () => {
  await ready;
});

const data = (n: number, seed = 1) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.7 + seed) * 2 + 0.01 * i));

function refBatchNorm(x: number[], shape: number[], gamma: number[] | null, beta: number[] | null, eps: number) {
  const [N, C] = shape;
  const HW = shape.length === 4 ? shape[2] * shape[3] : 1;
  const out = new Float64Array(x.length),
    means: number[] = [],
    vars: number[] = [];
  for (let c = 0; c < C; c++) {
    const idx: number[] = [];
    for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) idx.push((n * C + c) * HW + k);
    const m = idx.reduce((s, i) => s + x[i], 0) / idx.length;
    const v = idx.reduce((s, i) => s + (x[i] - m) ** 2, 0) / idx.length;
    means.push(m);
    vars.push(v);
    for (const i of idx) out[i] = ((x[i] - m) / Math.sqrt(v + eps)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
  }
  return { out, means, vars, count: N * HW };
}

describe('batch_norm', () => {
  const bnCase = fc.record({
    N: fc.integer({ min: 2, max: 4 }),
    C: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 1, max: 4 }),
    W: fc.integer({ min: 1, max: 4 }),
    affine: fc.boolean(),
    rank2: fc.boolean(),
    statsGrad: fc.boolean(),
  });

  it(
    'training forward, exposed batch statistics and running-stat ' +
      'update (momentum 0.1, unbiased var) match PyTorch',
    async () => {
      await fc.assert(
        fc.asyncProperty(bnCase, async (c) => {
          const shape = c.rank2 ? [c.N, c.C] : [c.N, c.C, c.H, c.W];
          const x = data(size(shape));
          const gamma = c.affine ? data(c.C, 5).map((v) => v + 3) : null,
            beta = c.affine ? data(c.C, 9) : null;
          const r = refBatchNorm(x, shape, gamma, beta, 1e-5);
          const rm = q.fromArray(data(c.C, 2)),
            rv = q.fromArray(data(c.C, 3).map((v) => Math.abs(v) + 0.5));
          const rm0 = await rm.toArray(),
            rv0 = await rv.toArray();
          const res = q.batchNorm(
            q.fromArray(x, shape),
            rm,
            rv,
            gamma ? q.fromArray(gamma) : null,
            beta ? q.fromArray(beta) : null,
            { training: true, statsGrad: c.statsGrad },
          );
          expectClose(await res.out.toArray(), r.out, 1e-4, 1e-3);
          expectClose(await (res.batchMean as q.Tensor).toArray(), r.means, 1e-5, 1e-4);
          expectClose(await (res.batchVar as q.Tensor).toArray(), r.vars, 1e-5, 1e-4);
          expectClose(
            await rm.toArray(),
            Array.from(rm0, (v, i) => 0.9 * v + 0.1 * r.means[i]),
            1e-5,
            1e-4,
          );
          expectClose(
            await rv.toArray(),
            Array.from(rv0, (v, i) => 0.9 * v + (0.1 * r.vars[i] * r.count) / (r.count - 1)),
            1e-5,
            1e-4,
          );
        }),
        RUNS,
      );
    },
  );

  it('eval mode uses running statistics', async () => {
    const x = data(2 * 3 * 4),
      rm = [0.5, -1, 2],
      rv = [1, 4, 0.25];
    const out = q.batchNorm(q.fromArray(x, [2, 3, 2, 2]), q.fromArray(rm), q.fromArray(rv), null, null, {
      training: false,
    }).out;
    const expected = x.map((v, i) => {
      const c = Math.floor(i / 4) % 3;
      return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5);
    });
    expectClose(await out.toArray(), expected, 1e-5, 1e-4);
  });

  for (const statsGrad of [true, false])
    it(
      `gradients w.r.t. input, weight and bias in training mode match finite differences ` +
        `(${statsGrad ? 'differentiable statistics' : 'fused op'})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(bnCase, async (c) => {
            const shape = c.rank2 ? [c.N, c.C] : [c.N, c.C, c.H, c.W];
            const x = data(size(shape)),
              gamma = data(c.C, 4).map((v) => v + 3),
              beta = data(c.C, 6);
            const r = await q.gradcheck(
              ([tx, tg, tb]) => q.batchNorm(tx, null, null, tg, tb, { training: true, statsGrad }).out,
              [
                { data: x, shape },
                { data: gamma, shape: [c.C] },
                { data: beta, shape: [c.C] },
              ],
              {
                reference: ([rx, rg, rb]) =>
                  refBatchNorm(Array.from(rx), shape, Array.from(rg), Array.from(rb), 1e-5).out,
                rtol: 3e-3,
                atol: 3e-3,
              },
            );
            expect(r.ok, r.worst).toBe(true);
          }),
          RUNS,
        );
      },
    );

  it(
    'planes larger than one pass of the 64-lane ' + 'reduction (vec4 and scalar paths): forward and gradients',
    async () => {
      for (const shape of [
        [3, 4, 8, 8],
        [2, 3, 9, 7],
      ]) {
        const C = shape[1];
        const x = data(size(shape)).map((v, i) => v + 2 * Math.sin(i / 50)),
          gamma = data(C, 4).map((v) => v + 3),
          beta = data(C, 6);
        for (const statsGrad of [true, false]) {
          const r = await q.gradcheck(
            ([tx, tg, tb]) => q.batchNorm(tx, null, null, tg, tb, { training: true, statsGrad }).out,
            [
              { data: x, shape },
              { data: gamma, shape: [C] },
              { data: beta, shape: [C] },
            ],
            {
              reference: ([rx, rg, rb]) =>
                refBatchNorm(Array.from(rx), shape, Array.from(rg), Array.from(rb), 1e-5).out,
              rtol: 3e-3,
              atol: 3e-3,
            },
          );
          expect(r.ok, `${shape} statsGrad ${statsGrad}: ${r.worst}`).toBe(true);
        }
      }
    },
  );

  it(
    'eval mode: gradients w.r.t. input, weight and bias (a frozen teacher in the generator) match finite ' +
      'differences',
    async () => {
      const shape = [2, 3, 2, 2],
        rm = [0.5, -1, 2],
        rv = [1, 4, 0.25];
      const x = data(size(shape)),
        gamma = data(3, 4).map((v) => v + 3),
        beta = data(3, 6);
      const ref = (rx: ArrayLike<number>, rg: ArrayLike<number>, rb: ArrayLike<number>) =>
        Array.from(rx, (v, i) => {
          const c = Math.floor(i / 4) % 3;
          return ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * rg[c] + rb[c];
        });
      const r = await q.gradcheck(
        ([tx, tg, tb]) => q.batchNorm(tx, q.fromArray(rm), q.fromArray(rv), tg, tb, { training: false }).out,
        [
          { data: x, shape },
          { data: gamma, shape: [3] },
          { data: beta, shape: [3] },
        ],
        { reference: ([rx, rg, rb]) => ref(rx, rg, rb) },
      );
      expect(r.ok, r.worst).toBe(true);
    },
  );

  // ReLU6's upper kink needs outputs above 6: a larger gamma there; planes of 16 (vec4 kernels) and 9 (scalar)
  const fusedCases = [
    { act: 'relu', shape: [3, 2, 4, 4], gamma: [1.5, -0.7] },
    { act: 'relu6', shape: [3, 2, 4, 4], gamma: [4.5, -0.7] },
    { act: 'relu6', shape: [3, 2, 3, 3], gamma: [4.5, 3.1] },
  ] as const;
  for (const { act, shape, gamma } of fusedCases) {
    const what = `training fused op, differentiable-statistics path, eval; planes of ${shape[2] * shape[3]}`;
    it(`with a fused ${act} (${what}): forward and gradients`, async () => {
      const C = shape[1],
        plane = shape[2] * shape[3];
      const x = data(size(shape)),
        beta = [0.2, -0.1];
      const f = (v: number) => (act === 'relu' ? Math.max(v, 0) : Math.min(Math.max(v, 0), 6));
      const opts = act === 'relu' ? { relu: true } : { relu6: true };
      const ref = (rx: ArrayLike<number>, rg: ArrayLike<number>, rb: ArrayLike<number>) =>
        refBatchNorm(Array.from(rx), [...shape], Array.from(rg), Array.from(rb), 1e-5).out.map(f);
      const expected = ref(x, gamma, beta);
      if (act === 'relu6') expect(expected.some((v) => v === 6)).toBe(true); // the upper clamp is reached
      for (const statsGrad of [true, false]) {
        const out = q.batchNorm(q.fromArray(x, [...shape]), null, null, q.fromArray([...gamma]), q.fromArray(beta), {
          training: true,
          statsGrad,
          ...opts,
        }).out;
        expectClose(await out.toArray(), expected, 1e-4, 1e-3);
        const r = await q.gradcheck(
          ([tx, tg, tb]) => q.batchNorm(tx, null, null, tg, tb, { training: true, statsGrad, ...opts }).out,
          [
            { data: x, shape: [...shape] },
            { data: [...gamma], shape: [C] },
            { data: beta, shape: [C] },
          ],
          { reference: ([rx, rg, rb]) => ref(rx, rg, rb), rtol: 3e-3, atol: 3e-3 },
        );
        expect(r.ok, `statsGrad ${statsGrad}: ${r.worst}`).toBe(true);
      }
      const ev = q.batchNorm(q.fromArray(x, [...shape]), q.fromArray([0.1, -0.2]), q.fromArray([1, 2]), null, null, {
        training: false,
        ...opts,
      }).out;
      expectClose(
        await ev.toArray(),
        x.map((v, i) => {
          const c = Math.floor(i / plane) % 2;
          return f((v - [0.1, -0.2][c]) / Math.sqrt([1, 2][c] + 1e-5));
        }),
        1e-5,
        1e-4,
      );
    });
  }

  it('relu and relu6 together are refused', () => {
    const x = q.fromArray(data(32), [2, 2, 2, 4]);
    expect(() => q.batchNorm(x, null, null, null, null, { training: true, relu: true, relu6: true })).toThrow(
      'relu and relu6 are both set',
    );
  });

  it('a large mean over a tiny spread: the variance does not cancel (both training paths)', async () => {
    const shape = [4, 3, 5, 4];
    const x = Array.from({ length: size(shape) }, (_, i) => Math.fround(1000 + 0.01 * Math.sin(i * 0.7)));
    const r = refBatchNorm(x, shape, null, null, 1e-5);
    for (const statsGrad of [true, false]) {
      const res = q.batchNorm(q.fromArray(x, shape), null, null, null, null, { training: true, statsGrad });
      expectClose(await (res.batchMean as q.Tensor).toArray(), r.means, 1e-3, 1e-6);
      expectClose(await (res.batchVar as q.Tensor).toArray(), r.vars, 1e-9, 2e-2);
    }
  });

  it('a loss on the batch statistics differentiates back to the input', async () => {
    const shape = [3, 2, 2, 2];
    const x = data(size(shape));
    const r = await q.gradcheck(
      ([tx]) => {
        const { batchMean, batchVar } = q.batchNorm(tx, null, null, null, null, { training: true });
        return q.add(q.mul(batchMean as q.Tensor, batchMean as q.Tensor), batchVar as q.Tensor);
      },
      [{ data: x, shape }],
      {
        reference: ([rx]) => {
          const s = refBatchNorm(Array.from(rx), shape, null, null, 0);
          return s.means.map((m, i) => m * m + s.vars[i]);
        },
      },
    );
    expect(r.ok, r.worst).toBe(true);
  });

  it('errors: channel mismatch and a single value per channel', () => {
    expect(() => q.batchNorm(q.zeros([2, 3, 2, 2]), q.zeros([4]), q.zeros([4]), null, null)).toThrow(
      /running_mean must be \[3\]/,
    );
    expect(() => q.batchNorm(q.zeros([1, 3]), null, null, null, null, { training: true })).toThrow(
      /more than one value per channel/,
    );
  });
});

describe('pooling', () => {
  const poolCase = fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 2, max: 8 }),
      W: fc.integer({ min: 2, max: 8 }),
      k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }),
      p: fc.integer({ min: 0, max: 1 }),
    })
    .filter((c) => 2 * c.p <= c.k && c.H + 2 * c.p >= c.k && c.W + 2 * c.p >= c.k);

  const cases: [string, (x: q.Tensor, c: { k: number; s: number; p: number }) => q.Tensor][] = [
    ['max', (x, c) => q.maxPool2d(x, c.k, c.s, c.p)],
    ['avg', (x, c) => q.avgPool2d(x, c.k, c.s, c.p, true)],
    ['avg_exclude_pad', (x, c) => q.avgPool2d(x, c.k, c.s, c.p, false)],
  ];
  for (const [mode, f] of cases) {
    it(`${mode}_pool2d forward and gradient match the reference (PyTorch counting rules)`, async () => {
      const shapeOf = (c: { N: number; C: number; H: number; W: number }) => [c.N, c.C, c.H, c.W];
      await checkOp(poolCase, {
        inputs: (c) => [{ data: data(size(shapeOf(c))), shape: shapeOf(c) }],
        run: ([t], c) => f(t, c),
        reference: ([rx], c) => pool2d({ data: rx, shape: shapeOf(c) }, mode, c.k, c.s, c.p),
      });
    });
  }

  it('adaptive_avg_pool2d (uneven windows) forward and gradient', async () => {
    const sizes = fc.record({
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      OH: fc.integer({ min: 1, max: 4 }),
      OW: fc.integer({ min: 1, max: 4 }),
    });
    await checkOp(sizes, {
      inputs: ({ H, W }) => [{ data: data(2 * H * W), shape: [1, 2, H, W] }],
      run: ([t], c) => q.adaptiveAvgPool2d(t, [c.OH, c.OW]),
      reference: ([rx], c) => pool2d({ data: rx, shape: [1, 2, c.H, c.W] }, 'adaptive', 0, 0, 0, [c.OH, c.OW]),
    });
  });

  it('max_pool2d sends the gradient to the first maximum of a tied window', async () => {
    const x = q.fromArray([1, 1, 1, 1], [1, 1, 2, 2]).requiresGrad_();
    const [g] = q.grad(q.sum(q.maxPool2d(x, 2)), [x]);
    expect(Array.from(await g.toArray())).toEqual([1, 0, 0, 0]);
  });
});

describe('upsample, dropout', () => {
  it('nearest upsample x2 and its gradient (block sums)', async () => {
    const x = q.fromArray([1, 2, 3, 4], [1, 1, 2, 2]).requiresGrad_();
    const y = q.upsampleNearest2d(x, 2);
    expect(Array.from(await y.toArray())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const w = q.arange(16).reshape([1, 1, 4, 4]);
    const [g] = q.grad(q.sum(q.mul(y, w)), [x]);
    expect(Array.from(await g.toArray())).toEqual([0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15]);
  });

  it(
    'dropout drops about p, scales survivors by 1/(1-p), ' + 'repeats for a seed, and masks the gradient alike',
    async () => {
      const x = q.ones([20000]).requiresGrad_();
      const y = q.dropout(x, 0.3, 42);
      const v = await y.toArray();
      const dropped = v.filter((t) => t === 0).length / v.length;
      expect(Math.abs(dropped - 0.3)).toBeLessThan(0.02);
      expect(v.every((t) => t === 0 || Math.abs(t - 1 / 0.7) < 1e-6)).toBe(true);
      expect(Array.from(await q.dropout(x, 0.3, 42).toArray())).toEqual(Array.from(v));
      expect(Array.from(await q.dropout(x, 0.3, 43).toArray())).not.toEqual(Array.from(v));
      const [g] = q.grad(q.sum(y), [x]);
      expect(Array.from(await g.toArray())).toEqual(Array.from(v));
      expect(q.dropout(x, 0.3, 1, false)).toBe(x);
    },
  );
});
