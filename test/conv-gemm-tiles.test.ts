// The subgroup launch choice of the implicit-GEMM conv (src/kernels/conv-gemm-tiles.ts): pure arithmetic, no
// device. The kernels each choice compiles are checked against the plain kernels in kernel-variants.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pickSgLaunch } from '../src/kernels/conv-gemm-tiles.js';
import { SG_LANES } from '../src/kernels/matmul-sg.js';

const MIN = 256;

describe('conv GEMM subgroup launch choice', () => {
  it('keeps the 32 x 8 per-image tile where rows and columns divide evenly (ResNet_18 at 32x32)', () => {
    expect(pickSgLaunch(64, 256, 32, 1, MIN)).toEqual({ tile: [32, 8], fold: false });
  });

  it('fits the tile to 16- and 24-channel layers instead of leaving a 32-row tile half or a third empty', () => {
    expect(pickSgLaunch(16, 289, 32, 1, MIN)?.tile[0]).toBe(16);
    expect(pickSgLaunch(24, 73, 32, 1, MIN)?.tile[0]).toBe(24);
    expect(pickSgLaunch(48, 64, 32, 1, MIN)?.tile[0]).toBe(24);
  });

  it("spans all images' columns where one image leaves lanes idle (9x9 and 5x5 maps, 4x4 maps)", () => {
    expect(pickSgLaunch(192, 21, 32, 1, MIN)?.fold).toBe(true);
    expect(pickSgLaunch(384, 7, 32, 1, MIN)?.fold).toBe(true);
    expect(pickSgLaunch(512, 4, 32, 1, MIN)?.fold).toBe(true);
  });

  it('never folds grouped convs, and gives up on launches too small for the lanes', () => {
    expect(pickSgLaunch(64, 4, 32, 2, MIN)).toBeNull();
    expect(pickSgLaunch(8, 1, 1, 1, MIN)).toBeNull();
  });

  it('every choice keeps enough lanes busy and spans columns only with one group', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 4 }),
        (rows, columnGroups, images, groups) => {
          const pick = pickSgLaunch(rows, columnGroups, images, groups, MIN);
          if (!pick) return;
          const [TM, TN] = pick.tile;
          if (pick.fold) expect(groups).toBe(1);
          const spanned = pick.fold ? images * columnGroups : columnGroups;
          const busy = Math.ceil(spanned / (TN / 4));
          expect(busy).toBeGreaterThanOrEqual(6);
          const lanes = Math.ceil(busy / SG_LANES) * SG_LANES * Math.ceil(rows / TM);
          expect(lanes * (pick.fold ? 1 : images * groups)).toBeGreaterThanOrEqual(MIN);
        },
      ),
    );
  });
});
