import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { ready, expectClose, shapeArb, valuesArb, broadcastPairArb, RUNS } from './helpers.js';
import { map, size, arr } from './ref.js';

beforeAll(async () => {
  await ready;
});

// op -> [engine fn, float64 reference, input range [lo, hi, awayFromZero]]
const UNARY: Record<string, [(x: q.Tensor) => q.Tensor, (v: number) => number, [number, number, number]]> = {
  neg: [q.neg, (v) => -v, [-3, 3, 0]],
  exp: [q.exp, Math.exp, [-3, 3, 0]],
  log: [q.log, Math.log, [0.1, 5, 0]],
  sqrt: [q.sqrt, Math.sqrt, [0.1, 5, 0]],
  rsqrt: [q.rsqrt, (v) => 1 / Math.sqrt(v), [0.1, 5, 0]],
  abs: [q.abs, Math.abs, [-3, 3, 0.01]],
  sign: [q.sign, Math.sign, [-3, 3, 0.01]],
  relu: [q.relu, (v) => Math.max(v, 0), [-3, 3, 0.01]],
  relu6: [q.relu6, (v) => Math.min(Math.max(v, 0), 6), [-2, 8, 0.01]],
  leaky_relu: [(x) => q.leakyRelu(x, 0.2), (v) => (v > 0 ? v : 0.2 * v), [-3, 3, 0.01]],
  tanh: [q.tanh, Math.tanh, [-4, 4, 0]],
  sigmoid: [q.sigmoid, (v) => 1 / (1 + Math.exp(-v)), [-6, 6, 0]],
  clamp: [(x) => q.clamp(x, -1, 0.5), (v) => Math.min(Math.max(v, -1), 0.5), [-3, 3, 0]],
  round: [
    q.round,
    (v) => {
      const r = Math.round(v);
      return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
    },
    [-5, 5, 0],
  ],
};

describe('unary ops', () => {
  for (const [name, [f, ref, [lo, hi, away]]] of Object.entries(UNARY)) {
    it(`${name}: forward matches float64 reference`, async () => {
      await fc.assert(
        fc.asyncProperty(
          shapeArb(0, 3, 6).chain((s) => fc.tuple(fc.constant(s), valuesArb(size(s), lo, hi, away))),
          async ([s, v]) => {
            const out = q.tidy(() => f(q.fromArray(v, s)));
            expect(out.shape).toEqual(s);
            expectClose(await out.toArray(), v.map(ref), 1e-5, 1e-5);
            out.dispose();
          },
        ),
        RUNS,
      );
    });
    if (name === 'sign' || name === 'round') continue;
    it(`${name}: gradient matches finite differences of the reference`, async () => {
      await fc.assert(
        fc.asyncProperty(
          shapeArb(0, 3, 4).chain((s) => fc.tuple(fc.constant(s), valuesArb(size(s), lo, hi, Math.max(away, 0.01)))),
          async ([s, v]) => {
            // keep clamp/relu6 inputs off their kinks, where finite differences are meaningless
            const vals = v.map((x) =>
              name === 'clamp' && (Math.abs(x + 1) < 0.01 || Math.abs(x - 0.5) < 0.01)
                ? x + 0.05
                : name === 'relu6' && Math.abs(x - 6) < 0.01
                  ? x + 0.05
                  : x,
            );
            const r = await q.gradcheck(([x]) => f(x), [{ data: vals, shape: s }], {
              reference: ([x]) => Array.from(x, ref),
            });
            expect(r.ok, r.worst).toBe(true);
          },
        ),
        RUNS,
      );
    });
  }

  it('round is half-to-even like torch.round', async () => {
    const out = q.round(q.fromArray([0.5, 1.5, 2.5, -0.5, -1.5, 2.4]));
    expect(Array.from(await out.toArray())).toEqual([0, 2, 2, -0, -2, 2]);
  });

  it('tanh and sigmoid stay finite for large inputs', async () => {
    const x = q.fromArray([-200, -50, 50, 200]);
    expectClose(await q.tanh(x).toArray(), [-1, -1, 1, 1]);
    expectClose(await q.sigmoid(x).toArray(), [0, 0, 1, 1]);
  });
});

