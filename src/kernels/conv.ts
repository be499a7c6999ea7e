// conv2d on WebGPU: implicit GEMM (conv_prep_input + conv_prep_weight + conv_gemm) for the forward pass
// and the input gradient (a transposed conv through the same kernel), a pixel-GEMM for the weight
// gradient (conv_wgrad), and direct kernels for grouped convs with few channels per group (depthwise).
import { engine } from '../device/engine.js';
import { reduceMiddle } from './reduce.js';
import { matmulTN, prepareOperand, roundUp4 } from './matmul.js';
import { matmulSg, sgTile } from './matmul-sg.js';
import { defineKernel } from './define-kernel.js';
import { gemmLaunch, type PreparedInput } from './conv-gemm.js';
import { grid1d } from './launch.js';
import { derived } from './derived.js';
import { actKey, actWgsl, type Activation } from './activation.js';
import { depthwiseForward, depthwiseInputGrad, depthwiseWeightGrad, isDepthwise } from './conv-depthwise.js';
import { winogradApplies, winogradPays, winogradForward, winogradInputGrad, winogradWeightGrad } from './winograd.js';

export interface ConvGeometry {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
  dH: number;
  dW: number;
  groups: number;
  OH: number;
  OW: number;
}

export type ConvImpl = 'auto' | 'gemm' | 'direct' | 'winograd' | 'depthwise';

/** Process-wide switches; bench/ turns Winograd off to measure the implicit GEMM in the same run. */
export const convSettings = { winograd: true };

/**
 * Winograd (F(4x4, 3x3), or F(4x4, 2x2) for stride 2) for this conv? Forced by impl 'winograd' (an error where it
 * cannot apply).
 */
function useWinograd(g: ConvGeometry, impl: ConvImpl): boolean {
  if (impl === 'winograd') {
    if (!winogradApplies(g))
      throw new Error(
        `conv2d: impl 'winograd' needs a 3x3 kernel, dilation 1, groups 1, padding <= 2 and stride 1, or stride 2 ` +
          `with equal paddings (got ${g.KH}x${g.KW}, stride ${g.sH}x${g.sW}, dilation ${g.dH}x${g.dW}, groups ` +
          `${g.groups}, padding ${g.pH}x${g.pW})`,
      );
    return true;
  }
  return impl === 'auto' && convSettings.winograd && winogradPays(g);
}

const CONV_PREP_INPUT = defineKernel('conv_prep_input', {
  n: 'u32', // XS elements
  C: 'u32',
  H: 'u32',
  W: 'u32',
  KW: 'u32', // planes: one per kernel column for strided convs, else 1
  Hp: 'u32',
  pitch: 'u32',
  colStride: 'u32',
  dil: 'u32',
  padTop: 'i32',
  padLeft: 'i32',
  ins: 'u32', // zero insertion (the stride of a transposed conv)
  colLimit: 'u32',
});
const CONV_PREP_WEIGHT = defineKernel('conv_prep_weight', {
  M: 'u32', // Cout per group
  Cg: 'u32', // Cin per group
  ld: 'u32',
  Kg: 'u32',
});
/** The direct kernels (forward, input and weight gradient) share one uniform block; n counts what each writes. */
const DIRECT_UNIFORMS = {
  n: 'u32',
  Cin: 'u32',
  H: 'u32',
  W: 'u32',
  Cout: 'u32',
  OH: 'u32',
  OW: 'u32',
  KH: 'u32',
  KW: 'u32',
  sH: 'u32',
  pH: 'i32',
  dH: 'u32',
  groups: 'u32',
  hasBias: 'u32',
  pW: 'i32',
  sW: 'u32',
  dW: 'u32',
  N: 'u32',
} as const;
const CONV_DIRECT = defineKernel('conv_direct', DIRECT_UNIFORMS);
const CONV_DIRECT_DX = defineKernel('conv_direct_dx', DIRECT_UNIFORMS);
const CONV_DIRECT_DW = defineKernel('conv_direct_dw', DIRECT_UNIFORMS);
const CONV_WGRAD_PREP = defineKernel('conv_wgrad_prep', {
  rows: 'u32', // groups * padded pixels
  PIXP: 'u32', // padded pixels
  pixels: 'u32',
  OH: 'u32',
  OW: 'u32',
  ld: 'u32', // row stride of the operand written
  M: 'u32',
  Cout: 'u32',
  Cin: 'u32',
  Cg: 'u32',
  H: 'u32',
  W: 'u32',
  KH: 'u32',
  KW: 'u32',
  sH: 'u32',
  sW: 'u32',
  pH: 'i32',
  pW: 'i32',
  dH: 'u32',
  dW: 'u32',
  n0: 'u32', // first image (the batch may be processed in image ranges)
});
const COL2IM = defineKernel('col2im', {
  rows: 'u32', // rows in this image range
  n0: 'u32',
  Cin: 'u32',
  H: 'u32',
  W: 'u32',
  OH: 'u32',
  OW: 'u32',
});

