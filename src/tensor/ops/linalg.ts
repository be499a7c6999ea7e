// matmul with PyTorch batching rules on top of one batched kernel (kernels/matmul.ts).
import { sizeOf } from '../shape.js';
import { matmulTN, prepareOperand, roundUp4, type MatmulOperand } from '../../kernels/matmul.js';
import { engine } from '../../device/engine.js';
import { defineOp } from '../../autograd/tape.js';
import { broadcastShapes, fmt, ShapeError } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat } from './alloc.js';
import { expand, reshape } from './shape-ops.js';

/** An operand whose rows are `x`'s rows ([batch, R, C] as is, padding C to a multiple of 4 if needed). */
function rowsOperand(x: GPUBuffer, batch: number, R: number, C: number, temps: GPUBuffer[]): MatmulOperand {
  if (C % 4 === 0) return { buffer: x, ld: C, batchStride: R * C };
  const buf = engine().createBuffer(batch * R * roundUp4(C) * 4);
  temps.push(buf);
  const ld = prepareOperand('pad', x, buf, batch, R, C);
  return { buffer: buf, ld, batchStride: R * ld };
}

/** `x` [batch, R, C] as an operand contracted over its columns (the matmul kernels transpose it if they must). */
function colsOperand(x: GPUBuffer, R: number, C: number): MatmulOperand {
  return { buffer: x, ld: C, batchStride: R * C, layout: 'k-contiguous' };
}

function release(temps: GPUBuffer[]): void {
  for (const b of temps) engine().releaseBuffer(b);
}

/** C = A·B for A [batch, M, K], B [batch, K, N] (raw buffers, no autograd). */
export function bmmRaw(a: Tensor, b: Tensor, batch: number, M: number, K: number, N: number, out: Tensor): void {
  const temps: GPUBuffer[] = [];
  matmulTN(colsOperand(a.buffer, M, K), rowsOperand(b.buffer, batch, K, N, temps), out.buffer, batch, M, N, K);
  release(temps);
}

/** dA = g·B^T for g [batch, M, N], B [batch, K, N]... contraction over N. */
export function bmmGradA(g: Tensor, b: Tensor, batch: number, M: number, K: number, N: number): Tensor {
  const out = empty([batch, M, K]);
  const temps: GPUBuffer[] = [];
  matmulTN(colsOperand(g.buffer, M, N), colsOperand(b.buffer, K, N), out.buffer, batch, M, K, N);
  release(temps);
  return out;
}

/** dB = A^T·g for A [batch, M, K], g [batch, M, N]: contraction over M, no transposes. */
export function bmmGradB(a: Tensor, g: Tensor, batch: number, M: number, K: number, N: number): Tensor {
  const out = empty([batch, K, N]);
  const temps: GPUBuffer[] = [];
  matmulTN(
    rowsOperand(a.buffer, batch, M, K, temps),
    rowsOperand(g.buffer, batch, M, N, temps),
    out.buffer,
    batch,
    K,
    N,
    M,
  );
  release(temps);
  return out;
}

/** Batched product of [batch, M, K] and [batch, K, N]. */
const BMM = defineOp('bmm', (g, _s, [a, b]) => {
  const [batch, M, K] = a.shape;
  const N = b.shape[2];
  return [
    a.requiresGrad ? bmmGradA(g, b, batch, M, K, N) : null,
    b.requiresGrad ? bmmGradB(a, g, batch, M, K, N) : null,
  ];
});

export function bmm(a: Tensor, b: Tensor): Tensor {
  expectFloat('bmm', a, b);
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new ShapeError(`bmm: cannot multiply ${fmt(a.shape)} by ${fmt(b.shape)}`);
  }
  const [batch, M, K] = a.shape;
  const N = b.shape[2];
  const out = empty([batch, M, N]);
  bmmRaw(a, b, batch, M, K, N, out);
  return BMM.record(out, [a, b]);
}

/** torch.matmul for operands of rank >= 1 (1-D operands are promoted and the added dim removed). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectFloat('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) throw new ShapeError('matmul: both operands need at least one dimension');
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const K = a2.shape[a2.rank - 1];
  if (b2.shape[b2.rank - 2] !== K)
    throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const M = a2.shape[a2.rank - 2],
    N = b2.shape[b2.rank - 1];
  let out: Tensor;
  if (b2.rank === 2) {
    // Fold a's batch dims into its rows: one 2-D product, no copies of b.
    const lead = a2.shape.slice(0, -2);
    const rows = sizeOf(lead) * M;
    const y = bmm(reshape(a2, [1, rows, K]), reshape(b2, [1, K, N]));
    out = reshape(y, [...lead, M, N]);
  } else {
    const batchShape = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2), 'matmul');
    const batch = sizeOf(batchShape);
    const ae = expand(a2, [...batchShape, M, K]),
      be = expand(b2, [...batchShape, K, N]);
    const y = bmm(reshape(ae, [batch, M, K]), reshape(be, [batch, K, N]));
    out = reshape(y, [...batchShape, M, N]);
  }
  if (a.rank === 1) out = reshape(out, [...out.shape.slice(0, -2), N]);
  if (b.rank === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}
