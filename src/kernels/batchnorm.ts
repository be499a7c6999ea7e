// BatchNorm kernels over [N, C, P] tensors (P = H * W, or 1 for [N, C]): batch statistics, the fused
// per-channel affine y = (x - m) * s + b, and its backward reductions. Planes whose size is a multiple of
// 4 are read as vec4s.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d, perInvocation } from './launch.js';

const BN_STATS = defineKernel('bn_stats', {
  N: 'u32',
  C: 'u32',
  P: 'u32', // plane size in ELEMs
  count: 'u32', // values per channel
  hasWeight: 'u32',
  hasBias: 'u32',
  updateRunning: 'u32',
  momentum: 'f32',
  eps: 'f32',
});
const BN_TRAIN_BACKWARD_PARAMS = defineKernel('bn_train_backward_params', { C: 'u32', count: 'u32' });
/** Elementwise channel kernels walk runs of `per` ELEMs, `chunks` runs per plane, n runs in all. */
const CHANNEL_AFFINE = defineKernel('channel_affine', {
  n: 'u32',
  C: 'u32',
  P: 'u32',
  offsetM: 'u32', // where m, s and b start in their buffers (rows of one packed buffer, or 0)
  offsetS: 'u32',
  offsetB: 'u32',
  per: 'u32',
  chunks: 'u32',
});
const CHANNEL_AFFINE_GRAD = defineKernel('channel_affine_grad', { N: 'u32', C: 'u32', P: 'u32' });
const BN_BACKWARD = defineKernel('bn_backward', { n: 'u32', C: 'u32', P: 'u32', per: 'u32', chunks: 'u32' });

const vars = (v4: boolean) => ({
  ELEM: v4 ? 'vec4<f32>' : 'f32',
  HSUM: v4 ? 'v.x + v.y + v.z + v.w' : 'v',
  WIDTH: v4 ? '4.0' : '1.0',
});
/** The activation a fused BatchNorm applies to its output (and whose mask its backward applies to G). */
export type BnActivation = 'none' | 'relu' | 'relu6';
/** Binding `out` after G, X and a third input, optionally preceded by the forward output Y for an activation's
 *  mask; GRAD reads the (masked) upstream gradient at index `k`: ReLU passes it where Y > 0, ReLU6 where
 *  0 < Y < 6 (PyTorch's relu6 backward, strict at both ends, read from the clamped output). */
function maskVars(v4: boolean, act: BnActivation, out: string, k: string) {
  const elem = v4 ? 'vec4<f32>' : 'f32';
  const pass = act === 'relu6' ? `(Y[${k}] > ${elem}(0.0)) & (Y[${k}] < ${elem}(6.0))` : `Y[${k}] > ${elem}(0.0)`;
  return {
    TAIL:
      act !== 'none'
        ? `@group(0) @binding(4) var<storage, read> Y: array<${elem}>;\n@group(0) @binding(5) var<storage, ` +
          `read_write> ${out};`
        : `@group(0) @binding(4) var<storage, read_write> ${out};`,
    GRAD: act !== 'none' ? `select(${elem}(0.0), G[${k}], ${pass})` : `G[${k}]`,
  };
}
/** Per-plane runs for elementwise channel kernels: ELEMs per invocation and invocations per plane. */
function runs(N: number, C: number, P: number) {
  const per = Math.min(P, perInvocation(N * C * P));
  const chunks = Math.ceil(P / per);
  return { per, chunks, invocations: N * C * chunks };
}
const checkChannels = (C: number) => {
  if (C > 65535) throw new Error(`batch_norm: ${C} channels exceed 65535 workgroups`);
};

// the running-statistics update (PyTorch: momentum, unbiased variance), shared by both kinds of statistics
const RUNNING = `    if (U.updateRunning != 0u) {
      let mom = U.momentum;
      let n = f32(U.count);
      RM[c] = (1.0 - mom) * RM[c] + mom * m;
      RV[c] = (1.0 - mom) * RV[c] + mom * v * n / (n - 1.0);
    }`;
