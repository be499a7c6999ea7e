// Reductions over any set of axes. Runs of adjacent reduced axes are reduced as the middle axis of
// [A, R, B] (no transposes needed), the last run first; results keep size-1 dims until the end.
import { sizeOf } from '../shape.js';
import { argReduceMiddle, reduceMiddle } from '../../kernels/reduce.js';
import { record } from '../../autograd/tape.js';
import { normAxes, normAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { mul, scaleShift, sub } from './elementwise.js';
import { reshape } from './shape-ops.js';

type Axes = number | readonly number[] | undefined;

function runs(axes: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const a of axes) {
    const last = out[out.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else out.push([a, a]);
  }
  return out;
}

/** Reduce without autograd; output keeps reduced dims as 1. */
export function reduceRaw(op: 'sum' | 'max' | 'min', x: Tensor, axes: number[]): Tensor {
  expectFloat(op, x);
  let cur = x;
  let shape = [...x.shape];
  for (const [s, e] of runs(axes).reverse()) {
    const A = sizeOf(shape.slice(0, s));
    const R = sizeOf(shape.slice(s, e + 1));
    const B = sizeOf(shape.slice(e + 1));
    if (R === 0 && op !== 'sum') throw new RangeError(`${op}: cannot reduce an empty axis`);
    shape = shape.map((d, i) => (i >= s && i <= e ? 1 : d));
    const out = empty(shape);
    reduceMiddle(op, cur.buffer, out.buffer, A, R, B);
    if (cur !== x) cur.dispose();
    cur = out;
  }
  return cur === x ? x.shareAs(x.shape) : cur;
}

function finish(out: Tensor, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  if (keepdim) return out;
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const r = out.shareAs(shape);
  out.dispose();
  return r;
}

function reduction(op: 'sum' | 'max' | 'min', x: Tensor, axis: Axes, keepdim: boolean): Tensor {
  const axes = normAxes(axis, x.rank, op);
  const out = finish(reduceRaw(op, x, axes), x, axes, keepdim);
  return record(out, op, [x], { axes, keepdim });
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
