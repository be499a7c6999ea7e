// Layers: thin Modules over the tensor ops. Initialisation follows PyTorch's defaults (kaiming-uniform
// with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases; BN weight 1, bias 0).
import { Random } from '../tensor/ops/creation.js';
import {
  conv2d,
  batchNorm,
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  dropout,
  upsampleNearest2d,
} from '../tensor/ops/cnn.js';
import { add, relu, relu6, leakyRelu, tanh } from '../tensor/ops/elementwise.js';
import { matmul } from '../tensor/ops/linalg.js';
import { softmax } from '../tensor/ops/nn-core.js';
import { flatten, reshape, transpose } from '../tensor/ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../tensor/ops/cnn.js';
import { Module, run, type ForwardContext } from './module.js';

function uniform(n: number, bound: number, rng: Random): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * bound;
  return a;
}

export interface ConvSpec {
  in: number;
  out: number;
  kernel: number;
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly spec: Required<ConvSpec>;
  constructor(spec: ConvSpec, rng: Random) {
    super();
    this.spec = { stride: 1, padding: 0, groups: 1, bias: true, ...spec };
    const { in: cin, out, kernel: k, groups } = this.spec;
    if (cin % groups || out % groups) throw new Error(`Conv2d: groups ${groups} must divide ${cin} and ${out}`);
    const fanIn = (cin / groups) * k * k;
    const bound = 1 / Math.sqrt(fanIn);
    this.addParam('weight', uniform(out * (cin / groups) * k * k, bound, rng), [out, cin / groups, k, k]);
    if (this.spec.bias) this.addParam('bias', uniform(out, bound, rng), [out]);
  }
  get kind(): string {
    return 'conv';
  }
  get hasBias(): boolean {
    return this.params.has('bias');
  }
  /** Give a bias-free conv a (zero) bias, so a folded BatchNorm has somewhere to go. */
  ensureBias(): Tensor {
    if (!this.hasBias) this.addParam('bias', new Float32Array(this.spec.out), [this.spec.out]);
    return this.param('bias');
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const input = ctx.inputHook ? ctx.inputHook(this.path, this, x) : x;
    const y = this.convolve(input, this.param('weight'), this.hasBias ? this.param('bias') : null);
    return ctx.layerHook ? ctx.layerHook(this.path, this, input, y) : y;
  }
  /** This layer's conv with other weights (a folded BatchNorm), an activation and a residual in its store. */
  convolve(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | null,
    activation: Activation = 'none',
    residual: Tensor | null = null,
  ): Tensor {
    const { stride, padding, groups } = this.spec;
    return conv2d(x, weight, bias, { stride, padding, groups, activation, residual: residual ?? undefined });
  }
}

export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias: boolean,
    rng: Random,
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.addParam('weight', uniform(outFeatures * inFeatures, bound, rng), [outFeatures, inFeatures]);
    if (bias) this.addParam('bias', uniform(outFeatures, bound, rng), [outFeatures]);
  }
  get kind(): string {
    return 'linear';
  }
  get hasBias(): boolean {
    return this.params.has('bias');
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const input = ctx.inputHook ? ctx.inputHook(this.path, this, x) : x;
    let y = matmul(input, transpose(this.param('weight')));
    if (this.hasBias) y = add(y, this.param('bias'));
    const out = ctx.layerHook ? ctx.layerHook(this.path, this, input, y) : y;
    return ctx.unitHook ? ctx.unitHook(this.path, out) : out;
  }
}

export class BatchNorm2d extends Module {
  momentum = 0.1;
  eps = 1e-5;
  constructor(
    readonly channels: number,
    readonly affine = true,
  ) {
    super();
    if (affine) {
      this.addParam('weight', new Float32Array(channels).fill(1), [channels]);
      this.addParam('bias', new Float32Array(channels), [channels]);
    }
    this.addBuffer('running_mean', new Float32Array(channels), [channels]);
    this.addBuffer('running_var', new Float32Array(channels).fill(1), [channels]);
  }
  get kind(): string {
    return 'bn';
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    return this.normalize(x, ctx, null);
  }

