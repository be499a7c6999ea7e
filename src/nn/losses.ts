// Losses (PyTorch reductions). cross_entropy lives with the core ops; MSE and KL divergence compose ops.
import { add, mul, sub, log, where, gt } from '../tensor/ops/elementwise.js';
import { mean, sum } from '../tensor/ops/reduce-ops.js';
import { fmt, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
export { crossEntropy } from '../tensor/ops/nn-core.js';

type Reduction = 'mean' | 'sum' | 'none';

function sameShapes(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join())
    throw new ShapeError(`${op}: input ${fmt(a.shape)} and target ${fmt(b.shape)} differ`);
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? x : reduction === 'sum' ? sum(x) : mean(x);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShapes('mse_loss', input, target);
  const d = sub(input, target);
  return reduce(mul(d, d), reduction);
}

/**
 * torch.nn.functional.kl_div(input, target): input holds log-probabilities, target probabilities;
 * pointwise target * (log target - input), 0 where target = 0. 'batchmean' divides the sum by the batch size.
 */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'batchmean'): Tensor {
  sameShapes('kl_div', input, target);
  const safeLog = log(where(gt(target, 0), target, 1));
  const pointwise = mul(target, sub(safeLog, input));
  if (reduction === 'batchmean') return mul(sum(pointwise), 1 / input.shape[0]);
  return reduce(pointwise, reduction);
}

/**
 * The generator's BatchNorm-statistics loss: mean over BN layers of MSE(batch mean, running mean) +
 * MSE(biased batch variance, running variance). Zero when the statistics match.
 */
export function bnStatsLoss(
  stats: { mean: Tensor; variance: Tensor; runningMean: Tensor; runningVar: Tensor }[],
): Tensor {
  if (!stats.length)
    throw new Error('bn_stats_loss: the model recorded no BatchNorm statistics (does it have BN layers?)');
  let total: Tensor | null = null;
  for (const s of stats) {
    const term = add(mseLoss(s.mean, s.runningMean), mseLoss(s.variance, s.runningVar));
    total = total ? add(total, term) : term;
  }
  return mul(total as Tensor, 1 / stats.length);
}
