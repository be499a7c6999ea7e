// The implicit-GEMM launch of conv2d (shaders/conv_gemm.wgsl): out[N, groups*M, OH, OW] from the prepared
// input XS and weights P, for the forward pass and the input gradient of src/kernels/conv.ts. On CPU
// adapters with subgroups of 8 lanes the lanes of a workgroup share their output channels and load the
// weights once per SIMD group (see matmul_sg.wgsl for why that pays on lavapipe).
import { engine } from '../device/engine.js';
import { roundUp4 } from './matmul.js';
import { defineKernel } from './define-kernel.js';
import { fitWorkgroup, kernelVariant, subgroupKernels } from './launch.js';
import { kLoop, range, tileDecl, type StepLoads } from './register-tile.js';
import { broadcastRows, SG_LANES } from './matmul-sg.js';
import { pickSgLaunch } from './conv-gemm-tiles.js';
import { actKey, actWgsl, type Activation } from './activation.js';

const CONV_GEMM = defineKernel('conv_gemm', {
  M: 'u32', // output channels per group
  Cg: 'u32', // contraction channels per group
  KH: 'u32',
  KW: 'u32',
  rowStep: 'u32', // XS rows per output row (the vertical stride)
  OH: 'u32',
  OW: 'u32',
  pitch4: 'u32', // output column groups (vec4) per row
  groups: 'u32',
  ldM4: 'u32', // row stride of P in vec4s
  groupStrideP4: 'u32', // P group stride in vec4s
  sampleStrideXS: 'u32',
  channelStrideXS: 'u32',
  Cout: 'u32',
  hasBias: 'u32',
  xsPitch: 'u32', // XS row pitch in floats
  images: 'u32', // images whose columns one product spans (batch-folded launches), else 1
});

/** GEMM tiles (TM out channels x TN output columns per invocation), largest first. */
const envTiles = typeof process !== 'undefined' ? process.env?.CONV_TILES : undefined; // tuning hook (Node only)
const TILES: [number, number, number, number][] = envTiles
  ? JSON.parse(envTiles)
  : [
      [16, 16, 8, 1],
      [8, 8, 8, 2],
      [4, 4, 8, 8],
    ];
const MIN_INVOCATIONS = 256;
const GPU_TILES: [number, number, number, number][] = [[4, 4, 16, 16]];

// Scalar stores with column guards (OW not a multiple of 4) ...
const STORE_SCALAR = `fn store(n: u32, g: u32, co: u32, pg: u32, v: vec4<f32>) {
  let M = U.M; let OH = U.OH; let OW = U.OW; let pitch4 = U.pitch4;
  if (co >= M || pg >= OH * pitch4) { return; }
  let oh = pg / pitch4;
  let ow0 = (pg % pitch4) * 4u;
  let ch = g * M + co;
  var b = 0.0;
  if (U.hasBias != 0u) { b = bias[ch]; }
  let base = ((n * U.Cout + ch) * OH + oh) * OW;
  for (var j = 0u; j < 4u; j++) {
    if (ow0 + j < OW) { out[base + ow0 + j] = act(v[j] + b{{RES_S}}); }
  }
}`;
// ... or one vec4 store when OW is a multiple of 4 (a column group never straddles a row): 3x faster on
// short-K layers (1x1 convs), where stores are a large share of the work.
const STORE_VEC4 = `fn store(n: u32, g: u32, co: u32, pg: u32, v: vec4<f32>) {
  let M = U.M; let OH = U.OH; let pitch4 = U.pitch4;
  if (co >= M || pg >= OH * pitch4) { return; }
  let ch = g * M + co;
  var b = 0.0;
  if (U.hasBias != 0u) { b = bias[ch]; }
  let at = (n * U.Cout + ch) * OH * pitch4 + pg;
  out[at] = act4(v + vec4<f32>(b){{RES_V}});
}`;

// k steps per accumulator assignment (register-tile.ts): 2 and 4 tied on ResNet_50's convs, both ~12% over 1
const SG_CHAIN = 2;

/** The store function, with the residual's value at the output's index added where there is one. */
function storeFn(vec4Out: boolean, residual: boolean): string {
  const res = (e: string) => (residual ? ` + RES[${e}]` : '');
  return vec4Out
    ? STORE_VEC4.replace('{{RES_V}}', res('at'))
    : STORE_SCALAR.replace('{{RES_S}}', res('base + ow0 + j'));
}

