// Winograd F(4x4, 3x3) convolution for 3x3, stride-1, undilated, ungrouped convs (most of a ResNet's or a
// VGG's FLOPs). A 6x6 input patch and a 3x3 filter meet in 36 elementwise products per 4x4 output tile
// instead of 144 multiplies: 4x fewer. Summed over input channels those products are 36 independent
// matmuls, which run on the register-blocked matmul_tn kernel; the transforms are straight-line code
// generated below from the matrices (Lavin & Gray 2015, interpolation points 0, +-1, +-2, inf).
//   forward        Y  = A^T [ sum_ci (G g G^T) . (B^T d B) ] A
//   input grad     the same with dY as input and the flipped, transposed filters (stride 1: dX is a conv)
//   weight grad    dg = G^T [ sum_tiles (A dY A^T) . (B^T d B) ] G
// Why: on lavapipe the best matmul reaches ~45-55 GFLOPS, below what the whole-model targets need with
// direct/implicit-GEMM convolution (see bench/model.ts); fewer multiplies is the remaining lever.
import { engine } from '../tensor/device.js';
import { matmulTN, roundUp4 } from './matmul.js';
import { wgsl } from './template.js';
import { Uniforms, grid1d } from './uniforms.js';
import type { ConvGeometry } from './conv.js';

const BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]];
const G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]];
const AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]];
const transpose = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));
const TILE = 4; // outputs per tile side
const POS = 36; // 6 x 6 positions

/** Winograd applies to 3x3 stride-1 undilated ungrouped convs with a padding the flipped conv can use. */
export function winogradApplies(g: ConvGeometry): boolean {
  return g.KH === 3 && g.KW === 3 && g.sH === 1 && g.sW === 1 && g.dH === 1 && g.dW === 1 && g.groups === 1 && g.pH <= 2 && g.pW <= 2;
}

/** Worth it (auto mode): enough channels for the 36 matmuls to beat the implicit GEMM, tiles mostly full.
 *  Measured forward+backward at batch 32 on lavapipe: x1.14 at 8 channels (32x32), x1.4 at 16, x1.85 at 32;
 *  x1.0 at 16 channels on 8x8 maps, x1.55 at 64 channels on 4x4. */
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
function transformCode(T: number[][], load: (i: number, j: number) => string, store: (a: number, b: number, e: string) => string): string {
  const q = T.length, p = T[0].length;
  const lines: string[] = [];
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) lines.push(`  let d${i}_${j} = ${load(i, j)};`);
  for (let a = 0; a < q; a++) for (let j = 0; j < p; j++) lines.push(`  let r${a}_${j} = ${linear(T[a], (k) => `d${k}_${j}`)};`);
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) lines.push(`  ${store(a, b, linear(T[b], (k) => `r${a}_${k}`))}`);
  return lines.join('\n');
}

type Layout = 'channel-major' | 'tile-major';
const spec = (key: string, template: string, T: number[][], load: (i: number, j: number) => string, store: (a: number, b: number, e: string) => string, inputs: number, vars: Record<string, string> = {}) => ({
  key, inputs, outputs: 1, source: () => wgsl(template, { BODY: transformCode(T, load, store), ...vars }),
});
// which of (channel, tile) an invocation index walks fastest: the one contiguous in the layout
const ORDER = { 'channel-major': '  let t = i % tiles;\n  let c = i / tiles;', 'tile-major': '  let c = i % C;\n  let t = i / C;' };
const gatherSpec = (name: string, T: number[][], layout: Layout) => spec(`winograd_gather:${name}:${layout}`, 'winograd_gather', T,
  (i, j) => `at(base, r0 + ${i}, c0 + ${j})`, (a, b, e) => `OUT[o + ${a * T.length + b}u * sXi] = ${e};`, 1,
  { ORDER: ORDER[layout] });
const scatterSpec = (name: string, T: number[][], layout: Layout) => spec(`winograd_scatter:${name}:${layout}`, 'winograd_scatter', T,
  (i, j) => `IN[o + ${i * T[0].length + j}u * sXi]`,
  (a, b, e) => `if (oh0 + ${a}u < OH && ow0 + ${b}u < OW) { Y[base + (oh0 + ${a}u) * OW + ow0 + ${b}u] = ${e} + b; }`, 2, { ORDER: ORDER[layout] });
