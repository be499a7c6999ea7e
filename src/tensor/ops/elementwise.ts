// Elementwise ops with PyTorch broadcasting. Numbers are accepted where PyTorch accepts Python scalars.
import { elementwise } from '../../kernels/elementwise.js';
import { record } from '../../autograd/tape.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { full } from './creation.js';

export type Operand = Tensor | number;

/** Run one elementwise kernel (no autograd). Exported for the gradient table's fused helpers. */
export function ewRaw(op: string, xs: Tensor[], params: number[] = []): Tensor {
  expectFloat(op, ...xs.filter(() => op !== 'cast'));
  let shape = [...xs[0].shape];
  for (const t of xs.slice(1)) shape = broadcastShapes(shape, t.shape, op);
  const out = empty(shape);
  const flat = xs.every((t) => sameShape(t.shape, shape));
  elementwise({
    op,
    inputs: xs.map((t) => ({
      buffer: t.buffer,
      dtype: t.dtype,
      strides: flat ? null : sameShape(t.shape, shape) ? contiguousStrides(shape) : broadcastStrides(t.shape, shape),
    })),
    out: out.buffer,
    outShape: shape,
    params,
  });
  return out;
}

function unary(op: string, x: Tensor, params: number[] = []): Tensor {
  return record(ewRaw(op, [x], params), op, [x], { params });
}

export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const abs = (x: Tensor) => unary('abs', x);
export const sign = (x: Tensor) => unary('sign', x);
export const relu = (x: Tensor) => unary('relu', x);
export const relu6 = (x: Tensor) => unary('relu6', x);
export const leakyRelu = (x: Tensor, slope = 0.01) => unary('leaky_relu', x, [slope]);
export const tanh = (x: Tensor) => unary('tanh', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const round = (x: Tensor) => unary('round', x);
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new RangeError(`clamp: min ${min} > max ${max}`);
  return unary('clamp', x, [min, max]);
}
/** x * scale + shift in one kernel. */
export const scaleShift = (x: Tensor, scale: number, shift = 0) => unary('scale_shift', x, [scale, shift]);

/** int32 -> float32 (labels, indices). */
export function toFloat(x: Tensor): Tensor {
  if (x.dtype === 'float32') return x;
  return ewRaw('cast', [x]);
}

const asTensor = (v: Operand) => (typeof v === 'number' ? full([], v) : v);

function binary(op: string, a: Operand, b: Operand, differentiable = true): Tensor {
  const ta = asTensor(a),
    tb = asTensor(b);
  const out = ewRaw(op, [ta, tb]);
  return differentiable ? record(out, op, [ta, tb]) : out;
}

export function add(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return scaleShift(a, 1, b);
  if (typeof a === 'number' && b instanceof Tensor) return scaleShift(b, 1, a);
  return binary('add', a, b);
}
/** relu(a + b) in one pass (a residual block's sum and activation). */
export function addRelu(a: Tensor, b: Tensor): Tensor {
  return binary('add_relu', a, b);
}
export function sub(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return scaleShift(a, 1, -b);
  if (typeof a === 'number' && b instanceof Tensor) return scaleShift(b, -1, a);
  return binary('sub', a, b);
}
export function mul(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return scaleShift(a, b, 0);
  if (typeof a === 'number' && b instanceof Tensor) return scaleShift(b, a, 0);
  return binary('mul', a, b);
}
export function div(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return scaleShift(a, 1 / b, 0);
  return binary('div', a, b);
}
export const pow = (a: Operand, b: Operand) => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand) => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand) => binary('minimum', a, b);
// Comparisons return float32 masks of 0/1 (PyTorch returns bool); they carry no gradient.
export const eq = (a: Operand, b: Operand) => binary('eq', a, b, false);
export const ne = (a: Operand, b: Operand) => binary('ne', a, b, false);
export const lt = (a: Operand, b: Operand) => binary('lt', a, b, false);
export const le = (a: Operand, b: Operand) => binary('le', a, b, false);
export const gt = (a: Operand, b: Operand) => binary('gt', a, b, false);
export const ge = (a: Operand, b: Operand) => binary('ge', a, b, false);

/** where(cond, a, b): a where cond != 0 else b, broadcasting all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ta = asTensor(a),
    tb = asTensor(b);
  const out = ewRaw('where', [cond, ta, tb]);
  return record(out, 'where', [ta, tb], { cond });
}
