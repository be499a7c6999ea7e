// The subgroup matmul (shaders/matmul_sg.wgsl) for CPU adapters with subgroups of 8 or more lanes: the 8 lanes
// of a workgroup share its rows of C and load each row group once, broadcasting it (see the shader for why
// that pays on lavapipe). It computes the matmulTN contract, C[b] = P[b]^T Q[b], and reads either operand in
// one of two layouts:
//   'k-rows':       [K, ld] (the matmulTN layout; read as vec4s, ld a multiple of 4);
//   'k-contiguous': [rows, ld] with k contiguous, as a row-major A of A·B or both operands of A·B^T, read as
//                   scalars, so plain products need no transposed copy (on lavapipe every lane reads its
//                   values one scalar at a time either way).
import { engine } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { subgroupKernels } from './launch.js';
import { STORE_SCALAR, STORE_VEC4 } from './matmul-stores.js';
import { kLoop, range, tileDecl, type StepLoads } from './register-tile.js';

export type OperandLayout = 'k-rows' | 'k-contiguous';

/** One operand as the subgroup kernel reads it; ld, batchStride and offset count floats. */
export interface SgOperand {
  buffer: GPUBuffer;
  layout: OperandLayout;
  ld: number;
  batchStride: number;
  offset: number;
  /**
   * k-contiguous only: k runs over `inner` contiguous values, then jumps `outerStride` floats (a 1x1 conv's
   * weight gradient contracts over pixels and images at once: k = (n, p), p contiguous, n a sample stride).
   */
  kSplit?: { inner: number; outerStride: number };
}

// strides and starts in the operand's array elements: vec4s for 'k-rows', floats for 'k-contiguous'
const MATMUL_SG = defineKernel('matmul_sg', {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  ldP: 'u32',
  ldQ: 'u32',
  batchP: 'u32',
  batchQ: 'u32',
  batchC: 'u32', // in floats
  accumulate: 'u32', // 1: C += P^T Q
  startP: 'u32',
  startQ: 'u32',
  outerP: 'u32', // k-split operands: the jump after `inner` values of k, in floats
  outerQ: 'u32',
});

/** Subgroup tiles [TM, TN]: one workgroup of SG_LANES lanes owns TM rows, each lane TN columns. */
const SG_TILES: [number, number][] = [
  [32, 8],
  [32, 4],
  [16, 4],
];
export const SG_LANES = 8;
const SG_MIN_BUSY = 6; // lanes with columns
const MIN_INVOCATIONS = 128; // below this a bigger tile leaves cores idle
// k steps per accumulator assignment (register-tile.ts): on ResNet_18's products (K 64-2048) 2 beat 1 by
// 1.3x and 4 by 1.1x; at 1024^3 2 beat 4 too (34 vs 31 GFLOPS)
const SG_CHAIN = 2;
// k-contiguous operands whose rows start on vec4s read 4 k values of a row as one vec4 (VEC_K steps per
// loop iteration, one accumulator assignment): lavapipe loads per lane and per load, so one vec4 costs
// ~0.65x four scalars. A 1x1 conv's forward + weight gradient on ResNet_50's shapes at b32 (Intel Xeon,
// in-process A/B): 8% less time; folding the 4 steps into two assignments instead gave 0-4%
const VEC_K = 4;

/** A k-contiguous operand read as vec4s along k: rows, batches, start and the k split on vec4s, K too. */
function vecAlongK(o: SgOperand, K: number): boolean {
  if (o.layout !== 'k-contiguous' || K % VEC_K) return false;
  const split = o.kSplit ? o.kSplit.inner % 4 === 0 && o.kSplit.outerStride % 4 === 0 : true;
  return split && o.ld % 4 === 0 && o.batchStride % 4 === 0 && o.offset % 4 === 0;
}

