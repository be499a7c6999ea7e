// Tensor-level wrappers of the backward kernels: gradient rules (src/autograd) reach kernels only through
// these, so the layers point one way (autograd -> tensor ops -> kernels -> device).
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { empty } from './alloc.js';
import { gatherBackwardMiddle } from '../../kernels/copy.js';
import { conv2dInputGrad, conv2dWeightGrad, type ConvGeometry, type ConvImpl } from '../../kernels/conv.js';
import { poolBackward, upsampleNearest, type PoolGeometry } from '../../kernels/pool.js';
import { bnBackward, bnTrainBackwardParams, channelAffineGrad, type BnActivation } from '../../kernels/batchnorm.js';

export type { ConvGeometry, ConvImpl, PoolGeometry };

/** dX of a conv2d from dY and the weight. */
export function conv2dInputGradient(
  g: Tensor,
  w: Tensor,
  xShape: readonly number[],
  geo: ConvGeometry,
  impl: ConvImpl,
): Tensor {
  const dx = empty(xShape);
  conv2dInputGrad(g.buffer, w.buffer, dx.buffer, geo, impl);
  return dx;
}

/** dW of a conv2d from dY and the input. */
export function conv2dWeightGradient(
  g: Tensor,
  x: Tensor,
  wShape: readonly number[],
  geo: ConvGeometry,
  impl: ConvImpl,
): Tensor {
  const dw = empty(wShape);
  conv2dWeightGrad(g.buffer, x.buffer, dw.buffer, geo, impl);
  return dw;
}

/** Per channel (sum g (x - m), sum g) as [2, C]; m is read from row 0 of `m` (masked by y > 0 when given). */
export function channelAffineSums(
  g: Tensor,
  x: Tensor,
  m: Tensor,
  N: number,
  C: number,
  P: number,
  mask: Tensor | null = null,
  maskKind: BnActivation = 'relu',
): Tensor {
  const sums = empty([2, C]);
  channelAffineGrad(g.buffer, x.buffer, m.buffer, sums.buffer, N, C, P, mask ? mask.buffer : null, maskKind);
  return sums;
}

/** Training BatchNorm's backward from the forward's packed statistics [5, C]: dx (when asked), dw, db. */
export function batchNormTrainGradients(
  g: Tensor,
  x: Tensor,
  stats: Tensor,
  dims: { N: number; C: number; P: number },
  mask: Tensor | null,
  needDx: boolean,
  maskKind: BnActivation = 'relu',
): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  const { N, C, P } = dims;
  const sums = channelAffineSums(g, x, stats, N, C, P, mask, maskKind);
  const params = empty([4, C]),
    dw = empty([C]),
    db = empty([C]);
  bnTrainBackwardParams(stats.buffer, sums.buffer, params.buffer, dw.buffer, db.buffer, C, N * P);
  let dx: Tensor | null = null;
  if (needDx) {
    dx = empty(x.shape);
    bnBackward(g.buffer, x.buffer, params.buffer, dx.buffer, N, C, P, mask ? mask.buffer : null, maskKind);
  }
  return { dx, dw, db };
}

/** dX of max/avg pooling (`arg`: the forward's argmax for max pooling, else null). */
export function poolGradient(g: Tensor, arg: Tensor | null, xShape: readonly number[], geo: PoolGeometry): Tensor {
  const dx = empty(xShape);
  poolBackward(g.buffer, (arg ?? g).buffer, dx.buffer, geo);
  return dx;
}

/** dX of nearest-neighbour upsampling by (fH, fW): each input pixel sums its block of dY. */
export function upsampleGradient(g: Tensor, xShape: readonly number[], fH: number, fW: number): Tensor {
  const dx = empty(xShape);
  upsampleNearest('backward', g.buffer, dx.buffer, xShape[0] * xShape[1], xShape[2], xShape[3], fH, fW);
  return dx;
}

/** dX of a gather along `axis`: dY scattered back (summed) to the gathered positions. */
export function gatherGradient(g: Tensor, index: Tensor, xShape: readonly number[], axis: number): Tensor {
  const A = sizeOf(xShape.slice(0, axis));
  const B = sizeOf(xShape.slice(axis + 1));
  const gx = empty(xShape);
  gatherBackwardMiddle(g.buffer, index.buffer, gx.buffer, A, xShape[axis], B, index.shape[axis]);
  return gx;
}
