// L∞ attacks in pixel space: the attacker moves pixels in [0, 1]; the model sees them normalised
// ((p − mean) / std per channel), so the box is respected before normalisation, as in the seed.
// FGSM is one step of size eps from the clean image; PGD takes `steps` steps of size `alpha` from an
// optional uniform random start, projecting back onto the eps-ball and the [0, 1] box after each step.
// Input gradients come from the autograd engine; parameters are frozen meanwhile (no weight gradients).
import { grad } from '../autograd/backward.js';
import { noGrad } from '../autograd/tape.js';
import { fromArray, rand, Random } from '../tensor/ops/creation.js';
import { add, clamp, div, maximum, minimum, mul, sign, sub } from '../tensor/ops/elementwise.js';
import { countCorrect } from './metrics.js';
import { crossEntropy } from '../tensor/ops/nn-core.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ForwardContext, Module } from './module.js';
import type { Classifier } from './models/build.js';

export interface AttackOptions {
  eps: number;
  alpha?: number;
  steps?: number;
  randomStart?: boolean;
  seed?: number;
  ctx?: ForwardContext;
}
export const PGD_DEFAULTS = { eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: true } as const;

export interface Normalisation {
  mean: readonly number[];
  std: readonly number[];
}

/** Turn every parameter's requiresGrad off; returns the function that turns them back. */
function freeze(model: Module): () => void {
  const ps = model.parameters();
  const saved = ps.map((p) => p.requiresGrad);
  ps.forEach((p) => {
    p.requiresGrad = false;
  });
  return () =>
    ps.forEach((p, i) => {
      p.requiresGrad = saved[i];
    });
}

/** Run fn with the parameters frozen (attacks need input gradients only). */
export function withFrozenParams<T>(model: Module, fn: () => T): T {
  const thaw = freeze(model);
  try {
    return fn();
  } finally {
    thaw();
  }
}

export async function withFrozenParamsAsync<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  const thaw = freeze(model);
  try {
    return await fn();
  } finally {
    thaw();
  }
}

const normConstants = new Map<string, [Tensor, Tensor]>();
/** (p − mean) / std per channel; the constant tensors are cached per normalisation. */
export function normaliser(n: Normalisation): (pixels: Tensor) => Tensor {
  const key = `${n.mean.join()}|${n.std.join()}`;
  let c = normConstants.get(key);
  if (!c) {
    c = [
      keep(fromArray(Float32Array.from(n.mean), [1, 3, 1, 1])),
      keep(fromArray(Float32Array.from(n.std), [1, 3, 1, 1])),
    ];
    normConstants.set(key, c);
  }
  const [mean, std] = c;
  return (p) => div(sub(p, mean), std);
}

/** Logits of pixel images. */
export function logitsOfPixels(
  model: Classifier,
  norm: (p: Tensor) => Tensor,
  pixels: Tensor,
  ctx: ForwardContext = {},
): Tensor {
  return model.forward(norm(pixels), ctx);
}

function lossGradSign(
  model: Classifier,
  norm: (p: Tensor) => Tensor,
  x: Tensor,
  labels: Tensor,
  ctx: ForwardContext,
): Tensor {
  return tidy(() => {
    const xv = x.shareAs(x.shape);
    xv.requiresGrad = true;
    const loss = crossEntropy(model.forward(norm(xv), ctx), labels, { reduction: 'sum' });
    const [g] = grad(loss, [xv]);
    return noGrad(() => sign(g));
  });
}

/** Project onto the eps-ball around x0 and the [0, 1] box. */
function project(x: Tensor, x0: Tensor, eps: number): Tensor {
  return clamp(minimum(maximum(x, sub(x0, eps)), add(x0, eps)), 0, 1);
}

export function fgsm(
  model: Classifier,
  norm: (p: Tensor) => Tensor,
  pixels: Tensor,
  labels: Tensor,
  o: AttackOptions,
): Tensor {
  model.eval();
  return withFrozenParams(model, () =>
    tidy(() => {
      const s = lossGradSign(model, norm, pixels, labels, o.ctx ?? {});
      return noGrad(() => project(add(pixels, mul(s, o.eps)), pixels, o.eps));
    }),
  );
}

