// Module API: a tree of named children holding parameters (trainable leaves) and buffers (BN running
// stats), PyTorch-style dotted names for state dicts, train/eval mode, and a forward context that carries
// per-call options (BN statistics capture for the generator, per-layer hooks for quantization).
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { fromArray } from '../tensor/ops/creation.js';

export interface BNStats {
  name: string;
  mean: Tensor;
  variance: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
}

export interface ForwardContext {
  /** when set, every BatchNorm records the batch mean and biased variance of its input (differentiable) */
  bnStats?: BNStats[];
  /** called with each conv/linear layer's input and output (PTQ calibration / fake-quant of activations) */
  layerHook?: (name: string, layer: Module, input: Tensor, output: Tensor) => Tensor;
  /** called before a conv/linear consumes its input (fake-quant of inputs) */
  inputHook?: (name: string, layer: Module, input: Tensor) => Tensor;
  /**
   * The seed's quantization points (PTQ protocols seed and clean): a unit's output after its fused
   * activation (conv [+ bn] [+ relu/relu6], keyed by the conv's name) or a linear's output.
   */
  unitHook?: (name: string, y: Tensor) => Tensor;
  /** the output of a residual add, an inception concat or the adaptive average pool, with its operands */
  joinHook?: (name: string, kind: 'add' | 'concat' | 'aap', y: Tensor, operands: Tensor[]) => Tensor;
  /** seed source for dropout masks */
  nextSeed?: () => number;
  /** called after every module's forward (shape tracing for FLOP counting) */
  trace?: (m: Module, input: Tensor, output: Tensor) => void;
}

/** Run a child module; containers call children through this so tracing sees every module. */
export function run(m: Module, x: Tensor, ctx: ForwardContext): Tensor {
  const y = m.forward(x, ctx);
  if (ctx.trace) ctx.trace(m, x, y);
  return y;
}

export abstract class Module {
  training = true;
  /** dotted path from the root, set by the root's register pass (or the fixed name, when one is given) */
  path = '';
  /**
   * A name that replaces the dotted path (the seed's flat module names, e.g. ml1_blk0_ds_conv0): its
   * parameters are then named `${fixedName}.weight` wherever the module sits in the tree.
   */
  fixedName: string | null = null;
  protected readonly children = new Map<string, Module>();
  protected readonly params = new Map<string, Tensor>();
  protected readonly bufs = new Map<string, Tensor>();

  abstract forward(x: Tensor, ctx: ForwardContext): Tensor;

  /** the kind reported in layer tables (conv, linear, bn, relu, ...) */
  get kind(): string {
    return this.constructor.name;
  }

  protected addChild<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  protected addParam(name: string, data: Float32Array, shape: number[]): Tensor {
    const t = keep(fromArray(data, shape));
    t.requiresGrad = true;
    t.name = name;
    this.params.set(name, t);
    return t;
  }

  protected addBuffer(name: string, data: Float32Array, shape: number[]): Tensor {
    const t = keep(fromArray(data, shape));
    t.name = name;
    this.bufs.set(name, t);
    return t;
  }

  param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`${this.path || this.kind}: no parameter "${name}"`);
    return t;
  }

  buffer(name: string): Tensor {
    const t = this.bufs.get(name);
    if (!t) throw new Error(`${this.path || this.kind}: no buffer "${name}"`);
    return t;
  }

  /** Give this module a fixed name (see fixedName); returns this. */
  named(name: string): this {
    this.fixedName = name;
    return this;
  }

  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** Every module in the tree, depth first, with its dotted path. */
  modules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.children) out.push(...c.modules(c.fixedName ?? (prefix ? `${prefix}.${n}` : n)));
    return out;
  }

  namedParameters(): [string, Tensor][] {
    return this.modules().flatMap(([p, m]) =>
      [...m.params].map(([n, t]) => [p ? `${p}.${n}` : n, t] as [string, Tensor]),
    );
  }

  namedBuffers(): [string, Tensor][] {
    return this.modules().flatMap(([p, m]) =>
      [...m.bufs].map(([n, t]) => [p ? `${p}.${n}` : n, t] as [string, Tensor]),
    );
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers by PyTorch-style name. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Replace a parameter or buffer tensor in place (state loading, BN folding). */
  setTensor(name: string, t: Tensor): void {
    const map = this.params.has(name) ? this.params : this.bufs.has(name) ? this.bufs : null;
    if (!map) throw new Error(`${this.path || this.kind}: no parameter or buffer "${name}"`);
    const old = map.get(name) as Tensor;
    if (old.shape.join() !== t.shape.join())
      throw new Error(`${this.path}.${name}: shape [${t.shape}] does not match [${old.shape}]`);
    keep(t);
    t.requiresGrad = old.requiresGrad;
    t.name = name;
    map.set(name, t);
    if (old !== t) old.dispose();
  }

  train(flag = true): this {
    for (const [, m] of this.modules()) m.training = flag;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Assign dotted paths (called once by model builders). */
  register(): this {
    for (const [p, m] of this.modules()) m.path = p;
    return this;
  }

  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Free the parameters and buffers of the whole tree, and what any module of it keeps besides them. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
    for (const [, m] of this.modules()) m.releaseKept();
  }

  /** Tensors a module keeps besides its parameters and buffers (a conv unit's folded weights). */
  protected releaseKept(): void {}
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}
