// Batched matmul on the register-blocked, barrier-free kernel (shaders/matmul_tn.wgsl) on CPU adapters, or on
// workgroup-memory tiles (shaders/matmul_tiled.wgsl) on real GPUs (kernelVariant, ./launch.ts). Both compute
// C = P^T Q from operands laid out [K, ld] with ld a multiple of 4. Plain A·B therefore costs one
// transpose of A (memory-bound, cheap next to the K·M·N product); A^T·B needs no preparation at all,
// which is exactly the weight-gradient case of backward.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { fitWorkgroup, grid1d, kernelVariant } from './launch.js';
import { matmulSg, sgTile, type OperandLayout } from './matmul-sg.js';
import { STORE_SCALAR, STORE_VEC4 } from './matmul-stores.js';
import { kLoop, range, tileDecl, type StepLoads } from './register-tile.js';

const MATMUL_TN_FIELDS = {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  ldp4: 'u32', // row stride of P in vec4s
  ldq4: 'u32',
  batchP4: 'u32', // batch stride of P in vec4s (0 broadcasts)
  batchQ4: 'u32',
  batchC: 'u32', // in floats
  accumulate: 'u32', // 1: C += P^T Q
  startP: 'u32', // where P starts in its buffer, in vec4s
  startQ: 'u32',
} as const;
const MATMUL_TN = defineKernel('matmul_tn', MATMUL_TN_FIELDS);
// the same contract on workgroup-memory tiles (64 x 64 per workgroup), for real GPUs
const MATMUL_TILED = defineKernel('matmul_tiled', MATMUL_TN_FIELDS);
const TRANSPOSE_PAD = defineKernel('transpose_pad', { n: 'u32' }); // the geometry is compiled in

export const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

/** Tile sizes per invocation, largest first. 16x16 reaches ~53 GFLOPS on lavapipe at 1024^3 (bench/). */
const TILES: [number, number, number, number][] = [
  // [TM, TN, WGX, WGY]
  [16, 16, 8, 1],
  [8, 8, 8, 2],
  [4, 4, 8, 8],
];
const MIN_INVOCATIONS = 128; // below this a bigger tile leaves cores idle

function matmulSpec(TM: number, TN: number, WGX: number, WGY: number, vec4Out: boolean) {
  const TM4 = TM / 4,
    TN4 = TN / 4;
  return {
    key: `mm_tn:${TM}x${TN}:${WGX}x${WGY}:${vec4Out ? 'v4' : 's'}`,
    inputs: 2,
    outputs: 1,
    source: () => {
      const stores: string[] = [];
      const loads: StepLoads = (k, s) => [
        ...range(TN4).map((c) => `    let q${c}${s} = Q[qb + ${k} * ldq4 + min(col4 + ${c}u, ldq4 - 1u)];`),
        ...range(TM4).map((q) => `    let p${q}${s} = P[pb + ${k} * ldp4 + min(row4 + ${q}u, ldp4 - 1u)];`),
      ];
      for (let r = 0; r < TM; r++)
        for (let c = 0; c < TN4; c++)
          stores.push(`  store(cb, row4 * 4u + ${r}u, (col4 + ${c}u) * 4u, acc_${r}_${c});`);
      return MATMUL_TN.wgsl({
        C_T: vec4Out ? 'vec4<f32>' : 'f32',
        STORE_FN: vec4Out ? STORE_VEC4 : STORE_SCALAR,
        WGX,
        WGY,
        TM4,
        TN4,
        DECL: tileDecl(TM, TN4),
        K_LOOP: kLoop('K', TM, TN4, loads),
        STORES: stores.join('\n'),
      });
    },
  };
}

export interface MatmulOperand {
  buffer: GPUBuffer;
  /** row stride in floats (a multiple of 4 in the 'k-rows' layout; the contraction length in 'k-contiguous') */
  ld: number;
  /** batch stride in floats (0 to broadcast) */
  batchStride: number;
  /** where the operand starts in the buffer, in floats (multiple of 4; default 0; 0 for 'k-contiguous') */
  offset?: number;
  /**
   * 'k-rows' (default): [K, ld], one row per contraction index. 'k-contiguous': [M or N, K] row-major (a plain
   * A of A·B): read in place by the subgroup kernel, transposed into a k-rows copy for the others.
   */
  layout?: OperandLayout;
}

/** A k-contiguous operand as a k-rows copy (the kernels other than the subgroup one read only k-rows). */
function kRows(o: MatmulOperand, batch: number, rows: number, K: number, temps: GPUBuffer[]): MatmulOperand {
  if (o.layout !== 'k-contiguous') return o;
  const n = o.batchStride === 0 ? 1 : batch;
  const buf = engine().createBuffer(n * K * roundUp4(rows) * 4);
  temps.push(buf);
  const ld = prepareOperand('transpose', o.buffer, buf, n, rows, K);
  return { buffer: buf, ld, batchStride: o.batchStride === 0 ? 0 : K * ld };
}

