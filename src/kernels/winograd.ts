// Winograd convolution for 3x3 undilated ungrouped convs (most of a ResNet's or a VGG's FLOPs).
// Stride 1: F(4x4, 3x3). A 6x6 input patch and a 3x3 filter meet in 36 elementwise products per 4x4
// output tile instead of 144 multiplies: 4x fewer.
// Stride 2: F(4x4, 2x2) on the space-to-depth view. A stride-2 3x3 conv of X equals a stride-1 2x2 conv
// of the four phase planes X[c][2r + ph][2col + pw] (4 Cin channels; the filter's 9 taps spread over four
// 2x2 phase filters with 7 zeros). 5x5 patches meet in 25 products per 4x4 tile and 4 phase channels:
// 6.25 multiplies per output and input channel instead of 9.
// Summed over input channels the products are independent matmuls (36 or 25), which run on the
// register-blocked matmul_tn kernel; the transforms are straight-line code generated below from the
// matrices (Lavin & Gray 2015; Toom-Cook points 0, +-1, +-2, inf and 0, +-1, 2, inf).
//   forward        Y  = A^T [ sum_ci (G g G^T) . (B^T d B) ] A
//   input grad     the same with dY as input and the flipped, transposed filters (a conv again: for
//                  stride 2 it yields the four phase planes of dX, each dX element exactly once)
//   weight grad    dg = G^T [ sum_tiles (A dY A^T) . (B^T d B) ] G  (stride 2: then folded onto 3x3)
// Why: on lavapipe the best matmul reaches ~45-55 GFLOPS, below what the whole-model targets need with
// direct/implicit-GEMM convolution (see bench/model.ts); fewer multiplies is the remaining lever.
import { engine } from '../device/engine.js';
import { derived } from './derived.js';
import { actKey, actWgsl, type Activation } from './activation.js';
import { matmulTN, roundUp4 } from './matmul.js';
import { sgTile } from './matmul-sg.js';
import { defineKernel, type KernelTemplate, type UniformFields } from './define-kernel.js';
import { grid1d } from './launch.js';
import type { ConvGeometry } from './conv.js';

const GATHER = defineKernel('winograd_gather', {
  n: 'u32', // invocations: C * tiles
  C: 'u32', // channels after the split
  H: 'u32',
  W: 'u32',
  tilesH: 'u32',
  tilesW: 'u32',
  rowOffset: 'i32', // of tile 0
  colOffset: 'i32',
  n0: 'u32', // first image
  sXi: 'u32', // position stride of OUT
  sC: 'u32',
  sT: 'u32',
  step: 'u32', // tile step (output size m)
});
const SCATTER = defineKernel('winograd_scatter', {
  n: 'u32', // invocations: C * tiles
  C: 'u32', // channels before the split is undone
  OH: 'u32', // of Y
  OW: 'u32',
  tilesH: 'u32',
  tilesW: 'u32',
  n0: 'u32',
  sXi: 'u32',
  sC: 'u32',
  sT: 'u32',
  step: 'u32',
  hasBias: 'u32',
});
const WEIGHT = defineKernel('winograd_weight', {
  n: 'u32',
  Cout: 'u32',
  Cin: 'u32', // channels after the split
  sXi: 'u32',
  ld: 'u32',
});
// invocations (filters / 4), which is also the position stride of dU in vec4s
const FILTER_GRAD = defineKernel('winograd_filter_grad', { n: 'u32' });
const FOLD = defineKernel('winograd_fold', { n: 'u32' }); // Cout * Cin * 9