/** The launch's kernel: `fold` spans the columns of all images (small maps, see gemmLaunch). */
function gemmSpec(
  TM: number,
  TN: number,
  WGX: number,
  WGY: number,
  vec4Out: boolean,
  sg: boolean,
  act: Activation,
  fold: boolean,
  residual: boolean,
  pointwise = false,
  vecXS = false,
) {
  const TM4 = TM / 4,
    TN4 = TN / 4;
  const OUT_T = vec4Out ? 'vec4<f32>' : 'f32';
  return {
    key:
      `conv_gemm${sg ? '_sg' : ''}:${TM}x${TN}:${WGX}x${WGY}:${vec4Out ? 'v4' : 's'}` +
      `${fold ? ':fold' : ''}${residual ? ':res' : ''}${pointwise ? ':pw' : ''}${vecXS ? ':x4' : ''}${actKey(act)}`,
    inputs: residual ? 5 : 4,
    outputs: 1,
    source: () => {
      const groups: string[] = [],
        stores: string[] = [];
      for (let c = 0; c < TN4; c++) {
        if (fold) {
          // column group -> (image, group in the image); past the end: clamped reads, a store position
          // (total) that the store skips
          groups.push(`  let cg${c} = min(pg0 + ${c}u, span - 1u);`);
          groups.push(`  let n${c} = cg${c} / total; let pgc${c} = cg${c} % total;`);
          groups.push(`  let sp${c} = select(total, pgc${c}, pg0 + ${c}u < span);`);
        } else groups.push(`  let pgc${c} = min(pg0 + ${c}u, total - 1u);`);
        groups.push(
          `  let qb${c} = ${fold ? `n${c} * U.sampleStrideXS + ` : ''}(pgc${c} / pitch4) * rowStep * xsPitch + ` +
            `(pgc${c} % pitch4) * 4u;`,
        );
      }
      const I = '    ';
      const weights: StepLoads = (k, s) =>
        sg
          ? broadcastRows(TM4, s, I, (j) => `P[pk${s} + min(row4 + ${j * SG_LANES}u + lane, ldM4 - 1u)]`)
          : range(TM4).map((q) => `${I}let p${q}${s} = P[pk${s} + min(row4 + ${q}u, ldM4 - 1u)];`);
      const loads: StepLoads = (k, s) => [
        // a 1x1 tap's offset is k planes: computed, not read (lavapipe loads koff[k] once per lane)
        pointwise ? `${I}let base${s} = xsBase + ${k} * U.channelStrideXS;` : `${I}let base${s} = xsBase + koff[${k}];`,
        `${I}let pk${s} = pBase + ${k} * ldM4;`,
        ...range(TN4).map((c) =>
          vecXS
            ? `${I}let q${c}${s} = XS[(base${s} + qb${c}) >> 2u];`
            : `${I}let o${c}${s} = base${s} + qb${c};\n${I}let q${c}${s} = vec4<f32>(XS[o${c}${s}], ` +
              `XS[o${c}${s} + 1u], XS[o${c}${s} + 2u], XS[o${c}${s} + 3u]);`,
        ),
        ...weights(k, s),
      ];
      for (let r = 0; r < TM; r++)
        for (let c = 0; c < TN4; c++)
          stores.push(
            fold
              ? `  store(n${c}, g, row4 * 4u + ${r}u, sp${c}, acc_${r}_${c});`
              : `  store(n, g, row4 * 4u + ${r}u, pg0 + ${c}u, acc_${r}_${c});`,
          );
      return CONV_GEMM.wgsl({
        ENABLE: sg ? 'enable subgroups;' : '',
        SUBGROUP_ARGS: sg ? ', @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32' : '',
        ROW_BLOCK: sg ? 'wid.y' : 'gid.y',
        EXIT: sg
          ? '  // no early return: every lane must reach the broadcasts'
          : '  if (pg0 >= total || row4 >= ldM4) { return; }',
        OUT_T,
        XS_T: vecXS ? 'vec4<f32>' : 'f32',
        STORE_FN: `${actWgsl(act)}\n${storeFn(vec4Out, residual)}`,
        RESIDUAL: residual ? `@group(0) @binding(5) var<storage, read> RES: array<${OUT_T}>;` : '',
        OUT_BINDING: residual ? 6 : 5,
        WGX,
        WGY,
        TM4,
        TN4,
        GROUPS: groups.join('\n'),
        DECL: tileDecl(TM, TN4),
        K_LOOP: kLoop('Kg', TM, TN4, loads, sg ? SG_CHAIN : 1),
        STORES: stores.join('\n'),
      });
    },
  };
}

export interface PreparedInput {
  buffer: GPUBuffer;
  owned: boolean;
  Hp: number;
  pitch: number;
  planes: number;
  C: number;
}

const offsetTables = new Map<string, GPUBuffer>();

