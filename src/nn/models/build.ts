// Builds a Module tree from the cfg table (./architectures.ts). Everything model-specific lives in the
// table; this file only knows how to turn rows into layers. Leaf modules carry the seed's flat names (conv0,
// bn0, ml1_blk0_ds_conv0, inc3_br1_conv1, fc7, ...; see ./architectures.ts), so parameter names are the seed's
// PyTorch state-dict keys: conv0.weight, ml0_blk0_ma_bn1.running_mean, ...
import { Random } from '../../tensor/ops/creation.js';
import type { Module } from '../module.js';
import { Branches, Classifier, ConvUnit, Residual } from './modules.js';
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

export interface ModelOptions {
  classes?: number;
  seed?: number | string;
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
  return new Classifier(arch, classes, layers, softmaxHead, a.input);
}