/** One Winograd algorithm: transform matrices and the input split (1: as is, 2: space-to-depth). */
interface Variant {
  name: string;
  BT: number[][];
  G: number[][];
  AT: number[][];
  split: 1 | 2;
}
const F43: Variant = {
  name: 'f43',
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
  split: 1,
};
// A^T = V_4^T, G = V_2, B^T = V_5^-T for the Vandermonde matrices V_k of points 0, 1, -1, 2, inf, with each
// row's denominator moved from B^T into G
const F42: Variant = {
  name: 'f42',
  BT: [
    [2, -1, -2, 1, 0],
    [0, 2, 1, -1, 0],
    [0, -2, 3, -1, 0],
    [0, -1, 0, 1, 0],
    [0, 2, -1, -2, 1],
  ],
  G: [
    [1 / 2, 0],
    [1 / 2, 1 / 2],
    [1 / 6, -1 / 6],
    [1 / 6, 1 / 3],
    [0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 0],
    [0, 1, -1, 2, 0],
    [0, 1, 1, 4, 0],
    [0, 1, -1, 8, 1],
  ],
  split: 2,
};
const transpose = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));
const positions = (v: Variant) => v.BT.length ** 2;
const TILE = 4; // outputs per tile side (both variants)

/** How a conv maps onto a variant: channels of the transformed input, tile offsets, the input-gradient
 *  conv's output grid (phase planes for stride 2) and where the 3x3 taps sit in the phase filters. */
interface Plan {
  v: Variant;
  Ct: number; // input channels after the split (Cin or 4 Cin): the forward contraction
  fwdOffset: [number, number]; // row/column of the first tile's patch in split coordinates (forward, dW)
  dxOffset: [number, number]; // the same for dY in the input-gradient conv
  dxGrid: [number, number]; // the input-gradient conv's output (H x W, or the phase planes' size)
  koff: number; // stride 2: tap kh = 2a + ph + koff of phase filter row a
}

function plan(g: ConvGeometry): Plan {
  if (g.sH === 1)
    return {
      v: F43,
      Ct: g.Cin,
      fwdOffset: [-g.pH, -g.pW],
      dxOffset: [g.pH - 2, g.pW - 2],
      dxGrid: [g.H, g.W],
      koff: 0,
    };
  // x row 2 oh + kh - p = 2 (oh + a + off) + ph with off = -ceil(p / 2); so kh = 2a + ph - (p mod 2)
  const off = (p: number) => -Math.ceil(p / 2);
  return {
    v: F42,
    Ct: 4 * g.Cin,
    fwdOffset: [off(g.pH), off(g.pW)],
    dxOffset: [-1 - off(g.pH), -1 - off(g.pW)],
    dxGrid: [Math.ceil(g.H / 2), Math.ceil(g.W / 2)],
    koff: -(g.pH % 2),
  };
}

/** 3x3, undilated, ungrouped; stride 1 with padding <= 2 (the flipped conv needs 2 - p >= 0), or stride 2
 *  with the same padding <= 2 on both sides (one tap layout for all phase filters). */
export function winogradApplies(g: ConvGeometry): boolean {
  if (g.KH !== 3 || g.KW !== 3 || g.dH !== 1 || g.dW !== 1 || g.groups !== 1 || g.pH > 2 || g.pW > 2) return false;
  return (g.sH === 1 && g.sW === 1) || (g.sH === 2 && g.sW === 2 && g.pH === g.pW);
}

/** Worth it (auto mode): enough channels for the batched matmuls to beat the implicit GEMM, tiles mostly
 *  full. Measured forward+backward at batch 32 on lavapipe, stride 1: x1.14 at 8 channels (32x32), x1.4
 *  at 16, x1.85 at 32; x1.0 at 16 channels on 8x8 maps, x1.55 at 64 channels on 4x4. Stride 2 (Cin -> 2 Cin):
 *  x1.15 at 16 channels (32x32 input), x1.32 at 64 (32x32), x1.28 at 128 (16x16), x1.10 at 256 (8x8);
 *  x0.87 on a 4x4 input, which the 4x4-output rule excludes. */
export function winogradPays(g: ConvGeometry): boolean {
  return winogradApplies(g) && g.Cin >= 16 && g.Cout >= 16 && g.OH >= 4 && g.OW >= 4;
}

/** sum_k c[k] * name(k) as WGSL, skipping zero coefficients. */
function linear(coeffs: number[], name: (k: number) => string): string {
  const terms: string[] = [];
  coeffs.forEach((c, k) => {
    if (c === 0) return;
    const mag = Math.abs(c) === 1 ? name(k) : `${Math.abs(c)} * ${name(k)}`;
    terms.push(terms.length === 0 ? (c < 0 ? `-${mag}` : mag) : `${c < 0 ? '-' : '+'} ${mag}`);
  });
  return terms.length ? terms.join(' ') : '0.0';
}

