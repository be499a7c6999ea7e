// Depthwise convolution (groups = Cin = Cout, MobileNetV2's 3x3 layers): forward, input gradient and weight
// gradient, with the geometry compiled in and the input read through a sliding register window
// (depthwise-window.ts). Measured on the seed's MobileNetV2 (b32, lavapipe): the generic direct kernels took
// 914 ms of a 2.8 s training step; one invocation per output row then took 58 ms of a 260 ms inference pass.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d } from './launch.js';
import type { ConvGeometry } from './conv.js';
import { actKey, actWgsl, type Activation } from './activation.js';
import { reduceMiddle } from './reduce.js';
import {
  rowsPerInvocation,
  slidingWindow,
  tapRegisters,
  windowRange as range,
  type WindowGeometry,
} from './depthwise-window.js';

const FIELDS = { rows: 'u32', C: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', hasBias: 'u32' } as const;
const WINDOW_FIELDS = {
  jobs: 'u32',
  blocks: 'u32',
  C: 'u32',
  H: 'u32',
  W: 'u32',
  OH: 'u32',
  OW: 'u32',
  hasBias: 'u32',
} as const;
const FORWARD = defineKernel('conv_depthwise', WINDOW_FIELDS);
const WEIGHT_GRAD = defineKernel('conv_depthwise_dw', WINDOW_FIELDS);
const STRIDED_INPUT_GRAD = defineKernel('conv_depthwise_dx', FIELDS);

/** Depthwise with one filter per channel: what these kernels cover. */
export const isDepthwise = (g: ConvGeometry) => g.groups === g.Cin && g.Cout === g.Cin && g.groups > 1;

const windowOf = (g: ConvGeometry): WindowGeometry => ({
  KH: g.KH,
  KW: g.KW,
  SH: g.sH,
  SW: g.sW,
  PH: g.pH,
  PW: g.pW,
  DH: g.dH,
  DW: g.dW,
});
const keyOf = (name: string, w: WindowGeometry, R: number) => `${name}:${Object.values(w).join(',')}:r${R}`;

/** The forward window kernel over an input of H x W giving OH x OW (also the stride-1 input gradient). */
function windowConv(
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
  dims: { N: number; C: number; H: number; W: number; OH: number; OW: number },
  geo: WindowGeometry,
  flip: boolean,
  act: Activation,
) {
  const R = rowsPerInvocation(dims.OH);
  const blocks = Math.ceil(dims.OH / R);
  const jobs = dims.N * dims.C * blocks;
  const spec = {
    key: keyOf(flip ? 'conv_depthwise:flip' : 'conv_depthwise', geo, R) + actKey(act),
    inputs: 3,
    outputs: 1,
    source: () => {
      const win = slidingWindow(geo, R, 'X');
      const outputs = range(R).map((r) => {
        const terms = range(geo.KH).flatMap((kh) => range(geo.KW).map((kw) => `${win.tap(r, kh, kw)} * w${kh}_${kw}`));
        return `{ let s = b + ${terms.join(' + ')}; if (oh0 + ${r}u < OH) { out[o + ${r}u * OW + ow] = act(s); } }`;
      });
      return FORWARD.wgsl({
        ACT: actWgsl(act),
        R,
        SW: geo.SW,
        PW: geo.PW,
        TAPS: tapRegisters(geo, flip),
        ROWS: win.rows('oh0', 'plane'),
        DECLARE: win.declare,
        PRIME: win.prime,
        STEP: win.step('iw0'),
        OUTPUTS: outputs.join('\n'),
      });
    },
  };
  const { C, H, W, OH, OW } = dims;
  const u = FORWARD.pack({ jobs, blocks, C, H, W, OH, OW, hasBias: bias ? 1 : 0 });
  engine().dispatch(spec, [x, w, bias ?? w, out], u, grid1d(jobs));
}

export function depthwiseForward(
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
  g: ConvGeometry,
  act: Activation = 'none',
) {
  const dims = { N: g.N, C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW };
  windowConv(x, w, bias, out, dims, windowOf(g), false, act);
}

export function depthwiseInputGrad(dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, g: ConvGeometry) {
  if (g.sH === 1 && g.sW === 1) {
    // dX is the stride-1 conv of dY with the flipped filter, padded by (K - 1) D - P on each side
    const flipped = { ...windowOf(g), PH: (g.KH - 1) * g.dH - g.pH, PW: (g.KW - 1) * g.dW - g.pW };
    const dims = { N: g.N, C: g.Cin, H: g.OH, W: g.OW, OH: g.H, OW: g.W };
    windowConv(dy, w, null, dx, dims, flipped, true, 'none');
    return;
  }
  const rows = g.N * g.Cin * g.H;
  const geo = { ...windowOf(g), TAPS: g.KH * g.KW };
  const spec = {
    key: `conv_depthwise_dx:${Object.values(geo).join(',')}`,
    inputs: 2,
    outputs: 1,
    source: () => STRIDED_INPUT_GRAD.wgsl(geo),
  };
  const u = STRIDED_INPUT_GRAD.pack({ rows, C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW, hasBias: 0 });
  engine().dispatch(spec, [dy, w, dx], u, grid1d(rows));
}

/** dW of a depthwise conv: per-image partial sums (one invocation per image and channel), then their sum. */
export function depthwiseWeightGrad(dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, g: ConvGeometry) {
  const e = engine();
  const geo = windowOf(g);
  const R = rowsPerInvocation(g.OH);
  const taps = g.KH * g.KW;
  const jobs = g.N * g.Cin;
  const spec = {
    key: keyOf('conv_depthwise_dw', geo, R),
    inputs: 2,
    outputs: 1,
    source: () => {
      const win = slidingWindow(geo, R, 'X');
      const tapsOf = range(geo.KH).flatMap((kh) => range(geo.KW).map((kw) => [kh, kw] as const));
      const sums = range(R).map((r) => {
        const valid = `oh0 + ${r}u < OH`;
        const adds = tapsOf.map(([kh, kw]) => `a${kh}_${kw} += d * ${win.tap(r, kh, kw)};`).join(' ');
        return `{ let d = select(0.0, DY[select(0u, o + ${r}u * OW + ow, ${valid})], ${valid}); ${adds} }`;
      });
      return WEIGHT_GRAD.wgsl({
        R,
        SW: geo.SW,
        PW: geo.PW,
        ACCUMULATORS: tapsOf.map(([kh, kw]) => `var a${kh}_${kw} = 0.0;`).join(' '),
        ROWS: win.rows('oh0', 'plane'),
        DECLARE: win.declare,
        PRIME: win.prime,
        STEP: win.step('iw0'),
        SUMS: sums.join('\n'),
        STORE: tapsOf.map(([kh, kw]) => `partial[job * ${taps}u + ${kh * geo.KW + kw}u] = a${kh}_${kw};`).join('\n'),
      });
    },
  };
  const u = WEIGHT_GRAD.pack({ jobs, blocks: 0, C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW, hasBias: 0 });
  if (g.N === 1) {
    e.dispatch(spec, [dy, x, dw], u, grid1d(jobs));
    return;
  }
  const partial = e.createBuffer(jobs * taps * 4);
  try {
    e.dispatch(spec, [dy, x, partial], u, grid1d(jobs));
    reduceMiddle('sum', partial, dw, 1, g.N, g.Cin * taps);
  } finally {
    e.releaseBuffer(partial);
  }
}
