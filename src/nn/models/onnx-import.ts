// An ONNX graph (../../io/onnx.ts) turned into a model of our table's kinds: ConvUnits (Conv + BatchNormalization
// + Relu/Clip/LeakyRelu), Residual (Add of two paths), Branches (Concat), pools, Flatten and Linear (Gemm, or
// MatMul + Add). So everything downstream (BN folding, PTQ, the seed's similarity, the generator, attacks)
// works on it unchanged. A fork in the graph is followed to the Add or Concat that joins its paths. An op
// outside this set fails with its name and node; so does a model that does not take [N, 3, 32, 32].
import { Random } from '../../tensor/ops/creation.js';
import { fromArray } from '../../tensor/ops/creation.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../io/onnx.js';
import type { Module } from '../module.js';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  LeakyReLU,
  Linear,
  MaxPool2d,
  ReLU,
  ReLU6,
  Sequential,
} from '../layers.js';
import { Branches, Classifier, ConvUnit, Residual } from './modules.js';
import { CIFAR_INPUT } from './architectures.js';

export const ONNX_OPS = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Add',
  'Concat',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Gemm',
  'MatMul',
  'Dropout',
  'Identity',
  'Softmax',
];

class Importer {
  private readonly producer = new Map<string, OnnxNode>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly order = new Map<OnnxNode, number>();
  private readonly counts = new Map<string, number>();
  private readonly rng = new Random('onnx-import');
  softmaxHead = false;

  constructor(private readonly g: OnnxGraph) {
    g.nodes.forEach((n, i) => {
      this.order.set(n, i);
      for (const o of n.outputs) this.producer.set(o, n);
      for (const t of n.inputs) if (t && !g.initializers.has(t)) this.consumersOf(t).push(n);
    });
  }

  private consumersOf(t: string): OnnxNode[] {
    let c = this.consumers.get(t);
    if (!c) this.consumers.set(t, (c = []));
    return c;
  }

  private fail(n: OnnxNode, why: string): never {
    throw new Error(`${this.g.source}: node "${n.name}" (${n.op}): ${why}`);
  }

  private name(stem: string): string {
    const i = this.counts.get(stem) ?? 0;
    this.counts.set(stem, i + 1);
    return `${stem}${i}`;
  }

  private init(n: OnnxNode, k: number, what: string): OnnxTensor {
    const t = this.g.initializers.get(n.inputs[k] ?? '');
    if (!t) this.fail(n, `its ${what} (input ${k}) must be a constant initializer`);
    return t;
  }

  /** The one consumer of tensor t when it has exactly one, else null. */
  private only(t: string): OnnxNode | null {
    const c = this.consumers.get(t) ?? [];
    return c.length === 1 && !this.g.outputs.includes(t) ? c[0] : null;
  }

  /** Modules from tensor `t` on, until the graph output or (inside a fork) an input of `join`. */
  chain(t: string, join: OnnxNode | null): { mods: Module[]; end: string } {
    const mods: Module[] = [];
    for (;;) {
      if (join?.inputs.includes(t)) return { mods, end: t };
      if (this.g.outputs.includes(t)) return { mods, end: t };
      const cs = this.consumers.get(t) ?? [];
      if (!cs.length) throw new Error(`${this.g.source}: tensor "${t}" is used by no node and is not an output`);
      if (cs.length === 1) {
        const r = this.node(cs[0]);
        if (r.mod) mods.push(r.mod);
        t = r.out;
        continue;
      }
      const r = this.fork(t, cs);
      mods.push(r.mod);
      t = r.out;
    }
  }

  private reach(n: OnnxNode): Set<OnnxNode> {
    const seen = new Set<OnnxNode>();
    const stack = [n];
    while (stack.length) {
      const m = stack.pop() as OnnxNode;
      if (seen.has(m)) continue;
      seen.add(m);
      for (const o of m.outputs) stack.push(...(this.consumers.get(o) ?? []));
    }
    return seen;
  }

