// Depthwise convolution (groups = Cin = Cout, MobileNetV2's 3x3 layers): forward and input gradient, one
// invocation per row with the geometry compiled in (shaders/conv_depthwise*.wgsl). Measured on the seed's
// MobileNetV2 training step (b32, lavapipe): the generic direct kernels took 914 ms of 2.8 s here.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d } from './launch.js';
import type { ConvGeometry } from './conv.js';
import { actKey, actWgsl, type Activation } from './activation.js';

const FIELDS = { rows: 'u32', C: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', hasBias: 'u32' } as const;
const FORWARD = defineKernel('conv_depthwise', FIELDS);
const INPUT_GRAD = defineKernel('conv_depthwise_dx', FIELDS);

/** Depthwise with one filter per channel: what these kernels cover. */
export const isDepthwise = (g: ConvGeometry) => g.groups === g.Cin && g.Cout === g.Cin && g.groups > 1;

function geometry(g: ConvGeometry) {
  return { KH: g.KH, KW: g.KW, SH: g.sH, SW: g.sW, PH: g.pH, PW: g.pW, DH: g.dH, DW: g.dW, TAPS: g.KH * g.KW };
}
const keyOf = (name: string, g: ConvGeometry) => `${name}:${Object.values(geometry(g)).join(',')}`;

export function depthwiseForward(
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
  g: ConvGeometry,
  act: Activation = 'none',
) {
  const rows = g.N * g.Cin * g.OH;
  const spec = {
    key: keyOf('conv_depthwise', g) + actKey(act),
    inputs: 3,
    outputs: 1,
    source: () => FORWARD.wgsl({ ...geometry(g), ACT: actWgsl(act) }),
  };
  const u = FORWARD.pack({ rows, C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW, hasBias: bias ? 1 : 0 });
  engine().dispatch(spec, [x, w, bias ?? w, out], u, grid1d(rows));
}

export function depthwiseInputGrad(dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, g: ConvGeometry) {
  const rows = g.N * g.Cin * g.H;
  const spec = {
    key: keyOf('conv_depthwise_dx', g),
    inputs: 2,
    outputs: 1,
    source: () => INPUT_GRAD.wgsl(geometry(g)),
  };
  const u = INPUT_GRAD.pack({ rows, C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW, hasBias: 0 });
  engine().dispatch(spec, [dy, w, dx], u, grid1d(rows));
}
