// CNN ops: conv2d, batch_norm2d, pooling, nearest upsampling, dropout (PyTorch semantics), each declared with
// its gradient rule.
import { conv2dForward, storesResidual, type ConvGeometry, type ConvImpl } from '../../kernels/conv.js';
import { poolForward, type PoolGeometry, type PoolMode } from '../../kernels/pool.js';
import { upsampleNearest } from '../../kernels/pool.js';
import { defineOp, isGradEnabled } from '../../autograd/tape.js';
import { ACTIVATIONS, type Activation } from '../../kernels/activation.js';
export type { Activation };
import { fmt, ShapeError } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { add, ewRaw, mul, neg, relu, relu6, rsqrt, scaleShift } from './elementwise.js';
import { reshape, slice } from './shape-ops.js';
import { full } from './creation.js';
import { reduceRaw } from './reduce-raw.js';
import {
  batchNormTrainGradients,
  channelAffineSums,
  conv2dInputGradient,
  conv2dWeightGradient,
  poolGradient,
  upsampleGradient,
} from './backward-ops.js';
import { bnStats, channelAffine as channelAffineKernel, type BnActivation } from '../../kernels/batchnorm.js';

export type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  impl?: ConvImpl;
  /** applied in the conv's store (inference: one pass instead of two). It has no gradient, so it is refused
   *  where the output would need one. */
  activation?: Activation;
  /** added to the output before the activation (a residual block's shortcut, inference only, like activation) */
  residual?: Tensor;
}

export function convGeometry(x: readonly number[], w: readonly number[], o: Conv2dOptions): ConvGeometry {
  if (x.length !== 4) throw new ShapeError(`conv2d: input must be [N, C, H, W], got ${fmt(x)}`);
  if (w.length !== 4) throw new ShapeError(`conv2d: weight must be [Cout, Cin/groups, KH, KW], got ${fmt(w)}`);
  const groups = o.groups ?? 1;
  const [N, Cin, H, W] = x;
  const [Cout, Cg, KH, KW] = w;
  const [sH, sW] = pair(o.stride ?? 1),
    [pH, pW] = pair(o.padding ?? 0),
    [dH, dW] = pair(o.dilation ?? 1);
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups || Cout % groups)
    throw new ShapeError(`conv2d: groups ${groups} must divide in channels ${Cin} and out channels ${Cout}`);
  if (Cg * groups !== Cin)
    throw new ShapeError(
      `conv2d: weight ${fmt(w)} expects ${Cg * groups} input channels (groups ${groups}), input ${fmt(x)} has ${Cin}`,
    );
  if (
    [sH, sW, dH, dW].some((v) => !Number.isInteger(v) || v < 1) ||
    [pH, pW].some((v) => !Number.isInteger(v) || v < 0)
  ) {
    throw new ShapeError(`conv2d: stride/dilation must be positive and padding non-negative integers`);
  }
  const OH = Math.floor((H + 2 * pH - dH * (KH - 1) - 1) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - dW * (KW - 1) - 1) / sW) + 1;
  if (OH < 1 || OW < 1)
    throw new ShapeError(`conv2d: kernel ${KH}x${KW} (dilation ${dH}) does not fit input ${H}x${W} with padding ${pH}`);
  return { N, Cin, H, W, Cout, KH, KW, sH, sW, pH, pW, dH, dW, groups, OH, OW };
}

const CONV2D = defineOp<{ g: ConvGeometry; impl: ConvImpl }>('conv2d', (dy, { g, impl }, [x, w, b]) => [
  x.requiresGrad ? conv2dInputGradient(dy, w, x.shape, g, impl) : null,
  w.requiresGrad ? conv2dWeightGradient(dy, x, w.shape, g, impl) : null,
  b?.requiresGrad ? reshape(reduceRaw('sum', dy, [0, 2, 3]), [g.Cout]) : null,
]);

