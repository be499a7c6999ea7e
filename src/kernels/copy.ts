// Data movement: strided gather/scatter (permute, slice, expand, concat), fill/arange, gather by index.
import { sizeOf } from '../tensor/shape.js';
import { engine, type DType } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d } from './launch.js';

const MAX_RANK = 12;
const STRIDED_COPY = defineKernel('strided_copy', {
  n: 'u32',
  base: 'u32', // offset of the strided side
  per: 'u32', // elements per invocation
  shape: `u32[${MAX_RANK}]`, // of the contiguous side
  strides: `u32[${MAX_RANK}]`, // of the strided side
});
const FILL_F32 = defineKernel('fill', { n: 'u32', start: 'f32', step: 'f32' });
const FILL_I32 = defineKernel('fill', { n: 'u32', start: 'i32', step: 'i32' });
const GATHER_FIELDS = { A: 'u32', Rx: 'u32', B: 'u32', Ri: 'u32' } as const; // x [A, Rx, B], index [A, Ri, B]
const GATHER = defineKernel('gather', GATHER_FIELDS);
const GATHER_BACKWARD = defineKernel('gather_backward', GATHER_FIELDS);

const T = (d: DType) => (d === 'int32' ? 'i32' : 'f32');

/** mode 'gather': dst[i] = src[base + Σ coord·stride]; 'scatter': dst[base + Σ coord·stride] = src[i].
 *  `shape` is the shape of the contiguous side. */
export function stridedCopy(
  mode: 'gather' | 'scatter',
  dtype: DType,
  src: GPUBuffer,
  dst: GPUBuffer,
  shape: number[],
  strides: number[],
  base = 0,
): void {
  // rank 0 is a single element: treat as shape [1]
  if (shape.length === 0) {
    shape = [1];
    strides = [1];
  }
  const rank = shape.length;
  const n = sizeOf(shape);
  const per = n >= 1 << 16 ? 16 : 1;
  if (rank > MAX_RANK) throw new Error(`strided copy supports rank <= ${MAX_RANK}, got ${rank}`);
  const spec = {
    key: `copy:${mode}:${dtype}:r${rank}`,
    inputs: 1,
    outputs: 1,
    source: () =>
      STRIDED_COPY.wgsl({
        T: T(dtype),
        RANK: rank,
        MOVE: mode === 'gather' ? 'dst[i] = src[off];' : 'dst[off] = src[i];',
      }),
  };
  engine().dispatch(spec, [src, dst], STRIDED_COPY.pack({ n, base, per, shape, strides }), grid1d(Math.ceil(n / per)));
}

/** dst[i] = start + i·step in the tensor's dtype. */
export function fill(dtype: DType, dst: GPUBuffer, n: number, start: number, step = 0): void {
  const spec = {
    key: `fill:${dtype}`,
    inputs: 0,
    outputs: 1,
    source: () =>
      (dtype === 'int32' ? FILL_I32 : FILL_F32).wgsl({
        T: T(dtype),
        VALUE: dtype === 'int32' ? 'U.start + i32(i) * U.step' : 'U.start + f32(i) * U.step',
      }),
  };
  const u = (dtype === 'int32' ? FILL_I32 : FILL_F32).pack({ n, start, step });
  engine().dispatch(spec, [dst], u, grid1d(n));
}

export function gatherMiddle(
  x: GPUBuffer,
  index: GPUBuffer,
  out: GPUBuffer,
  A: number,
  Rx: number,
  B: number,
  Ri: number,
): void {
  const spec = { key: 'gather', inputs: 2, outputs: 1, source: () => GATHER.wgsl() };
  engine().dispatch(spec, [x, index, out], GATHER.pack({ A, Rx, B, Ri }), grid1d(A * Ri * B));
}

export function gatherBackwardMiddle(
  g: GPUBuffer,
  index: GPUBuffer,
  gx: GPUBuffer,
  A: number,
  Rx: number,
  B: number,
  Ri: number,
): void {
  const spec = { key: 'gather_bw', inputs: 2, outputs: 1, source: () => GATHER_BACKWARD.wgsl() };
  engine().dispatch(spec, [g, index, gx], GATHER_BACKWARD.pack({ A, Rx, B, Ri }), grid1d(A * Rx * B));
}