export function pgd(
  model: Classifier,
  norm: (p: Tensor) => Tensor,
  pixels: Tensor,
  labels: Tensor,
  o: AttackOptions,
): Tensor {
  const { eps } = o;
  const alpha = o.alpha ?? PGD_DEFAULTS.alpha;
  const steps = o.steps ?? PGD_DEFAULTS.steps;
  model.eval();
  return withFrozenParams(model, () => {
    let x = tidy(() =>
      noGrad(() =>
        (o.randomStart ?? true)
          ? project(add(pixels, mul(sub(rand(pixels.shape, new Random(o.seed ?? 0)), 0.5), 2 * eps)), pixels, eps)
          : add(pixels, 0),
      ),
    );
    for (let i = 0; i < steps; i++) {
      const next = tidy(() => {
        const s = lossGradSign(model, norm, x, labels, o.ctx ?? {});
        return noGrad(() => project(add(x, mul(s, alpha)), pixels, eps));
      });
      x.dispose();
      x = next;
    }
    return x;
  });
}

export interface RobustAccuracy {
  clean: number;
  fgsm: number;
  pgd: number;
  count: number;
}

/** Pixel batch [n, 3, 32, 32] in [0, 1] from uint8 images. */
export function pixelBatch(images: Uint8Array, start: number, n: number): Float32Array {
  const x = new Float32Array(n * 3072);
  const src = images.subarray(start * 3072, (start + n) * 3072);
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  return x;
}

/**
 * Clean, FGSM and PGD accuracy of a model on an image set (uint8 pixels + labels). `ctx` carries
 * fake-quant hooks for quantized models. Counts stay on the GPU until the end of each batch.
 */
export async function robustAccuracy(
  model: Classifier,
  set: { images: Uint8Array; labels: Int32Array; count: number; mean: readonly number[]; std: readonly number[] },
  o: {
    eps?: number;
    alpha?: number;
    steps?: number;
    randomStart?: boolean;
    batchSize?: number;
    seed?: number;
    ctx?: ForwardContext;
    onBatch?: (done: number, total: number) => void;
  } = {},
): Promise<RobustAccuracy> {
  const norm = normaliser(set);
  const bs = o.batchSize ?? 128;
  const eps = o.eps ?? PGD_DEFAULTS.eps;
  let clean = 0,
    f = 0,
    p = 0;
  const batches = Math.ceil(set.count / bs);
  const wasTraining = model.training;
  model.eval();
  for (let b = 0; b < batches; b++) {
    const n = Math.min(bs, set.count - b * bs);
    const x = keep(fromArray(pixelBatch(set.images, b * bs, n), [n, 3, 32, 32]));
    const y = keep(fromArray(set.labels.subarray(b * bs, b * bs + n), [n], 'int32'));
    const correct = (px: Tensor) =>
      tidy(() =>
        noGrad(() => {
          const pred = model.forward(norm(px), o.ctx ?? {});
          return countCorrect(pred, y);
        }),
      );
    const c0 = correct(x);
    const xf = fgsm(model, norm, x, y, { eps, ctx: o.ctx });
    const c1 = correct(xf);
    const xp = pgd(model, norm, x, y, {
      eps,
      alpha: o.alpha,
      steps: o.steps,
      randomStart: o.randomStart,
      seed: (o.seed ?? 0) * 100003 + b,
      ctx: o.ctx,
    });
    const c2 = correct(xp);
    clean += await c0.item();
    f += await c1.item();
    p += await c2.item();
    for (const t of [x, y, xf, xp, c0, c1, c2]) t.dispose();
    o.onBatch?.(b + 1, batches);
  }
  model.train(wasTraining);
  return { clean: clean / set.count, fgsm: f / set.count, pgd: p / set.count, count: set.count };
}
