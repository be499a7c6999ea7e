// The module kinds models are made of: a conv unit (conv, BN, activation: what BN folding and PTQ work on), a
// residual block, parallel branches, and the classifier around them. The cfg builder (./build.ts) and the ONNX
// importer (./onnx-import.ts) both assemble these.
import { add, addRelu } from '../../tensor/ops/elementwise.js';
import { concat, flatten } from '../../tensor/ops/shape-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, run, type ForwardContext } from '../module.js';
import { BatchNorm2d, Conv2d, Linear, Sequential } from '../layers.js';
import type { InputShape } from './architectures.js';
import { InferenceFold, inferenceFusion } from '../bn-fold.js';
import { isGradEnabled } from '../../autograd/tape.js';
import type { Activation } from '../../tensor/ops/cnn.js';

/** conv [+ bn] [+ activation]: the unit BN folding works on. */
export class ConvUnit extends Module {
  readonly conv: Conv2d;
  bn: BatchNorm2d | null;
  readonly act: Module | null;
  constructor(conv: Conv2d, bn: BatchNorm2d | null, act: Module | null) {
    super();
    this.conv = this.addChild('conv', conv);
    this.bn = bn ? this.addChild('bn', bn) : null;
    this.act = act ? this.addChild('act', act) : null;
  }
  get kind(): string {
    return 'conv_unit';
  }
  private readonly fold = new InferenceFold();

  /**
   * Inference as one conv: the eval-mode BatchNorm folded into the weights (kept while they are unchanged),
   * a ReLU / ReLU6 and a residual block's sum applied in the conv's store. Only where nothing looks inside
   * the unit (hooks, BN statistics, a trace) and no parameter needs a gradient; where the input needs one
   * (attacks) the activation runs on its own and the sum is not fused. Null: the module-by-module path.
   */
  private inferencePass(x: Tensor, ctx: ForwardContext): Tensor | null {
    const plan = this.fusion(x, ctx, this.act, false);
    return plan ? this.fusedConv(x, ctx, this.act, null, plan.inStore) : null;
  }

  /** Whether `post(this(x) + residual)` can run as one conv (a residual block's last unit, see Residual). */
  fusesResidual(x: Tensor, ctx: ForwardContext, post: Module | null): boolean {
    return !this.act && this.fusion(x, ctx, post, true) !== null;
  }

  /** post(this(x) + residual) as one conv; only after fusesResidual said yes for the block's input. */
  withResidual(x: Tensor, residual: Tensor, post: Module | null, ctx: ForwardContext): Tensor {
    const plan = this.fusion(x, ctx, post, true);
    if (!plan) throw new Error(`${this.path}: the residual sum cannot be fused here (check fusesResidual first)`);
    return this.fusedConv(x, ctx, post, residual, plan.inStore);
  }

  private fusion(x: Tensor, ctx: ForwardContext, act: Module | null, residual: boolean): { inStore: boolean } | null {
    if (!inferenceFusion.enabled || ctx.trace || ctx.bnStats || ctx.inputHook || ctx.layerHook) return null;
    if (this.bn?.training) return null;
    const params = [...this.conv.namedParameters(), ...(this.bn ? this.bn.namedParameters() : [])];
    const gradients = isGradEnabled();
    if (gradients && params.some(([, t]) => t.requiresGrad)) return null;
    const inputGradient = gradients && x.requiresGrad;
    if (residual && inputGradient) return null; // the sum would ride in a store without a gradient
    const kind = act?.kind;
    const inStore = (kind === 'relu' || kind === 'relu6') && !inputGradient;
    if (!this.bn && !inStore && !residual) return null; // nothing to gain over the plain path
    return { inStore };
  }

  private fusedConv(
    x: Tensor,
    ctx: ForwardContext,
    act: Module | null,
    residual: Tensor | null,
    inStore: boolean,
  ): Tensor {
    const [weight, bias] = this.bn
      ? this.fold.get(this.conv, this.bn)
      : [this.conv.param('weight'), this.conv.hasBias ? this.conv.param('bias') : null];
    const y = this.conv.convolve(x, weight, bias, inStore ? (act?.kind as Activation) : 'none', residual);
    return act && !inStore ? run(act, y, ctx) : y;
  }

  protected releaseKept(): void {
    this.fold.dispose();
  }

  /** Remove the BatchNorm after its statistics were folded into the conv (PTQ). */
  dropBatchNorm(): void {
    this.fold.dispose();
    if (this.bn) {
      this.bn.dispose();
      this.children.delete('bn');
      this.bn = null;
    }
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (this.bn?.training) this.fold.dispose(); // training writes the weights every step: keep nothing
    const fused = this.inferencePass(x, ctx);
    if (fused) return ctx.unitHook ? ctx.unitHook(this.conv.path, fused) : fused;
    let y = run(this.conv, x, ctx);
    // BN + ReLU (or ReLU6) as one pass forward and backward; a trace (FLOP counting) must see each module
    const kind = this.act?.kind;
    if (this.bn && (kind === 'relu' || kind === 'relu6') && !ctx.trace) y = this.bn.forwardActivated(y, ctx, kind);
    else {
      if (this.bn) y = run(this.bn, y, ctx);
      if (this.act) y = run(this.act, y, ctx);
    }
    return ctx.unitHook ? ctx.unitHook(this.conv.path, y) : y;
  }
}

