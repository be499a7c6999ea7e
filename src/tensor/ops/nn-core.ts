// softmax, log_softmax, gather, one-hot and cross-entropy (PyTorch semantics).
import { sizeOf } from '../shape.js';
import { gatherMiddle } from '../../kernels/copy.js';
import { softmaxMiddle } from '../../kernels/reduce.js';
import { defineOp } from '../../autograd/tape.js';
import { fmt, normAxis, ShapeError } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty, expectFloat, expectInt } from './alloc.js';
import { arange } from './creation.js';
import { eq, exp, mul, neg, sub, toFloat } from './elementwise.js';
import { mean, sum } from './reduce-ops.js';
import { reshape } from './shape-ops.js';
import { gatherGradient } from './backward-ops.js';

const SOFTMAX = defineOp<number>('softmax', (g, axis, _x, out) => [mul(out, sub(g, sum(mul(g, out), axis, true)))]);
const LOG_SOFTMAX = defineOp<number>('log_softmax', (g, axis, _x, out) => [sub(g, mul(exp(out), sum(g, axis, true)))]);
const GATHER = defineOp<{ axis: number; index: Tensor }>('gather', (g, { axis, index }, [x]) => [
  gatherGradient(g, index, x.shape, axis),
]);

function middle(x: Tensor, axis: number): [number, number, number] {
  const A = sizeOf(x.shape.slice(0, axis));
  const B = sizeOf(x.shape.slice(axis + 1));
  return [A, x.shape[axis], B];
}

function softmaxLike(log: boolean, x: Tensor, axis: number): Tensor {
  const op = log ? 'log_softmax' : 'softmax';
  expectFloat(op, x);
  const a = normAxis(axis, x.rank, op);
  const out = empty(x.shape);
  const [A, R, B] = middle(x, a);
  softmaxMiddle(log, x.buffer, out.buffer, A, R, B);
  return (log ? LOG_SOFTMAX : SOFTMAX).record(out, [x], a);
}

export const softmax = (x: Tensor, axis = -1) => softmaxLike(false, x, axis);
export const logSoftmax = (x: Tensor, axis = -1) => softmaxLike(true, x, axis);

/** torch.gather: index has x's shape except along axis. Indices outside [0, size) are clamped. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  expectFloat('gather', x);
  expectInt('gather', index);
  const a = normAxis(axis, x.rank, 'gather');
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new ShapeError(
      `gather: index shape ${fmt(index.shape)} must match input ${fmt(x.shape)} except along axis ${a}`,
    );
  }
  const out = empty(index.shape);
  const [A, Rx, B] = middle(x, a);
  gatherMiddle(x.buffer, index.buffer, out.buffer, A, Rx, B, index.shape[a]);
  return GATHER.record(out, [x], { axis: a, index });
}

/** Float one-hot rows for int32 labels [N] -> [N, classes]. */
export function oneHot(labels: Tensor, classes: number): Tensor {
  expectInt('oneHot', labels);
  const cols = arange(classes);
  return eq(reshape(toFloat(labels), [...labels.shape, 1]), cols);
}

export interface CrossEntropyOptions {
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy from logits [N, C]. target: int32 class indices [N] or float probabilities [N, C].
 * 'mean' divides by N in both cases (torch.nn.functional.cross_entropy without weights).
 */
export function crossEntropy(logits: Tensor, target: Tensor, { reduction = 'mean' }: CrossEntropyOptions = {}): Tensor {
  expectFloat('cross_entropy', logits);
  if (logits.rank !== 2) throw new ShapeError(`cross_entropy: logits must be [N, C], got ${fmt(logits.shape)}`);
  const [N, C] = logits.shape;
  const logp = logSoftmax(logits, 1);
  let perSample: Tensor;
  if (target.dtype === 'int32') {
    if (target.rank !== 1 || target.shape[0] !== N)
      throw new ShapeError(`cross_entropy: labels must be [${N}], got ${fmt(target.shape)}`);
    perSample = neg(reshape(gather(logp, 1, reshape(target, [N, 1])), [N]));
  } else {
    if (target.rank !== 2 || target.shape[0] !== N || target.shape[1] !== C) {
      throw new ShapeError(`cross_entropy: soft targets must be [${N}, ${C}], got ${fmt(target.shape)}`);
    }
    perSample = neg(sum(mul(target, logp), 1));
  }
  if (reduction === 'none') return perSample;
  return reduction === 'sum' ? sum(perSample) : mean(perSample);
}