/** Straight-line WGSL for out = T · d · T^T: d from load(i, j) (p x p), results handed to store(a, b, expr). */
function transformCode(
  T: number[][],
  load: (i: number, j: number) => string,
  store: (a: number, b: number, e: string) => string,
): string {
  const q = T.length,
    p = T[0].length;
  const lines: string[] = [];
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) lines.push(`  let d${i}_${j} = ${load(i, j)};`);
  for (let a = 0; a < q; a++)
    for (let j = 0; j < p; j++) lines.push(`  let r${a}_${j} = ${linear(T[a], (k) => `d${k}_${j}`)};`);
  for (let a = 0; a < q; a++)
    for (let b = 0; b < q; b++)
      lines.push(
        `  ${store(
          a,
          b,
          linear(T[b], (k) => `r${a}_${k}`),
        )}`,
      );
  return lines.join('\n');
}

type Layout = 'channel-major' | 'tile-major';
type Split = 1 | 2;
// Specs are cheap objects; the engine compiles a pipeline once per key, when first dispatched.
const spec = <F extends UniformFields>(
  key: string,
  template: KernelTemplate<F>,
  T: number[][],
  load: (i: number, j: number) => string,
  store: (a: number, b: number, e: string) => string,
  inputs: number,
  vars: Record<string, string | number>,
) => ({
  key,
  inputs,
  outputs: 1,
  source: () => template.wgsl({ BODY: transformCode(T, load, store), ...vars }),
});
// which of (channel, tile) an invocation index walks fastest: the one contiguous in the layout
const ORDER = {
  'channel-major': '  let t = i % tiles;\n  let c = i / tiles;',
  'tile-major': '  let c = i % C;\n  let t = i / C;',
};

// Patch loads. Scalar: at() per value, bounds-checked. Vector (rows are whole vec4s, W % 4 = 0): each patch
// row as the vec4s it spans, values picked by component; the column offset is compiled in so the picks are
// static. Measured on the 64-channel 32x32 input transform: 6.1 -> 5.3 ms.
const SCALAR_LOADER = `@group(0) @binding(1) var<storage, read> X: array<f32>;
fn at(base: u32, r: i32, c: i32, ph: i32, pw: i32) -> f32 {
  let rr = r * SPLIT + ph; let cc = c * SPLIT + pw;
  if (rr < 0 || cc < 0 || rr >= i32(U.H) || cc >= i32(U.W)) { return 0.0; }
  return X[base + u32(rr) * U.W + u32(cc)];
}`;
const VECTOR_LOADER = `@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
fn at4(base: u32, r: i32, v: i32) -> vec4<f32> {
  let W4 = i32(U.W / 4u);
  if (r < 0 || v < 0 || r >= i32(U.H) || v >= W4) { return vec4<f32>(0.0); }
  return X[base / 4u + u32(r * W4 + v)];
}`;

/** Vector loads of a P x P patch whose first column sits `off` after the tile's 4-aligned origin: the
 *  load lines, and each value as a component (split 2: the even or odd one, by the phase pw). */
function vectorPatch(P: number, off: number, split: Split): { pre: string; load: (i: number, j: number) => string } {
  const rel = (j: number, odd: number) => (split === 1 ? off + j : 2 * (off + j) + odd); // x column - 4 split tw
  const lo = Math.floor(rel(0, 0) / 4),
    hi = Math.floor(rel(P - 1, split - 1) / 4);
  const lines = ['  let vt = i32(tw) * SPLIT;'];
  for (let i = 0; i < P; i++) {
    const row = split === 1 ? `r0 + ${i}` : `(r0 + ${i}) * 2 + ph`;
    for (let k = lo; k <= hi; k++) lines.push(`  let q${i}_${k - lo} = at4(base, ${row}, vt + ${k});`);
  }
  const comp = (i: number, c: number) => `q${i}_${Math.floor(c / 4) - lo}.${'xyzw'[((c % 4) + 4) % 4]}`;
  const load = (i: number, j: number) =>
    split === 1 ? comp(i, rel(j, 0)) : `select(${comp(i, rel(j, 0))}, ${comp(i, rel(j, 1))}, pw == 1)`;
  return { pre: lines.join('\n'), load };
}