function spec(TM: number, TN: number, vec4Out: boolean, P: SgOperand, Q: SgOperand, vecP: boolean, vecQ: boolean) {
  const pLayout = P.layout,
    qLayout = Q.layout;
  // where step k sits in each operand's rows: k itself, or (k / inner) * outer + k % inner. inner is compiled
  // in (a division by a constant is a multiply; a runtime one is scalarised per lane), the outer stride is a
  // uniform: every 32x8 kernel costs ~10 s to compile, and a model's layers share few pixel counts
  const kAt = (o: SgOperand, outer: string, k: string) =>
    o.kSplit ? `(${k} / ${o.kSplit.inner}u) * ${outer} + ${k} % ${o.kSplit.inner}u` : k;
  const split = (o: SgOperand) => (o.kSplit ? `${o.kSplit.inner}` : '-');
  const splitKey = P.kSplit || Q.kSplit ? `:k${split(P)},${split(Q)}` : '';
  const TM4 = TM / 4,
    TN4 = TN / 4;
  const groups = Math.ceil(TM4 / SG_LANES);
  const pRows = pLayout === 'k-rows',
    qRows = qLayout === 'k-rows';
  // k-contiguous operands: each lane's row (column) starts, found once outside the k loop
  const bases: string[] = [];
  if (!pRows)
    for (let j = 0; j < groups; j++)
      for (let i = 0; i < 4; i++)
        bases.push(`  let pr${j}_${i} = pb + min((row4 + ${j * SG_LANES}u + lane) * 4u + ${i}u, U.M - 1u) * U.ldP;`);
  if (!qRows)
    for (let c = 0; c < TN4; c++)
      for (let i = 0; i < 4; i++)
        bases.push(`  let qc${c}_${i} = qb + min((col4 + ${c}u) * 4u + ${i}u, U.N - 1u) * U.ldQ;`);
  const vec = (name: string, base: string, k: string) =>
    `vec4<f32>(${range(4)
      .map((i) => `${name}[${base}_${i} + ${k}]`)
      .join(', ')})`;
  // vec4s along k: once per iteration, row i of each group as the vec4 of its VEC_K steps (`{name}g{group}_i`,
  // vec4 indices), then step u's vec4 of 4 rows picks component u of the 4
  const groupLoads = (name: string, base: string, groups: number, k: string) =>
    range(groups).flatMap((g) =>
      range(4).map((i) => `    let ${name}g${g}_${i} = ${name}[(${base}${g}_${i} + ${k}) >> 2u];`),
    );
  const pick = (name: string, g: number, s: string) =>
    `vec4<f32>(${range(4)
      .map((i) => `${name}g${g}_${i}[${s.slice(1)}]`)
      .join(', ')})`;
  const prelude = (k: string) => [
    ...(vecQ ? [`    let kqv = ${kAt(Q, 'U.outerQ', k)};`, ...groupLoads('Q', 'qc', TN4, 'kqv')] : []),
    ...(vecP ? [`    let kpv = ${kAt(P, 'U.outerP', k)};`, ...groupLoads('P', 'pr', groups, 'kpv')] : []),
  ];
  const loads: StepLoads = (k, s) => [
    ...(qRows || vecQ ? [] : [`    let kq${s} = ${kAt(Q, 'U.outerQ', k)};`]),
    ...(pRows || vecP ? [] : [`    let kp${s} = ${kAt(P, 'U.outerP', k)};`]),
    ...range(TN4).map((c) =>
      qRows
        ? `    let q${c}${s} = Q[qb + ${k} * U.ldQ + min(col4 + ${c}u, lastQ)];`
        : `    let q${c}${s} = ${vecQ ? pick('Q', c, s) : vec('Q', `qc${c}`, `kq${s}`)};`,
    ),
    ...broadcastRows(TM4, s, '    ', (j) =>
      pRows
        ? `P[pb + ${k} * U.ldP + min(row4 + ${j * SG_LANES}u + lane, lastP)]`
        : vecP
          ? pick('P', j, s)
          : vec('P', `pr${j}`, `kp${s}`),
    ),
  ];
  const stores: string[] = [];
  for (let r = 0; r < TM; r++)
    for (let c = 0; c < TN4; c++) stores.push(`  store(cb, row4 * 4u + ${r}u, (col4 + ${c}u) * 4u, acc_${r}_${c});`);
  return {
    key:
      `mm_sg:${TM}x${TN}:${vec4Out ? 'v4' : 's'}:${pRows ? 'p' : 'pT'}${qRows ? 'q' : 'qT'}${splitKey}` +
      `${vecP || vecQ ? `:vk${vecP ? 'p' : ''}${vecQ ? 'q' : ''}` : ''}`,
    inputs: 2,
    outputs: 1,
    source: () =>
      MATMUL_SG.wgsl({
        P_T: pRows || vecP ? 'vec4<f32>' : 'f32',
        Q_T: qRows || vecQ ? 'vec4<f32>' : 'f32',
        C_T: vec4Out ? 'vec4<f32>' : 'f32',
        STORE_FN: vec4Out ? STORE_VEC4 : STORE_SCALAR,
        WGX: SG_LANES,
        TM4,
        TN4,
        // the last vec4 of a k-rows operand's rows (k-contiguous operands clamp in their bases)
        LAST: `  let lastP = ${pRows ? 'U.ldP - 1u' : '0u'}; let lastQ = ${qRows ? 'U.ldQ - 1u' : '0u'};`,
        BASES: bases.join('\n'),
        DECL: tileDecl(TM, TN4),
        // every step of a vec4-along-k iteration is in range: K is a multiple of VEC_K there
        K_LOOP: kLoop('U.K', TM, TN4, loads, vecP || vecQ ? VEC_K : SG_CHAIN, prelude),
        STORES: stores.join('\n'),
      }),
  };
}

