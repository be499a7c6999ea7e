// BatchNorm kernels over [N, C, P] tensors (P = H * W, or 1 for [N, C]): batch statistics, the fused
// per-channel affine y = (x - m) * s + b, and its backward reductions. Planes whose size is a multiple of
// 4 are read as vec4s.
import { engine } from '../tensor/device.js';
import { wgsl } from './template.js';
import { Uniforms, grid1d } from './uniforms.js';

const vars = (v4: boolean) => ({ ELEM: v4 ? 'vec4<f32>' : 'f32', HSUM: v4 ? 'v.x + v.y + v.z + v.w' : 'v' });
const checkChannels = (C: number) => { if (C > 65535) throw new Error(`batch_norm: ${C} channels exceed 65535 workgroups`); };

/** out [2, C] = (mean, biased variance) per channel of x [N, C, P]. */
export function bnStats(x: GPUBuffer, out: GPUBuffer, N: number, C: number, P: number): void {
  checkChannels(C);
  const v4 = P % 4 === 0;
  const spec = { key: `bn_stats:${v4 ? 'v4' : 's'}`, inputs: 1, outputs: 1, source: () => wgsl('bn_stats', vars(v4)) };
  engine().dispatch(spec, [x, out], new Uniforms().u32(N, C, v4 ? P / 4 : P, N * P).bytes(), [C, 1, 1]);
}

/** y = (x - m[c]) * s[c] + b[c]. */
export function channelAffine(x: GPUBuffer, m: GPUBuffer, s: GPUBuffer, b: GPUBuffer, y: GPUBuffer, N: number, C: number, P: number): void {
  const v4 = P % 4 === 0;
  const n = (N * C * P) / (v4 ? 4 : 1);
  const spec = { key: `channel_affine:${v4 ? 'v4' : 's'}`, inputs: 4, outputs: 1, source: () => wgsl('channel_affine', vars(v4)) };
  engine().dispatch(spec, [x, m, s, b, y], new Uniforms().u32(n, C, v4 ? P / 4 : P).bytes(), grid1d(n));
}

/** out [2, C] = (sum g (x - m[c]), sum g) per channel. */
export function channelAffineGrad(g: GPUBuffer, x: GPUBuffer, m: GPUBuffer, out: GPUBuffer, N: number, C: number, P: number): void {
  checkChannels(C);
  const v4 = P % 4 === 0;
  const spec = { key: `channel_affine_grad:${v4 ? 'v4' : 's'}`, inputs: 3, outputs: 1, source: () => wgsl('channel_affine_grad', vars(v4)) };
  engine().dispatch(spec, [g, x, m, out], new Uniforms().u32(N, C, v4 ? P / 4 : P).bytes(), [C, 1, 1]);
}

/** dx = g * A[c] + (x - m[c]) * B[c] + D[c], params [4, C] = (m, A, B, D). */
export function bnBackward(g: GPUBuffer, x: GPUBuffer, params: GPUBuffer, dx: GPUBuffer, N: number, C: number, P: number): void {
  const v4 = P % 4 === 0;
  const n = (N * C * P) / (v4 ? 4 : 1);
  const spec = { key: `bn_backward:${v4 ? 'v4' : 's'}`, inputs: 3, outputs: 1, source: () => wgsl('bn_backward', vars(v4)) };
  engine().dispatch(spec, [g, x, params, dx], new Uniforms().u32(n, C, v4 ? P / 4 : P).bytes(), grid1d(n));
}
