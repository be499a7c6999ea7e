// Every gradient rule in one table (tinygrad style): op name -> (upstream gradient, node, output) ->
// gradient per input (null where an input gets none). Rules are written with the engine's own ops, so
// each is as fast and as tested as the forward ops; a few fused helpers (relu_bw, ...) avoid extra passes.
import type { Tensor } from '../tensor/tensor.js';
import type { Node } from './tape.js';
import {
  ewRaw,
  add,
  mul,
  div,
  neg,
  sub,
  exp,
  log,
  sign,
  pow,
  eq,
  gt,
  scaleShift,
  where,
} from '../tensor/ops/elementwise.js';
import { sum, reduceRaw } from '../tensor/ops/reduce-ops.js';
import { expand, permute, reshape, slice, sliceScatter } from '../tensor/ops/shape-ops.js';
import { bmmGradA, bmmGradB } from '../tensor/ops/linalg.js';
import {
  batchNormTrainGradients,
  channelAffineSums,
  conv2dInputGradient,
  conv2dWeightGradient,
  gatherGradient,
  poolGradient,
  upsampleGradient,
  type ConvGeometry,
  type ConvImpl,
  type PoolGeometry,
} from '../tensor/ops/backward-ops.js';
import { channelAffine, channelRow } from '../tensor/ops/cnn.js';
import { full } from '../tensor/ops/creation.js';

type Rule = (g: Tensor, node: Node, out: Tensor) => (Tensor | null)[];