/**
 * The subgroup tile for `rows` x `columns` outputs in `groups` independent products (batch, images), or null
 * where the subgroup kernel does not apply or pays. At least 6 of a workgroup's 8 lanes must own columns:
 * MobileNetV2's 5x5 maps (7 column groups) gain 2x over the plain kernels, while half-idle lanes measured
 * slower than them; and the cores need `minInvocations` workgroups.
 */
export function pickSgTile(rows: number, columns: number, groups: number, minInvocations: number) {
  if (!subgroupKernels()) return null;
  for (const [TM, TN] of SG_TILES) {
    if (Math.ceil(columns / TN) < SG_MIN_BUSY) continue;
    if (Math.ceil(rows / TM) * Math.ceil(columns / TN) * groups >= minInvocations) return [TM, TN] as [number, number];
  }
  return null;
}

/** The subgroup tile for a matmulTN product, or null (pickSgTile). */
export const sgTile = (M: number, N: number, batch: number) => pickSgTile(M, N, batch, MIN_INVOCATIONS);

/**
 * One k step's row operands, shared by broadcast: lane l loads row group l of each block of SG_LANES
 * (`load(j)`: the vec4 of block j), then p{q}{s} = that group from its lane, for q < TM4.
 */
export function broadcastRows(TM4: number, s: string, indent: string, load: (j: number) => string): string[] {
  return [
    ...range(Math.ceil(TM4 / SG_LANES)).map((j) => `${indent}let pl${j}${s} = ${load(j)};`),
    ...range(TM4).map(
      (q) => `${indent}let p${q}${s} = subgroupBroadcast(pl${Math.floor(q / SG_LANES)}${s}, ${q % SG_LANES}u);`,
    ),
  ];
}

/** C[b] = P[b]^T Q[b] on the subgroup kernel with tile `tile` (from sgTile). */
export function matmulSg(
  tile: [number, number],
  P: SgOperand,
  Q: SgOperand,
  C: GPUBuffer,
  batch: number,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  const [TM, TN] = tile;
  const unit = (o: SgOperand) => (o.layout === 'k-rows' ? 4 : 1);
  for (const [name, o] of [['P', P] as const, ['Q', Q] as const]) {
    if (o.layout === 'k-rows' && (o.ld % 4 || o.batchStride % 4 || o.offset % 4))
      throw new Error(`matmulSg: operand ${name} in k-rows layout needs ld, batch stride and offset in vec4s`);
    if (o.kSplit && o.layout !== 'k-contiguous') throw new Error(`matmulSg: kSplit needs a k-contiguous ${name}`);
  }
  const values = {
    M,
    N,
    K,
    ldP: P.ld / unit(P),
    ldQ: Q.ld / unit(Q),
    batchP: P.batchStride / unit(P),
    batchQ: Q.batchStride / unit(Q),
    batchC: M * N,
    accumulate: accumulate ? 1 : 0,
    startP: P.offset / unit(P),
    startQ: Q.offset / unit(Q),
    outerP: P.kSplit?.outerStride ?? 0,
    outerQ: Q.kSplit?.outerStride ?? 0,
  };
  const grid: [number, number, number] = [Math.ceil(Math.ceil(N / TN) / SG_LANES), Math.ceil(M / TM), batch];
  const vecP = vecAlongK(P, K),
    vecQ = vecAlongK(Q, K);
  engine().dispatch(spec(TM, TN, N % 4 === 0, P, Q, vecP, vecQ), [P.buffer, Q.buffer, C], MATMUL_SG.pack(values), grid);
}