/** body(x) + shortcut(x) (identity when there is no projection), then an optional activation. */
export class Residual extends Module {
  constructor(
    readonly body: Sequential,
    readonly shortcut: Sequential | null,
    readonly identity: boolean,
    readonly post: Module | null,
  ) {
    super();
    this.addChild('body', body);
    if (shortcut) this.addChild('shortcut', shortcut);
    if (post) this.addChild('post', post);
  }
  get kind(): string {
    return 'residual';
  }
  /** the seed's name of the add (ml{S}_blk{b}_add0), where its quantizer sits */
  joinName = '';
  private inferencePass(x: Tensor, ctx: ForwardContext): Tensor | null {
    return residualInference(this, x, ctx);
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const fused = this.inferencePass(x, ctx);
    if (fused) return fused;
    const y = run(this.body, x, ctx);
    const other = this.shortcut ? run(this.shortcut, x, ctx) : this.identity ? x : null;
    if (!other) return this.post ? run(this.post, y, ctx) : y;
    // sum and ReLU in one pass; a trace (FLOP counting) and a quantized sum need them apart
    if (this.post?.kind === 'relu' && !ctx.trace && !ctx.joinHook) return addRelu(y, other);
    let sum = add(y, other);
    if (ctx.joinHook) sum = ctx.joinHook(this.joinName, 'add', sum, [y, other]);
    return this.post ? run(this.post, sum, ctx) : sum;
  }
}

/** Inference: the sum (and post activation) in the store of the body's last conv unit, where it can run. */
function residualInference(block: Residual, x: Tensor, ctx: ForwardContext): Tensor | null {
  if (ctx.joinHook || ctx.unitHook || ctx.trace || (!block.shortcut && !block.identity)) return null;
  const n = block.body.length;
  const last = n ? block.body.at(n - 1) : null;
  if (!(last instanceof ConvUnit) || !last.fusesResidual(x, ctx, block.post)) return null;
  const other = block.shortcut ? run(block.shortcut, x, ctx) : x;
  let y = x;
  for (let i = 0; i < n - 1; i++) y = run(block.body.at(i), y, ctx);
  return last.withResidual(y, other, block.post, ctx);
}

/** Parallel branches joined by channel concat. */
export class Branches extends Module {
  constructor(readonly branches: Sequential[]) {
    super();
    branches.forEach((b, i) => this.addChild(`branch${i}`, b));
  }
  get kind(): string {
    return 'branches';
  }
  /** the seed's name of the concat (inc{I}_concat), where its quantizer sits */
  joinName = '';
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const outs = this.branches.map((b) => run(b, x, ctx));
    const y = concat(outs, 1);
    return ctx.joinHook ? ctx.joinHook(this.joinName, 'concat', y, outs) : y;
  }
}

/**
 * A classifier: the layer stack, the input image shape from its table entry (or ONNX graph), and whether
 * the cfg ends in a softmax head (skipped: we return logits).
 */
export class Classifier extends Module {
  readonly layers: Sequential;
  constructor(
    readonly arch: string,
    readonly classes: number,
    layers: Module[],
    readonly softmaxHead: boolean,
    readonly input: InputShape,
  ) {
    super();
    this.layers = this.addChild('layers', new Sequential(layers));
    this.register();
  }
  get kind(): string {
    return 'classifier';
  }

  /** The shape of a batch of n input images: [n, ...input]. */
  batchShape(n: number): [number, number, number, number] {
    return [n, ...this.input];
  }

  /** Logits [N, classes]. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    return this.forwardFeatures(x, ctx).logits;
  }

  /** Logits and the penultimate features (the input of the output layer, flattened), for PCA pictures. */
  forwardFeatures(x: Tensor, ctx: ForwardContext = {}): { features: Tensor; logits: Tensor } {
    if (x.rank !== 4 || x.shape[1] !== this.input[0])
      throw new Error(`${this.arch}: expected input [N, ${this.input[0]}, H, W], got [${x.shape}]`);
    let y = x;
    let features = x;
    const n = this.layers.length;
    const last = this.outputLayerIndex();
    for (let i = 0; i < n; i++) {
      if (i === last) features = y;
      y = run(this.layers.at(i), y, ctx);
    }
    if (y.rank !== 2) y = flatten(y, 1);
    return { features: features.rank === 2 ? features : flatten(features, 1), logits: y };
  }

  /** Index of the output layer (last conv/linear-bearing row). */
  outputLayerIndex(): number {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const m = this.layers.at(i);
      if (m instanceof Linear || m instanceof Conv2d || m instanceof ConvUnit) return i;
    }
    throw new Error(`${this.arch}: no output layer`);
  }

  /** The output layer's weight (its rows embed the classes; the generator starts from them). */
  outputWeight(): Tensor {
    const m = this.layers.at(this.outputLayerIndex());
    const layer = m instanceof ConvUnit ? m.conv : m;
    return layer.param('weight');
  }
}
