// accuracyOf with a progress bar on stderr (Node side).
import type { ImageSet } from '../data/cifar.js';
import { accuracyOf, countCorrect } from '../nn/metrics.js';
import type { ForwardContext } from '../nn/module.js';
import type { Classifier } from '../nn/models/modules.js';
import { Progress } from './progress.js';

export { countCorrect };

export interface EvalOptions {
  batchSize?: number;
  ctx?: ForwardContext;
  label?: string;
  quiet?: boolean;
}

export async function accuracy(model: Classifier, set: ImageSet, o: EvalOptions = {}): Promise<number> {
  const bar = new Progress(o.label ?? 'eval', Math.ceil(set.count / (o.batchSize ?? 256)), o.quiet ?? true);
  return accuracyOf(model, set, { batchSize: o.batchSize, ctx: o.ctx, onProgress: (d) => bar.update(d) });
}