/**
 * A 1x1 conv with stride 1 and no padding reads and writes each plane as one contiguous run, so its GEMM can
 * see the plane as a single row of H·W pixels: no row-pitch padding of the column groups (a 5x5 map computed
 * 40 columns for 25, a 34x34 one 36 per 34), and vec4 stores whenever H·W is a multiple of 4. Measured on
 * the seed's MobileNetV2 training step (b32): see the commit that added it.
 */
function flatPlanes(g: ConvGeometry): ConvGeometry {
  const oneByOne = g.KH === 1 && g.KW === 1 && g.sH === 1 && g.sW === 1 && g.pH === 0 && g.pW === 0;
  if (!oneByOne || g.H === 1) return g;
  return { ...g, H: 1, W: g.H * g.W, OH: 1, OW: g.OH * g.OW };
}

/** The row kernels of conv-depthwise.ts for a depthwise conv (auto), or forced by impl 'depthwise'. */
function useDepthwise(g: ConvGeometry, impl: ConvImpl): boolean {
  if (impl === 'depthwise' && !isDepthwise(g))
    throw new Error(
      `conv2d: impl 'depthwise' needs groups = in channels = out channels (got ${g.groups} groups, ${g.Cin} in, ` +
        `${g.Cout} out)`,
    );
  return impl === 'depthwise' || (impl === 'auto' && isDepthwise(g));
}

export function useGemm(g: ConvGeometry, impl: ConvImpl, outChannelsPerGroup: number): boolean {
  if (impl !== 'auto') return impl === 'gemm';
  return outChannelsPerGroup >= 8;
}

/** Whether conv2dForward can add a residual in its store: the Winograd and implicit-GEMM paths can. */
export function storesResidual(g: ConvGeometry, impl: ConvImpl): boolean {
  return useWinograd(g, impl) || (!useDepthwise(g, impl) && useGemm(g, impl, g.Cout / g.groups));
}

interface PrepOptions {
  /** copies of the input, one per kernel column (strided convs), or 1 (stride 1: taps shift columns) */
  planes: number;
  Hp: number;
  pitch: number;
  colStride: number;
  dil: number;
  padTop: number;
  padLeft: number;
  ins: number;
  colLimit: number;
}