// gathers: B^T d B of input patches (channel-major for the forward and input-gradient matmuls, tile-major
// for the weight gradient) and A dY A^T of 4x4 output-gradient patches (weight gradient);
// colOffset: the compiled-in column offset of the vector loads, null for scalar loads
type GatherKind = 'input' | 'output_grad';
const gatherSpec = (v: Variant, kind: GatherKind, layout: Layout, split: Split, colOffset: number | null) => {
  const T = kind === 'input' ? v.BT : transpose(v.AT);
  const store = (a: number, b: number, e: string) => `OUT[o + ${a * T.length + b}u * sXi] = ${e};`;
  const vars = { ORDER: ORDER[layout], SPLIT: split };
  const key = `winograd_gather:${v.name}:${kind}:${layout}:s${split}`;
  if (colOffset === null) {
    return spec(key, GATHER, T, (i, j) => `at(base, r0 + ${i}, c0 + ${j}, ph, pw)`, store, 1, {
      ...vars,
      LOADER: SCALAR_LOADER,
    });
  }
  const vp = vectorPatch(T[0].length, colOffset, split);
  return {
    key: `${key}:v${colOffset}`,
    inputs: 1,
    outputs: 1,
    source: () =>
      GATHER.wgsl({
        ...vars,
        LOADER: VECTOR_LOADER,
        BODY: `${vp.pre}\n${transformCode(T, vp.load, store)}`,
      }),
  };
};
// Output stores: scalar put() per value, or one vec4 per output row when rows are whole vec4s (no split).
// With a residual (RES, binding 3; Y moves to 4) its value at the output's index is added before act().
const SCALAR_STORER = `{{RES}}@group(0) @binding({{Y}}) var<storage, read_write> Y: array<f32>;
fn put(base: u32, r: u32, c: u32, ph: u32, pw: u32, v: f32) {
  let rr = r * SPLIT + ph; let cc = c * SPLIT + pw;
  let at = base + rr * U.OW + cc;
  if (rr < U.OH && cc < U.OW) { Y[at] = act(v{{ADD}}); }
}`;
const VECTOR_STORER = `{{RES}}@group(0) @binding({{Y}}) var<storage, read_write> Y: array<vec4<f32>>;
fn put4(base: u32, r: u32, c: u32, v: vec4<f32>) {
  let at = (base + r * U.OW + c) / 4u;
  if (r < U.OH) { Y[at] = act4(v{{ADD}}); }
}`;
function storer(vector: boolean, residual: boolean): string {
  const t = vector ? 'vec4<f32>' : 'f32';
  return (vector ? VECTOR_STORER : SCALAR_STORER)
    .replace('{{RES}}', residual ? `@group(0) @binding(3) var<storage, read> RES: array<${t}>;\n` : '')
    .replace('{{Y}}', residual ? '4' : '3')
    .replace('{{ADD}}', residual ? ' + RES[at]' : '');
}
const scatterSpec = (
  name: string,
  T: number[][],
  layout: Layout,
  split: Split,
  vector = false,
  act: Activation = 'none',
  residual = false,
) => {
  const last = T.length - 1,
    row = (a: number) => T.map((_, b) => `y${a}_${b}`).join(', ');
  const store = vector
    ? (a: number, b: number, e: string) =>
        `let y${a}_${b} = ${e};${b === last ? ` put4(base, oh0 + ${a}u, ow0, vec4<f32>(${row(a)}) + b);` : ''}`
    : (a: number, b: number, e: string) => `put(base, oh0 + ${a}u, ow0 + ${b}u, ph, pw, ${e} + b);`;
  return spec(
    `winograd_scatter:${name}:${layout}:s${split}${vector ? ':v' : ''}${residual ? ':res' : ''}${actKey(act)}`,
    SCATTER,
    T,
    (i, j) => `IN[o + ${i * T[0].length + j}u * sXi]`,
    store,
    residual ? 3 : 2,
    {
      ORDER: ORDER[layout],
      SPLIT: split,
      STORER: `${actWgsl(act)}\n${storer(vector, residual)}`,
    },
  );
};
// G g G^T, g the 3x3 filter (F43) or a 2x2 phase filter (F42); flip: the input gradient's filters.
// Vector (m % 4 = 0): four filters per invocation as vec4 components, one vec4 store per position.
const weightSpec = (v: Variant, flip: boolean, koff: number, vector: boolean) => {
  const r = v.G[0].length,
    tap = (i: number) => v.split * (flip ? r - 1 - i : i) + koff;
  const key = `winograd_weight:${v.name}:${flip ? 'flip' : 'fwd'}:k${koff}${vector ? ':v' : ''}`;
  const [kName, mName, M] = flip ? ['co', 'ci', 'Cin'] : ['ci', 'co', 'U.Cout'];
  if (!vector) {
    return spec(
      key,
      WEIGHT,
      v.G,
      (i, j) => `tap(f.base, ${tap(i)} + f.ph, ${tap(j)} + f.pw)`,
      (a, b, e) => `OUT[${a * v.G.length + b}u * sXi + ${kName} * U.ld + ${mName}] = ${e};`,
      1,
      {
        OUT: '@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;',
        SPLIT: v.split,
        INDEX: `  let ${mName} = i % ${M};\n  let ${kName} = i / ${M};\n  let f = filterAt(co, ci);`,
      },
    );
  }
  const lanes = [0, 1, 2, 3];
  const index = [
    `  let m0 = (i % (${M} / 4u)) * 4u;`,
    `  let ${kName} = i / (${M} / 4u);`,
    ...lanes.map((d) => `  let f${d} = filterAt(${flip ? `co, m0 + ${d}u` : `m0 + ${d}u, ci`});`),
  ];
  return spec(
    key,
    WEIGHT,
    v.G,
    (i, j) =>
      `vec4<f32>(${lanes.map((d) => `tap(f${d}.base, ${tap(i)} + f${d}.ph, ${tap(j)} + f${d}.pw)`).join(', ')})`,
    (a, b, e) => `OUT[(${a * v.G.length + b}u * sXi + ${kName} * U.ld + m0) / 4u] = ${e};`,
    1,
    {
      OUT: '@group(0) @binding(2) var<storage, read_write> OUT: array<vec4<f32>>;',
      SPLIT: v.split,
      INDEX: index.join('\n'),
    },
  );
};
// T dU T^T (T = G^T) for four filters per invocation: vec4 loads of dU, the results re-packed so that the
// four filters' r x r taps leave as r*r contiguous vec4 stores. Measured per wide ResNet-18 step against
// the scalar scatter: 38.5 -> 34.4 ms (the 512-channel F(4x4, 2x2) layer 8.0 -> 6.6 ms).
const filterGradSpec = (v: Variant) => {
  const T = transpose(v.G),
    P = T[0].length,
    r = T.length;
  const taps = Array.from({ length: r * r }, (_, j) => {
    const lanes = [0, 1, 2, 3].map((k) => {
      const n = 4 * j + k,
        t = n % (r * r);
      return `y${Math.floor(t / r)}_${t % r}.${'xyzw'[Math.floor(n / (r * r))]}`;
    });
    return `  dW[i * ${r * r}u + ${j}u] = vec4<f32>(${lanes.join(', ')});`;
  });
  const body = transformCode(
    T,
    (a, b) => `IN[i + ${a * P + b}u * sXi]`,
    (a, b, e) => `let y${a}_${b} = ${e};`,
  );
  return {
    key: `winograd_filter_grad:${v.name}`,
    inputs: 1,
    outputs: 1,
    source: () => FILTER_GRAD.wgsl({ BODY: `${body}\n${taps.join('\n')}` }),
  };
};
const foldSpec = (koff: number) => ({
  key: `winograd_fold:k${koff}`,
  inputs: 1,
  outputs: 1,
  source: () => FOLD.wgsl({ KOFF: koff }),
});

