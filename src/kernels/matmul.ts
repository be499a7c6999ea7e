// Batched matmul on the register-blocked, barrier-free kernel (shaders/matmul_tn.wgsl) on CPU adapters, or on
// workgroup-memory tiles (shaders/matmul_tiled.wgsl) on real GPUs (kernelVariant, ./launch.ts). Both compute
// C = P^T Q from operands laid out [K, ld] with ld a multiple of 4. Plain A·B therefore costs one
// transpose of A (memory-bound, cheap next to the K·M·N product); A^T·B needs no preparation at all,
// which is exactly the weight-gradient case of backward.
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { fitWorkgroup, grid1d, kernelVariant, subgroupKernels } from './launch.js';
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
// lanes share their rows through subgroupBroadcast, on CPU adapters with subgroups of 8 or more
const MATMUL_SG = defineKernel('matmul_sg', MATMUL_TN_FIELDS);
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

const STORE_SCALAR = `fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
  let M = U.M; let N = U.N;
  if (row >= M) { return; }
  let acc = U.accumulate != 0u;
  for (var j = 0u; j < 4u; j++) {
    let c = col + j;
    if (c < N) {
      let k = base + row * N + c;
      if (acc) { C[k] = C[k] + v[j]; } else { C[k] = v[j]; }
    }
  }
}`;
const STORE_VEC4 = `fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
  let N = U.N;
  if (row >= U.M || col >= N) { return; }
  let k = (base + row * N + col) / 4u;
  if (U.accumulate != 0u) { C[k] = C[k] + v; } else { C[k] = v; }
}`;

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

/** Subgroup tiles [TM, TN]: one workgroup of SG_LANES lanes owns TM rows, each lane TN columns. */
const SG_TILES: [number, number][] = [
  [32, 8],
  [32, 4],
  [16, 4],
];
const SG_LANES = 8;
const SG_MIN_BUSY = 6; // lanes with columns
// k steps per accumulator assignment (register-tile.ts): on ResNet_18's products (K 64-2048) 2 beat 1 by
// 1.3x and 4 by 1.1x (4 won at 1024^3)
const SG_CHAIN = Number(process.env.QS_CHAIN ?? 2);

function matmulSgSpec(TM: number, TN: number, vec4Out: boolean) {
  const TM4 = TM / 4,
    TN4 = TN / 4;
  return {
    key: `mm_sg:${TM}x${TN}:${vec4Out ? 'v4' : 's'}`,
    inputs: 2,
    outputs: 1,
    source: () => {
      const stores: string[] = [];
      const loads: StepLoads = (k, s) => [
        ...range(TN4).map((c) => `    let q${c}${s} = Q[qb + ${k} * ldq4 + min(col4 + ${c}u, lastQ)];`),
        ...range(Math.ceil(TM4 / SG_LANES)).map(
          (j) => `    let pl${j}${s} = P[pb + ${k} * ldp4 + min(row4 + ${j * SG_LANES}u + lane, lastP)];`,
        ),
        ...range(TM4).map(
          (q) => `    let p${q}${s} = subgroupBroadcast(pl${Math.floor(q / SG_LANES)}${s}, ${q % SG_LANES}u);`,
        ),
      ];
      for (let r = 0; r < TM; r++)
        for (let c = 0; c < TN4; c++)
          stores.push(`  store(cb, row4 * 4u + ${r}u, (col4 + ${c}u) * 4u, acc_${r}_${c});`);
      return MATMUL_SG.wgsl({
        C_T: vec4Out ? 'vec4<f32>' : 'f32',
        STORE_FN: vec4Out ? STORE_VEC4 : STORE_SCALAR,
        WGX: SG_LANES,
        TM4,
        TN4,
        DECL: tileDecl(TM, TN4),
        K_LOOP: kLoop('K', TM, TN4, loads, SG_CHAIN),
        STORES: stores.join('\n'),
      });
    },
  };
}

/** The subgroup tile for this product, or null where the subgroup kernel does not apply or pays. */
function sgTile(M: number, N: number, batch: number): [number, number] | null {
  if (!subgroupKernels()) return null;
  for (const [TM, TN] of SG_TILES) {
    // at least 6 of a workgroup's 8 lanes should own columns (half-idle lanes measured slower than
    // matmul_tn), and the cores need enough workgroups
    if (Math.ceil(N / TN) < SG_MIN_BUSY) continue;
    if (Math.ceil(M / TM) * Math.ceil(N / TN) * batch >= MIN_INVOCATIONS) return [TM, TN];
  }
  return null;
}

export interface MatmulOperand {
  buffer: GPUBuffer;
  /** row stride in floats (multiple of 4) */
  ld: number;
  /** batch stride in floats (0 to broadcast) */
  batchStride: number;
  /** where the operand starts in the buffer, in floats (multiple of 4; default 0) */
  offset?: number;
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
  if (P.ld % 4 || Q.ld % 4) throw new Error('matmulTN: leading dimensions must be multiples of 4');
  if ((P.offset ?? 0) % 4 || (Q.offset ?? 0) % 4) throw new Error('matmulTN: operand offsets must be multiples of 4');
  if (batch > 65535) throw new Error(`matmul: batch ${batch} exceeds 65535`);
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
  const sg = sgTile(M, N, batch);
  if (sg) {
    const [TM, TN] = sg;
    const grid: [number, number, number] = [Math.ceil(Math.ceil(N / TN) / SG_LANES), Math.ceil(M / TM), batch];
    engine().dispatch(matmulSgSpec(TM, TN, N % 4 === 0), [P.buffer, Q.buffer, C], MATMUL_SG.pack(values), grid);
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