  /** Paths from t to the Add or Concat that joins them: a Residual or Branches. */
  private fork(t: string, cs: OnnxNode[]): { mod: Module; out: string } {
    const reaches = cs.map((c) => this.reach(c));
    const join = this.g.nodes.find(
      (n) => (n.op === 'Add' || n.op === 'Concat') && reaches.every((r, i) => r.has(n) || cs[i] === n),
    );
    if (!join) this.fail(cs[0], `the paths from "${t}" never join in an Add or Concat`);
    const paths = join.inputs.map((ji) => {
      if (ji === t) return null; // identity path
      const c = cs.find(
        (cn, i) => cn !== join && (reaches[i].has(this.producer.get(ji) as OnnxNode) || cn.outputs.includes(ji)),
      );
      if (!c) this.fail(join, `input "${ji}" does not come from "${t}"`);
      const first = this.node(c);
      const rest = this.chain(first.out, join);
      return [...(first.mod ? [first.mod] : []), ...rest.mods];
    });
    if (join.op === 'Concat') {
      if (Number(join.attrs.axis ?? 1) !== 1) this.fail(join, 'only a concat along channels (axis 1) is supported');
      const b = new Branches(paths.map((p) => new Sequential(p ?? [])));
      b.joinName = this.name('concat');
      return { mod: b, out: join.outputs[0] };
    }
    if (paths.length !== 2) this.fail(join, 'an Add of exactly two paths is supported');
    const [a, b] = paths;
    const body = a && (!b || a.length >= b.length) ? a : (b as Module[]);
    const other = body === a ? b : a;
    let out = join.outputs[0];
    const post = this.only(out);
    let act: Module | null = null;
    if (post && post.op === 'Relu') {
      act = ReLU().named(this.name('relu'));
      out = post.outputs[0];
    }
    const res = new Residual(new Sequential(body), other ? new Sequential(other) : null, !other, act);
    res.joinName = this.name('add');
    return { mod: res, out };
  }

  private activation(n: OnnxNode | null): Module | null {
    if (!n) return null;
    if (n.op === 'Relu') return ReLU().named(this.name('relu'));
    if (n.op === 'LeakyRelu') return LeakyReLU(Number(n.attrs.alpha ?? 0.01)).named(this.name('lrelu'));
    if (n.op === 'Clip') {
      const lo = n.inputs[1] ? this.init(n, 1, 'min').data[0] : Number(n.attrs.min ?? -Infinity);
      const hi = n.inputs[2] ? this.init(n, 2, 'max').data[0] : Number(n.attrs.max ?? Infinity);
      if (lo === 0 && hi === 6) return ReLU6().named(this.name('relu6'));
      if (lo === 0 && hi === Infinity) return ReLU().named(this.name('relu'));
      this.fail(n, `only Clip(0, 6) (ReLU6) is supported, got Clip(${lo}, ${hi})`);
    }
    return null;
  }

  private square(n: OnnxNode, key: string, dflt: number): number {
    const v = (n.attrs[key] as number[] | undefined) ?? [dflt, dflt];
    if (v.some((x) => x !== v[0])) this.fail(n, `${key} [${v}] must be equal in every direction`);
    return v[0];
  }