/** XS for a conv over `src` [N, C, H, W]: see shaders/conv_prep_input.wgsl. */
function prepInput(
  src: GPUBuffer,
  N: number,
  C: number,
  H: number,
  W: number,
  o: PrepOptions,
  allowAlias: boolean,
): PreparedInput {
  // 1x1, stride 1, no padding: the input already is XS (columns past OW are computed but never stored)
  if (
    allowAlias &&
    o.planes === 1 &&
    o.colStride === 1 &&
    o.padTop === 0 &&
    o.padLeft === 0 &&
    o.ins === 1 &&
    o.Hp <= H &&
    o.colLimit >= W &&
    o.pitch === W
  ) {
    return { buffer: src, owned: false, Hp: H, pitch: W, planes: 1, C };
  }
  const n = N * o.planes * C * o.Hp * o.pitch;
  const e = engine();
  const buf = e.createBuffer(n * 4);
  const inner =
    o.ins === 1
      ? '    if (rowOk && j < limit && vc >= 0 && u32(vc) < W) { v = X[src + u32(vc)]; }'
      : '    if (rowOk && j < limit && vc >= 0 && vc % ins == 0) {\n      let ic = u32(vc / ins);\n      if (ic < ' +
        'W) { v = X[src + ic]; }\n    }';
  const spec = {
    key: `conv_prep_input:${o.ins === 1 ? 'dense' : 'dilated'}`,
    inputs: 1,
    outputs: 1,
    source: () => CONV_PREP_INPUT.wgsl({ INNER: inner }),
  };
  const u = CONV_PREP_INPUT.pack({
    n,
    C,
    H,
    W,
    KW: o.planes,
    Hp: o.Hp,
    pitch: o.pitch,
    colStride: o.colStride,
    dil: o.dil,
    padTop: o.padTop,
    padLeft: o.padLeft,
    ins: o.ins,
    colLimit: o.colLimit,
  });
  e.dispatch(spec, [src, buf], u, grid1d(n / o.pitch));
  return { buffer: buf, owned: true, Hp: o.Hp, pitch: o.pitch, planes: o.planes, C };
}

/** Input preparation for the implicit GEMM over a (virtual) input producing OH x OW outputs. */
function gemmInput(
  src: GPUBuffer,
  N: number,
  C: number,
  H: number,
  W: number,
  c: {
    OH: number;
    OW: number;
    KH: number;
    KW: number;
    sH: number;
    sW: number;
    dH: number;
    dW: number;
    padTop: number;
    padLeft: number;
    ins: number;
  },
): PreparedInput {
  const Hp = (c.OH - 1) * c.sH + (c.KH - 1) * c.dH + 1;
  const OWp = roundUp4(c.OW);
  if (c.sW === 1) {
    // one padded plane; tap kw reads columns shifted by kw*dW
    const pitch = c.KW === 1 && c.padLeft === 0 && c.ins === 1 ? W : OWp + (c.KW - 1) * c.dW;
    return prepInput(
      src,
      N,
      C,
      H,
      W,
      {
        planes: 1,
        Hp,
        pitch,
        colStride: 1,
        dil: c.dW,
        padTop: c.padTop,
        padLeft: c.padLeft,
        ins: c.ins,
        colLimit: pitch,
      },
      c.KH === 1 && c.KW === 1,
    );
  }
  return prepInput(
    src,
    N,
    C,
    H,
    W,
    {
      planes: c.KW,
      Hp,
      pitch: OWp,
      colStride: c.sW,
      dil: c.dW,
      padTop: c.padTop,
      padLeft: c.padLeft,
      ins: c.ins,
      colLimit: c.OW,
    },
    false,
  );
}

function prepWeight(
  w: GPUBuffer,
  g: ConvGeometry,
  mode: 'forward' | 'input_grad',
): { buffer: GPUBuffer; ld: number; Kg: number; release: () => void } {
  const M = g.Cout / g.groups,
    Cg = g.Cin / g.groups;
  const outPer = mode === 'forward' ? M : Cg;
  const Kg = (mode === 'forward' ? Cg : M) * g.KH * g.KW;
  const ld = roundUp4(outPer);
  const n = g.groups * Kg * ld;
  // a 1x1 conv's input-gradient operand P[g][co][ci] is the weight tensor itself when rows need no padding
  if (mode === 'input_grad' && g.KH === 1 && g.KW === 1 && Cg % 4 === 0)
    return { buffer: w, ld, Kg, release: () => {} };
  if (Kg > 65535) throw new Error(`conv2d: ${Kg} contraction rows per group exceed the 65535 of one dispatch`);
  const body =
    mode === 'forward'
      ? '  var v = 0.0;\n  if (m < M) { v = Wt[((g * M + m) * Cg + c) * KH * KW + kh * KW + kw]; }\n  P[i] = v;'
      : '  var v = 0.0;\n  if (m < Cg) { v = Wt[((g * M + c) * Cg + m) * KH * KW + (KH - 1u - kh) * KW + (KW - 1u - ' +
        'kw)]; }\n  P[i] = v;';
  const spec = {
    key: `conv_prep_weight:${mode}:${g.KH}x${g.KW}`,
    inputs: 1,
    outputs: 1,
    source: () => CONV_PREP_WEIGHT.wgsl({ BODY: body, KH: g.KH, KW: g.KW }),
  };
  const uniforms = CONV_PREP_WEIGHT.pack({ M, Cg, ld, Kg });
  // kept across passes while w is unchanged (inference, attacks; ResNet_50 inference spent 6.5% here)
  const { buffer, release } = derived(`${spec.key}:${uniforms.join(',')}`, w, n * 4, (into) =>
    engine().dispatch(spec, [w, into], uniforms, [Math.ceil(ld / 64), Kg, g.groups]),
  );
  return { buffer, ld, Kg, release };
}

