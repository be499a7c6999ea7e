// Accuracy of a classifier on an image set, with optional per-forward hooks (fake-quant) and optional
// input transform (attacks). Accumulates on the GPU and reads back once per few batches.
import { epochBatches } from '../data/batches.js';
import type { ImageSet } from '../data/cifar.js';
import { argmax, eq, fromArray, keep, sum, tidy, toFloat, add, noGrad } from '../index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ForwardContext } from '../nn/module.js';
import type { Classifier } from '../nn/models/build.js';
import { Progress } from './progress.js';

export interface EvalOptions { batchSize?: number; ctx?: ForwardContext; label?: string; quiet?: boolean }

export function countCorrect(logits: Tensor, labels: Tensor): Tensor {
  return sum(eq(toFloat(argmax(logits, 1)), toFloat(labels)));
}

export async function accuracy(model: Classifier, set: ImageSet, o: EvalOptions = {}): Promise<number> {
  const bs = o.batchSize ?? 256;
  const wasTraining = model.training;
  model.eval();
  let correct = keep(fromArray([0]));
  const total = Math.ceil(set.count / bs);
  const bar = new Progress(o.label ?? 'eval', total, o.quiet ?? true);
  try {
    for (const b of epochBatches(set, bs, null, null, 0, 0)) {
      const next = noGrad(() => tidy(() => {
        const x = fromArray(b.x, [b.n, 3, 32, 32]);
        const y = fromArray(b.y, [b.n], 'int32');
        return add(correct, countCorrect(model.forward(x, o.ctx ?? {}), y));
      }));
      correct.dispose();
      correct = keep(next);
      if (b.index % 8 === 7) { await correct.item(); bar.update(b.index + 1); }
    }
    const c = await correct.item();
    bar.update(total);
    return c / set.count;
  } finally {
    correct.dispose();
    model.train(wasTraining);
  }
}