  /** One node (absorbing what follows a Conv: BN, activation); mod is null for ops without a module. */
  private node(n: OnnxNode): { mod: Module | null; out: string } {
    const out = n.outputs[0];
    switch (n.op) {
      case 'Conv':
        return this.conv(n);
      case 'Relu':
      case 'LeakyRelu':
      case 'Clip':
        return { mod: this.activation(n), out };
      case 'MaxPool':
      case 'AveragePool': {
        if (Number(n.attrs.ceil_mode ?? 0)) this.fail(n, 'ceil_mode 1 is not supported');
        const k = this.square(n, 'kernel_shape', 1),
          s = this.square(n, 'strides', 1),
          p = this.square(n, 'pads', 0);
        if (n.op === 'AveragePool' && p > 0 && !Number(n.attrs.count_include_pad ?? 0))
          this.fail(n, 'padded average pooling must count the padding (count_include_pad 1)');
        const mod = n.op === 'MaxPool' ? MaxPool2d(k, s, p) : AvgPool2d(k, s, p);
        return { mod: mod.named(this.name('pool')), out };
      }
      case 'GlobalAveragePool':
        return { mod: AdaptiveAvgPool2d(1).named(this.name('aap')), out };
      case 'Flatten':
        if (Number(n.attrs.axis ?? 1) !== 1) this.fail(n, 'only Flatten(axis 1) is supported');
        return { mod: Flatten().named(this.name('view')), out };
      case 'Reshape': {
        const shape = this.init(n, 1, 'shape').data as number[];
        if (shape.length !== 2 || !(shape[1] === -1 || shape[0] === -1 || shape[0] === 0))
          this.fail(n, `only a reshape to [N, features] is supported, got [${shape}]`);
        return { mod: Flatten().named(this.name('view')), out };
      }
      case 'Gemm':
        return this.gemm(n);
      case 'MatMul':
        return this.matmul(n);
      case 'Dropout':
        return { mod: Dropout(Number(n.attrs.ratio ?? 0.5)).named(this.name('drop')), out };
      case 'Identity':
        return { mod: null, out };
      case 'Softmax':
        if (!this.g.outputs.includes(out)) this.fail(n, 'a Softmax is supported only as the last op');
        this.softmaxHead = true;
        return { mod: null, out };
      case 'BatchNormalization':
        this.fail(n, 'a BatchNormalization is supported only right after a Conv');
        break;
      default:
        this.fail(n, `unsupported ONNX op (supported: ${ONNX_OPS.join(', ')})`);
    }
  }

  private conv(n: OnnxNode): { mod: Module; out: string } {
    const w = this.init(n, 1, 'weight');
    const [cout, cinG, kh, kw] = w.dims;
    if (kh !== kw) this.fail(n, `kernel ${kh}x${kw}: only square kernels are supported`);
    if (this.square(n, 'dilations', 1) !== 1) this.fail(n, 'dilated convolutions are not supported');
    const autoPad = String(n.attrs.auto_pad ?? 'NOTSET');
    if (autoPad !== 'NOTSET') this.fail(n, `auto_pad ${autoPad} is not supported (export with explicit pads)`);
    const groups = Number(n.attrs.group ?? 1);
    const bias = n.inputs[2] ? this.init(n, 2, 'bias') : null;
    const conv = new Conv2d(
      {
        in: cinG * groups,
        out: cout,
        kernel: kh,
        stride: this.square(n, 'strides', 1),
        padding: this.square(n, 'pads', 0),
        groups,
        bias: !!bias,
      },
      this.rng,
    ).named(this.name('conv'));
    conv.setTensor('weight', fromArray(w.data as Float32Array, w.dims));
    if (bias) conv.setTensor('bias', fromArray(bias.data as Float32Array, [cout]));
    let out = n.outputs[0];
    let bn: BatchNorm2d | null = null;
    const next = this.only(out);
    if (next?.op === 'BatchNormalization') {
      bn = new BatchNorm2d(cout).named(this.name('bn'));
      bn.eps = Number(next.attrs.epsilon ?? 1e-5);
      const [scale, shift, mean, variance] = [1, 2, 3, 4].map((k) => this.init(next, k, 'statistic'));
      bn.setTensor('weight', fromArray(scale.data as Float32Array, [cout]));
      bn.setTensor('bias', fromArray(shift.data as Float32Array, [cout]));
      bn.setTensor('running_mean', fromArray(mean.data as Float32Array, [cout]));
      bn.setTensor('running_var', fromArray(variance.data as Float32Array, [cout]));
      out = next.outputs[0];
    }
    const actNode = this.only(out);
    const act = actNode && ['Relu', 'Clip', 'LeakyRelu'].includes(actNode.op) ? this.activation(actNode) : null;
    if (act && actNode) out = actNode.outputs[0];
    return { mod: new ConvUnit(conv, bn, act), out };
  }