/** Sum a broadcast gradient back down to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const r = reduceRaw('sum', g, axes);
  return reshape(r, shape);
}

/** Re-insert reduced axes as size 1 so a reduced gradient broadcasts against the input. */
function unreduce(g: Tensor, node: Node): Tensor {
  const { axes, keepdim } = node.ctx as { axes: number[]; keepdim: boolean };
  if (keepdim) return g;
  const x = node.inputs[0];
  return reshape(
    g,
    x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

const p = (node: Node) => (node.ctx.params as number[]) ?? [];

function minmax(g: Tensor, node: Node, out: Tensor): Tensor[] {
  // amax semantics: the gradient is shared equally among tied extrema
  const x = node.inputs[0];
  const o = unreduce(out, node);
  const mask = eq(x, o);
  const { axes } = node.ctx as { axes: number[] };
  const count = reduceRaw('sum', mask, axes);
  return [mul(mask, div(unreduce(g, node), reshape(count, o.shape)))];
}

export const GRADIENTS: Record<string, Rule> = {
  neg: (g) => [neg(g)],
  exp: (g, _n, out) => [mul(g, out)],
  log: (g, n) => [div(g, n.inputs[0])],
  sqrt: (g, _n, out) => [div(scaleShift(g, 0.5), out)],
  rsqrt: (g, _n, out) => [mul(scaleShift(g, -0.5), mul(out, mul(out, out)))],
  abs: (g, n) => [mul(g, sign(n.inputs[0]))],
  sign: () => [null],
  round: () => [null],
  relu: (g, n) => [ewRaw('relu_bw', [g, n.inputs[0]])],
  relu6: (g, n) => [ewRaw('relu6_bw', [g, n.inputs[0]])],
  leaky_relu: (g, n) => [ewRaw('leaky_relu_bw', [g, n.inputs[0]], p(n))],
  clamp: (g, n) => [ewRaw('clamp_bw', [g, n.inputs[0]], p(n))],
  tanh: (g, _n, out) => [ewRaw('tanh_bw', [g, out])],
  sigmoid: (g, _n, out) => [ewRaw('sigmoid_bw', [g, out])],
  scale_shift: (g, n) => [scaleShift(g, p(n)[0])],

  add: (g, n) => [sumToShape(g, n.inputs[0].shape), sumToShape(g, n.inputs[1].shape)],
  add_relu: (g, n, out) => {
    const gm = ewRaw('relu_bw', [g, out]);
    return [sumToShape(gm, n.inputs[0].shape), sumToShape(gm, n.inputs[1].shape)];
  },
  sub: (g, n) => [sumToShape(g, n.inputs[0].shape), sumToShape(neg(g), n.inputs[1].shape)],
  mul: (g, n) => [
    sumToShape(mul(g, n.inputs[1]), n.inputs[0].shape),
    sumToShape(mul(g, n.inputs[0]), n.inputs[1].shape),
  ],
  div: (g, n, out) => {
    const [a, b] = n.inputs;
    return [sumToShape(div(g, b), a.shape), sumToShape(neg(div(mul(g, out), b)), b.shape)];
  },
  pow: (g, n, out) => {
    const [a, b] = n.inputs;
    const ga = mul(g, mul(b, pow(a, sub(b, 1))));
    // d/db a^b = a^b ln a; defined as 0 where a^b = 0 (a = 0) as torch does
    const gb = where(eq(out, 0), 0, mul(g, mul(out, log(a))));
    return [sumToShape(ga, a.shape), b.requiresGrad ? sumToShape(gb, b.shape) : null];
  },
  maximum: (g, n) => {
    const [a, b] = n.inputs;
    const wa = add(gt(a, b), scaleShift(eq(a, b), 0.5)); // ties split evenly, as torch
    return [sumToShape(mul(g, wa), a.shape), sumToShape(mul(g, sub(1, wa)), b.shape)];
  },
  minimum: (g, n) => {
    const [a, b] = n.inputs;
    const wa = add(gt(b, a), scaleShift(eq(a, b), 0.5));
    return [sumToShape(mul(g, wa), a.shape), sumToShape(mul(g, sub(1, wa)), b.shape)];
  },
  where: (g, n) => {
    const cond = n.ctx.cond as Tensor;
    const [a, b] = n.inputs;
    return [sumToShape(where(cond, g, 0), a.shape), sumToShape(where(cond, 0, g), b.shape)];
  },

  sum: (g, n) => [expand(unreduce(g, n), n.inputs[0].shape)],
  max: minmax,
  min: minmax,

  reshape: (g, n) => [reshape(g, n.ctx.from as number[])],
  clone: (g) => [g],
  permute: (g, n) => {
    const perm = n.ctx.perm as number[];
    const inv = new Array<number>(perm.length);
    perm.forEach((a, i) => {
      inv[a] = i;
    });
    return [permute(g, inv)];
  },
  expand: (g, n) => [sumToShape(g, n.ctx.from as number[])],
  slice: (g, n) => {
    const { axis, start, end, step } = n.ctx as { axis: number; start: number; end: number; step: number };
    return [sliceScatter(g, n.inputs[0].shape, axis, start, end, step)];
  },
  concat: (g, n) => {
    const { axis, sizes } = n.ctx as { axis: number; sizes: number[] };
    let off = 0;
    return sizes.map((s) => {
      const r = slice(g, axis, off, off + s);
      off += s;
      return r;
    });
  },

  bmm: (g, n) => {
    const [a, b] = n.inputs;
    const [batch, M, K] = a.shape;
    const N = b.shape[2];
    return [
      a.requiresGrad ? bmmGradA(g, b, batch, M, K, N) : null,
      b.requiresGrad ? bmmGradB(a, g, batch, M, K, N) : null,
    ];
  },

  softmax: (g, n, out) => {
    const axis = n.ctx.axis as number;
    return [mul(out, sub(g, sum(mul(g, out), axis, true)))];
  },
  log_softmax: (g, n, out) => {
    const axis = n.ctx.axis as number;
    return [sub(g, mul(exp(out), sum(g, axis, true)))];
  },
  conv2d: (g, n) => {
    const { g: geo, impl } = n.ctx as { g: ConvGeometry; impl: ConvImpl };
    const [x, w, b] = n.inputs;
    let dx: Tensor | null = null,
      dw: Tensor | null = null;
    if (x.requiresGrad) dx = conv2dInputGradient(g, w, x.shape, geo, impl);
    if (w.requiresGrad) dw = conv2dWeightGradient(g, x, w.shape, geo, impl);
    const db = b?.requiresGrad ? reshape(reduceRaw('sum', g, [0, 2, 3]), [geo.Cout]) : null;
    return [dx, dw, db];
  },
  bn_stats: (g, n, out) => {
    // d mean / dx = 1 / count, d var / dx = 2 (x - mean) / count: one channel-affine pass over x
    const { N, P } = n.ctx as { N: number; P: number };
    const count = N * P;
    return [
      channelAffine(
        n.inputs[0],
        channelRow(out, 0),
        scaleShift(channelRow(g, 1), 2 / count),
        scaleShift(channelRow(g, 0), 1 / count),
      ),
    ];
  },
  batch_norm: (g, n, out) => {
    // dx = w rstd (g - mean(g) - xhat mean(g xhat)) with xhat = (x - m) rstd: one reduction, one
    // per-channel step, one pass over x and g (g masked by out > 0 inside both when a ReLU was fused)
    const { N, C, P, stats, hasWeight, hasBias, relu } = n.ctx as {
      N: number;
      C: number;
      P: number;
      stats: Tensor;
      hasWeight: boolean;
      hasBias: boolean;
      relu: boolean;
    };
    const x = n.inputs[0];
    const mask = relu ? out : null;
    const { dx, dw, db } = batchNormTrainGradients(g, x, stats, { N, C, P }, mask, x.requiresGrad);
    return [dx, ...(hasWeight ? [dw] : []), ...(hasBias ? [db] : [])];
  },
  channel_affine: (g, n) => {
    const { N, C, P } = n.ctx as { N: number; C: number; P: number };
    const [x, m, s, b] = n.inputs;
    const sums = channelAffineSums(g, x, m, N, C, P); // (sum g (x - m), sum g) per channel
    const db = reshape(slice(sums, 0, 1, 2), [C]);
    const zero = x.requiresGrad ? full([C], 0) : null;
    return [
      zero ? channelAffine(g, zero, s, zero) : null,
      m.requiresGrad ? neg(mul(s, db)) : null,
      s.requiresGrad ? reshape(slice(sums, 0, 0, 1), [C]) : null,
      b.requiresGrad ? db : null,
    ];
  },
  pool: (g, n) => {
    const { g: geo, arg } = n.ctx as { g: PoolGeometry; arg: Tensor | null };
    return [poolGradient(g, arg, n.inputs[0].shape, geo)];
  },
  upsample: (g, n) => {
    const x = n.inputs[0];
    const { fH, fW } = n.ctx as { fH: number; fW: number };
    return [upsampleGradient(g, x.shape, fH, fW)];
  },
  dropout: (g, n) => [ewRaw('dropout', [g], p(n))],
  // straight-through estimator: quantization is treated as the identity in the backward pass
  fake_quant: (g) => [scaleShift(g, 1, 0)],
  gather: (g, n) => {
    const x = n.inputs[0];
    const { axis, index } = n.ctx as { axis: number; index: Tensor };
    return [gatherGradient(g, index, x.shape, axis)];
  },
};