export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  expectFloat('conv2d', x, weight, ...(bias ? [bias] : []));
  const g = convGeometry(x.shape, weight.shape, o);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== g.Cout))
    throw new ShapeError(`conv2d: bias must be [${g.Cout}], got ${fmt(bias.shape)}`);
  const act = o.activation ?? 'none',
    res = o.residual ?? null,
    impl = o.impl ?? 'auto';
  if (!ACTIVATIONS.includes(act)) throw new Error(`conv2d: unknown activation '${act}' (${ACTIVATIONS.join(', ')})`);
  const fused = act !== 'none' ? `activation '${act}'` : res ? 'residual' : null;
  if (fused && isGradEnabled() && [x, weight, bias, res].some((t) => t?.requiresGrad))
    throw new Error(`conv2d: the fused ${fused} has no gradient; apply it as its own op when training`);
  const outShape = [g.N, g.Cout, g.OH, g.OW];
  if (res) {
    expectFloat('conv2d', res);
    if (res.shape.join() !== outShape.join())
      throw new ShapeError(`conv2d: residual must be the output's shape ${fmt(outShape)}, got ${fmt(res.shape)}`);
    if (!storesResidual(g, impl)) {
      // paths without a residual in their store (depthwise, direct): the sum and activation as their own ops
      const sum = add(conv2d(x, weight, bias, { ...o, activation: 'none', residual: undefined }), res);
      return act === 'relu' ? relu(sum) : act === 'relu6' ? relu6(sum) : sum;
    }
  }
  const out = empty(outShape);
  conv2dForward(x.buffer, weight.buffer, bias?.buffer ?? null, out.buffer, g, impl, act, res?.buffer ?? null);
  return CONV2D.record(out, bias ? [x, weight, bias] : [x, weight], { g, impl: o.impl ?? 'auto' });
}

export interface BatchNormOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
  /** training: let gradients flow through the returned batch statistics (a loss on them, as the generator's
   *  BN-matching loss). Without it, training runs one fused op whose backward is two passes (default true). */
  statsGrad?: boolean;
  /** apply a ReLU to the output (fused into the normalisation pass in the fused training op) */
  relu?: boolean;
  /** apply a ReLU6 to the output instead, fused the same way (MobileNetV2's units) */
  relu6?: boolean;
}
export interface BatchNormResult {
  out: Tensor;
  batchMean: Tensor | null;
  batchVar: Tensor | null;
}

interface Planes {
  N: number;
  C: number;
  P: number;
}
/** [N, C, H, W] or [N, C] as (N, C, plane size). */
function channelPlanes(x: Tensor): Planes {
  return { N: x.shape[0], C: x.shape[1], P: x.rank === 4 ? x.shape[2] * x.shape[3] : 1 };
}

// d mean / dx = 1 / count, d var / dx = 2 (x - mean) / count: one channel-affine pass over x
const BN_STATS = defineOp<Planes>('bn_stats', (g, { N, P }, [x], out) => [
  channelAffine(
    x,
    channelRow(out, 0),
    scaleShift(channelRow(g, 1), 2 / (N * P)),
    scaleShift(channelRow(g, 0), 1 / (N * P)),
  ),
]);

const CHANNEL_AFFINE = defineOp<Planes>('channel_affine', (g, { N, C, P }, [x, m, s, b]) => {
  const sums = channelAffineSums(g, x, m, N, C, P); // (sum g (x - m), sum g) per channel
  const db = reshape(slice(sums, 0, 1, 2), [C]);
  const zero = x.requiresGrad ? full([C], 0) : null;
  return [
    zero ? channelAffine(g, zero, s, zero) : null,
    m.requiresGrad ? neg(mul(s, db)) : null,
    s.requiresGrad ? reshape(slice(sums, 0, 0, 1), [C]) : null,
    b.requiresGrad ? db : null,
  ];
});

interface BatchNormSaved extends Planes {
  /** [5, C]: mean, biased variance, scale = w rstd, bias, rstd */
  stats: Tensor;
  hasWeight: boolean;
  hasBias: boolean;
  act: BnActivation;
}
// dx = w rstd (g - mean(g) - xhat mean(g xhat)) with xhat = (x - m) rstd: one reduction, one per-channel step,
// one pass over x and g (g masked by the fused activation's output inside both: out > 0, or 0 < out < 6)
const BATCH_NORM = defineOp<BatchNormSaved>(
  'batch_norm',
  (g, { N, C, P, stats, hasWeight, hasBias, act }, [x], out) => {
    const mask = act === 'none' ? null : out;
    const { dx, dw, db } = batchNormTrainGradients(g, x, stats, { N, C, P }, mask, x.requiresGrad, act);
    return [dx, ...(hasWeight ? [dw] : []), ...(hasBias ? [db] : [])];
  },
);

/**
 * [2, C]: per-channel mean and biased variance of [N, C, H, W] or [N, C] (one fused kernel, differentiable),
 * updating running statistics in the same kernel when given.
 */
