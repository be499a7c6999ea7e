// The GPU-shaped kernel variants (workgroup-memory tiles) run here on lavapipe, forced, so CI checks their
// correctness although it never sees a GPU: against the float64 reference and against the CPU variants.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { kernelVariant, kernelVariants, subgroupKernels } from '../src/kernels/launch.js';
import { engine } from '../src/device/engine.js';
import { expectClose, ready } from './helpers.js';
import { arr, matmul as refMatmul } from './ref.js';

beforeAll(async () => {
  await ready;
});
afterEach(() => {
  kernelVariants.choice = 'auto';
  kernelVariants.subgroups = true;
});

/** Deterministic input [N, Cin, H, H] and weights [Cout, Cin, K, K] (1x1 unless K is given). */
function convOperands(N: number, Cin: number, Cout: number, H: number, K = 1): { x: q.Tensor; w: q.Tensor } {
  const x = q.fromArray(
    Array.from({ length: N * Cin * H * H }, (_, i) => Math.sin(i * 0.37)),
    [N, Cin, H, H],
  );
  const w = q.fromArray(
    Array.from({ length: Cout * Cin * K * K }, (_, i) => Math.cos(i * 0.53)),
    [Cout, Cin, K, K],
  );
  return { x, w };
}

/** A GEMM conv's output and input gradient through the subgroup kernels equal those through the plain ones. */
async function expectSubgroupsMatchPlain(x: q.Tensor, w: q.Tensor, opts: { stride?: number; padding?: number }) {
  x.requiresGrad = true;
  const run = async () => {
    const y = q.conv2d(x, w, null, { ...opts, impl: 'gemm' });
    const [gx] = q.grad(q.sum(q.mul(y, y)), [x]);
    return Promise.all([y, gx].map(async (t) => (await t.toArray()) as Float32Array));
  };
  const subgroup = await run();
  kernelVariants.subgroups = false;
  const plain = await run();
  kernelVariants.subgroups = true;
  subgroup.forEach((v, i) => expectClose(v, plain[i], 1e-4, 1e-4));
}