/** Tests lower this to exercise the image-range split on small shapes (0: the device's limit). */
export const winogradLimits = { maxBinding: 0 };

function bindingLimit(): number {
  return winogradLimits.maxBinding || engine().device.limits.maxStorageBufferBindingSize;
}

/** Images per range so that positions x channels x tiles floats fit one storage binding. */
function imagesPerPart(v: Variant, N: number, channels: number, tilesPerImage: number): number {
  const perImage = positions(v) * channels * tilesPerImage * 4;
  return Math.max(1, Math.min(N, Math.floor(bindingLimit() / perImage) - 1));
}

/** A gather's source: channels C after the split, the H x W plane of the tensor read, first patch offset. */
interface Plane {
  C: number;
  H: number;
  W: number;
  offset: [number, number];
}

/**
 * Transformed patches of images [n0, n0 + count) for tiles of side 4 over a tilesH x tilesW grid, laid out
 * [xi][c][t] (channel-major, ld = roundUp4(tiles)) or [xi][t][c] (tile-major, ld = roundUp4(C)).
 */
function gather(
  v: Variant,
  kind: GatherKind,
  split: Split,
  x: GPUBuffer,
  p: Plane,
  n0: number,
  count: number,
  tilesH: number,
  tilesW: number,
  layout: Layout,
): { buffer: GPUBuffer; ld: number } {
  const tiles = count * tilesH * tilesW;
  const ld = roundUp4(layout === 'channel-major' ? tiles : p.C);
  const rows = layout === 'channel-major' ? p.C : tiles;
  const buf = engine().createBuffer(positions(v) * rows * ld * 4);
  const [sC, sT] = layout === 'channel-major' ? [ld, 1] : [1, ld];
  const u = GATHER.pack({
    n: p.C * tiles,
    C: p.C,
    H: p.H,
    W: p.W,
    tilesH,
    tilesW,
    rowOffset: p.offset[0],
    colOffset: p.offset[1],
    n0,
    sXi: rows * ld,
    sC,
    sT,
    step: TILE,
  });
  const s = gatherSpec(v, kind, layout, split, p.W % 4 === 0 ? p.offset[1] : null);
  engine().dispatch(s, [x, buf], u, grid1d(p.C * tiles));
  return { buffer: buf, ld };
}

