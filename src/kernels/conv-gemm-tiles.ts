// Which subgroup tile, and whether to span all images' columns, for one implicit-GEMM conv launch on a CPU
// adapter (conv-gemm.ts). Picking the largest tile that keeps the cores busy wasted up to half the work on
// the seed's MobileNetV2: 16- and 24-channel layers ran a 32-row tile (half or a third of its rows empty),
// and 9x9 maps (21 column groups per image) kept 16 lanes for 11 lanes' columns. The choice here weighs
// each candidate's share of useful rows and columns against its speed per useful multiply-add.
import { SG_LANES } from './matmul-sg.js';

/** [TM, TN] subgroup tiles with their speed per useful multiply-add relative to 32 x 8 (measured on lavapipe). */
const CANDIDATES: [number, number, number][] = [
  [32, 8, 1],
  [32, 4, 0.9],
  [24, 8, 0.9],
  [16, 16, 0.9],
  [16, 8, 0.75],
  [16, 4, 0.6],
];
const MIN_BUSY_LANES = 6; // below this the launch leaves most of a SIMD group idle
// a candidate replaces the one in hand only when clearly cheaper, so near-ties keep the bigger tile and the
// per-image layout (fewer distinct kernels to compile, the order measured first)
const MARGIN = 0.97;

export interface SgLaunch {
  tile: [number, number];
  /** The product spans the columns of all images (one launch row per output block, not per image). */
  fold: boolean;
}

/**
 * The cheapest subgroup launch for `rows` output channels per group over `columnGroups` vec4 column groups
 * per image, `images` images and `groups` conv groups, or null when none keeps `minInvocations` lanes busy.
 * Folding needs one group (the images' columns then form one product).
 */
export function pickSgLaunch(
  rows: number,
  columnGroups: number,
  images: number,
  groups: number,
  minInvocations: number,
): SgLaunch | null {
  let best: SgLaunch | null = null,
    bestCost = Infinity;
  for (const fold of groups === 1 ? [false, true] : [false]) {
    const spanned = fold ? images * columnGroups : columnGroups;
    const launches = fold ? 1 : images * groups;
    for (const [TM, TN, speed] of CANDIDATES) {
      const lanesWithColumns = Math.ceil(spanned / (TN / 4));
      if (lanesWithColumns < MIN_BUSY_LANES) continue;
      const lanes = Math.ceil(lanesWithColumns / SG_LANES) * SG_LANES;
      const rowBlocks = Math.ceil(rows / TM);
      if (lanes * rowBlocks * launches < minInvocations) continue;
      const useful = (rows / (rowBlocks * TM)) * (spanned / (lanes * (TN / 4)));
      const cost = 1 / (useful * speed);
      if (cost < bestCost * MARGIN) {
        best = { tile: [TM, TN], fold };
        bestCost = cost;
      }
    }
  }
  return best;
}
