// Reductions of the middle axis of [A, R, B]. When A*B is small and R large (a BN channel sum, a loss
// mean), one invocation per output would leave lavapipe's threads idle, so R is split into chunks and a
// second launch of the same kernel combines them.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d } from './launch.js';

// x viewed as [A, R, B], reduced along R (in C chunks of `chunk`)
const REDUCE = defineKernel('reduce', { A: 'u32', R: 'u32', B: 'u32', chunk: 'u32', C: 'u32' });
const ARGREDUCE = defineKernel('argreduce', { A: 'u32', R: 'u32', B: 'u32' });
const SOFTMAX = defineKernel('softmax', { A: 'u32', R: 'u32', B: 'u32' });

const OPS: Record<string, { init: string; combine: string }> = {
  sum: { init: '0.0', combine: 'acc + v' },
  max: { init: 'neg_inf()', combine: 'max(acc, v)' },
  min: { init: 'pos_inf()', combine: 'min(acc, v)' },
};

const TARGET_PARALLEL = 4096;

function launch(op: string, x: GPUBuffer, out: GPUBuffer, A: number, R: number, B: number, chunk: number): void {
  const C = Math.ceil(R / chunk);
  const spec = {
    key: `reduce:${op}`,
    inputs: 1,
    outputs: 1,
    source: () => REDUCE.wgsl({ INIT: OPS[op].init, COMBINE: OPS[op].combine }),
  };
  engine().dispatch(spec, [x, out], REDUCE.pack({ A, R, B, chunk, C }), grid1d(A * C * B));
}

/** out[a, b] = OP over r of x[a, r, b]. */
export function reduceMiddle(
  op: 'sum' | 'max' | 'min',
  x: GPUBuffer,
  out: GPUBuffer,
  A: number,
  R: number,
  B: number,
): void {
  if (!OPS[op]) throw new Error(`unknown reduction ${op}`);
  const outer = A * B;
  let chunks = 1;
  if (outer < TARGET_PARALLEL && R >= 128) chunks = Math.min(Math.ceil(R / 64), Math.ceil(TARGET_PARALLEL / outer));
  if (chunks <= 1) {
    launch(op, x, out, A, R, B, Math.max(R, 1));
    return;
  }
  const chunk = Math.ceil(R / chunks);
  const C = Math.ceil(R / chunk);
  const e = engine();
  const partial = e.createBuffer(A * C * B * 4);
  try {
    launch(op, x, partial, A, R, B, chunk);
    reduceMiddle(op, partial, out, A, C, B);
  } finally {
    e.releaseBuffer(partial);
  }
}

/** out[a, b] = index of the first max (or min) along r of x[a, r, b], int32. */
export function argReduceMiddle(
  op: 'argmax' | 'argmin',
  x: GPUBuffer,
  out: GPUBuffer,
  A: number,
  R: number,
  B: number,
): void {
  const spec = {
    key: `arg:${op}`,
    inputs: 1,
    outputs: 1,
    source: () => ARGREDUCE.wgsl({ CMP: op === 'argmax' ? '>' : '<' }),
  };
  engine().dispatch(spec, [x, out], ARGREDUCE.pack({ A, R, B }), grid1d(A * B));
}

export function softmaxMiddle(log: boolean, x: GPUBuffer, out: GPUBuffer, A: number, R: number, B: number): void {
  const write = log
    ? 'let ls = log(s) + m;\n  for (var r = 0u; r < R; r++) { out[base + r * B] = x[base + r * B] - ls; }'
    : 'let inv = 1.0 / s;\n  for (var r = 0u; r < R; r++) { out[base + r * B] = exp(x[base + r * B] - m) * inv; }';
  const spec = {
    key: `softmax:${log ? 'log' : 'exp'}`,
    inputs: 1,
    outputs: 1,
    source: () => SOFTMAX.wgsl({ WRITE: write }),
  };
  engine().dispatch(spec, [x, out], SOFTMAX.pack({ A, R, B }), grid1d(A * B));
}
