// Per-layer parameter and MAC counts, following ptflops's conventions so numbers compare with the
// PyTorch world (https://github.com/sovrasov/flops-counter-pytorch):
//   conv      MACs = output pixels x Cout x (Cin/groups) x kH x kW, + output pixels x Cout for the bias
//   linear    MACs = input elements x out_features, + out_features for the bias
//   batchnorm input elements (x2 when affine)       relu/relu6/leaky_relu/tanh: output elements
//   pooling   input elements                         upsample: output elements
//   residual adds, concat, flatten, dropout, softmax: 0 (ptflops does not count them either)
// FLOPs are reported as 2 x MACs. Counted for one 32x32 image.
import { sizeOf } from '../tensor/shape.js';
import { noGrad } from '../autograd/tape.js';
import { randn } from '../tensor/ops/creation.js';
import { tidy } from '../tensor/scope.js';
import { BatchNorm2d, Conv2d, Fn, Linear } from './layers.js';
import type { Module } from './module.js';
import { ConvUnit, type Classifier } from './models/modules.js';

export interface LayerCount {
  name: string;
  kind: string;
  input: number[];
  output: number[];
  params: number;
  macs: number;
  /** the conv of the conv [+ bn] [+ activation] unit this module belongs to (null outside units) */
  unit: string | null;
}
export interface FlopsTable {
  model: string;
  layers: LayerCount[];
  totalParams: number;
  totalMacs: number;
  totalFlops: number;
}

function macsOf(m: Module, input: readonly number[], output: readonly number[]): number | null {
  if (m instanceof Conv2d) {
    const { in: cin, kernel: k, groups, out } = m.spec;
    const pixels = output[0] * output[2] * output[3];
    return pixels * out * (cin / groups) * k * k + (m.hasBias ? pixels * out : 0);
  }
  if (m instanceof Linear) return sizeOf(input) * m.outFeatures + (m.hasBias ? m.outFeatures : 0);
  if (m instanceof BatchNorm2d) return sizeOf(input) * (m.affine ? 2 : 1);
  if (m instanceof Fn) {
    switch (m.kind) {
      case 'relu':
      case 'relu6':
      case 'leaky_relu':
      case 'tanh':
      case 'upsample':
        return sizeOf(output);
      case 'maxpool':
      case 'avgpool':
      case 'adaptive_avgpool':
        return sizeOf(input);
      default:
        return null; // flatten, dropout, softmax: no rows in the seed's tables (ptflops counts them as 0)
    }
  }
  return null; // a container: its children are counted
}

export function countFlops(model: Classifier): FlopsTable {
  const layers: LayerCount[] = [];
  const unitOf = new Map<Module, string>();
  for (const [, m] of model.modules()) {
    if (!(m instanceof ConvUnit)) continue;
    for (const part of [m.conv, m.bn, m.act]) if (part) unitOf.set(part, m.conv.path);
  }
  const wasTraining = model.training;
  model.eval();
  tidy(() =>
    noGrad(() => {
      model.forward(randn(model.batchShape(1)), {
        trace: (m, x, y) => {
          const macs = macsOf(m, x.shape, y.shape);
          if (macs === null) return;
          const params = m.namedParameters().reduce((s, [, t]) => s + t.size, 0);
          const unit = unitOf.get(m) ?? null;
          layers.push({ name: m.path, kind: m.kind, input: [...x.shape], output: [...y.shape], params, macs, unit });
        },
      });
    }),
  );
  model.train(wasTraining);
  const totalMacs = layers.reduce((s, l) => s + l.macs, 0);
  return { model: model.arch, layers, totalParams: model.numParameters(), totalMacs, totalFlops: 2 * totalMacs };
}

/** MACs attributed to each conv/linear layer, with the BN that follows a conv folded into it (PTQ shares). */
export function foldedLayerMacs(table: FlopsTable): Map<string, { macs: number; params: number }> {
  const out = new Map<string, { macs: number; params: number }>();
  for (const l of table.layers) {
    if (l.kind === 'conv' || l.kind === 'linear') out.set(l.name, { macs: l.macs, params: l.params });
    else if (l.kind === 'bn' && l.unit) {
      const conv = out.get(l.unit);
      if (conv) {
        conv.macs += l.macs;
        conv.params += l.params;
      }
    }
  }
  return out;
}

const human = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)} M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} K`
        : String(n);

export function formatFlopsTable(t: FlopsTable): string {
  const rows = t.layers.map((l) => [
    l.name,
    l.kind,
    `[${l.output.slice(1).join('x')}]`,
    l.params.toLocaleString('en-US'),
    human(l.macs),
    `${((100 * l.macs) / t.totalMacs).toFixed(2)}%`,
  ]);
  const head = ['layer', 'kind', 'output', 'params', 'MACs', 'share'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `${t.model}: ${t.totalParams.toLocaleString('en-US')} params, ${human(t.totalMacs)}MACs ` +
      `(${human(t.totalFlops)}FLOPs = 2 x MACs) per 32x32 image`,
  ].join('\n');
}
