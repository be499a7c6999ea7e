// BatchNorm folded into the conv before it: w' = w·γ/σ, b' = β − γ·μ/σ + b·γ/σ, σ = sqrt(var + eps), with
// the eval-mode (running) statistics. PTQ folds for good (quant/ptq.ts); inference of a conv unit folds
// on the fly and keeps the folded pair while none of its six sources is written (InferenceFold).
import { engine } from '../device/engine.js';
import { noGrad } from '../autograd/tape.js';
import { keep, tidy } from '../tensor/scope.js';
import { add, div, mul, sqrt, sub } from '../tensor/ops/elementwise.js';
import { fromArray } from '../tensor/ops/creation.js';
import { reshape } from '../tensor/ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchNorm2d, Conv2d } from './layers.js';

/** The folded (weight, bias) of conv then bn, made without gradients. */
export function foldedConvParams(conv: Conv2d, bn: BatchNorm2d): [Tensor, Tensor] {
  const C = conv.spec.out;
  return noGrad(() =>
    tidy(() => {
      const gamma = bn.affine ? bn.param('weight') : fromArray(new Float32Array(C).fill(1));
      const beta = bn.affine ? bn.param('bias') : fromArray(new Float32Array(C));
      const k = div(gamma, sqrt(add(bn.buffer('running_var'), bn.eps)));
      const w = mul(conv.param('weight'), reshape(k, [C, 1, 1, 1]));
      let b = sub(beta, mul(k, bn.buffer('running_mean')));
      if (conv.hasBias) b = add(b, mul(conv.param('bias'), k));
      return [w, b] as [Tensor, Tensor];
    }),
  );
}

/** Switches for tests and benchmarks (QUANTSCOPE_FOLD=0 turns inference folding and fused activations off). */
export const inferenceFusion = {
  enabled: typeof process === 'undefined' || process.env?.QUANTSCOPE_FOLD !== '0',
};

/** The folded pair of one conv unit, remade when a source tensor is replaced or written. */
export class InferenceFold {
  private sources: { buffer: GPUBuffer; writes: number }[] = [];
  private pair: [Tensor, Tensor] | null = null;

  get(conv: Conv2d, bn: BatchNorm2d): [Tensor, Tensor] {
    const e = engine();
    const tensors = [conv.param('weight'), bn.buffer('running_mean'), bn.buffer('running_var')];
    if (conv.hasBias) tensors.push(conv.param('bias'));
    if (bn.affine) tensors.push(bn.param('weight'), bn.param('bias'));
    const now = tensors.map((t) => ({ buffer: t.buffer, writes: e.writeCount(t.buffer) }));
    const fresh =
      this.pair !== null &&
      now.length === this.sources.length &&
      now.every((s, i) => s.buffer === this.sources[i].buffer && s.writes === this.sources[i].writes);
    if (!fresh) {
      this.dispose();
      this.pair = foldedConvParams(conv, bn).map((t) => keep(t)) as [Tensor, Tensor];
      this.sources = now;
    }
    return this.pair as [Tensor, Tensor];
  }

  dispose(): void {
    if (this.pair) for (const t of this.pair) t.dispose();
    this.pair = null;
    this.sources = [];
  }
}