const weightSpec = (flip: boolean) => spec(`winograd_weight:${flip ? 'flip' : 'fwd'}`, 'winograd_weight', G,
  (i, j) => `Wt[base + ${flip ? (2 - i) * 3 + (2 - j) : i * 3 + j}u]`,
  (a, b, e) => `OUT[${a * 6 + b}u * sXi + ${flip ? 'co * u(4u) + ci' : 'ci * u(4u) + co'}] = ${e};`, 1,
  { INDEX: flip ? '  let ci = i % Cin;\n  let co = i / Cin;' : '  let co = i % u(1u);\n  let ci = i / u(1u);' });

// gathers: B^T d B of 6x6 input patches (channel-major for the forward and input-gradient matmuls,
// tile-major for the weight gradient) and A dY A^T of 4x4 output-gradient patches (weight gradient);
// a pipeline is only compiled when first dispatched
const byLayout = <S>(make: (layout: Layout) => S): Record<Layout, S> => ({ 'channel-major': make('channel-major'), 'tile-major': make('tile-major') });
const GATHERS = { input: byLayout((l) => gatherSpec('input', BT, l)), output_grad: byLayout((l) => gatherSpec('output_grad', transpose(AT), l)) };
const OUTPUT = byLayout((l) => scatterSpec('output', AT, l));
const WEIGHT_GRAD = scatterSpec('weight_grad', transpose(G), 'channel-major');

/** Tests lower this to exercise the image-range split on small shapes (0: the device's limit). */
export const winogradLimits = { maxBinding: 0 };

function bindingLimit(): number {
  return winogradLimits.maxBinding || engine().device.limits.maxStorageBufferBindingSize;
}

/** Images per range so that 36 x channels x tiles floats fit one storage binding. */
function imagesPerPart(N: number, channels: number, tilesPerImage: number): number {
  const perImage = POS * channels * tilesPerImage * 4;
  return Math.max(1, Math.min(N, Math.floor(bindingLimit() / perImage) - 1));
}

interface Plane { C: number; H: number; W: number; padTop: number; padLeft: number }

/**
 * Transformed patches of images [n0, n0 + count) for tiles of side 4 over an OH x OW output, laid out
 * [xi][c][t] (channel-major, ld = roundUp4(tiles)) or [xi][t][c] (tile-major, ld = roundUp4(C)).
 */
function gather(kind: 'input' | 'output_grad', x: GPUBuffer, p: Plane, n0: number, count: number, tilesH: number, tilesW: number, layout: Layout): { buffer: GPUBuffer; ld: number } {
  const tiles = count * tilesH * tilesW;
  const ld = roundUp4(layout === 'channel-major' ? tiles : p.C);
  const rows = layout === 'channel-major' ? p.C : tiles;
  const buf = engine().createBuffer(POS * rows * ld * 4);
  const [sC, sT] = layout === 'channel-major' ? [ld, 1] : [1, ld];
  const u = new Uniforms().u32(p.C * tiles, p.C, p.H, p.W, tilesH, tilesW).i32(-p.padTop, -p.padLeft).u32(n0, rows * ld, sC, sT, TILE);
  engine().dispatch(GATHERS[kind][layout], [x, buf], u.bytes(), grid1d(p.C * tiles));
  return { buffer: buf, ld };
}

/** U[xi][k][m] of the filters: k = ci, m = co (forward) or k = co, m = ci, flipped (input gradient). */
function transformWeights(w: GPUBuffer, Cout: number, Cin: number, flip: boolean): { buffer: GPUBuffer; ld: number; K: number } {
  const [K, M] = flip ? [Cout, Cin] : [Cin, Cout];
  const ld = roundUp4(M);
  const buf = engine().createBuffer(POS * K * ld * 4);
  engine().dispatch(weightSpec(flip), [w, buf], new Uniforms().u32(Cout * Cin, Cout, Cin, K * ld, ld).bytes(), grid1d(Cout * Cin));
  return { buffer: buf, ld, K };
}

/**
 * out[N, Mo, OH, OW] = conv3x3(src[N, K, H, W]) with transformed filters U (K x Mo per position), processed in
 * image ranges that keep the transformed operands under the storage-binding limit.
 */