/** U[xi][k][m] of the filters: k = ci, m = co (forward) or k = co, m = ci, flipped (input gradient);
 *  ci runs over the Ct split channels. */
function transformWeights(
  P: Plan,
  w: GPUBuffer,
  Cout: number,
  flip: boolean,
): { buffer: GPUBuffer; ld: number; K: number; release: () => void } {
  const [K, M] = flip ? [Cout, P.Ct] : [P.Ct, Cout];
  const ld = roundUp4(M);
  // vec4 components pay for F(4x4, 2x2) (stage-4 downsampling layer: 7.6 -> 5.6 ms forward, 5.5 -> 4.5 ms
  // flipped) but not for the 36 positions of F(4x4, 3x3) (5.7 -> 6.6 and 4.7 -> 6.7 ms: register spills)
  const vector = M % 4 === 0 && positions(P.v) <= 25,
    n = vector ? (K * M) / 4 : K * M;
  const spec = weightSpec(P.v, flip, P.koff, vector);
  const uniforms = WEIGHT.pack({ n, Cout, Cin: P.Ct, sXi: K * ld, ld });
  // kept across passes while w is unchanged (inference, attacks): kernels/derived.ts
  const { buffer, release } = derived(`${spec.key}:${uniforms.join(',')}`, w, positions(P.v) * K * ld * 4, (into) =>
    engine().dispatch(spec, [w, into], uniforms, grid1d(n)),
  );
  return { buffer, ld, K, release };
}

/** The column width of the subgroup tile an M x N product gets, 0 where it takes another kernel. */
const sgTileWidth = (M: number, N: number, batch: number) => sgTile(M, N, batch)?.[1] ?? 0;