export function batchStats(
  x: Tensor,
  running: { mean: Tensor; variance: Tensor; momentum: number } | null = null,
): Tensor {
  const d = channelPlanes(x);
  const out = empty([2, d.C]);
  bnStats(
    'stats',
    x.buffer,
    { runningMean: running?.mean.buffer, runningVar: running?.variance.buffer },
    out.buffer,
    d.N,
    d.C,
    d.P,
    running?.momentum,
  );
  return BN_STATS.record(out, [x], d);
}

/** Row r of a [rows, C] per-channel table as a [C] tensor. */
export const channelRow = (t: Tensor, r: number): Tensor => reshape(slice(t, 0, r, r + 1), [t.shape[1]]);

/** y = (x - m[c]) * s[c] + b[c] over channel axis 1, in one pass (differentiable in all four). */
export function channelAffine(x: Tensor, m: Tensor, s: Tensor, b: Tensor): Tensor {
  const d = channelPlanes(x);
  for (const [name, t] of [
    ['m', m],
    ['s', s],
    ['b', b],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== d.C)
      throw new ShapeError(`channel_affine: ${name} must be [${d.C}], got ${fmt(t.shape)}`);
  }
  const y = empty(x.shape);
  channelAffineKernel(x.buffer, m.buffer, s.buffer, b.buffer, y.buffer, d.N, d.C, d.P);
  return CHANNEL_AFFINE.record(y, [x, m, s, b], d);
}

/**
 * Training-mode BatchNorm as one autograd op whose statistics are not differentiated separately: one
 * dispatch for the statistics (running statistics updated in the same kernel), one for the normalisation;
 * backward is one reduction, one per-channel step and one pass. The batch statistics are returned as
 * views made when first read.
 */