  private linear(n: OnnxNode, w: Float32Array, inF: number, outF: number, b: OnnxTensor | null): Linear {
    const fc = new Linear(inF, outF, !!b, this.rng).named(this.name('fc'));
    fc.setTensor('weight', fromArray(w, [outF, inF]));
    if (b) {
      if (b.data.length !== outF) this.fail(n, `bias has ${b.data.length} values for ${outF} outputs`);
      fc.setTensor('bias', fromArray(b.data as Float32Array, [outF]));
    }
    return fc;
  }

  private gemm(n: OnnxNode): { mod: Module; out: string } {
    if (Number(n.attrs.transA ?? 0)) this.fail(n, 'transA 1 is not supported');
    if (Number(n.attrs.alpha ?? 1) !== 1 || Number(n.attrs.beta ?? 1) !== 1) this.fail(n, 'alpha and beta must be 1');
    const w = this.init(n, 1, 'weight');
    const transB = Number(n.attrs.transB ?? 0) === 1;
    const [outF, inF] = transB ? w.dims : [w.dims[1], w.dims[0]];
    const data = transB ? (w.data as Float32Array) : transpose2d(w.data as Float32Array, w.dims[0], w.dims[1]);
    const b = n.inputs[2] ? this.init(n, 2, 'bias') : null;
    return { mod: this.linear(n, data, inF, outF, b), out: n.outputs[0] };
  }

  private matmul(n: OnnxNode): { mod: Module; out: string } {
    const w = this.init(n, 1, 'weight');
    if (w.dims.length !== 2) this.fail(n, `weight dims [${w.dims}]: only a 2-D MatMul weight is supported`);
    const [inF, outF] = w.dims;
    let out = n.outputs[0];
    let b: OnnxTensor | null = null;
    const next = this.only(out);
    const biasName = next?.op === 'Add' ? next.inputs.find((i) => this.g.initializers.has(i)) : undefined;
    if (next && biasName) {
      b = this.g.initializers.get(biasName) as OnnxTensor;
      out = next.outputs[0];
    }
    return { mod: this.linear(n, transpose2d(w.data as Float32Array, inF, outF), inF, outF, b), out };
  }
}

function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** A classifier from an ONNX graph; `arch` names it (default onnx:<producer>). */
export function classifierFromOnnx(g: OnnxGraph, arch = 'onnx'): Classifier {
  if (g.inputs.length !== 1)
    throw new Error(`${g.source}: the model has ${g.inputs.length} inputs; a classifier of one image batch has one`);
  const [input] = g.inputs;
  const dims = input.dims;
  if (dims.length !== 4 || dims.slice(1).join() !== CIFAR_INPUT.join())
    throw new Error(
      `${g.source}: the model takes input "${input.name}" of shape [${dims.join(', ')}]; ` +
        `quantscope assesses CIFAR models that take [N, ${CIFAR_INPUT.join(', ')}]`,
    );
  if (g.outputs.length !== 1) throw new Error(`${g.source}: the model has ${g.outputs.length} outputs, not 1`);
  const imp = new Importer(g);
  const { mods } = imp.chain(input.name, null);
  const last = [...mods].reverse().find((m) => m instanceof Linear || m instanceof ConvUnit);
  if (!last) throw new Error(`${g.source}: no Conv or Gemm/MatMul layer found`);
  const classes = last instanceof Linear ? last.outFeatures : (last as ConvUnit).conv.spec.out;
  return new Classifier(arch, classes, mods, imp.softmaxHead, CIFAR_INPUT);
}