function convThroughPositions(src: GPUBuffer, U: { buffer: GPUBuffer; ld: number; K: number }, bias: GPUBuffer | null, out: GPUBuffer, N: number, p: Plane, Mo: number, OH: number, OW: number): void {
  const e = engine();
  const tilesH = Math.ceil(OH / TILE), tilesW = Math.ceil(OW / TILE);
  const perPart = imagesPerPart(N, Math.max(p.C, Mo), tilesH * tilesW);
  for (let n0 = 0; n0 < N; n0 += perPart) {
    const count = Math.min(perPart, N - n0);
    const tiles = count * tilesH * tilesW;
    const V = gather('input', src, p, n0, count, tilesH, tilesW, 'channel-major');
    const prod = e.createBuffer(POS * Mo * tiles * 4);
    const Uop = { buffer: U.buffer, ld: U.ld, batchStride: U.K * U.ld }, Vop = { buffer: V.buffer, ld: V.ld, batchStride: p.C * V.ld };
    // the longer side as matmul rows: rows share their operand loads across a workgroup's lanes, so the
    // lanes' own (gathered) loads come from the short side, which stays in cache (measured 30 -> 45 GF/s
    // on the 64-channel 32x32 layers)
    const tileRows = tiles > Mo;
    if (tileRows) matmulTN(Vop, Uop, prod, POS, tiles, Mo, p.C); // prod[xi][t][co]
    else matmulTN(Uop, Vop, prod, POS, Mo, tiles, p.C); // prod[xi][co][t]
    e.releaseBuffer(V.buffer);
    const [sC, sT] = tileRows ? [1, Mo] : [tiles, 1];
    const u = new Uniforms().u32(Mo * tiles, Mo, OH, OW, tilesH, tilesW, 0, 0, n0, Mo * tiles, sC, sT, TILE, bias ? 1 : 0);
    e.dispatch(OUTPUT[tileRows ? 'tile-major' : 'channel-major'], [prod, bias ?? prod, out], u.bytes(), grid1d(Mo * tiles));
    e.releaseBuffer(prod);
  }
}

export function winogradForward(x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, out: GPUBuffer, g: ConvGeometry): void {
  const U = transformWeights(w, g.Cout, g.Cin, false);
  convThroughPositions(x, U, bias, out, g.N, { C: g.Cin, H: g.H, W: g.W, padTop: g.pH, padLeft: g.pW }, g.Cout, g.OH, g.OW);
  engine().releaseBuffer(U.buffer);
}

/** dX = conv(dY, flipped transposed W) with padding 2 - p: a stride-1 3x3 conv again. */
export function winogradInputGrad(dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, g: ConvGeometry): void {
  const U = transformWeights(w, g.Cout, g.Cin, true);
  convThroughPositions(dy, U, null, dx, g.N, { C: g.Cout, H: g.OH, W: g.OW, padTop: 2 - g.pH, padLeft: 2 - g.pW }, g.Cin, g.H, g.W);
  engine().releaseBuffer(U.buffer);
}

/** dW[co][ci] = G^T (sum over tiles of (A dY A^T)[co] . (B^T d B)[ci]) G; image ranges accumulate. */
export function winogradWeightGrad(dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, g: ConvGeometry): void {
  const e = engine();
  const tilesH = Math.ceil(g.OH / TILE), tilesW = Math.ceil(g.OW / TILE);
  const perPart = imagesPerPart(g.N, Math.max(g.Cin, g.Cout), tilesH * tilesW);
  const dU = e.createBuffer(POS * g.Cout * g.Cin * 4);
  for (let n0 = 0; n0 < g.N; n0 += perPart) {
    const count = Math.min(perPart, g.N - n0);
    const tiles = count * tilesH * tilesW;
    const V = gather('input', x, { C: g.Cin, H: g.H, W: g.W, padTop: g.pH, padLeft: g.pW }, n0, count, tilesH, tilesW, 'tile-major');
    // A dY A^T per (co, tile): 4x4 output patches (zero past OH x OW) into 6x6 positions
    const dM = gather('output_grad', dy, { C: g.Cout, H: g.OH, W: g.OW, padTop: 0, padLeft: 0 }, n0, count, tilesH, tilesW, 'tile-major');
    matmulTN({ buffer: dM.buffer, ld: dM.ld, batchStride: tiles * dM.ld }, { buffer: V.buffer, ld: V.ld, batchStride: tiles * V.ld }, dU, POS, g.Cout, g.Cin, tiles, n0 > 0);
    e.releaseBuffer(dM.buffer);
    e.releaseBuffer(V.buffer);
  }
  // G^T dU G per filter: a "tile" of 3x3 outputs per (co, ci) pair
  const C = g.Cout * g.Cin;
  const u = new Uniforms().u32(C, C, 3, 3, 1, 1, 0, 0, 0, C, 1, 0, 3, 0);
  e.dispatch(WEIGHT_GRAD, [dU, dU, dw], u.bytes(), grid1d(C));
  e.releaseBuffer(dU);
}
