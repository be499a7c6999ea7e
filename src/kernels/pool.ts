// Pooling and nearest upsampling launches (shaders/pool*.wgsl, shaders/upsample.wgsl).
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d } from './launch.js';

export const POOL_MODE = { max: 0, avg: 1, avg_exclude_pad: 2, adaptive_avg: 3 } as const;
export type PoolMode = keyof typeof POOL_MODE;

export interface PoolGeometry {
  planes: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
  mode: PoolMode;
}

const POOL_FIELDS = {
  n: 'u32', // elements written
  H: 'u32',
  W: 'u32',
  OH: 'u32',
  OW: 'u32',
  kH: 'u32',
  kW: 'u32',
  sH: 'u32',
  sW: 'u32',
  pH: 'i32',
  pW: 'i32',
  mode: 'u32', // POOL_MODE
} as const;
const POOL = defineKernel('pool', POOL_FIELDS);
const POOL_BACKWARD = defineKernel('pool_backward', POOL_FIELDS);
const UPSAMPLE = defineKernel('upsample', { n: 'u32', H: 'u32', W: 'u32', fH: 'u32', fW: 'u32' });

function uniforms(g: PoolGeometry, n: number): Uint32Array {
  const { H, W, OH, OW, kH, kW, sH, sW, pH, pW } = g;
  return POOL.pack({ n, H, W, OH, OW, kH, kW, sH, sW, pH, pW, mode: POOL_MODE[g.mode] });
}

/** out [planes, OH, OW]; arg (int32, same size) receives argmax input indices in max mode. */
export function poolForward(x: GPUBuffer, out: GPUBuffer, arg: GPUBuffer, g: PoolGeometry): void {
  const n = g.planes * g.OH * g.OW;
  const spec = { key: 'pool', inputs: 1, outputs: 2, source: () => POOL.wgsl() };
  engine().dispatch(spec, [x, out, arg], uniforms(g, n), grid1d(n));
}

export function poolBackward(gOut: GPUBuffer, arg: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  const n = g.planes * g.H * g.W;
  const spec = { key: 'pool_backward', inputs: 2, outputs: 1, source: () => POOL_BACKWARD.wgsl() };
  engine().dispatch(spec, [gOut, arg, dx], uniforms(g, n), grid1d(n));
}

export function upsampleNearest(
  mode: 'forward' | 'backward',
  src: GPUBuffer,
  dst: GPUBuffer,
  planes: number,
  H: number,
  W: number,
  fH: number,
  fW: number,
): void {
  const body =
    mode === 'forward'
      ? '  let OW = W * fW;\n  let ow = i % OW;\n  let oh = (i / OW) % (H * fH);\n  let p = i / (OW * H * fH);\n  ' +
        'dst[i] = src[(p * H + oh / fH) * W + ow / fW];'
      : '  let w = i % W;\n  let h = (i / W) % H;\n  let p = i / (W * H);\n  let OW = W * fW;\n  var s = 0.0;\n  ' +
        'for (var a = 0u; a < fH; a++) { for (var b = 0u; b < fW; b++) { s += src[(p * H * fH + h * fH + a) * OW + ' +
        'w * fW + b]; } }\n  dst[i] = s;';
  const n = mode === 'forward' ? planes * H * fH * W * fW : planes * H * W;
  const spec = { key: `upsample:${mode}`, inputs: 1, outputs: 1, source: () => UPSAMPLE.wgsl({ BODY: body }) };
  engine().dispatch(spec, [src, dst], UPSAMPLE.pack({ n, H, W, fH, fW }), grid1d(n));
}
