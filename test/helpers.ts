// Shared test setup: one engine for the whole run, random data arbitraries, and closeness assertions.
import fc from 'fast-check';
import { expect } from 'vitest';
import { initNode } from '../src/platform/node.js';
import { close } from './ref.js';
import { fromArray, gradcheck, tidy, type Tensor } from '../src/index.js';

export const ready = initNode();

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): void {
  const err = close(actual, expected, atol, rtol);
  expect(err, err ?? '').toBeNull();
}

/** A shape of rank lo..hi with dims 1..maxDim. */
export const shapeArb = (lo = 0, hi = 4, maxDim = 5) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: lo, maxLength: hi });

/** Values for a shape, in [lo, hi], kept away from 0 when `awayFromZero` (kinks, log/div domains). */
export function valuesArb(n: number, lo = -3, hi = 3, awayFromZero = 0) {
  return (
    fc
      .array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: n, maxLength: n })
      // float32-exact inputs: the reference sees what the GPU sees
      .map((v) => v.map((x) => Math.fround(Math.abs(x) < awayFromZero ? (x < 0 ? -awayFromZero : awayFromZero) : x)))
  );
}

/** Two shapes that broadcast together: the second drops leading dims and sets some dims to 1. */
export const broadcastPairArb = fc
  .tuple(
    shapeArb(0, 4, 4),
    fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    fc.integer({ min: 0, max: 4 }),
  )
  .map(([s, ones1, ones2, drop]) => {
    const a = s.map((d, i) => (ones1[i] ? 1 : d));
    const b = s.map((d, i) => (ones2[i] ? 1 : d)).slice(Math.min(drop, s.length));
    return [a, b] as [number[], number[]];
  });

export const RUNS = { numRuns: 12 };

/** One op under test: its inputs for a case, how our engine runs it, and the float64 reference. */
export interface OpSpec<C> {
  inputs: (c: C) => { data: number[]; shape: number[] }[];
  run: (xs: Tensor[], c: C) => Tensor;
  reference: (xs: Float64Array[], c: C) => { data: ArrayLike<number>; shape: number[] };
  atol?: number;
  rtol?: number;
  /** check gradients of every input against finite differences of the reference (default true) */
  grad?: boolean;
  runs?: number;
}

/**
 * In the spirit of tinygrad's helper_test_op: for random cases, the forward output (shape and values) against
 * the float64 reference, then the gradient of every input against finite differences of that reference.
 */
export async function checkOp<C>(cases: fc.Arbitrary<C>, op: OpSpec<C>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      const inputs = op.inputs(c);
      const want = op.reference(
        inputs.map((i) => Float64Array.from(i.data)),
        c,
      );
      const out = tidy(() =>
        op.run(
          inputs.map((i) => fromArray(i.data, i.shape)),
          c,
        ),
      );
      expect(out.shape).toEqual(want.shape);
      expectClose(await out.toArray(), want.data, op.atol ?? 1e-5, op.rtol ?? 1e-4);
      out.dispose();
      if (op.grad === false) return;
      const r = await gradcheck((xs) => op.run(xs, c), inputs, {
        reference: (xs) => Float64Array.from(op.reference(xs, c).data),
      });
      expect(r.ok, r.worst).toBe(true);
    }),
    { numRuns: op.runs ?? RUNS.numRuns },
  );
}