const BINARY: Record<string, [(a: q.Tensor, b: q.Tensor) => q.Tensor, (a: number, b: number) => number, boolean]> = {
  add: [q.add, (a, b) => a + b, true],
  add_relu: [q.addRelu, (a, b) => Math.max(a + b, 0), true],
  sub: [q.sub, (a, b) => a - b, true],
  mul: [q.mul, (a, b) => a * b, true],
  div: [q.div, (a, b) => a / b, true],
  pow: [q.pow, (a, b) => Math.pow(a, b), true],
  maximum: [q.maximum, Math.max, true],
  minimum: [q.minimum, Math.min, true],
  eq: [q.eq, (a, b) => +(a === b), false],
  ne: [q.ne, (a, b) => +(a !== b), false],
  lt: [q.lt, (a, b) => +(a < b), false],
  le: [q.le, (a, b) => +(a <= b), false],
  gt: [q.gt, (a, b) => +(a > b), false],
  ge: [q.ge, (a, b) => +(a >= b), false],
};

const pairWithValues = broadcastPairArb.chain(([sa, sb]) =>
  fc.tuple(fc.constant(sa), fc.constant(sb), valuesArb(size(sa), -3, 3, 0.05), valuesArb(size(sb), -3, 3, 0.05)),
);

describe('binary ops with broadcasting', () => {
  for (const [name, [f, ref, differentiable]] of Object.entries(BINARY)) {
    // pow: positive bases; div: divisors away from 0; add_relu: sums away from the kink (integers + 1/2)
    const fix = (va: number[], vb: number[]): [number[], number[]] =>
      name === 'add_relu'
        ? [va.map(Math.round), vb.map((x) => Math.round(x) + 0.5)]
        : name === 'pow'
          ? [va.map((x) => Math.abs(x) + 0.2), vb]
          : name === 'div'
            ? [va, vb.map((x) => (Math.abs(x) < 0.3 ? x + Math.sign(x || 1) * 0.3 : x))]
            : [va, vb];
    it(`${name}: forward matches reference`, async () => {
      await fc.assert(
        fc.asyncProperty(pairWithValues, async ([sa, sb, va0, vb0]) => {
          const [va, vb] = fix(va0, vb0);
          const expected = map([arr(va, sa), arr(vb, sb)], ref);
          const out = q.tidy(() => f(q.fromArray(va, sa), q.fromArray(vb, sb)));
          expect(out.shape).toEqual(expected.shape);
          expectClose(await out.toArray(), expected.data, 1e-5, 1e-5);
          out.dispose();
        }),
        RUNS,
      );
    });
    if (!differentiable) continue;
    it(`${name}: gradients w.r.t. both inputs (incl. broadcast dims) match finite differences`, async () => {
      await fc.assert(
        fc.asyncProperty(pairWithValues, async ([sa, sb, va0, vb0]) => {
          const [va, vb0f] = fix(va0, vb0);
          let vb = vb0f;
          if (name === 'maximum' || name === 'minimum') vb = vb.map((x, i) => x + 0.013 * (i + 1)); // avoid ties
          const r = await q.gradcheck(
            ([a, b]) => f(a, b),
            [
              { data: va, shape: sa },
              { data: vb, shape: sb },
            ],
            {
              reference: ([a, b]) =>
                map(
                  [
                    { data: a, shape: sa },
                    { data: b, shape: sb },
                  ],
                  ref,
                ).data,
            },
          );
          expect(r.ok, r.worst).toBe(true);
        }),
        RUNS,
      );
    });
  }

  it('pow follows torch for negative bases and zero', async () => {
    const out = q.pow(q.fromArray([-2, -2, -2, 0, 0, 0]), q.fromArray([2, 3, 0.5, 2, 0, -1]));
    const v = Array.from(await out.toArray());
    expect(v.slice(0, 2)).toEqual([4, -8]);
    expect(Number.isNaN(v[2])).toBe(true);
    expect(v.slice(3)).toEqual([0, 1, Infinity]);
  });

  it('numbers act as scalars on either side', async () => {
    const x = q.fromArray([1, 2, 3]);
    expectClose(await q.sub(10, x).toArray(), [9, 8, 7]);
    expectClose(await q.div(x, 4).toArray(), [0.25, 0.5, 0.75]);
    expectClose(await q.mul(2, x).toArray(), [2, 4, 6]);
    expectClose(await q.pow(x, 2).toArray(), [1, 4, 9]);
  });

  it('where selects with broadcasting and routes gradients by the condition', async () => {
    const cond = q.fromArray([1, 0, 1], [3]);
    const a = q.fromArray([1, 2, 3, 4, 5, 6], [2, 3]).requiresGrad_();
    const b = q.fromArray([10], [1]).requiresGrad_();
    const y = q.where(cond, a, b);
    expectClose(await y.toArray(), [1, 10, 3, 4, 10, 6]);
    const [ga, gb] = q.grad(q.sum(y), [a, b]);
    expectClose(await ga.toArray(), [1, 0, 1, 1, 0, 1]);
    expectClose(await gb.toArray(), [2]);
  });
});
