// Fused optimizer update kernels (shaders/optim.wgsl): one dispatch per parameter tensor, all state on GPU.
import { engine } from '../device/engine.js';
import { wgsl } from './template.js';
import { Uniforms, grid1d, perInvocation } from './uniforms.js';

const SGD_BODY = `  let mom = uf(3u); let damp = uf(4u);
  var upd = d;
  if (mom != 0.0) {
    var buf = d;
    if ((flags & 2u) == 0u) { buf = mom * S1[i] + (1.0 - damp) * d; }
    S1[i] = buf;
    if ((flags & 1u) != 0u) { upd = d + mom * buf; } else { upd = buf; }
  }
  P[i] = p - lr * upd;`;

const ADAM_BODY = `  let b1 = uf(3u); let b2 = uf(4u);
  let m = b1 * S1[i] + (1.0 - b1) * d;
  let v = b2 * S2[i] + (1.0 - b2) * d * d;
  S1[i] = m;
  S2[i] = v;
  P[i] = p - lr * (m / uf(6u)) / (sqrt(v / uf(7u)) + uf(8u));`;

export interface SgdStep {
  lr: number;
  weightDecay: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  first: boolean;
}

export function sgdUpdate(grad: GPUBuffer, param: GPUBuffer, momentumBuf: GPUBuffer, n: number, o: SgdStep): void {
  const spec = { key: 'optim:sgd', inputs: 1, outputs: 2, source: () => wgsl('optim', { STATE2: '', BODY: SGD_BODY }) };
  const per = perInvocation(n);
  const u = new Uniforms()
    .u32(n)
    .f32(o.lr, o.weightDecay, o.momentum, o.dampening)
    .u32((o.nesterov ? 1 : 0) | (o.first ? 2 : 0))
    .at(9)
    .u32(per);
  engine().dispatch(spec, [grad, param, momentumBuf], u.bytes(), grid1d(Math.ceil(n / per)));
}

export interface AdamStep {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
}

export function adamUpdate(
  grad: GPUBuffer,
  param: GPUBuffer,
  m: GPUBuffer,
  v: GPUBuffer,
  n: number,
  o: AdamStep,
): void {
  const spec = {
    key: 'optim:adam',
    inputs: 1,
    outputs: 3,
    source: () =>
      wgsl('optim', { STATE2: '@group(0) @binding(4) var<storage, read_write> S2: array<f32>;', BODY: ADAM_BODY }),
  };
  const per = perInvocation(n);
  const u = new Uniforms()
    .u32(n)
    .f32(o.lr, o.weightDecay, o.beta1, o.beta2)
    .u32(0)
    .f32(1 - o.beta1 ** o.step, 1 - o.beta2 ** o.step, o.eps)
    .u32(per);
  engine().dispatch(spec, [grad, param, m, v], u.bytes(), grid1d(Math.ceil(n / per)));
}