/**
 * gemmLaunch with the weights prepared for `mode`; the prepared weights and an owned input copy are released
 * afterwards, also when the launch throws.
 */
function gemmWithWeights(
  xs: PreparedInput,
  w: GPUBuffer,
  g: ConvGeometry,
  mode: 'forward' | 'input_grad',
  bias: GPUBuffer | null,
  out: GPUBuffer,
  o: Parameters<typeof gemmLaunch>[4],
  act: Activation = 'none',
  residual: GPUBuffer | null = null,
): void {
  const e = engine();
  try {
    const p = prepWeight(w, g, mode);
    try {
      gemmLaunch(xs, p, bias, out, o, act, residual);
    } finally {
      p.release();
    }
  } finally {
    if (xs.owned) e.releaseBuffer(xs.buffer);
  }
}

function directUniforms(g: ConvGeometry, n: number, bias: boolean): Uint32Array {
  const { Cin, H, W, Cout, OH, OW, KH, KW, sH, pH, dH, groups, pW, sW, dW, N } = g;
  return CONV_DIRECT.pack({
    n,
    Cin,
    H,
    W,
    Cout,
    OH,
    OW,
    KH,
    KW,
    sH,
    pH,
    dH,
    groups,
    hasBias: bias ? 1 : 0,
    pW,
    sW,
    dW,
    N,
  });
}

export function conv2dForward(
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
  g: ConvGeometry,
  impl: ConvImpl = 'auto',
  act: Activation = 'none',
  residual: GPUBuffer | null = null,
): void {
  const e = engine();
  const M = g.Cout / g.groups;
  if (residual && !storesResidual(g, impl))
    throw new Error('conv2dForward: this conv path has no residual in its store (see storesResidual)');
  if (useWinograd(g, impl)) {
    winogradForward(x, w, bias, out, g, act, residual);
    return;
  }
  if (useDepthwise(g, impl)) {
    depthwiseForward(x, w, bias, out, g, act);
    return;
  }
  if (!useGemm(g, impl, M)) {
    const n = g.N * g.Cout * g.OH * g.OW;
    const spec = {
      key: `conv_direct${actKey(act)}`,
      inputs: 3,
      outputs: 1,
      source: () => CONV_DIRECT.wgsl({ ACT: actWgsl(act) }),
    };
    e.dispatch(spec, [x, w, bias ?? w, out], directUniforms(g, n, !!bias), grid1d(n));
    return;
  }
  g = flatPlanes(g);
  const xs = gemmInput(x, g.N, g.Cin, g.H, g.W, {
    OH: g.OH,
    OW: g.OW,
    KH: g.KH,
    KW: g.KW,
    sH: g.sH,
    sW: g.sW,
    dH: g.dH,
    dW: g.dW,
    padTop: g.pH,
    padLeft: g.pW,
    ins: 1,
  });
  gemmWithWeights(
    xs,
    w,
    g,
    'forward',
    bias,
    out,
    {
      N: g.N,
      groups: g.groups,
      Mo: M,
      Cg: g.Cin / g.groups,
      KH: g.KH,
      KW: g.KW,
      rowStep: g.sH,
      dH: g.dH,
      dW: g.dW,
      OH: g.OH,
      OW: g.OW,
    },
    act,
    residual,
  );
}