describe('kernel variants by adapter', () => {
  it('auto picks the CPU variants on a software adapter (lavapipe, SwiftShader), the GPU ones otherwise', () => {
    if (/llvmpipe|swiftshader/i.test(engine().adapterInfo)) expect(engine().cpuAdapter).toBe(true);
    expect(kernelVariant()).toBe(engine().cpuAdapter ? 'cpu' : 'gpu');
    kernelVariants.choice = 'gpu';
    expect(kernelVariant()).toBe('gpu');
  });

  it('the tiled matmul matches the float64 reference (64 x 64 tile edges, K not a multiple of 16)', async () => {
    kernelVariants.choice = 'gpu';
    const dim = fc.integer({ min: 1, max: 150 });
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, async (M, K, N) => {
        const a = Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.7));
        const b = Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.3));
        const out = q.matmul(q.fromArray(a, [M, K]), q.fromArray(b, [K, N]));
        expectClose(await out.toArray(), refMatmul(arr(a, [M, K]), arr(b, [K, N])).data, 1e-4, 1e-4);
        out.dispose();
      }),
      { numRuns: 12 },
    );
  });

  it("conv through Winograd and GEMM, batched and accumulating products: the CPU variants' results", async () => {
    const run = async () => {
      const x = q.fromArray(
        Array.from({ length: 2 * 6 * 9 * 9 }, (_, i) => Math.sin(i * 0.11)),
        [2, 6, 9, 9],
      );
      const w = q.fromArray(
        Array.from({ length: 5 * 6 * 9 }, (_, i) => Math.cos(i * 0.23)),
        [5, 6, 3, 3],
      );
      x.requiresGrad = true;
      w.requiresGrad = true;
      const outs: Float32Array[] = [];
      for (const impl of ['winograd', 'gemm'] as const) {
        for (const stride of [1, 2]) {
          const y = q.conv2d(x, w, null, { padding: 1, stride, impl });
          const [gx, gw] = q.grad(q.sum(q.mul(y, y)), [x, w]);
          outs.push(...(await Promise.all([y, gx, gw].map(async (t) => (await t.toArray()) as Float32Array))));
        }
      }
      const a = q.fromArray(
        Array.from({ length: 3 * 20 * 7 }, (_, i) => Math.sin(i)),
        [3, 20, 7],
      );
      const b = q.fromArray(
        Array.from({ length: 7 * 70 }, (_, i) => Math.cos(i)),
        [7, 70],
      );
      outs.push((await q.matmul(a, b).toArray()) as Float32Array);
      return outs;
    };
    kernelVariants.choice = 'cpu';
    const cpu = await run();
    kernelVariants.choice = 'gpu';
    const gpu = await run();
    expect(gpu.length).toBe(cpu.length);
    gpu.forEach((g, i) => expectClose(g, cpu[i], 1e-4, 1e-4));
  });

  it('the subgroup matmul (rows shared by broadcast) matches float64 and the plain kernel, both layouts', async () => {
    // few distinct N and K (each tile, layout and store kind compiles a kernel of seconds); odd K runs the
    // k loop's single-step tail, M the row edges
    const dims = fc.tuple(
      fc.integer({ min: 40, max: 150 }), // M
      fc.constantFrom(41, 97), // K (dA's columns)
      fc.constantFrom(40, 96), // N: every lane of a workgroup owns columns
    );
    const B = 8;
    await fc.assert(
      fc.asyncProperty(dims, async ([M, K, N]) => {
        const a = Array.from({ length: B * M * K }, (_, i) => Math.sin(i * 0.7));
        const b = Array.from({ length: B * K * N }, (_, i) => Math.cos(i * 0.3));
        const r = Array.from({ length: B * M * N }, (_, i) => Math.sin(i * 0.19));
        // forward (A read k-contiguous), dA = R·B^T (both k-contiguous), dB = A^T·R (both k-rows)
        const run = async () => {
          const A = q.fromArray(a, [B, M, K]),
            Bt = q.fromArray(b, [B, K, N]);
          A.requiresGrad = true;
          Bt.requiresGrad = true;
          const out = q.matmul(A, Bt);
          const [gA, gB] = q.grad(q.sum(q.mul(out, q.fromArray(r, [B, M, N]))), [A, Bt]);
          const vs = await Promise.all([out, gA, gB].map(async (t) => (await t.toArray()) as Float32Array));
          for (const t of [A, Bt, out, gA, gB]) t.dispose();
          return vs;
        };
        const viaSubgroups = await run();
        kernelVariants.subgroups = false;
        const plain = await run();
        kernelVariants.subgroups = true;
        const want: number[] = [];
        for (let i = 0; i < B; i++) {
          const ai = arr(a.slice(i * M * K, (i + 1) * M * K), [M, K]);
          want.push(...refMatmul(ai, arr(b.slice(i * K * N, (i + 1) * K * N), [K, N])).data);
        }
        expectClose(viaSubgroups[0], want, 1e-4, 1e-4);
        viaSubgroups.forEach((v, i) => expectClose(v, plain[i], 1e-4, 1e-4));
      }),
      { numRuns: 4 },
    );
    // the products above are big enough for it, wherever the device has subgroups of 8 lanes or more
    const keys = engine().pipelineKeys();
    const sg = engine().subgroupSize >= 8;
    expect(keys.some((k) => /^mm_sg:.*:pTq$/.test(k))).toBe(sg); // the forward product
    expect(keys.some((k) => /^mm_sg:.*:pq$/.test(k))).toBe(sg); // dB
    kernelVariants.subgroups = false;
    expect(subgroupKernels()).toBe(false);
  });

  it("the subgroup conv GEMM gives the plain kernel's forward and gradients (1x1, 3x3, strides, edges)", async () => {
    const shapes = fc.record({
      N: fc.integer({ min: 6, max: 8 }),
      Cin: fc.integer({ min: 1, max: 6 }),
      H: fc.integer({ min: 9, max: 14 }),
      Cout: fc.integer({ min: 33, max: 48 }),
      k: fc.constantFrom(1, 3),
      stride: fc.constantFrom(1, 2),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async ({ N, Cin, H, Cout, k, stride }) => {
        const x = q.fromArray(
          Array.from({ length: N * Cin * H * H }, (_, i) => Math.sin(i * 0.37)),
          [N, Cin, H, H],
        );
        const w = q.fromArray(
          Array.from({ length: Cout * Cin * k * k }, (_, i) => Math.cos(i * 0.53)),
          [Cout, Cin, k, k],
        );
        x.requiresGrad = true;
        w.requiresGrad = true;
        const run = async () => {
          const y = q.conv2d(x, w, null, { padding: k === 3 ? 1 : 0, stride, impl: 'gemm' });
          const [gx, gw] = q.grad(q.sum(q.mul(y, y)), [x, w]);
          return Promise.all([y, gx, gw].map(async (t) => (await t.toArray()) as Float32Array));
        };
        const viaSubgroups = await run();
        kernelVariants.subgroups = false;
        const plain = await run();
        kernelVariants.subgroups = true;
        viaSubgroups.forEach((v, i) => expectClose(v, plain[i], 1e-4, 1e-4));
      }),
      { numRuns: 6 },
    );
    expect(
      engine()
        .pipelineKeys()
        .some((k) => k.startsWith('conv_gemm_sg:')),
    ).toBe(engine().subgroupSize >= 8);
  });

  it('small maps span the columns of all images (batch-folded subgroup GEMM), forward and input gradient', async () => {
    // 4x4 and 2x2 maps: 4 and 1 column groups per image, too few for 8 lanes; 9 images leave a ragged end.
    // Enough rows and columns for the 256 workgroups the launch wants (in channels too: the input gradient)
    for (const [N, Cin, Cout, H, stride] of [
      [8, 136, 264, 4, 1],
      [9, 24, 520, 2, 1],
      [4, 36, 260, 8, 2],
    ]) {
      const { x, w } = convOperands(N, Cin, Cout, H);
      await expectSubgroupsMatchPlain(x, w, { stride });
    }
    const used = engine()
      .pipelineKeys()
      .some((k) => /^conv_gemm_sg:.*:fold/.test(k));
    expect(used).toBe(engine().subgroupSize >= 8);
    // 1x1 taps step whole planes by arithmetic rather than through the offset table
    expect(
      engine()
        .pipelineKeys()
        .some((k) => /^conv_gemm(_sg)?:.*:pw/.test(k)),
    ).toBe(true);
  });

  it('16- and 24-channel convs on the tiles fitted to them (16 x 16, 24 x 8) equal the plain kernels', async () => {
    // 1x1 and 3x3 (padded), forward and input gradient; 8 images of 32x32 keep 256 lanes busy
    for (const [Cin, Cout, KH] of [
      [12, 16, 1],
      [5, 24, 3],
    ]) {
      const { x, w } = convOperands(8, Cin, Cout, 32, KH);
      await expectSubgroupsMatchPlain(x, w, { padding: (KH - 1) / 2 });
    }
    const keys = engine().pipelineKeys();
    for (const tile of ['16x16', '24x8'])
      expect(keys.some((k) => k.startsWith(`conv_gemm_sg:${tile}:`))).toBe(engine().subgroupSize >= 8);
  });

  it("a 1x1 conv's weight gradient read in place (k over images and pixels) equals the copies'", async () => {
    // Cout x Cin large enough for the subgroup kernel at batch 1; odd H·W and Cin off the tile edges, and planes
    // of whole vec4s
    for (const [N, Cin, Cout, H] of [
      [2, 130, 128, 5],
      [3, 96, 136, 4],
      [2, 72, 132, 8],
    ]) {
      const { x, w } = convOperands(N, Cin, Cout, H);
      w.requiresGrad = true;
      const run = async () => {
        const [gw] = q.grad(q.sum(q.mul(q.conv2d(x, w, null, { impl: 'gemm' }), 1.5)), [w]);
        const v = (await gw.toArray()) as Float32Array;
        gw.dispose();
        return v;
      };
      const inPlace = await run();
      kernelVariants.subgroups = false;
      const copies = await run();
      kernelVariants.subgroups = true;
      expectClose(inPlace, copies, 1e-4, 1e-4);
      x.dispose();
      w.dispose();
    }
    const keys = engine().pipelineKeys();
    expect(keys.some((k) => /^mm_sg:.*pTqT:k/.test(k))).toBe(engine().subgroupSize >= 8);
    // 4x4 and 8x8 planes start on vec4s: both operands read 4 k values as one vec4 (5x5 planes do not)
    expect(keys.some((k) => /^mm_sg:.*pTqT:k(16|64),\1:vkpq$/.test(k))).toBe(engine().subgroupSize >= 8);
  });
});
