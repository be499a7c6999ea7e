// Fused optimizer update kernels (shaders/optim.wgsl): one dispatch per parameter tensor, all state on GPU.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d, perInvocation } from './launch.js';

const SGD = defineKernel('optim', {
  n: 'u32',
  per: 'u32', // elements per invocation
  lr: 'f32',
  weightDecay: 'f32',
  momentum: 'f32',
  dampening: 'f32',
  nesterov: 'u32',
  first: 'u32', // the first step: the momentum buffer starts as the gradient (PyTorch)
});
const ADAM = defineKernel('optim', {
  n: 'u32',
  per: 'u32',
  lr: 'f32',
  weightDecay: 'f32',
  beta1: 'f32',
  beta2: 'f32',
  bias1: 'f32', // bias corrections 1 - beta^step
  bias2: 'f32',
  eps: 'f32',
});

const SGD_BODY = `  let mom = U.momentum; let damp = U.dampening;
  var upd = d;
  if (mom != 0.0) {
    var buf = d;
    if (U.first == 0u) { buf = mom * S1[i] + (1.0 - damp) * d; }
    S1[i] = buf;
    if (U.nesterov != 0u) { upd = d + mom * buf; } else { upd = buf; }
  }
  P[i] = p - lr * upd;`;

const ADAM_BODY = `  let b1 = U.beta1; let b2 = U.beta2;
  let m = b1 * S1[i] + (1.0 - b1) * d;
  let v = b2 * S2[i] + (1.0 - b2) * d * d;
  S1[i] = m;
  S2[i] = v;
  P[i] = p - lr * (m / U.bias1) / (sqrt(v / U.bias2) + U.eps);`;

export interface SgdStep {
  lr: number;
  weightDecay: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  first: boolean;
}

export function sgdUpdate(grad: GPUBuffer, param: GPUBuffer, momentumBuf: GPUBuffer, n: number, o: SgdStep): void {
  const spec = { key: 'optim:sgd', inputs: 1, outputs: 2, source: () => SGD.wgsl({ STATE2: '', BODY: SGD_BODY }) };
  const per = perInvocation(n);
  const u = SGD.pack({
    n,
    per,
    lr: o.lr,
    weightDecay: o.weightDecay,
    momentum: o.momentum,
    dampening: o.dampening,
    nesterov: o.nesterov ? 1 : 0,
    first: o.first ? 1 : 0,
  });
  engine().dispatch(spec, [grad, param, momentumBuf], u, grid1d(Math.ceil(n / per)));
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
      ADAM.wgsl({ STATE2: '@group(0) @binding(4) var<storage, read_write> S2: array<f32>;', BODY: ADAM_BODY }),
  };
  const per = perInvocation(n);
  const u = ADAM.pack({
    n,
    per,
    lr: o.lr,
    weightDecay: o.weightDecay,
    beta1: o.beta1,
    beta2: o.beta2,
    bias1: 1 - o.beta1 ** o.step,
    bias2: 1 - o.beta2 ** o.step,
    eps: o.eps,
  });
  engine().dispatch(spec, [grad, param, m, v], u, grid1d(Math.ceil(n / per)));
}