function batchNormTrain(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  momentum: number,
  eps: number,
  act: BnActivation,
): BatchNormResult {
  const d = channelPlanes(x);
  const stats = empty([5, d.C]); // mean, biased variance, scale = w rstd, bias, rstd
  bnStats(
    'train',
    x.buffer,
    { weight: weight?.buffer, bias: bias?.buffer, runningMean: runningMean?.buffer, runningVar: runningVar?.buffer },
    stats.buffer,
    d.N,
    d.C,
    d.P,
    momentum,
    eps,
  );
  const out = empty(x.shape);
  channelAffineKernel(
    x.buffer,
    stats.buffer,
    stats.buffer,
    stats.buffer,
    out.buffer,
    d.N,
    d.C,
    d.P,
    [0, 2 * d.C, 3 * d.C],
    act,
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const y = BATCH_NORM.record(out, inputs, { ...d, stats, hasWeight: !!weight, hasBias: !!bias, act });
  const row = (r: number) => {
    let t: Tensor | null = null;
    return () => (t ??= channelRow(stats, r));
  };
  const mean = row(0),
    variance = row(1);
  return {
    out: y,
    get batchMean() {
      return mean();
    },
    get batchVar() {
      return variance();
    },
  };
}

/**
 * BatchNorm over [N, C, H, W] (or [N, C]). Training: normalise with the batch mean and biased variance,
 * update running stats with momentum and the unbiased variance (PyTorch). Eval: running stats.
 * Returns the batch mean / biased var (differentiable) so a loss can be built on them.
 * Large tensors are touched by two fused kernels (statistics, then normalise + affine); everything else
 * works on [C] vectors.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  o: BatchNormOptions = {},
): BatchNormResult {
  expectFloat('batch_norm', x);
  if (x.rank !== 4 && x.rank !== 2)
    throw new ShapeError(`batch_norm: input must be [N, C, H, W] or [N, C], got ${fmt(x.shape)}`);
  const C = x.shape[1];
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
    ['running_mean', runningMean],
    ['running_var', runningVar],
  ] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== C))
      throw new ShapeError(`batch_norm: ${name} must be [${C}], got ${fmt(t.shape)}`);
  }
  const eps = o.eps ?? 1e-5,
    momentum = o.momentum ?? 0.1;
  if (o.relu && o.relu6) throw new Error('batch_norm: relu and relu6 are both set; choose one activation');
  const act: BnActivation = o.relu6 ? 'relu6' : o.relu ? 'relu' : 'none';
  let m: Tensor,
    v: Tensor,
    bm: Tensor | null = null,
    bv: Tensor | null = null;
  if (o.training ?? true) {
    const count = x.size / C;
    if (count < 2)
      throw new ShapeError(`batch_norm: training needs more than one value per channel, got ${fmt(x.shape)}`);
    if (!(o.statsGrad ?? true)) return batchNormTrain(x, weight, bias, runningMean, runningVar, momentum, eps, act);
    const stats = batchStats(
      x,
      runningMean && runningVar ? { mean: runningMean, variance: runningVar, momentum } : null,
    );
    bm = channelRow(stats, 0);
    bv = channelRow(stats, 1);
    m = bm;
    v = bv;
  } else {
    if (!runningMean || !runningVar) throw new Error('batch_norm: eval mode needs running_mean and running_var');
    m = runningMean;
    v = runningVar;
  }
  const rstd = rsqrt(scaleShift(v, 1, eps));
  const y = channelAffine(x, m, weight ? mul(rstd, weight) : rstd, bias ?? full([C], 0));
  return { out: act === 'relu6' ? relu6(y) : act === 'relu' ? relu(y) : y, batchMean: bm, batchVar: bv };
}

function poolGeometry(x: Tensor, op: string, k: Pair, s: Pair | undefined, p: Pair, mode: PoolMode): PoolGeometry {
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const [kH, kW] = pair(k),
    [sH, sW] = pair(s ?? k),
    [pH, pW] = pair(p);
  if (pH * 2 > kH || pW * 2 > kW)
    throw new ShapeError(`${op}: padding ${pH}x${pW} must be at most half of kernel ${kH}x${kW}`);
  const OH = Math.floor((H + 2 * pH - kH) / sH) + 1,
    OW = Math.floor((W + 2 * pW - kW) / sW) + 1;
  if (OH < 1 || OW < 1) throw new ShapeError(`${op}: kernel ${kH}x${kW} larger than padded input ${fmt(x.shape)}`);
  return { planes: N * C, H, W, OH, OW, kH, kW, sH, sW, pH, pW, mode };
}

const POOL = defineOp<{ g: PoolGeometry; arg: Tensor | null }>('pool', (dy, { g, arg }, [x]) => [
  poolGradient(dy, arg, x.shape, g),
]);
const UPSAMPLE = defineOp<{ fH: number; fW: number }>('upsample', (g, { fH, fW }, [x]) => [
  upsampleGradient(g, x.shape, fH, fW),
]);
// the mask is a function of (seed, index): the backward recomputes it
const DROPOUT = defineOp<number[]>('dropout', (g, params) => [ewRaw('dropout', [g], params)]);

function pool(x: Tensor, g: PoolGeometry): Tensor {
  const out = empty([x.shape[0], x.shape[1], g.OH, g.OW]);
  const arg = empty(g.mode === 'max' ? out.shape : [1], 'int32');
  poolForward(x.buffer, out.buffer, arg.buffer, g);
  if (g.mode !== 'max') arg.dispose();
  return POOL.record(out, [x], { g, arg: g.mode === 'max' ? arg : null });
}

export function maxPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0): Tensor {
  expectFloat('max_pool2d', x);
  return pool(x, poolGeometry(x, 'max_pool2d', kernel, stride, padding, 'max'));
}

/** avg_pool2d; countIncludePad = true is PyTorch's default. */
export function avgPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0, countIncludePad = true): Tensor {
  expectFloat('avg_pool2d', x);
  return pool(x, poolGeometry(x, 'avg_pool2d', kernel, stride, padding, countIncludePad ? 'avg' : 'avg_exclude_pad'));
}

export function adaptiveAvgPool2d(x: Tensor, output: Pair): Tensor {
  expectFloat('adaptive_avg_pool2d', x);
  if (x.rank !== 4) throw new ShapeError(`adaptive_avg_pool2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const [OH, OW] = pair(output);
  return pool(x, { planes: N * C, H, W, OH, OW, kH: 0, kW: 0, sH: 1, sW: 1, pH: 0, pW: 0, mode: 'adaptive_avg' });
}

export function upsampleNearest2d(x: Tensor, factor: Pair = 2): Tensor {
  expectFloat('upsample_nearest2d', x);
  if (x.rank !== 4) throw new ShapeError(`upsample_nearest2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  const [fH, fW] = pair(factor);
  const [N, C, H, W] = x.shape;
  const out = empty([N, C, H * fH, W * fW]);
  upsampleNearest('forward', x.buffer, out.buffer, N * C, H, W, fH, fW);
  return UPSAMPLE.record(out, [x], { fH, fW });
}

/** Inverted dropout with a GPU hash RNG: the mask is a function of (seed, index), so backward recomputes it. */
export function dropout(x: Tensor, p: number, seed: number, training = true): Tensor {
  expectFloat('dropout', x);
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const s = Math.abs(Math.floor(seed)) % (1 << 24);
  return DROPOUT.record(ewRaw('dropout', [x], [p, s]), [x], [p, s]);
}
