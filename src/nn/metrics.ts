// Classification accuracy over an image set (platform-neutral: Node CLI and the browser page share it).
// Counts accumulate on the GPU and are read back every few batches only.
import { epochBatches } from '../data/batches.js';
import type { ImageSet } from '../data/cifar-meta.js';
import { noGrad } from '../autograd/tape.js';
import { argmax, sum } from '../tensor/ops/reduce-ops.js';
import { add, eq, toFloat } from '../tensor/ops/elementwise.js';
import { fromArray } from '../tensor/ops/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ForwardContext } from './module.js';
import type { Classifier } from './models/modules.js';

export function countCorrect(logits: Tensor, labels: Tensor): Tensor {
  return sum(eq(toFloat(argmax(logits, 1)), toFloat(labels)));
}

export interface AccuracyOptions {
  batchSize?: number;
  ctx?: ForwardContext;
  onProgress?: (done: number, total: number) => void;
}

export async function accuracyOf(model: Classifier, set: ImageSet, o: AccuracyOptions = {}): Promise<number> {
  const bs = o.batchSize ?? 256;
  const wasTraining = model.training;
  model.eval();
  let correct = keep(fromArray([0]));
  const total = Math.ceil(set.count / bs);
  try {
    for (const b of epochBatches(set, bs, null, null, 0, 0)) {
      const next = noGrad(() =>
        tidy(() => {
          const x = fromArray(b.x, model.batchShape(b.n));
          const y = fromArray(b.y, [b.n], 'int32');
          return add(correct, countCorrect(model.forward(x, o.ctx ?? {}), y));
        }),
      );
      correct.dispose();
      correct = keep(next);
      if (b.index % 8 === 7) {
        await correct.item();
        o.onProgress?.(b.index + 1, total);
      }
    }
    const c = await correct.item();
    o.onProgress?.(total, total);
    return c / set.count;
  } finally {
    correct.dispose();
    model.train(wasTraining);
  }
}
