// Elementwise ops with PyTorch broadcasting, each declared with its gradient rule. Numbers are accepted where
// PyTorch accepts Python scalars. Rules are written with the ops themselves (a few fused *_bw kernels avoid
// extra passes); broadcast gradients are summed back to each input's shape.
import { elementwise } from '../../kernels/elementwise.js';
import { defineOp } from '../../autograd/tape.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { full } from './creation.js';
import { sumToShape } from './reduce-raw.js';

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

/** A unary op's rule: the input's gradient from g, the input, the output and the op's scalar parameters. */
const unaryOp = (name: string, rule: (g: Tensor, x: Tensor, out: Tensor, params: number[]) => Tensor | null) =>
  defineOp<number[]>(name, (g, params, [x], out) => [rule(g, x, out, params)]);

const UNARY_OPS = {
  neg: unaryOp('neg', (g) => neg(g)),
  exp: unaryOp('exp', (g, _x, out) => mul(g, out)),
  log: unaryOp('log', (g, x) => div(g, x)),
  sqrt: unaryOp('sqrt', (g, _x, out) => div(scaleShift(g, 0.5), out)),
  rsqrt: unaryOp('rsqrt', (g, _x, out) => mul(scaleShift(g, -0.5), mul(out, mul(out, out)))),
  abs: unaryOp('abs', (g, x) => mul(g, sign(x))),
  sign: unaryOp('sign', () => null),
  round: unaryOp('round', () => null),
  relu: unaryOp('relu', (g, x) => ewRaw('relu_bw', [g, x])),
  relu6: unaryOp('relu6', (g, x) => ewRaw('relu6_bw', [g, x])),
  leaky_relu: unaryOp('leaky_relu', (g, x, _o, p) => ewRaw('leaky_relu_bw', [g, x], p)),
  clamp: unaryOp('clamp', (g, x, _o, p) => ewRaw('clamp_bw', [g, x], p)),
  tanh: unaryOp('tanh', (g, _x, out) => ewRaw('tanh_bw', [g, out])),
  sigmoid: unaryOp('sigmoid', (g, _x, out) => ewRaw('sigmoid_bw', [g, out])),
  scale_shift: unaryOp('scale_shift', (g, _x, _o, p) => scaleShift(g, p[0])),
};

function unary(op: keyof typeof UNARY_OPS, x: Tensor, params: number[] = []): Tensor {
  return UNARY_OPS[op].record(ewRaw(op, [x], params), [x], params);
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const relu6 = (x: Tensor): Tensor => unary('relu6', x);
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => unary('leaky_relu', x, [slope]);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const round = (x: Tensor): Tensor => unary('round', x);
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new RangeError(`clamp: min ${min} > max ${max}`);
  return unary('clamp', x, [min, max]);
}
/** x * scale + shift in one kernel. */
export const scaleShift = (x: Tensor, scale: number, shift = 0): Tensor => unary('scale_shift', x, [scale, shift]);

/** int32 -> float32 (labels, indices). */
export function toFloat(x: Tensor): Tensor {
  if (x.dtype === 'float32') return x;
  return ewRaw('cast', [x]);
}

const asTensor = (v: Operand) => (typeof v === 'number' ? full([], v) : v);

/** A binary op's rule: both inputs' gradients at the output's (broadcast) shape, summed down by binaryOp. */
const binaryOp = (name: string, rule: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor, Tensor | null]) =>
  defineOp(name, (g, _s, [a, b], out) => {
    const [ga, gb] = rule(g, a, b, out);
    return [sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
  });

const BINARY_OPS = {
  add: binaryOp('add', (g) => [g, g]),
  add_relu: binaryOp('add_relu', (g, _a, _b, out) => {
    const gm = ewRaw('relu_bw', [g, out]);
    return [gm, gm];
  }),
  sub: binaryOp('sub', (g) => [g, neg(g)]),
  mul: binaryOp('mul', (g, a, b) => [mul(g, b), mul(g, a)]),
  div: binaryOp('div', (g, _a, b, out) => [div(g, b), neg(div(mul(g, out), b))]),
  pow: binaryOp('pow', (g, a, b, out) => [
    mul(g, mul(b, pow(a, sub(b, 1)))),
    // d/db a^b = a^b ln a; defined as 0 where a^b = 0 (a = 0) as torch does
    b.requiresGrad ? where(eq(out, 0), 0, mul(g, mul(out, log(a)))) : null,
  ]),
  maximum: binaryOp('maximum', (g, a, b) => {
    const wa = add(gt(a, b), scaleShift(eq(a, b), 0.5)); // ties split evenly, as torch
    return [mul(g, wa), mul(g, sub(1, wa))];
  }),
  minimum: binaryOp('minimum', (g, a, b) => {
    const wa = add(gt(b, a), scaleShift(eq(a, b), 0.5));
    return [mul(g, wa), mul(g, sub(1, wa))];
  }),
};

function binary(op: keyof typeof BINARY_OPS, a: Operand, b: Operand): Tensor {
  const ta = asTensor(a),
    tb = asTensor(b);
  return BINARY_OPS[op].record(ewRaw(op, [ta, tb]), [ta, tb]);
}

/** Comparisons return float32 masks of 0/1 (PyTorch returns bool); they carry no gradient. */
const compare = (op: string, a: Operand, b: Operand) => ewRaw(op, [asTensor(a), asTensor(b)]);

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
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
export const eq = (a: Operand, b: Operand) => compare('eq', a, b);
export const ne = (a: Operand, b: Operand) => compare('ne', a, b);
export const lt = (a: Operand, b: Operand) => compare('lt', a, b);
export const le = (a: Operand, b: Operand) => compare('le', a, b);
export const gt = (a: Operand, b: Operand) => compare('gt', a, b);
export const ge = (a: Operand, b: Operand) => compare('ge', a, b);

const WHERE = defineOp<{ cond: Tensor }>('where', (g, { cond }, [a, b]) => [
  sumToShape(where(cond, g, 0), a.shape),
  sumToShape(where(cond, 0, g), b.shape),
]);

/** where(cond, a, b): a where cond != 0 else b, broadcasting all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ta = asTensor(a),
    tb = asTensor(b);
  return WHERE.record(ewRaw('where', [cond, ta, tb]), [ta, tb], { cond });
}
