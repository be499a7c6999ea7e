// The Qimera/GDFQ-style conditional generator for 32x32 images. Input: a label embedding initialised from
// the classifier's output-layer weights (rows = classes, latent size = the classifier's feature width),
// plus noise, mixed over K labels with weights softmax(randn(K)), standardised per sample. Body:
//   linear latent -> 128x8x8, BN, upsample x2, conv3x3 128->128, BN, LeakyReLU 0.2, upsample x2,
//   conv3x3 128->64, BN, LeakyReLU 0.2, conv3x3 64->3, tanh, BN(3, affine off)
// Output is in the classifier's (normalised) input space.
import { add, div, sqrt, sub } from '../../tensor/ops/elementwise.js';
import { Random } from '../../tensor/ops/creation.js';
import { matmul } from '../../tensor/ops/linalg.js';
import { mean, variance } from '../../tensor/ops/reduce-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BatchNorm2d, Conv2d, LeakyReLU, Linear, Sequential, Tanh, Upsample, View } from '../layers.js';
import { Module, run, type ForwardContext } from '../module.js';

export interface GeneratorOptions {
  classes: number;
  latent: number;
  seed?: number;
  freezeEmbedding?: boolean;
}

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
    this.body = this.addChild(
      'body',
      new Sequential([
        new Linear(o.latent, 128 * 8 * 8, true, rng),
        View([128, 8, 8]),
        new BatchNorm2d(128),
        Upsample(2),
        new Conv2d({ in: 128, out: 128, kernel: 3, padding: 1 }, rng),
        new BatchNorm2d(128),
        LeakyReLU(0.2),
        Upsample(2),
        new Conv2d({ in: 128, out: 64, kernel: 3, padding: 1 }, rng),
        new BatchNorm2d(64),
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
}

export interface LabelDraw {
  mix: Float32Array;
  noise: Float32Array;
  labels: Int32Array;
}

/**
 * Draw N generator inputs: K labels per sample (K = 1: single labels), mixing weights softmax(randn(K)),
 * each label with its own standard-normal noise. `labels` holds the heaviest label of each sample.
 */
export function drawLabels(n: number, classes: number, latent: number, k: number, rng: Random): LabelDraw {
  const mix = new Float32Array(n * classes),
    noise = new Float32Array(n * latent),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const logits = Array.from({ length: k }, () => (k === 1 ? 0 : rng.normal()));
    const mx = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - mx));
    const tot = ex.reduce((a, b) => a + b, 0);
    let best = -1,
      bestW = -1;
    for (let j = 0; j < k; j++) {
      const w = ex[j] / tot;
      const y = rng.int(classes);
      mix[i * classes + y] += w;
      for (let d = 0; d < latent; d++) noise[i * latent + d] += w * rng.normal();
      if (w > bestW) {
        bestW = w;
        best = y;
      }
    }
    labels[i] = best;
  }
  return { mix, noise, labels };
}