/** dX [N, Cin, H, W] from dY [N, Cout, OH, OW]. */
export function conv2dInputGrad(
  dy: GPUBuffer,
  w: GPUBuffer,
  dx: GPUBuffer,
  g: ConvGeometry,
  impl: ConvImpl = 'auto',
): void {
  const e = engine();
  const Cg = g.Cin / g.groups;
  if (useWinograd(g, impl)) {
    winogradInputGrad(dy, w, dx, g);
    return;
  }
  if (useDepthwise(g, impl)) {
    depthwiseInputGrad(dy, w, dx, g);
    return;
  }
  if (!useGemm(g, impl, Cg) || g.sH !== g.sW) {
    const n = g.N * g.Cin * g.H * g.W;
    const spec = { key: 'conv_direct_dx', inputs: 2, outputs: 1, source: () => CONV_DIRECT_DX.wgsl() };
    e.dispatch(spec, [dy, w, dx], directUniforms(g, n, false), grid1d(n));
    return;
  }
  if ((g.sH > 1 || g.sW > 1) && g.groups === 1 && (g.OH * g.OW) % 4 === 0) {
    inputGradCol2im(dy, w, dx, g);
    return;
  }
  g = flatPlanes(g);
  // transposed conv: zero-insert dY by the stride, pad by dil*(K-1) - pad, flipped and transposed weights
  const xs = gemmInput(dy, g.N, g.Cout, g.OH, g.OW, {
    OH: g.H,
    OW: g.W,
    KH: g.KH,
    KW: g.KW,
    sH: 1,
    sW: 1,
    dH: g.dH,
    dW: g.dW,
    padTop: g.dH * (g.KH - 1) - g.pH,
    padLeft: g.dW * (g.KW - 1) - g.pW,
    ins: g.sH,
  });
  gemmWithWeights(xs, w, g, 'input_grad', null, dx, {
    N: g.N,
    groups: g.groups,
    Mo: Cg,
    Cg: g.Cout / g.groups,
    KH: g.KH,
    KW: g.KW,
    rowStep: 1,
    dH: g.dH,
    dW: g.dW,
    OH: g.H,
    OW: g.W,
  });
}

const DY_BODY = `  let M = U.M;
  let base = ((n * U.Cout + g * M) * OH + oh) * OW + ow;
  for (var co = 0u; co < ld; co++) {
    var v = 0.0;
    if (valid && co < M) { v = src[base + co * OH * OW]; }
    dst[out0 + co] = v;
  }`;

const COLS_BODY = `  let H = U.H; let W = U.W; let KH = U.KH; let KW = U.KW; let Cg = U.Cg;
  var k = 0u;
  for (var ci = 0u; ci < Cg; ci++) {
    let plane = (n * U.Cin + g * Cg + ci) * H;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = i32(oh * U.sH + kh * U.dH) - U.pH;
      for (var kw = 0u; kw < KW; kw++) {
        let iw = i32(ow * U.sW + kw * U.dW) - U.pW;
        var v = 0.0;
        if (valid && ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) { v = src[(plane + u32(ih)) * W + u32(iw)]; }
        dst[out0 + k] = v;
        k++;
      }
    }
  }
  for (; k < ld; k++) { dst[out0 + k] = 0.0; }`;

/**
 * Input gradient of a strided conv (groups 1) as COLS = W^T dY per image (the matmul, no products with
 * the zeros a transposed conv would insert: 4x fewer MACs at stride 2), then a col2im gather. Images are
 * processed in ranges that keep COLS under the storage-binding limit.
 */