/**
 * Whether the products over the positions take tiles as rows ([t][co]) rather than channels ([co][t]).
 * The longer side goes on the rows: rows share their operand loads across a workgroup's lanes, so the
 * lanes' own (gathered) loads come from the short side, which stays in cache (measured 30 -> 45 GF/s on
 * the 64-channel 32x32 layers). Except where channel rows would leave the subgroup kernel too few columns
 * for its widest tile: on the 512-channel 4x4 stage at batch 32 (32 tiles) channel rows ran 32 x 4 tiles
 * and tile rows 32 x 8, 16.0 -> 14.1 ms per layer (Intel Xeon; the 256-channel 8x8 stage tied).
 */
export const tilesAsRows = (tiles: number, channels: number, positions: number): boolean =>
  tiles > channels || sgTileWidth(channels, tiles, positions) < sgTileWidth(tiles, channels, positions);

/** Where a conv through the positions writes: Mo channels over a tile grid of gridH x gridW outputs,
 *  stored into an NCHW tensor of H x W planes (split 2: as phase planes). */
interface Target {
  buffer: GPUBuffer;
  Mo: number;
  grid: [number, number];
  split: Split;
  H: number;
  W: number;
}

/**
 * out = conv(src) with transformed filters U (K x Mo per position), processed in image ranges that keep
 * the transformed operands under the storage-binding limit.
 */
function convThroughPositions(
  v: Variant,
  src: GPUBuffer,
  srcSplit: Split,
  p: Plane,
  U: { buffer: GPUBuffer; ld: number; K: number },
  bias: GPUBuffer | null,
  out: Target,
  N: number,
  act: Activation = 'none',
  residual: GPUBuffer | null = null,
): void {
  const e = engine();
  const POS = positions(v),
    Mo = out.Mo;
  const tilesH = Math.ceil(out.grid[0] / TILE),
    tilesW = Math.ceil(out.grid[1] / TILE);
  const perPart = imagesPerPart(v, N, Math.max(p.C, Mo), tilesH * tilesW);
  for (let n0 = 0; n0 < N; n0 += perPart) {
    const count = Math.min(perPart, N - n0);
    const tiles = count * tilesH * tilesW;
    const V = gather(v, 'input', srcSplit, src, p, n0, count, tilesH, tilesW, 'channel-major');
    const prod = e.createBuffer(POS * Mo * tiles * 4);
    const Uop = { buffer: U.buffer, ld: U.ld, batchStride: U.K * U.ld },
      Vop = { buffer: V.buffer, ld: V.ld, batchStride: p.C * V.ld };
    const tileRows = tilesAsRows(tiles, Mo, POS);
    if (tileRows)
      matmulTN(Vop, Uop, prod, POS, tiles, Mo, p.C); // prod[xi][t][co]
    else matmulTN(Uop, Vop, prod, POS, Mo, tiles, p.C); // prod[xi][co][t]
    e.releaseBuffer(V.buffer);
    const [sC, sT] = tileRows ? [1, Mo] : [tiles, 1];
    const u = SCATTER.pack({
      n: Mo * tiles,
      C: Mo,
      OH: out.H,
      OW: out.W,
      tilesH,
      tilesW,
      n0,
      sXi: Mo * tiles,
      sC,
      sT,
      step: TILE,
      hasBias: bias ? 1 : 0,
    });
    const vector = out.split === 1 && out.W % 4 === 0;
    e.dispatch(
      scatterSpec(
        `${v.name}:output`,
        v.AT,
        tileRows ? 'tile-major' : 'channel-major',
        out.split,
        vector,
        act,
        residual !== null,
      ),
      residual ? [prod, bias ?? prod, residual, out.buffer] : [prod, bias ?? prod, out.buffer],
      u,
      grid1d(Mo * tiles),
    );
    e.releaseBuffer(prod);
  }
}