/** XS offsets of k = (ci, kh, kw), uploaded once per geometry and kept for the process lifetime. */
function offsetTable(Cg: number, KH: number, KW: number, chan: number, row: number, col: number): GPUBuffer {
  const key = [Cg, KH, KW, chan, row, col].join(',');
  let buf = offsetTables.get(key);
  if (!buf) {
    const t = new Uint32Array(Math.max(Cg * KH * KW, 4));
    let k = 0;
    for (let ci = 0; ci < Cg; ci++)
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) t[k++] = ci * chan + kh * row + kw * col;
    buf = engine().device.createBuffer({
      size: t.byteLength,
      usage: 0x80 | 0x08 /* STORAGE | COPY_DST */,
      label: `conv koff ${key}`,
    });
    engine().write(buf, t);
    offsetTables.set(key, buf);
  }
  return buf;
}

/** One implicit-GEMM conv launch: out[N, groups*Mo, OH, OW] = act(bias + P^T XS [+ residual]). */
export function gemmLaunch(
  xs: PreparedInput,
  p: { buffer: GPUBuffer; ld: number; Kg: number },
  bias: GPUBuffer | null,
  out: GPUBuffer,
  o: {
    N: number;
    groups: number;
    Mo: number;
    Cg: number;
    KH: number;
    KW: number;
    rowStep: number;
    dH: number;
    dW: number;
    OH: number;
    OW: number;
  },
  act: Activation = 'none',
  residual: GPUBuffer | null = null,
): void {
  const e = engine();
  const pitch4 = roundUp4(o.OW) / 4,
    ldM4 = p.ld / 4;
  const cols = o.OH * pitch4; // vec4 column groups
  // real GPUs: small per-invocation blocks in 256-invocation workgroups (lavapipe's 16 x 16 blocks would spill)
  const tiles = kernelVariant() === 'gpu' ? GPU_TILES : TILES;
  let choice = tiles[tiles.length - 1];
  for (const t of tiles) {
    if (Math.ceil(o.Mo / t[0]) * Math.ceil(cols / (t[1] / 4)) * o.N * o.groups >= MIN_INVOCATIONS) {
      choice = t;
      break;
    }
  }
  // maps too small for the lanes of one image (ResNet_50's 4x4 stage, 16 columns: 2 of 8 lanes busy) span
  // the columns of all images instead (fold): ResNet_50 inference b32, the 6 such layers 291 -> 149 ms
  const launch = subgroupKernels() ? pickSgLaunch(o.Mo, cols, o.N, o.groups, MIN_INVOCATIONS) : null;
  const sg = launch?.tile ?? null;
  const fold = launch?.fold ?? false;
  const [TM, TN] = sg ?? choice;
  const [WGX, WGY] = sg ? [SG_LANES, 1] : fitWorkgroup(Math.ceil(cols / (TN / 4)), choice[2], choice[3]);
  const chan = xs.Hp * xs.pitch;
  const plane = xs.C * chan;
  const u = CONV_GEMM.pack({
    M: o.Mo,
    Cg: o.Cg,
    KH: o.KH,
    KW: o.KW,
    rowStep: o.rowStep,
    OH: o.OH,
    OW: o.OW,
    pitch4,
    groups: o.groups,
    ldM4,
    groupStrideP4: (p.Kg * p.ld) / 4,
    sampleStrideXS: plane * xs.planes,
    channelStrideXS: chan,
    Cout: o.groups * o.Mo,
    hasBias: bias ? 1 : 0,
    xsPitch: xs.pitch,
    images: fold ? o.N : 1,
  });
  const gx = Math.ceil(Math.ceil((fold ? o.N * cols : cols) / (TN / 4)) / WGX);
  const gy = Math.ceil(Math.ceil(ldM4 / (TM / 4)) / WGY);
  const gz = fold ? 1 : o.N * o.groups;
  if (gz > 65535) throw new Error(`conv2d: batch x groups = ${gz} exceeds 65535`);
  // a tap (kh, kw) moves dH rows and either dW columns (one plane) or one plane (strided convs)
  const koff = offsetTable(o.Cg, o.KH, o.KW, chan, o.dH * xs.pitch, xs.planes === 1 ? o.dW : plane);
  const pointwiseTaps = o.KH === 1 && o.KW === 1;
  // 1x1 taps whose column groups all start on a vec4 (row pitch, plane and sample strides multiples of 4)
  // read XS as vec4s: lavapipe loads per lane and per load, so one vec4 costs ~0.65x four scalars
  const vecXS = pointwiseTaps && (o.rowStep * xs.pitch) % 4 === 0 && chan % 4 === 0 && (plane * xs.planes) % 4 === 0;
  e.dispatch(
    gemmSpec(TM, TN, WGX, WGY, o.OW % 4 === 0, sg !== null, act, fold, residual !== null, pointwiseTaps, vecXS),
    [p.buffer, xs.buffer, bias ?? p.buffer, koff, ...(residual ? [residual] : []), out],
    u,
    [gx, gy, gz],
  );
}
