// The Qimera/GDFQ-style conditional generator for 32x32 images (the seed's ALL/generator.py). Input: a label
// embedding initialised from the classifier's output-layer weights (rows = classes, latent size = the
// classifier's feature width), plus standard-normal noise. Single labels are standardised per sample; K mixed
// labels are standardised per label slot over batch x features (the seed's BatchNorm1d on the [features, K,
// batch] transpose) and then summed with weights softmax(randn(K)). Body:
//   linear latent -> 128x8x8, BN, upsample x2, conv3x3 128->128, BN(eps 0.8), LeakyReLU 0.2, upsample x2,
//   conv3x3 128->64, BN(eps 0.8), LeakyReLU 0.2, conv3x3 64->3, tanh, BN(3, affine off)
// The eps 0.8 is the seed's `nn.BatchNorm2d(128, 0.8)`: a positional momentum meant, read as eps; it is kept
// as the default because the seed's generators were trained with it. Output: the classifier's normalised space.
import { add, div, mul, sqrt, sub } from '../../tensor/ops/elementwise.js';
import { Random } from '../../tensor/ops/creation.js';
import { matmul } from '../../tensor/ops/linalg.js';
import { mean, sum, variance } from '../../tensor/ops/reduce-ops.js';
import { reshape } from '../../tensor/ops/shape-ops.js';
import { fromArray } from '../../tensor/ops/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BatchNorm2d, Conv2d, LeakyReLU, Linear, Sequential, Tanh, Upsample, View } from '../layers.js';
import { Module, run, type ForwardContext } from '../module.js';

export interface GeneratorOptions {
  classes: number;
  latent: number;
  seed?: number;
  freezeEmbedding?: boolean;
  /** eps of the two middle BatchNorms (the seed: 0.8) */
  midBnEps?: number;
  /** 'slot': the seed's per-slot standardisation before mixing; 'mix-first': mix, then per sample */
  slotNorm?: SlotNorm;
}
export type SlotNorm = 'slot' | 'mix-first';
export const GENERATOR_DEFAULTS = { midBnEps: 0.8, slotNorm: 'slot' as SlotNorm };

export class Generator extends Module {
  readonly body: Sequential;
  constructor(
    readonly o: GeneratorOptions,
    embeddingInit?: Float32Array,
  ) {
    super();
    const rng = new Random(`generator:${o.seed ?? 0}`);
    const emb = embeddingInit ?? Float32Array.from({ length: o.classes * o.latent }, () => rng.normal());
    if (emb.length !== o.classes * o.latent)
      throw new Error(`generator: embedding init has ${emb.length} values, expected ${o.classes} x ${o.latent}`);
    const e = this.addParam('embedding', emb, [o.classes, o.latent]);
    if (o.freezeEmbedding) e.requiresGrad = false;
    const midEps = o.midBnEps ?? GENERATOR_DEFAULTS.midBnEps;
    const midBn = (c: number) => Object.assign(new BatchNorm2d(c), { eps: midEps });
    this.body = this.addChild(
      'body',
      new Sequential([
        new Linear(o.latent, 128 * 8 * 8, true, rng),
        View([128, 8, 8]),
        new BatchNorm2d(128),
        Upsample(2),
        new Conv2d({ in: 128, out: 128, kernel: 3, padding: 1 }, rng),
        midBn(128),
        LeakyReLU(0.2),
        Upsample(2),
        new Conv2d({ in: 128, out: 64, kernel: 3, padding: 1 }, rng),
        midBn(64),
        LeakyReLU(0.2),
        new Conv2d({ in: 64, out: 3, kernel: 3, padding: 1 }, rng),
        Tanh(),
        new BatchNorm2d(3, false),
      ]),
    );
    this.register();
  }
  get kind(): string {
    return 'generator';
  }

