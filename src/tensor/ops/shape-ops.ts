// Shape ops. reshape shares the buffer; permute, slice, expand and concat copy through the strided
// copy kernel (tensors stay contiguous, so every other kernel can assume dense layouts). Each op is declared
// with its gradient rule.
import { sizeOf } from '../shape.js';
import { stridedCopy } from '../../kernels/copy.js';
import { defineOp } from '../../autograd/tape.js';
import {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  fmt,
  normAxis,
  resolveReshape,
  sameShape,
  ShapeError,
  type Shape,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty } from './alloc.js';
import { zeros } from './creation.js';
import { sumToShape } from './reduce-raw.js';

const RESHAPE = defineOp('reshape', (g, _s, [x]) => [reshape(g, x.shape)]);
const CLONE = defineOp('clone', (g) => [g]);
const PERMUTE = defineOp<number[]>('permute', (g, perm) => {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, i) => {
    inv[a] = i;
  });
  return [permute(g, inv)];
});
const EXPAND = defineOp('expand', (g, _s, [x]) => [sumToShape(g, x.shape)]);
interface Sliced {
  axis: number;
  start: number;
  end: number;
  step: number;
}
const SLICE = defineOp<Sliced>('slice', (g, { axis, start, end, step }, [x]) => [
  sliceScatter(g, x.shape, axis, start, end, step),
]);
const CONCAT = defineOp<{ axis: number; sizes: number[] }>('concat', (g, { axis, sizes }) => {
  let off = 0;
  return sizes.map((s) => {
    const r = slice(g, axis, off, off + s);
    off += s;
    return r;
  });
});

export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = resolveReshape(x.shape, shape);
  return RESHAPE.record(x.shareAs(s), [x]);
}
export const view = reshape;

export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const s = normAxis(startDim, x.rank, 'flatten'),
    e = normAxis(endDim, x.rank, 'flatten');
  const mid = sizeOf(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.rank + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis(axis, x.rank, 'squeeze');
  if (x.shape[a] !== 1) return x;
  return reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]);
}

/** Copy of x (a new buffer). Tensors are always contiguous, so contiguous() is a no-op. */
export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  stridedCopy('gather', x.dtype, x.buffer, out.buffer, [...x.shape], contiguousStrides(x.shape));
  return CLONE.record(out, [x]);
}
export const contiguous = (x: Tensor) => x;

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis(a, x.rank, 'permute'));
  if (p.length !== x.rank || new Set(p).size !== p.length)
    throw new ShapeError(`permute: [${perm.join(', ')}] is not a permutation of ${x.rank} axes`);
  const inStrides = contiguousStrides(x.shape);
  const shape = p.map((a) => x.shape[a]);
  const out = empty(shape, x.dtype);
  stridedCopy(
    'gather',
    x.dtype,
    x.buffer,
    out.buffer,
    shape,
    p.map((a) => inStrides[a]),
  );
  return PERMUTE.record(out, [x], p);
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const p = [...Array(x.rank).keys()];
  const i = normAxis(a, x.rank, 'transpose'),
    j = normAxis(b, x.rank, 'transpose');
  [p[i], p[j]] = [p[j], p[i]];
  return permute(x, p);
}

export function expand(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape, 'expand');
  if (!sameShape(target, shape)) throw new ShapeError(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  if (sameShape(x.shape, target)) return x;
  const out = empty(target, x.dtype);
  stridedCopy('gather', x.dtype, x.buffer, out.buffer, target, broadcastStrides(x.shape, target));
  return EXPAND.record(out, [x]);
}

interface SliceGeom {
  shape: number[];
  strides: number[];
  base: number;
}

function sliceGeometry(shape: readonly number[], axis: number, start: number, end: number, step: number): SliceGeom {
  const n = shape[axis];
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start),
    e = clampIdx(end);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const strides = contiguousStrides(shape);
  const out = [...shape];
  out[axis] = len;
  const st = [...strides];
  st[axis] = strides[axis] * step;
  return { shape: out, strides: st, base: s * strides[axis] };
}

/** x[..., start:end:step, ...] along one axis (Python index rules, step > 0). */
export function slice(x: Tensor, axis: number, start: number, end = Infinity, step = 1): Tensor {
  const a = normAxis(axis, x.rank, 'slice');
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const g = sliceGeometry(x.shape, a, start, end === Infinity ? x.shape[a] : end, step);
  const out = empty(g.shape, x.dtype);
  stridedCopy('gather', x.dtype, x.buffer, out.buffer, g.shape, g.strides, g.base);
  return SLICE.record(out, [x], { axis: a, start, end, step });
}

/** The adjoint of slice: g placed into zeros of `shape`. */
export function sliceScatter(
  g: Tensor,
  shape: readonly number[],
  axis: number,
  start: number,
  end: number,
  step: number,
): Tensor {
  const geom = sliceGeometry(shape, axis, start, end === Infinity ? shape[axis] : end, step);
  const out = zeros(shape, g.dtype);
  stridedCopy('scatter', g.dtype, g.buffer, out.buffer, geom.shape, geom.strides, geom.base);
  return out;
}

export function concat(xs: Tensor[], axis = 0): Tensor {
  if (!xs.length) throw new ShapeError('concat: no tensors given');
  const a = normAxis(axis, xs[0].rank, 'concat');
  const ref = xs[0];
  for (const t of xs) {
    if (t.dtype !== ref.dtype) throw new ShapeError(`concat: dtype ${t.dtype} differs from ${ref.dtype}`);
    if (t.rank !== ref.rank || t.shape.some((d, i) => i !== a && d !== ref.shape[i])) {
      throw new ShapeError(`concat: shapes ${xs.map((q) => fmt(q.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  const shape = [...ref.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = empty(shape, ref.dtype);
  const strides = contiguousStrides(shape);
  let offset = 0;
  const sizes: number[] = [];
  for (const t of xs) {
    if (t.size) stridedCopy('scatter', t.dtype, t.buffer, out.buffer, [...t.shape], strides, offset * strides[a]);
    offset += t.shape[a];
    sizes.push(t.shape[a]);
  }
  return CONCAT.record(out, xs, { axis: a, sizes });
}

export function stack(xs: Tensor[], axis = 0): Tensor {
  return concat(
    xs.map((t) => unsqueeze(t, axis)),
    axis,
  );
}
