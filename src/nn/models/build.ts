// Builds a Module tree from the cfg table (./architectures.ts). Everything model-specific lives in the
// table; this file only knows how to turn rows into layers. Leaf modules carry the seed's flat names (conv0,
// bn0, ml1_blk0_ds_conv0, inc3_br1_conv1, fc7, ...; see ./architectures.ts), so parameter names are the seed's
// PyTorch state-dict keys: conv0.weight, ml0_blk0_ma_bn1.running_mean, ...
import { Random } from '../../tensor/ops/creation.js';
import { add, addRelu } from '../../tensor/ops/elementwise.js';
import { concat, flatten } from '../../tensor/ops/shape-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, run, type ForwardContext } from '../module.js';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  ReLU6,
  Sequential,
  Softmax,
} from '../layers.js';
import { ARCHITECTURES, BLOCKS, type BlockDef } from './architectures.js';
import { fill, parseRow } from './parse.js';

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
  /** Remove the BatchNorm after its statistics were folded into the conv (PTQ). */
  dropBatchNorm(): void {
    if (this.bn) {
      this.bn.dispose();
      this.children.delete('bn');
      this.bn = null;
    }
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    let y = run(this.conv, x, ctx);
    // BN + ReLU as one pass forward and backward; a trace (FLOP counting) must see each module on its own
    if (this.bn && this.act?.kind === 'relu' && !ctx.trace) y = this.bn.forwardRelu(y, ctx);
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
  forward(x: Tensor, ctx: ForwardContext): Tensor {
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

export interface ModelOptions {
  classes?: number;
  seed?: number | string;
}

/** A classifier: the layer stack, and whether the cfg ends in a softmax head (skipped: we return logits). */
export class Classifier extends Module {
  readonly layers: Sequential;
  constructor(
    readonly arch: string,
    readonly classes: number,
    layers: Module[],
    readonly softmaxHead: boolean,
  ) {
    super();
    this.layers = this.addChild('layers', new Sequential(layers));
    this.register();
  }
  get kind(): string {
    return 'classifier';
  }

  /** Logits [N, classes]. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    return this.forwardFeatures(x, ctx).logits;
  }

  /** Logits and the penultimate features (the input of the output layer, flattened), for PCA pictures. */
  forwardFeatures(x: Tensor, ctx: ForwardContext = {}): { features: Tensor; logits: Tensor } {
    if (x.rank !== 4 || x.shape[1] !== 3)
      throw new Error(`${this.arch}: expected input [N, 3, H, W], got [${x.shape}]`);
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

/** The seed's module-name stem of each row kind (model_deployment.py); flatten and softmax have no module there. */
const SEED_STEM: Record<string, string> = {
  conv: 'conv',
  linear: 'fc',
  maxpool: 'pool',
  avgpool: 'pool',
  adaptive_avgpool: 'aap',
  relu: 'relu',
  relu6: 'relus',
  dropout: 'drop',
  flatten: 'view',
  softmax: 'sm',
};

/** `${prefix}${stem}${index}`: the seed's name of a row's module (index = the row's place in its table). */
const seedName = (prefix: string, op: string, index: number) => `${prefix}${SEED_STEM[op] ?? op}${index}`;

function convUnit(row: string, rng: Random, prefix: string, index: number): Module {
  const r = parseRow(row);
  if (r.op !== 'conv') throw new Error(`model cfg: expected a conv row, got "${row}"`);
  const conv = new Conv2d(
    { in: r.in, out: r.out, kernel: r.kernel, stride: r.stride, padding: r.padding, groups: r.groups, bias: r.bias },
    rng,
  ).named(seedName(prefix, 'conv', index));
  const act = r.act === 'relu' ? ReLU() : r.act === 'relu6' ? ReLU6() : null;
  const bn = r.bn ? new BatchNorm2d(r.out).named(`${prefix}bn${index}`) : null;
  // the seed registers the fused activation only after a BN ('BRL'/'BRS'); a bare conv has none
  return new ConvUnit(conv, bn, act ? act.named(seedName(prefix, r.act as string, index)) : null);
}

/** One row as a module named as the seed names it: `prefix` + stem + `index`. */
function simpleLayer(row: string, rng: Random, prefix: string, index: number): Module {
  const r = parseRow(row);
  const name = seedName(prefix, r.op, index);
  switch (r.op) {
    case 'conv':
      return convUnit(row, rng, prefix, index);
    case 'linear':
      return new Linear(r.in, r.out, r.bias, rng).named(name);
    case 'maxpool':
      return MaxPool2d(r.kernel, r.stride, r.padding).named(name);
    case 'avgpool':
      return AvgPool2d(r.kernel, r.stride, r.padding).named(name);
    case 'adaptive_avgpool':
      return AdaptiveAvgPool2d(r.output).named(name);
    case 'relu':
      return ReLU().named(name);
    case 'relu6':
      return ReLU6().named(name);
    case 'flatten':
      return Flatten().named(name);
    case 'softmax':
      return Softmax().named(name);
    case 'dropout':
      return Dropout(r.p).named(name);
    default:
      throw new Error(`model cfg: "${row}" is not allowed inside a block`);
  }
}

function blockVars(def: BlockDef, name: string, index: number): Record<string, number | boolean> {
  const row = def.rows[index];
  if (!row) throw new Error(`model cfg: block table "${name}" has no row ${index} (it has ${def.rows.length})`);
  return Object.fromEntries(def.columns.map((c, i) => [c, row[i]]));
}

/**
 * One block of table `name`, row `index`, its modules named under `prefix` as the seed names them:
 * `${prefix}ma_` for the body, `${prefix}ds_` for the projection, `${prefix}br{k}_` for inception branches, and
 * `${prefix}relu1` for the activation after the add (the seed's join table is [add, relu]).
 */
function buildBlock(name: string, index: number, rng: Random, prefix: string): Module {
  const def = BLOCKS[name];
  if (!def) throw new Error(`model cfg: unknown block "${name}" (known: ${Object.keys(BLOCKS).join(', ')})`);
  const vars = blockVars(def, name, index);
  const seq = (rows: string[], pre: string) =>
    new Sequential(rows.map((r, j) => simpleLayer(fill(r, vars), rng, pre, j)));
  if (def.branches) {
    const b = new Branches(def.branches.map((rows, k) => seq(rows, `${prefix}br${k}_`)));
    b.joinName = `${prefix}concat`;
    return b;
  }
  if (!def.body) throw new Error(`model cfg: block "${name}" has neither body nor branches`);
  const body = seq(def.body, `${prefix}ma_`);
  const project = def.projectIf ? Boolean(vars[def.projectIf]) : false;
  const shortcut = project && def.projection ? seq(def.projection, `${prefix}ds_`) : null;
  const identity = def.residualIf ? Boolean(vars[def.residualIf]) : true;
  const post = def.post ? simpleLayer(def.post, rng, prefix, 1) : null;
  const r = new Residual(body, shortcut, identity, post);
  r.joinName = `${prefix}add0`;
  return r;
}

/**
 * The state-dict key of an architecture's output-layer weight (its rows count the classes), read off the
 * table without building the model: the last conv or linear row, named as the builder names it.
 */
export function outputWeightKey(arch: string): string {
  const rows = ARCHITECTURES[arch]?.layers;
  if (!rows) throw new Error(`unknown model "${arch}" (known: ${modelNames().join(', ')})`);
  for (let i = rows.length - 1; i >= 0; i--) {
    const op = parseRow(fill(rows[i], { classes: 10 })).op;
    if (op === 'linear' || op === 'conv') return `${seedName('', op, i)}.weight`;
  }
  throw new Error(`${arch}: no output layer`);
}

export function modelNames(): string[] {
  return Object.keys(ARCHITECTURES);
}

/** Build a model by its cfg name with freshly initialised (seeded) parameters. */
export function buildModel(arch: string, { classes = 10, seed = 0 }: ModelOptions = {}): Classifier {
  const a = ARCHITECTURES[arch];
  if (!a) throw new Error(`unknown model "${arch}" (known: ${modelNames().join(', ')})`);
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`classes must be an integer >= 2, got ${classes}`);
  const rng = new Random(`${arch}:${seed}`);
  const layers: Module[] = [];
  let softmaxHead = false;
  a.layers.forEach((text, i) => {
    const row = fill(text, { classes });
    const r = parseRow(row);
    if (r.op === 'softmax' && i === a.layers.length - 1) {
      softmaxHead = true;
      return;
    }
    if (r.op === 'stage') {
      const blocks: Module[] = [];
      for (let b = 0; b < r.blocks; b++) {
        blocks.push(buildBlock(r.block, 2 * r.stage + (b === 0 ? 0 : 1), rng, `ml${r.stage}_blk${b}_`));
      }
      layers.push(new Sequential(blocks));
    } else if (r.op === 'inception') {
      layers.push(buildBlock('inception', r.row, rng, `inc${r.row}_`));
    } else {
      layers.push(simpleLayer(row, rng, '', i));
    }
  });
  return new Classifier(arch, classes, layers, softmaxHead);
}