const FINISH = {
  // OUT [2, C]: mean, biased variance
  stats: `    OUT[c] = m;\n    OUT[C + c] = v;\n${RUNNING}`,
  // OUT [5, C]: mean, biased variance, scale = w rstd, bias, rstd (flags bit 0: weight, bit 1: bias)
  train: `    let rstd = inverseSqrt(v + U.eps);
    var w = 1.0;
    if (U.hasWeight != 0u) { w = Wt[c]; }
    var b = 0.0;
    if (U.hasBias != 0u) { b = Bs[c]; }
    OUT[c] = m;
    OUT[C + c] = v;
    OUT[2u * C + c] = w * rstd;
    OUT[3u * C + c] = b;
    OUT[4u * C + c] = rstd;
${RUNNING}`,
};

export interface BnStatsBuffers {
  weight?: GPUBuffer | null;
  bias?: GPUBuffer | null;
  runningMean?: GPUBuffer | null;
  runningVar?: GPUBuffer | null;
}

/**
 * Per-channel statistics of x [N, C, P] in one dispatch, the running statistics (when given) updated in
 * place. 'stats': out [2, C] = (mean, biased variance); 'train' (training BatchNorm): out [5, C] = (mean,
 * biased variance, scale = w rstd, bias, rstd).
 */
export function bnStats(
  kind: 'stats' | 'train',
  x: GPUBuffer,
  b: BnStatsBuffers,
  out: GPUBuffer,
  N: number,
  C: number,
  P: number,
  momentum = 0.1,
  eps = 1e-5,
): void {
  checkChannels(C);
  const v4 = P % 4 === 0;
  const e = engine();
  const running = !!(b.runningMean && b.runningVar);
  const [rm, rv] = running
    ? [b.runningMean as GPUBuffer, b.runningVar as GPUBuffer]
    : [e.createBuffer(16), e.createBuffer(16)]; // stand-ins
  const u = BN_STATS.pack({
    N,
    C,
    P: v4 ? P / 4 : P,
    count: N * P,
    hasWeight: b.weight ? 1 : 0,
    hasBias: b.bias ? 1 : 0,
    updateRunning: running ? 1 : 0,
    momentum,
    eps,
  });
  const spec = {
    key: `bn_stats:${kind}:${v4 ? 'v4' : 's'}`,
    inputs: 3,
    outputs: 3,
    source: () => BN_STATS.wgsl({ ...vars(v4), FINISH: FINISH[kind] }),
  };
  e.dispatch(spec, [x, b.weight ?? x, b.bias ?? x, out, rm, rv], u, [C, 1, 1]);
  if (!running) {
    e.releaseBuffer(rm);
    e.releaseBuffer(rv);
  }
}

/**
 * params [4, C] for bnBackward and the parameter gradients dw, db, from the 'train' statistics and the sums of
 * channelAffineGrad.
 */
export function bnTrainBackwardParams(
  stats: GPUBuffer,
  sums: GPUBuffer,
  params: GPUBuffer,
  dw: GPUBuffer,
  db: GPUBuffer,
  C: number,
  count: number,
): void {
  const spec = {
    key: 'bn_train_backward_params',
    inputs: 2,
    outputs: 3,
    source: () => BN_TRAIN_BACKWARD_PARAMS.wgsl(),
  };
  engine().dispatch(spec, [stats, sums, params, dw, db], BN_TRAIN_BACKWARD_PARAMS.pack({ C, count }), [
    Math.ceil(C / 64),
    1,
    1,
  ]);
}

/**
 * y = (x - m[c]) * s[c] + b[c] (then a ReLU when asked); m, s, b read at float offsets (rows of one packed buffer, or
 * 0).
 */
