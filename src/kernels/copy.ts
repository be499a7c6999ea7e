// Data movement: strided gather/scatter (permute, slice, expand, concat), fill/arange, gather by index.
import { sizeOf } from '../tensor/shape.js';
import { engine, type DType } from '../device/engine.js';
import { wgsl } from './template.js';
import { Uniforms, grid1d } from './uniforms.js';

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
  if (rank > 12) throw new Error(`strided copy supports rank <= 12, got ${rank}`);
  const spec = {
    key: `copy:${mode}:${dtype}:r${rank}`,
    inputs: 1,
    outputs: 1,
    source: () =>
      wgsl('strided_copy', {
        T: T(dtype),
        RANK: rank,
        MOVE: mode === 'gather' ? 'dst[i] = src[off];' : 'dst[off] = src[i];',
      }),
  };
  engine().dispatch(
    spec,
    [src, dst],
    new Uniforms()
      .u32(n, base, per)
      .at(4)
      .u32(...shape, ...strides)
      .bytes(),
    grid1d(Math.ceil(n / per)),
  );
}

/** dst[i] = start + i·step in the tensor's dtype. */
export function fill(dtype: DType, dst: GPUBuffer, n: number, start: number, step = 0): void {
  const spec = {
    key: `fill:${dtype}`,
    inputs: 0,
    outputs: 1,
    source: () =>
      wgsl('fill', {
        T: T(dtype),
        VALUE: dtype === 'int32' ? 'ui(1u) + i32(i) * ui(2u)' : 'uf(1u) + f32(i) * uf(2u)',
      }),
  };
  const u = new Uniforms().u32(n);
  if (dtype === 'int32') u.i32(start, step);
  else u.f32(start, step);
  engine().dispatch(spec, [dst], u.bytes(), grid1d(n));
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
  const spec = { key: 'gather', inputs: 2, outputs: 1, source: () => wgsl('gather') };
  engine().dispatch(spec, [x, index, out], new Uniforms().u32(A, Rx, B, Ri).bytes(), grid1d(A * Ri * B));
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
  const spec = { key: 'gather_bw', inputs: 2, outputs: 1, source: () => wgsl('gather_backward') };
  engine().dispatch(spec, [g, index, gx], new Uniforms().u32(A, Rx, B, Ri).bytes(), grid1d(A * Rx * B));
}
