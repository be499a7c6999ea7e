// Launches for fake quantization (shaders/fake_quant*.wgsl) and GPU histograms (shaders/histogram.wgsl).
import { engine } from '../tensor/device.js';
import { wgsl } from './template.js';
import { Uniforms, grid1d } from './uniforms.js';

export interface FakeQuantParams { mode: 'int' | 'levels'; levels: GPUBuffer; nLevels: number; clamp: boolean; invScale: number; scale: number; qmax: number }

export function fakeQuantKernel(src: GPUBuffer, dst: GPUBuffer, n: number, p: FakeQuantParams): void {
  const spec = { key: 'fake_quant', inputs: 2, outputs: 1, source: () => wgsl('fake_quant') };
  const uni = new Uniforms().u32(n, p.mode === 'int' ? 0 : 1, p.nLevels, p.clamp ? 1 : 0).f32(p.invScale, p.scale, p.qmax).bytes();
  engine().dispatch(spec, [src, p.levels, dst], uni, grid1d(n));
}

export function fakeQuantBlockKernel(src: GPUBuffer, dst: GPUBuffer, n: number, blockSize: number, fracBits: number, qmax: number): void {
  const spec = { key: 'fake_quant_block', inputs: 1, outputs: 1, source: () => wgsl('fake_quant_block') };
  engine().dispatch(spec, [src, dst], new Uniforms().u32(n, blockSize, fracBits, qmax).bytes(), grid1d(Math.ceil(n / blockSize)));
}

export const MAX_BINS = 4096;
const CHUNK = 256 * 64;

/** Add the histogram of `src` (n values, `bins` bins over [lo, lo + bins/invWidth)) into `hist` (u32, zeroed by the caller). */
export function histogramKernel(src: GPUBuffer, hist: GPUBuffer, n: number, bins: number, lo: number, invWidth: number): void {
  if (bins < 1 || bins > MAX_BINS) throw new Error(`histogram: bins must be 1..${MAX_BINS}, got ${bins}`);
  const binsCap = bins <= 256 ? 256 : bins <= 2048 ? 2048 : MAX_BINS;
  const spec = { key: `histogram:${binsCap}`, inputs: 1, outputs: 1, source: () => wgsl('histogram', { BINS: binsCap }) };
  const groups = Math.ceil(n / CHUNK);
  const [x, y] = groups <= 65535 ? [groups, 1] : [Math.ceil(groups / Math.ceil(groups / 65535)), Math.ceil(groups / 65535)];
  engine().dispatch(spec, [src, hist], new Uniforms().u32(n, bins).f32(lo, invWidth).u32(CHUNK).bytes(), [x, y, 1]);
}