function inputGradCol2im(dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, g: ConvGeometry): void {
  const e = engine();
  const Kc = g.Cin * g.KH * g.KW,
    ohw = g.OH * g.OW;
  // W [Cout, Kc] is already P laid out [K = Cout, Kc]; pad its rows when Kc is not a multiple of 4
  let wp = w,
    ldw = Kc;
  if (Kc % 4) {
    wp = e.createBuffer(g.Cout * roundUp4(Kc) * 4);
    ldw = prepareOperand('pad', w, wp, 1, g.Cout, Kc);
  }
  const limit = convLimits.maxBinding || e.device.limits.maxStorageBufferBindingSize;
  const perPart = Math.max(1, Math.min(g.N, 65535, Math.floor(limit / (Kc * ohw * 4))));
  const cols = e.createBuffer(Math.min(perPart, g.N) * Kc * ohw * 4);
  const geo = { KH: g.KH, KW: g.KW, SH: g.sH, SW: g.sW, PH: g.pH, PW: g.pW, DH: g.dH, DW: g.dW };
  const spec = {
    key: `col2im:${Object.values(geo).join(',')}`,
    inputs: 1,
    outputs: 1,
    source: () => COL2IM.wgsl(geo),
  };
  try {
    for (let n0 = 0; n0 < g.N; n0 += perPart) {
      const count = Math.min(perPart, g.N - n0);
      const dyPart = { buffer: dy, ld: ohw, batchStride: g.Cout * ohw, offset: n0 * g.Cout * ohw };
      matmulTN({ buffer: wp, ld: ldw, batchStride: 0 }, dyPart, cols, count, Kc, ohw, g.Cout);
      const rows = count * g.Cin * g.H;
      const u = COL2IM.pack({ rows, n0, Cin: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW });
      e.dispatch(spec, [cols, dx], u, grid1d(rows));
    }
  } finally {
    e.releaseBuffer(cols);
    if (wp !== w) e.releaseBuffer(wp);
  }
}

/** Tests lower this to exercise the split path on small shapes (0: the device's limit). */
export const convLimits = { maxBinding: 0 };

/** dW [Cout, Cin/groups, KH, KW] from dY and X: a batched matmul over pixel chunks, then a sum of chunks.
 *  (A direct pixel-loop kernel ran at ~12 GFLOPS on lavapipe; this reuses the 50 GFLOPS matmul.)
 *  When the im2col operand would exceed the device's storage-binding limit, the batch is split into
 *  image ranges whose partial gradients are stacked and summed. */
export function conv2dWeightGrad(
  dy: GPUBuffer,
  x: GPUBuffer,
  dw: GPUBuffer,
  g: ConvGeometry,
  impl: ConvImpl = 'auto',
): void {
  const e = engine();
  const M = g.Cout / g.groups,
    Cg = g.Cin / g.groups;
  if (useWinograd(g, impl)) {
    winogradWeightGrad(dy, x, dw, g);
    return;
  }
  if (useDepthwise(g, impl)) {
    depthwiseWeightGrad(dy, x, dw, g);
    return;
  }
  if (!useGemm(g, impl, M)) {
    const n = g.Cout * Cg * g.KH * g.KW;
    const spec = { key: 'conv_direct_dw', inputs: 2, outputs: 1, source: () => CONV_DIRECT_DW.wgsl() };
    e.dispatch(spec, [dy, x, dw], directUniforms(g, n, false), grid1d(n));
    return;
  }
  if (pointwiseWeightGrad(dy, x, dw, g)) return;
  const Kg = Cg * g.KH * g.KW;
  const limit = convLimits.maxBinding || e.device.limits.maxStorageBufferBindingSize;
  const bytesPerImage = g.groups * g.OH * g.OW * roundUp4(Math.max(Kg, M)) * 4 * 1.1; // with chunk padding slack
  const perPart = Math.max(1, Math.floor(limit / bytesPerImage));
  if (perPart >= g.N) {
    weightGradPart(dy, x, dw, g, 0, g.N);
    return;
  }
  const parts = Math.ceil(g.N / perPart);
  const size = g.Cout * Kg * 4;
  const stack = e.createBuffer(parts * size);
  const tmp = e.createBuffer(size);
  try {
    for (let i = 0; i < parts; i++) {
      const n0 = i * perPart;
      weightGradPart(dy, x, tmp, g, n0, Math.min(perPart, g.N - n0));
      e.copy(tmp, 0, stack, i * size, size);
    }
    reduceMiddle('sum', stack, dw, 1, parts, g.Cout * Kg);
  } finally {
    e.releaseBuffer(stack);
    e.releaseBuffer(tmp);
  }
}