export function winogradForward(
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
  g: ConvGeometry,
  act: Activation = 'none',
  residual: GPUBuffer | null = null,
): void {
  const P = plan(g);
  const U = transformWeights(P, w, g.Cout, false);
  convThroughPositions(
    P.v,
    x,
    P.v.split,
    { C: P.Ct, H: g.H, W: g.W, offset: P.fwdOffset },
    U,
    bias,
    { buffer: out, Mo: g.Cout, grid: [g.OH, g.OW], split: 1, H: g.OH, W: g.OW },
    g.N,
    act,
    residual,
  );
  U.release();
}

/** dX = conv(dY, flipped transposed filters): stride 1 with padding 2 - p; stride 2 into the phase planes. */
export function winogradInputGrad(dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, g: ConvGeometry): void {
  const P = plan(g);
  const U = transformWeights(P, w, g.Cout, true);
  convThroughPositions(
    P.v,
    dy,
    1,
    { C: g.Cout, H: g.OH, W: g.OW, offset: P.dxOffset },
    U,
    null,
    { buffer: dx, Mo: P.Ct, grid: P.dxGrid, split: P.v.split, H: g.H, W: g.W },
    g.N,
  );
  U.release();
}

/** dW[co][ci] = G^T (sum over tiles of (A dY A^T)[co] . (B^T d B)[ci]) G; image ranges accumulate.
 *  Stride 2: the phase filters' 2x2 gradients are then folded onto the 3x3 taps. */
export function winogradWeightGrad(dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, g: ConvGeometry): void {
  const e = engine();
  const P = plan(g),
    v = P.v,
    POS = positions(v);
  const tilesH = Math.ceil(g.OH / TILE),
    tilesW = Math.ceil(g.OW / TILE);
  const perPart = imagesPerPart(v, g.N, Math.max(P.Ct, g.Cout), tilesH * tilesW);
  const dU = e.createBuffer(POS * g.Cout * P.Ct * 4);
  for (let n0 = 0; n0 < g.N; n0 += perPart) {
    const count = Math.min(perPart, g.N - n0);
    const tiles = count * tilesH * tilesW;
    const V = gather(
      v,
      'input',
      v.split,
      x,
      { C: P.Ct, H: g.H, W: g.W, offset: P.fwdOffset },
      n0,
      count,
      tilesH,
      tilesW,
      'tile-major',
    );
    // A dY A^T per (co, tile): 4x4 output patches (zero past OH x OW) into the transform's positions
    const dM = gather(
      v,
      'output_grad',
      1,
      dy,
      { C: g.Cout, H: g.OH, W: g.OW, offset: [0, 0] },
      n0,
      count,
      tilesH,
      tilesW,
      'tile-major',
    );
    matmulTN(
      { buffer: dM.buffer, ld: dM.ld, batchStride: tiles * dM.ld },
      { buffer: V.buffer, ld: V.ld, batchStride: tiles * V.ld },
      dU,
      POS,
      g.Cout,
      P.Ct,
      tiles,
      n0 > 0,
    );
    e.releaseBuffer(dM.buffer);
    e.releaseBuffer(V.buffer);
  }
  // G^T dU G per filter: a "tile" of r x r outputs per (co, ci) pair
  const C = g.Cout * P.Ct,
    r = v.G[0].length;
  const folded = v.split === 1 ? dw : e.createBuffer(C * r * r * 4);
  if (C % 4 === 0) {
    e.dispatch(filterGradSpec(v), [dU, folded], FILTER_GRAD.pack({ n: C / 4 }), grid1d(C / 4));
  } else {
    const u = SCATTER.pack({
      n: C,
      C,
      OH: r,
      OW: r,
      tilesH: 1,
      tilesW: 1,
      n0: 0,
      sXi: C,
      sC: 1,
      sT: 0,
      step: r,
      hasBias: 0,
    });
    e.dispatch(
      scatterSpec(`${v.name}:weight_grad`, transpose(v.G), 'channel-major', 1),
      [dU, dU, folded],
      u,
      grid1d(C),
    );
  }
  e.releaseBuffer(dU);
  if (folded !== dw) {
    const n = g.Cout * g.Cin * 9;
    e.dispatch(foldSpec(P.koff), [folded, dw], FOLD.pack({ n }), grid1d(n));
    e.releaseBuffer(folded);
  }
}
