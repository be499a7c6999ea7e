// Launches for fake quantization (shaders/fake_quant*.wgsl) and GPU histograms (shaders/histogram.wgsl).
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d, perInvocation } from './launch.js';

const FAKE_QUANT = defineKernel('fake_quant', {
  n: 'u32',
  per: 'u32', // elements per invocation
  nLevels: 'u32',
  invScale: 'f32',
  scale: 'f32',
  qmax: 'f32',
});
const FAKE_QUANT_BLOCK = defineKernel('fake_quant_block', { n: 'u32', blockSize: 'u32', fracBits: 'u32', qmax: 'u32' });
const HISTOGRAM_FIELDS = { n: 'u32', bins: 'u32', lo: 'f32', invWidth: 'f32' } as const;
const HISTOGRAM = defineKernel('histogram', { ...HISTOGRAM_FIELDS, chunk: 'u32' }); // elements per workgroup
const HISTOGRAM_PRIVATE = defineKernel('histogram_private', { ...HISTOGRAM_FIELDS, P: 'u32' }); // invocations
const HISTOGRAM_REDUCE = defineKernel('histogram_reduce', { bins: 'u32', P: 'u32' });

export interface FakeQuantParams {
  mode: 'int' | 'levels';
  levels: GPUBuffer;
  nLevels: number;
  clamp: boolean;
  invScale: number;
  scale: number;
  qmax: number;
}

const QUANT = {
  int: '    let q = round(v);',
  levels: '    let m = nearest_level(abs(v), nLevels);\n    let q = select(m, -m, v < 0.0);',
};

export function fakeQuantKernel(src: GPUBuffer, dst: GPUBuffer, n: number, p: FakeQuantParams): void {
  const key = `fake_quant:${p.mode}:${p.clamp ? 'clamp' : 'free'}`;
  const spec = {
    key,
    inputs: 2,
    outputs: 1,
    source: () => FAKE_QUANT.wgsl({ QUANT: QUANT[p.mode], CLAMP: p.clamp ? '    v = clamp(v, -qmax, qmax);' : '' }),
  };
  const per = perInvocation(n);
  const uni = FAKE_QUANT.pack({ n, per, nLevels: p.nLevels, invScale: p.invScale, scale: p.scale, qmax: p.qmax });
  engine().dispatch(spec, [src, p.levels, dst], uni, grid1d(Math.ceil(n / per)));
}

export function fakeQuantBlockKernel(
  src: GPUBuffer,
  dst: GPUBuffer,
  n: number,
  blockSize: number,
  fracBits: number,
  qmax: number,
): void {
  const spec = { key: 'fake_quant_block', inputs: 1, outputs: 1, source: () => FAKE_QUANT_BLOCK.wgsl() };
  engine().dispatch(
    spec,
    [src, dst],
    FAKE_QUANT_BLOCK.pack({ n, blockSize, fracBits, qmax }),
    grid1d(Math.ceil(n / blockSize)),
  );
}

export const MAX_BINS = 4096;
const CHUNK = 256 * 64;

/**
 * Add the histogram of `src` (n values, `bins` bins over [lo, lo + bins/invWidth)) into `hist` (u32, zeroed by the
 * caller).
 */
export function histogramKernel(
  src: GPUBuffer,
  hist: GPUBuffer,
  n: number,
  bins: number,
  lo: number,
  invWidth: number,
): void {
  if (bins < 1 || bins > MAX_BINS) throw new Error(`histogram: bins must be 1..${MAX_BINS}, got ${bins}`);
  const binsCap = bins <= 256 ? 256 : bins <= 2048 ? 2048 : MAX_BINS;
  const spec = {
    key: `histogram:${binsCap}`,
    inputs: 1,
    outputs: 1,
    source: () => HISTOGRAM.wgsl({ BINS: binsCap }),
  };
  // one workgroup per CHUNK of elements, folded into 2-D like every launch (extra groups find no elements)
  engine().dispatch(
    spec,
    [src, hist],
    HISTOGRAM.pack({ n, bins, lo, invWidth, chunk: CHUNK }),
    grid1d(Math.ceil(n / CHUNK), 1),
  );
}

/** Invocations of the atomic-free histogram: enough to fill the CPU's SIMD lanes and threads. */
const PRIVATE_HISTOGRAMS = 256;

/** hist (u32, bins) = histogram of src without atomics (per-invocation slices, then a reduction). */
export function histogramPrivateKernel(
  src: GPUBuffer,
  hist: GPUBuffer,
  n: number,
  bins: number,
  lo: number,
  invWidth: number,
): void {
  const e = engine();
  const P = Math.max(1, Math.min(PRIVATE_HISTOGRAMS, Math.ceil(n / 64)));
  const scratch = e.createBuffer(P * bins * 4);
  try {
    e.dispatch(
      { key: 'histogram_private', inputs: 1, outputs: 1, source: () => HISTOGRAM_PRIVATE.wgsl() },
      [src, scratch],
      HISTOGRAM_PRIVATE.pack({ n, bins, lo, invWidth, P }),
      grid1d(P),
    );
    e.dispatch(
      { key: 'histogram_reduce', inputs: 1, outputs: 1, source: () => HISTOGRAM_REDUCE.wgsl() },
      [scratch, hist],
      HISTOGRAM_REDUCE.pack({ bins, P }),
      grid1d(bins),
    );
  } finally {
    e.releaseBuffer(scratch);
  }
}