/**
 * A 1x1, stride-1, unpadded conv's weight gradient, dW[co, ci] = sum over images n and pixels p of
 * dY[n, co, p] X[n, ci, p], read in place by the subgroup matmul: both operands have k = (n, p) contiguous
 * in p, so neither needs the pixel-major copies of conv_wgrad_prep (ResNet_50's and Inception_BN's training
 * steps spent 9-12% in them). False where the subgroup kernel does not apply (it then takes the copies).
 */
function pointwiseWeightGrad(dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, g: ConvGeometry): boolean {
  const pointwise = g.KH === 1 && g.KW === 1 && g.sH === 1 && g.sW === 1 && g.pH === 0 && g.pW === 0;
  if (!pointwise || g.groups !== 1) return false;
  const tile = sgTile(g.Cout, g.Cin, 1);
  if (!tile) return false;
  const HW = g.H * g.W;
  const operand = (buffer: GPUBuffer, C: number) => ({
    buffer,
    layout: 'k-contiguous' as const,
    ld: HW,
    batchStride: 0,
    offset: 0,
    kSplit: { inner: HW, outerStride: C * HW },
  });
  matmulSg(tile, operand(dy, g.Cout), operand(x, g.Cin), dw, 1, g.Cout, g.Cin, g.N * HW, false);
  return true;
}

/** dW contribution of images [n0, n0 + count). */
function weightGradPart(dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, g: ConvGeometry, n0: number, count: number): void {
  const e = engine();
  const M = g.Cout / g.groups,
    Cg = g.Cin / g.groups;
  const Kg = Cg * g.KH * g.KW;
  const pixels = count * g.OH * g.OW;
  const tiles = Math.ceil(M / 16) * Math.ceil(Kg / 16) * g.groups;
  const B = Math.max(1, Math.min(64, Math.ceil(512 / tiles), Math.floor(pixels / 64), Math.floor(65535 / g.groups)));
  const chunk = Math.ceil(pixels / B);
  const PIXP = chunk * B;
  const ldM = roundUp4(M),
    ldK = roundUp4(Kg);
  const rows = g.groups * PIXP;
  const { OH, OW, Cout, Cin, H, W, KH, KW, sH, sW, pH, pW, dH, dW } = g;
  const u = (ld: number) =>
    CONV_WGRAD_PREP.pack({
      rows,
      PIXP,
      pixels,
      OH,
      OW,
      ld,
      M,
      Cout,
      Cin,
      Cg,
      H,
      W,
      KH,
      KW,
      sH,
      sW,
      pH,
      pW,
      dH,
      dW,
      n0,
    });
  const dyt = e.createBuffer(rows * ldM * 4);
  const cols = e.createBuffer(rows * ldK * 4);
  try {
    e.dispatch(
      { key: 'conv_wgrad_prep:dy', inputs: 1, outputs: 1, source: () => CONV_WGRAD_PREP.wgsl({ BODY: DY_BODY }) },
      [dy, dyt],
      u(ldM),
      grid1d(rows),
    );
    e.dispatch(
      {
        key: 'conv_wgrad_prep:cols',
        inputs: 1,
        outputs: 1,
        source: () => CONV_WGRAD_PREP.wgsl({ BODY: COLS_BODY }),
      },
      [x, cols],
      u(ldK),
      grid1d(rows),
    );
    const partial = B > 1 ? e.createBuffer(g.groups * B * M * Kg * 4) : dw;
    try {
      matmulTN(
        { buffer: dyt, ld: ldM, batchStride: chunk * ldM },
        { buffer: cols, ld: ldK, batchStride: chunk * ldK },
        partial,
        g.groups * B,
        M,
        Kg,
        chunk,
      );
      if (B > 1) reduceMiddle('sum', partial, dw, g.groups, B, M * Kg);
    } finally {
      if (B > 1) e.releaseBuffer(partial);
    }
  } finally {
    e.releaseBuffer(dyt);
    e.releaseBuffer(cols);
  }
}