  /** Trainable parameters (the embedding only when not frozen). */
  trainable(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /**
   * mix: [N, classes] label weights (one-hot rows for single labels), noise: [N, latent] (already mixed
   * with the same weights). Returns images [N, 3, 32, 32].
   */
  forward(mix: Tensor, ctx: ForwardContext = {}, noise?: Tensor): Tensor {
    if (!noise) throw new Error('generator: noise is required');
    const v = add(matmul(mix, this.param('embedding')), noise);
    // standardise per sample so embedding scale and noise scale do not matter
    const m = mean(v, 1, true);
    const s = sqrt(add(variance(v, 1, { correction: 0, keepdim: true }), 1e-5));
    return run(this.body, div(sub(v, m), s), ctx);
  }

  /** Images for a label draw, with the slot standardisation of the generator's options. */
  generate(d: LabelDraw, ctx: ForwardContext = {}): Tensor {
    if (d.k === 1 || (this.o.slotNorm ?? GENERATOR_DEFAULTS.slotNorm) === 'mix-first') {
      const { n } = d;
      return this.forward(
        fromArray(d.mix, [n, this.o.classes]),
        ctx,
        fromArray(mixedNoise(d, this.o.latent), [n, this.o.latent]),
      );
    }
    return run(this.body, this.slotInput(d), ctx);
  }

  /**
   * The body's input for K > 1 mixed labels, the seed's way: per slot, embedding + noise standardised over
   * batch x features (BatchNorm1d without affine on the [features, K, batch] transpose), then summed with
   * the slot weights.
   */
  slotInput(d: LabelDraw): Tensor {
    const { n, k } = d;
    const latent = this.o.latent;
    const emb = matmul(fromArray(d.slots, [k * n, this.o.classes]), this.param('embedding'));
    const flat = reshape(add(emb, fromArray(d.noise, [k * n, latent])), [k, n * latent]);
    const m = mean(flat, 1, true);
    const s = sqrt(add(variance(flat, 1, { correction: 0, keepdim: true }), 1e-5));
    const standardised = reshape(div(sub(flat, m), s), [k, n, latent]);
    return sum(mul(standardised, fromArray(d.weights, [k, n, 1])), 0);
  }
}

/** The noise of each sample mixed with its slot weights (the 'mix-first' input; K = 1: the noise itself). */
function mixedNoise(d: LabelDraw, latent: number): Float32Array {
  if (d.k === 1) return d.noise;
  const out = new Float32Array(d.n * latent);
  for (let j = 0; j < d.k; j++)
    for (let i = 0; i < d.n; i++) {
      const w = d.weights[j * d.n + i];
      for (let l = 0; l < latent; l++) out[i * latent + l] += w * d.noise[(j * d.n + i) * latent + l];
    }
  return out;
}

export interface LabelDraw {
  n: number;
  k: number;
  /** one-hot label of each slot: [K, N, classes] */
  slots: Float32Array;
  /** standard-normal noise of each slot: [K, N, latent] */
  noise: Float32Array;
  /** slot weights softmax(randn(K)) per sample: [K, N] (all 1 for K = 1) */
  weights: Float32Array;
  /** the soft target: the slot weights summed at their labels, [N, classes] (the seed's scatter_add) */
  mix: Float32Array;
  /** the heaviest label of each sample */
  labels: Int32Array;
}

/**
 * Draw N generator inputs: K labels per sample (K = 1: single labels), mixing weights softmax(randn(K)),
 * each label slot with its own standard-normal noise.
 */
export function drawLabels(n: number, classes: number, latent: number, k: number, rng: Random): LabelDraw {
  const slots = new Float32Array(k * n * classes),
    noise = new Float32Array(k * n * latent),
    weights = new Float32Array(k * n),
    mix = new Float32Array(n * classes),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const logits = Array.from({ length: k }, () => (k === 1 ? 0 : rng.normal()));
    const mx = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - mx));
    const tot = ex.reduce((a, b) => a + b, 0);
    let bestW = -1;
    for (let j = 0; j < k; j++) {
      const w = ex[j] / tot;
      const y = rng.int(classes);
      slots[(j * n + i) * classes + y] = 1;
      weights[j * n + i] = w;
      mix[i * classes + y] += w;
      for (let d = 0; d < latent; d++) noise[(j * n + i) * latent + d] = rng.normal();
      if (w > bestW) {
        bestW = w;
        labels[i] = y;
      }
    }
  }
  return { n, k, slots, noise, weights, mix, labels };
}
