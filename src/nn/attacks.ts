// L∞ attacks as advertorch runs them (GradientSignAttack, LinfPGDAttack with clip [0, 1]): FGSM is one sign
// step of size eps; PGD takes `steps` sign steps of size `alpha` from a uniform random start in the eps-ball,
// projecting onto the ball and the [0, 1] box after each step. Where they act is the attack space:
//   normalized  the seed's: the attacked tensor is what the model sees ((p − mean) / std), so the budget is
//               in normalised units and the [0, 1] box clips normalised values (about 70% of a CIFAR
//               image's values lie outside it; generator-notes.md): the seed's numbers mostly measure that
//   pixel       the physical threat model: pixels in [0, 1] are attacked, the model sees them normalised
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
import type { Classifier } from './models/modules.js';
import { IMAGE_BYTES } from '../data/cifar-meta.js';

export interface AttackOptions {
  eps: number;
  alpha?: number;
  steps?: number;
  randomStart?: boolean;
  seed?: number;
  /** the random start's offset, for tests against a reference (default: uniform in [−eps, eps]) */
  initDelta?: Tensor;
  ctx?: ForwardContext;
}
export type AttackSpace = 'normalized' | 'pixel';
export const ATTACK_SPACES: readonly AttackSpace[] = ['normalized', 'pixel'];
export function attackSpaceOf(v: string): AttackSpace {
  if (!(ATTACK_SPACES as readonly string[]).includes(v))
    throw new Error(`unknown attack space "${v}" (expected ${ATTACK_SPACES.join(' | ')})`);
  return v as AttackSpace;
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
/** The per-channel mean and std as [1, 3, 1, 1] tensors, kept for the process's life. */
function normConstantsOf(n: Normalisation): [Tensor, Tensor] {
  const key = `${n.mean.join()}|${n.std.join()}`;
  let c = normConstants.get(key);
  if (!c) {
    c = [
      keep(fromArray(Float32Array.from(n.mean), [1, 3, 1, 1])),
      keep(fromArray(Float32Array.from(n.std), [1, 3, 1, 1])),
    ];
    normConstants.set(key, c);
  }
  return c;
}
/** (p − mean) / std per channel. */
export function normaliser(n: Normalisation): (pixels: Tensor) => Tensor {
  const [mean, std] = normConstantsOf(n);
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
    const start = () => o.initDelta ?? mul(sub(rand(pixels.shape, new Random(o.seed ?? 0)), 0.5), 2 * eps);
    let x = tidy(() =>
      noGrad(() => ((o.randomStart ?? true) ? project(add(pixels, start()), pixels, eps) : add(pixels, 0))),
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
  /** the images as given (normalised, unclipped) */
  clean: number;
  /** the attack's starting point with no perturbation: the [0, 1] box alone */
  clamp: number;
  fgsm: number;
  pgd: number;
  count: number;
  space: AttackSpace;
}

/** Pixel batch [n, 3, 32, 32] in [0, 1] from uint8 images. */
export function pixelBatch(images: Uint8Array, start: number, n: number): Float32Array {
  const x = new Float32Array(n * IMAGE_BYTES);
  const src = images.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES);
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  return x;
}

/** Images as the model sees them (normalised), batch by batch: real uint8 sets and float fake sets alike. */
export interface AttackSet extends Normalisation {
  count: number;
  labels: Int32Array;
  normalized(start: number, n: number): Float32Array;
}

/** A uint8 image set (CIFAR records) as normalised batches. */
export function attackSetOfPixels(set: {
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  mean: readonly number[];
  std: readonly number[];
}): AttackSet {
  return {
    count: set.count,
    labels: set.labels,
    mean: set.mean,
    std: set.std,
    normalized: (start, n) => {
      const x = pixelBatch(set.images, start, n);
      for (let i = 0; i < x.length; i++) {
        const c = Math.floor((i % IMAGE_BYTES) / 1024);
        x[i] = (x[i] - set.mean[c]) / set.std[c];
      }
      return x;
    },
  };
}

/** A float set already in normalised space (the generator's outputs, unclipped). */
export function attackSetOfFloats(
  images: Float32Array,
  labels: Int32Array,
  n: Normalisation,
  count = labels.length,
): AttackSet {
  if (images.length < count * IMAGE_BYTES) throw new Error(`attack set: ${images.length} values for ${count} images`);
  return {
    count,
    labels,
    mean: n.mean,
    std: n.std,
    normalized: (start, m) => images.slice(start * IMAGE_BYTES, (start + m) * IMAGE_BYTES),
  };
}

/** The attacked tensor and the map to the model's input for one batch of normalised images. */
export function attackFrame(
  space: AttackSpace,
  xn: Tensor,
  n: Normalisation,
): { x: Tensor; toModel: (x: Tensor) => Tensor } {
  if (space === 'normalized') return { x: xn, toModel: (x) => x };
  const [mean, std] = normConstantsOf(n);
  return { x: noGrad(() => clamp(add(mul(xn, std), mean), 0, 1)), toModel: normaliser(n) };
}

/**
 * Clean, clamp-only, FGSM and PGD accuracy of a model on an image set. `ctx` carries fake-quant hooks for
 * quantized models. Counts stay on the GPU until the end of each batch.
 */
export async function robustAccuracy(
  model: Classifier,
  set: AttackSet,
  o: {
    space?: AttackSpace;
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
  const space = o.space ?? 'normalized';
  const bs = o.batchSize ?? 128;
  const eps = o.eps ?? PGD_DEFAULTS.eps;
  const sums = [0, 0, 0, 0];
  const batches = Math.ceil(set.count / bs);
  const wasTraining = model.training;
  model.eval();
  for (let b = 0; b < batches; b++) {
    const n = Math.min(bs, set.count - b * bs);
    const xn = keep(fromArray(set.normalized(b * bs, n), model.batchShape(n)));
    const y = keep(fromArray(set.labels.subarray(b * bs, b * bs + n), [n], 'int32'));
    const { x, toModel } = attackFrame(space, xn, set);
    keep(x);
    const correct = (input: () => Tensor) =>
      tidy(() => noGrad(() => countCorrect(model.forward(input(), o.ctx ?? {}), y)));
    const xf = fgsm(model, toModel, x, y, { eps, ctx: o.ctx });
    const xp = pgd(model, toModel, x, y, {
      eps,
      alpha: o.alpha,
      steps: o.steps,
      randomStart: o.randomStart,
      seed: (o.seed ?? 0) * 100003 + b,
      ctx: o.ctx,
    });
    const counts = [
      correct(() => xn),
      correct(() => toModel(clamp(x, 0, 1))),
      correct(() => toModel(xf)),
      correct(() => toModel(xp)),
    ];
    for (let k = 0; k < 4; k++) sums[k] += await counts[k].item();
    for (const t of new Set([x, xn, y, xf, xp, ...counts])) t.dispose();
    o.onBatch?.(b + 1, batches);
  }
  model.train(wasTraining);
  const [clean, clampOnly, f, p] = sums.map((s) => s / set.count);
  return { clean, clamp: clampOnly, fgsm: f, pgd: p, count: set.count, space };
}
