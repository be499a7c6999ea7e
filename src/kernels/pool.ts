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

// the geometry is compiled into each pool kernel (geometry() below); only the element count is a uniform
const POOL = defineKernel('pool', { n: 'u32' });
const POOL_BACKWARD = defineKernel('pool_backward', { n: 'u32' });
const UPSAMPLE = defineKernel('upsample', { n: 'u32', H: 'u32', W: 'u32', fH: 'u32', fW: 'u32' });

/**
 * The geometry as WGSL constants, and the kernel key that names it. Compiled in, the window arithmetic's
 * divisions by strides and sizes become multiplies: Inception_BN's training step spent 2.2 s of 9.3 in
 * pool and pool_backward with them as uniforms (profile, b32).
 */
function geometry(g: PoolGeometry): { key: string; GEOMETRY: string } {
  const { H, W, OH, OW, kH, kW, sH, sW, pH, pW } = g;
  for (const [name, v] of Object.entries({ H, W, OH, OW, kH, kW, sH, sW, pH, pW }))
    if (!Number.isInteger(v) || Math.abs(v) > 0x7fffffff) throw new Error(`pool: ${name} = ${v} is not an integer`);
  const mode = POOL_MODE[g.mode];
  return {
    key: [H, W, OH, OW, kH, kW, sH, sW, pH, pW, mode].join(','),
    GEOMETRY:
      `  const H = ${H}u; const W = ${W}u; const OH = ${OH}u; const OW = ${OW}u; const mode = ${mode}u;\n` +
      `  const kH = ${kH}u; const kW = ${kW}u; const sH = ${sH}u; const sW = ${sW}u;\n` +
      `  const pH: i32 = ${pH}; const pW: i32 = ${pW};`,
  };
}

/** out [planes, OH, OW]; arg (int32, same size) receives argmax input indices in max mode. */
export function poolForward(x: GPUBuffer, out: GPUBuffer, arg: GPUBuffer, g: PoolGeometry): void {
  const n = g.planes * g.OH * g.OW;
  const { key, GEOMETRY } = geometry(g);
  const spec = { key: `pool:${key}`, inputs: 1, outputs: 2, source: () => POOL.wgsl({ GEOMETRY }) };
  engine().dispatch(spec, [x, out, arg], POOL.pack({ n }), grid1d(n));
}

export function poolBackward(gOut: GPUBuffer, arg: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  const n = g.planes * g.H * g.W;
  const { key, GEOMETRY } = geometry(g);
  const spec = {
    key: `pool_backward:${key}`,
    inputs: 2,
    outputs: 1,
    source: () => POOL_BACKWARD.wgsl({ GEOMETRY }),
  };
  engine().dispatch(spec, [gOut, arg, dx], POOL_BACKWARD.pack({ n }), grid1d(n));
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
