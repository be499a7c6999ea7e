// Reductions without autograd, for forward ops and gradient rules alike: kept apart from reduce-ops.ts so
// that the elementwise and shape ops' gradient rules can sum broadcast gradients without an import cycle.
import { sizeOf } from '../shape.js';
import { reduceMiddle } from '../../kernels/reduce.js';
import type { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';

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

/** Sum a broadcast gradient back down to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return reduceRaw('sum', g, axes).shareAs([...shape]);
}