function checkOperand(name: string, o: MatmulOperand, rows: number, K: number): void {
  if (o.layout === 'k-contiguous') {
    if (o.ld !== K || (o.offset ?? 0) !== 0 || (o.batchStride !== 0 && o.batchStride !== rows * K))
      throw new Error(
        `matmulTN: k-contiguous operand ${name} must be a whole [batch, ${rows}, ${K}] tensor (got ld ${o.ld}, ` +
          `offset ${o.offset ?? 0}, batch stride ${o.batchStride})`,
      );
    return;
  }
  if (o.ld % 4) throw new Error('matmulTN: leading dimensions must be multiples of 4');
  if ((o.offset ?? 0) % 4) throw new Error('matmulTN: operand offsets must be multiples of 4');
}

/** C[b] (M x N, contiguous, batch stride M·N) = P[b]^T Q[b], P: [K, ldp], Q: [K, ldq]. */
export function matmulTN(
  P: MatmulOperand,
  Q: MatmulOperand,
  C: GPUBuffer,
  batch: number,
  M: number,
  N: number,
  K: number,
  accumulate = false,
): void {
  checkOperand('P', P, M, K);
  checkOperand('Q', Q, N, K);
  if (batch > 65535) throw new Error(`matmul: batch ${batch} exceeds 65535`);
  const sg = sgTile(M, N, batch);
  if (sg) {
    const sgOperand = (o: MatmulOperand) => ({ ...o, layout: o.layout ?? 'k-rows', offset: o.offset ?? 0 });
    matmulSg(sg, sgOperand(P), sgOperand(Q), C, batch, M, N, K, accumulate);
    return;
  }
  const temps: GPUBuffer[] = [];
  try {
    plainMatmul(kRows(P, batch, M, K, temps), kRows(Q, batch, N, K, temps), C, batch, M, N, K, accumulate);
  } finally {
    for (const b of temps) engine().releaseBuffer(b);
  }
}

/** matmulTN on k-rows operands: the workgroup-memory tiles (GPUs) or the register-blocked kernel. */
function plainMatmul(
  P: MatmulOperand,
  Q: MatmulOperand,
  C: GPUBuffer,
  batch: number,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  const values = {
    M,
    N,
    K,
    ldp4: P.ld / 4,
    ldq4: Q.ld / 4,
    batchP4: P.batchStride / 4,
    batchQ4: Q.batchStride / 4,
    batchC: M * N,
    accumulate: accumulate ? 1 : 0,
    startP: (P.offset ?? 0) / 4,
    startQ: (Q.offset ?? 0) / 4,
  };
  if (kernelVariant() === 'gpu') {
    const spec = { key: 'mm_tiled', inputs: 2, outputs: 1, source: () => MATMUL_TILED.wgsl() };
    const grid: [number, number, number] = [Math.ceil(N / 64), Math.ceil(M / 64), batch];
    engine().dispatch(spec, [P.buffer, Q.buffer, C], MATMUL_TILED.pack(values), grid);
    return;
  }
  let choice = TILES[TILES.length - 1];
  for (const t of TILES) {
    const inv = Math.ceil(M / t[0]) * Math.ceil(N / t[1]) * batch;
    if (inv >= MIN_INVOCATIONS) {
      choice = t;
      break;
    }
  }
  const [TM, TN] = choice;
  const [WGX, WGY] = fitWorkgroup(Math.ceil(N / TN), choice[2], choice[3]);
  const gx = Math.ceil(Math.ceil(N / TN) / WGX);
  const gy = Math.ceil(Math.ceil(M / TM) / WGY);
  engine().dispatch(matmulSpec(TM, TN, WGX, WGY, N % 4 === 0), [P.buffer, Q.buffer, C], MATMUL_TN.pack(values), [
    gx,
    gy,
    batch,
  ]);
}

/** src [batch, R, C] -> dst [batch, C, ld(R)] (transpose) or [batch, R, ld(C)] (pad), zero padded. */
export function prepareOperand(
  mode: 'transpose' | 'pad',
  src: GPUBuffer,
  dst: GPUBuffer,
  batch: number,
  R: number,
  C: number,
): number {
  const rows = mode === 'transpose' ? C : R;
  const ld = roundUp4(mode === 'transpose' ? R : C);
  const n = batch * rows * ld;
  const body =
    mode === 'transpose'
      ? '  var v = 0.0;\n  if (col < R) { v = src[(b * R + col) * C + row]; }\n  dst[i] = v;'
      : '  var v = 0.0;\n  if (col < C) { v = src[(b * R + row) * C + col]; }\n  dst[i] = v;';
  const GEOMETRY = `  const R = ${R}u; const C = ${C}u; const ld = ${ld}u; const rows = ${rows}u;`;
  const spec = {
    key: `mmprep:${mode}:${R}x${C}`,
    inputs: 1,
    outputs: 1,
    source: () => TRANSPOSE_PAD.wgsl({ BODY: body, GEOMETRY }),
  };
  engine().dispatch(spec, [src, dst], TRANSPOSE_PAD.pack({ n }), grid1d(n));
  return ld;
}
