// Reductions over any set of axes. Runs of adjacent reduced axes are reduced as the middle axis of
// [A, R, B] (no transposes needed), the last run first; results keep size-1 dims until the end.
import { sizeOf } from '../shape.js';
import { argReduceMiddle } from '../../kernels/reduce.js';
import { defineOp } from '../../autograd/tape.js';
import { normAxes, normAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { div, eq, mul, scaleShift, sub } from './elementwise.js';
import { expand, reshape } from './shape-ops.js';
import { reduceRaw } from './reduce-raw.js';

type Axes = number | readonly number[] | undefined;

function finish(out: Tensor, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  if (keepdim) return out;
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const r = out.shareAs(shape);
  out.dispose();
  return r;
}

interface Reduced {
  axes: number[];
  keepdim: boolean;
}

/** Re-insert reduced axes as size 1 so a reduced gradient (or output) broadcasts against the input. */
function unreduce(g: Tensor, x: Tensor, { axes, keepdim }: Reduced): Tensor {
  if (keepdim) return g;
  return reshape(
    g,
    x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

// amax semantics: the gradient is shared equally among tied extrema
const extremum = (name: string) =>
  defineOp<Reduced>(name, (g, r, [x], out) => {
    const o = unreduce(out, x, r);
    const mask = eq(x, o);
    const count = reduceRaw('sum', mask, r.axes);
    return [mul(mask, div(unreduce(g, x, r), reshape(count, o.shape)))];
  });

const REDUCTIONS = {
  sum: defineOp<Reduced>('sum', (g, r, [x]) => [expand(unreduce(g, x, r), x.shape)]),
  max: extremum('max'),
  min: extremum('min'),
};

function reduction(op: 'sum' | 'max' | 'min', x: Tensor, axis: Axes, keepdim: boolean): Tensor {
  const axes = normAxes(axis, x.rank, op);
  const out = finish(reduceRaw(op, x, axes), x, axes, keepdim);
  return REDUCTIONS[op].record(out, [x], { axes, keepdim });
}

export const sum = (x: Tensor, axis?: Axes, keepdim = false) => reduction('sum', x, axis, keepdim);
export const max = (x: Tensor, axis?: Axes, keepdim = false) => reduction('max', x, axis, keepdim);
export const min = (x: Tensor, axis?: Axes, keepdim = false) => reduction('min', x, axis, keepdim);

export function countOf(x: Tensor, axis: Axes): number {
  return normAxes(axis, x.rank).reduce((p, a) => p * x.shape[a], 1);
}

export function mean(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const n = countOf(x, axis);
  return scaleShift(sum(x, axis, keepdim), 1 / n);
}

/** Variance with Bessel's correction by default (torch.var: correction = 1). */
export function variance(x: Tensor, axis?: Axes, { correction = 1, keepdim = false } = {}): Tensor {
  const n = countOf(x, axis);
  const d = sub(x, mean(x, axis, true));
  return scaleShift(sum(mul(d, d), axis, keepdim), 1 / Math.max(n - correction, 0));
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number, keepdim: boolean): Tensor {
  expectFloat(op, x);
  const a = normAxis(axis, x.rank, op);
  const A = sizeOf(x.shape.slice(0, a));
  const B = sizeOf(x.shape.slice(a + 1));
  if (x.shape[a] === 0) throw new RangeError(`${op}: axis ${a} is empty`);
  const shape = x.shape.map((d, i) => (i === a ? 1 : d));
  const out = empty(shape, 'int32');
  argReduceMiddle(op, x.buffer, out.buffer, A, x.shape[a], B);
  return keepdim
    ? out
    : reshape(
        out,
        x.shape.filter((_, i) => i !== a),
      );
}

export const argmax = (x: Tensor, axis = -1, keepdim = false) => argReduce('argmax', x, axis, keepdim);
export const argmin = (x: Tensor, axis = -1, keepdim = false) => argReduce('argmin', x, axis, keepdim);
