// Tensor-level entry points for the kernels the library layers above need without an autograd op of their
// own: optimizer updates in place, fake quantization and histograms. nn/ and quant/ reach kernels only
// through the tensor layer (an eslint zone), so a kernel's buffer-level signature stays private to it.
import { adamUpdate, sgdUpdate, type AdamStep, type SgdStep } from '../../kernels/optim.js';
import { fakeQuantBlockKernel, fakeQuantKernel, histogramKernel, histogramPrivateKernel } from '../../kernels/quant.js';
import type { Tensor } from '../tensor.js';
import { empty } from './alloc.js';

export type { AdamStep, SgdStep };

/** One SGD step on `param` in place (PyTorch semantics), `momentum` the parameter's buffer. */
export function sgdStep(param: Tensor, grad: Tensor, momentum: Tensor, o: SgdStep): void {
  sgdUpdate(grad.buffer, param.buffer, momentum.buffer, param.size, o);
}

/** One Adam step on `param` in place, `m` and `v` its moment buffers. */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamStep): void {
  adamUpdate(grad.buffer, param.buffer, m.buffer, v.buffer, param.size, o);
}

export interface FakeQuantGrid {
  mode: 'int' | 'levels';
  /** ascending magnitudes from 0 ('levels' mode) */
  levels: Tensor;
  nLevels: number;
  clamp: boolean;
  invScale: number;
  scale: number;
  qmax: number;
}

/** Quantize-dequantize x on a per-tensor grid (no autograd). */
export function fakeQuantRaw(x: Tensor, q: FakeQuantGrid): Tensor {
  const out = empty(x.shape);
  fakeQuantKernel(x.buffer, out.buffer, x.size, { ...q, levels: q.levels.buffer });
  return out;
}

/** Quantize-dequantize x in blocks sharing a power-of-two scale (no autograd). */
export function fakeQuantBlockRaw(x: Tensor, blockSize: number, fracBits: number, qmax: number): Tensor {
  const out = empty(x.shape);
  fakeQuantBlockKernel(x.buffer, out.buffer, x.size, blockSize, fracBits, qmax);
  return out;
}

/** Add the histogram of x (`bins` bins from lo, each 1 / invWidth wide) into the u32 tensor `hist`. */
export function histogramInto(
  x: Tensor,
  hist: Tensor,
  bins: number,
  lo: number,
  invWidth: number,
  kernel: 'private' | 'atomic',
): void {
  (kernel === 'atomic' ? histogramKernel : histogramPrivateKernel)(x.buffer, hist.buffer, x.size, bins, lo, invWidth);
}