  /** BatchNorm then ReLU or ReLU6, fused into one pass where the fused training op runs (a conv unit's
   *  bn + act). */
  forwardActivated(x: Tensor, ctx: ForwardContext, act: 'relu' | 'relu6'): Tensor {
    return this.normalize(x, ctx, act);
  }

  private normalize(x: Tensor, ctx: ForwardContext, act: 'relu' | 'relu6' | null): Tensor {
    const fused = { relu: act === 'relu', relu6: act === 'relu6' };
    const rm = this.buffer('running_mean'),
      rv = this.buffer('running_var');
    const w = this.affine ? this.param('weight') : null,
      b = this.affine ? this.param('bias') : null;
    if (ctx.bnStats && !this.training) {
      // eval-mode teacher with statistics capture (the generator's BN loss): stats of this input
      const s = batchNorm(x, null, null, null, null, { training: true, eps: this.eps });
      ctx.bnStats.push({
        name: this.path,
        mean: s.batchMean as Tensor,
        variance: s.batchVar as Tensor,
        runningMean: rm,
        runningVar: rv,
      });
      return batchNorm(x, rm, rv, w, b, { training: false, eps: this.eps, ...fused }).out;
    }
    const r = batchNorm(x, rm, rv, w, b, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
      statsGrad: !!ctx.bnStats,
      ...fused,
    });
    if (ctx.bnStats && r.batchMean && r.batchVar)
      ctx.bnStats.push({ name: this.path, mean: r.batchMean, variance: r.batchVar, runningMean: rm, runningVar: rv });
    return r.out;
  }
}

/** Stateless layers: activation, pooling, reshaping. */
export class Fn extends Module {
  constructor(
    private readonly name: string,
    private readonly fn: (x: Tensor, self: Fn, ctx: ForwardContext) => Tensor,
    readonly info: Record<string, unknown> = {},
  ) {
    super();
  }
  get kind(): string {
    return this.name;
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    return this.fn(x, this, ctx);
  }
}

export const ReLU = () => new Fn('relu', (x) => relu(x));
export const ReLU6 = () => new Fn('relu6', (x) => relu6(x));
export const LeakyReLU = (slope: number) => new Fn('leaky_relu', (x) => leakyRelu(x, slope), { slope });
export const Tanh = () => new Fn('tanh', (x) => tanh(x));
export const Flatten = () => new Fn('flatten', (x) => flatten(x, 1));
export const Softmax = () => new Fn('softmax', (x) => softmax(x, 1));
export const MaxPool2d = (k: number, s = k, p = 0) =>
  new Fn('maxpool', (x) => maxPool2d(x, k, s, p), { kernel: k, stride: s, padding: p });
export const AvgPool2d = (k: number, s = k, p = 0) =>
  new Fn('avgpool', (x) => avgPool2d(x, k, s, p), { kernel: k, stride: s, padding: p });
export const AdaptiveAvgPool2d = (o: number) =>
  new Fn(
    'adaptive_avgpool',
    (x, self, ctx) => {
      const y = adaptiveAvgPool2d(x, o);
      return ctx.joinHook ? ctx.joinHook(self.path, 'aap', y, [x]) : y;
    },
    { output: o },
  );
export const Upsample = (f: number) => new Fn('upsample', (x) => upsampleNearest2d(x, f), { factor: f });
export const View = (shape: number[]) => new Fn('view', (x) => reshape(x, [x.shape[0], ...shape]), { shape });
export const Dropout = (p: number) =>
  new Fn('dropout', (x, self, ctx) => dropout(x, p, ctx.nextSeed ? ctx.nextSeed() : 0, self.training), { p });

export class Sequential extends Module {
  constructor(layers: Module[] = []) {
    super();
    layers.forEach((l, i) => this.addChild(String(i), l));
  }
  get kind(): string {
    return 'sequential';
  }
  push(m: Module): this {
    this.addChild(String(this.children.size), m);
    return this;
  }
  get length(): number {
    return this.children.size;
  }
  at(i: number): Module {
    return this.children.get(String(i)) as Module;
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    let y = x;
    for (const m of this.children.values()) y = run(m, y, ctx);
    return y;
  }
}