export function channelAffine(
  x: GPUBuffer,
  m: GPUBuffer,
  s: GPUBuffer,
  b: GPUBuffer,
  y: GPUBuffer,
  N: number,
  C: number,
  P: number,
  offsets: [number, number, number] = [0, 0, 0],
  activation: BnActivation = 'none',
): void {
  const v4 = P % 4 === 0;
  const elem = v4 ? 'vec4<f32>' : 'f32';
  const affine = '(X[i] - m) * s + b';
  const act = {
    none: affine,
    relu: `max(${affine}, ${elem}(0.0))`,
    relu6: `clamp(${affine}, ${elem}(0.0), ${elem}(6.0))`,
  }[activation];
  const spec = {
    key: `channel_affine:${v4 ? 'v4' : 's'}:${activation === 'none' ? 'id' : activation}`,
    inputs: 4,
    outputs: 1,
    source: () => CHANNEL_AFFINE.wgsl({ ...vars(v4), ACT: act }),
  };
  const r = runs(N, C, v4 ? P / 4 : P);
  engine().dispatch(
    spec,
    [x, m, s, b, y],
    CHANNEL_AFFINE.pack({
      n: r.invocations,
      C,
      P: v4 ? P / 4 : P,
      offsetM: offsets[0],
      offsetS: offsets[1],
      offsetB: offsets[2],
      per: r.per,
      chunks: r.chunks,
    }),
    grid1d(r.invocations),
  );
}

/** out [2, C] = (sum g (x - m[c]), sum g) per channel; g masked by the activation that followed (its output
 *  actOut: y > 0 for a ReLU, 0 < y < 6 for a ReLU6). */
export function channelAffineGrad(
  g: GPUBuffer,
  x: GPUBuffer,
  m: GPUBuffer,
  out: GPUBuffer,
  N: number,
  C: number,
  P: number,
  actOut: GPUBuffer | null = null,
  act: BnActivation = 'relu',
): void {
  checkChannels(C);
  const v4 = P % 4 === 0;
  const mask: BnActivation = actOut ? act : 'none';
  const spec = {
    key: `channel_affine_grad:${v4 ? 'v4' : 's'}:${mask === 'none' ? 'id' : mask}`,
    inputs: actOut ? 4 : 3,
    outputs: 1,
    source: () => CHANNEL_AFFINE_GRAD.wgsl({ ...vars(v4), ...maskVars(v4, mask, 'OUT: array<f32>', 'k') }),
  };
  engine().dispatch(
    spec,
    actOut ? [g, x, m, actOut, out] : [g, x, m, out],
    CHANNEL_AFFINE_GRAD.pack({ N, C, P: v4 ? P / 4 : P }),
    [C, 1, 1],
  );
}

/**
 * dx = g * A[c] + (x - m[c]) * B[c] + D[c], params [4, C] = (m, A, B, D); g masked by the activation that
 * followed (its output actOut, as in channelAffineGrad).
 */
export function bnBackward(
  g: GPUBuffer,
  x: GPUBuffer,
  params: GPUBuffer,
  dx: GPUBuffer,
  N: number,
  C: number,
  P: number,
  actOut: GPUBuffer | null = null,
  act: BnActivation = 'relu',
): void {
  const v4 = P % 4 === 0;
  const mask: BnActivation = actOut ? act : 'none';
  const spec = {
    key: `bn_backward:${v4 ? 'v4' : 's'}:${mask === 'none' ? 'id' : mask}`,
    inputs: actOut ? 4 : 3,
    outputs: 1,
    source: () =>
      BN_BACKWARD.wgsl({ ...vars(v4), ...maskVars(v4, mask, `DX: array<${v4 ? 'vec4<f32>' : 'f32'}>`, 'i') }),
  };
  const r = runs(N, C, v4 ? P / 4 : P);
  engine().dispatch(
    spec,
    actOut ? [g, x, params, actOut, dx] : [g, x, params, dx],
    BN_BACKWARD.pack({ n: r.invocations, C, P: v4 ? P / 4 : P, per: r.per, chunks: r.chunks }),
    grid1d(r.invocations),
  );
}
