import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { ready, expectClose, checkOp, RUNS } from './helpers.js';
import { conv2d as refConv, size, arr, type ConvParams } from './ref.js';
import { convLimits } from '../src/kernels/conv.js';
import { tilesAsRows, winogradLimits } from '../src/kernels/winograd.js';
import { subgroupKernels } from '../src/kernels/launch.js';
import { engine } from '../src/device/engine.js';

beforeAll(async () => {
  await ready;
});

const convCase = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }),
    groups: fc.constantFrom(1, 1, 2, 3),
    cinPer: fc.integer({ min: 1, max: 3 }),
    coutPer: fc.integer({ min: 1, max: 9 }),
    H: fc.integer({ min: 3, max: 9 }),
    W: fc.integer({ min: 3, max: 10 }),
    K: fc.constantFrom(1, 2, 3),
    KW: fc.constantFrom(1, 3),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
  })
  .filter(
    (c) => c.H + 2 * c.padding >= c.dilation * (c.K - 1) + 1 && c.W + 2 * c.padding >= c.dilation * (c.KW - 1) + 1,
  );

type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;
function setup(c: ConvCase) {
  const Cin = c.cinPer * c.groups,
    Cout = c.coutPer * c.groups;
  const xs = [c.N, Cin, c.H, c.W],
    ws = [Cout, c.cinPer, c.K, c.KW];
  const x = Array.from({ length: size(xs) }, (_, i) => Math.fround(Math.sin(i * 0.37)));
  const w = Array.from({ length: size(ws) }, (_, i) => Math.fround(Math.cos(i * 0.53)));
  const b = Array.from({ length: Cout }, (_, i) => Math.fround(0.1 * i - 0.2));
  const p: ConvParams = {
    stride: [c.stride, c.stride],
    padding: [c.padding, c.padding],
    dilation: [c.dilation, c.dilation],
    groups: c.groups,
  };
  const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
  return { xs, ws, x, w, b, p, opts, Cout };
}

// depthwise: one filter per channel (the row kernels of kernels/conv-depthwise.ts)
const depthwiseCase: fc.Arbitrary<ConvCase> = convCase.map((c) => ({
  ...c,
  groups: c.groups === 1 ? 3 : c.groups,
  cinPer: 1,
  coutPer: 1,
}));

describe('conv2d', () => {
  for (const impl of ['gemm', 'direct', 'depthwise'] as const) {
    const cases = impl === 'depthwise' ? depthwiseCase : convCase;
    const spec = {
      inputs: (c: ConvCase) => {
        const { xs, ws, x, w, b } = setup(c);
        return [{ data: x, shape: xs }, { data: w, shape: ws }, ...(c.bias ? [{ data: b, shape: [b.length] }] : [])];
      },
      run: ([tx, tw, tb]: q.Tensor[], c: ConvCase) => q.conv2d(tx, tw, tb ?? null, { ...setup(c).opts, impl }),
      reference: ([rx, rw, rb]: Float64Array[], c: ConvCase) => {
        const { xs, ws, p } = setup(c);
        return refConv(
          { data: rx, shape: xs },
          { data: rw, shape: ws },
          rb ? { data: rb, shape: [rb.length] } : null,
          p,
        );
      },
      atol: 1e-4,
    };
    const what = 'kernel sizes, strides, paddings, dilations, groups, bias';
    it(`${impl}: forward matches the float64 reference (${what})`, () =>
      checkOp(cases, { ...spec, grad: false, runs: 25 }));
    it(`${impl}: gradients w.r.t. input, weight and bias match finite differences`, () => checkOp(cases, spec));
  }

  // Winograd F(4x4, 3x3) for any 3x3 stride-1 conv and F(4x4, 2x2) on the phase planes for stride 2,
  // including maps smaller than a tile, partial edge tiles and odd sizes (a phase plane one row short)
  const winogradCase = fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      Cin: fc.integer({ min: 1, max: 5 }),
      Cout: fc.integer({ min: 1, max: 9 }),
      H: fc.integer({ min: 1, max: 13 }),
      W: fc.integer({ min: 1, max: 13 }),
      stride: fc.constantFrom(1, 2),
      padH: fc.integer({ min: 0, max: 2 }),
      padW: fc.integer({ min: 0, max: 2 }),
      bias: fc.boolean(),
    })
    .map((c) => (c.stride === 2 ? { ...c, padW: c.padH } : c))
    .filter((c) => c.H + 2 * c.padH >= 3 && c.W + 2 * c.padW >= 3);
  type WinogradCase = typeof winogradCase extends fc.Arbitrary<infer T> ? T : never;
  const winogradSetup = (c: WinogradCase) => {
    const xs = [c.N, c.Cin, c.H, c.W],
      ws = [c.Cout, c.Cin, 3, 3];
    const x = Array.from({ length: size(xs) }, (_, i) => Math.fround(Math.sin(i * 0.37)));
    const w = Array.from({ length: size(ws) }, (_, i) => Math.fround(Math.cos(i * 0.53)));
    const b = Array.from({ length: c.Cout }, (_, i) => Math.fround(0.1 * i - 0.2));
    const p: ConvParams = { stride: [c.stride, c.stride], padding: [c.padH, c.padW], dilation: [1, 1], groups: 1 };
    return {
      xs,
      ws,
      x,
      w,
      b,
      p,
      opts: { stride: c.stride, padding: [c.padH, c.padW] as [number, number], impl: 'winograd' as const },
    };
  };

  it(
    'winograd: forward matches the float64 reference (strides 1 ' +
      'and 2, edge tiles, small maps, paddings 0-2, bias)',
    async () => {
      await fc.assert(
        fc.asyncProperty(winogradCase, async (c) => {
          const { xs, ws, x, w, b, p, opts } = winogradSetup(c);
          const e = refConv(arr(x, xs), arr(w, ws), c.bias ? arr(b, [b.length]) : null, p);
          const out = q.tidy(() =>
            q.conv2d(q.fromArray(x, xs), q.fromArray(w, ws), c.bias ? q.fromArray(b) : null, opts),
          );
          expect(out.shape).toEqual(e.shape);
          expectClose(await out.toArray(), e.data, 1e-4, 1e-4);
          out.dispose();
        }),
        { numRuns: 40 },
      );
    },
  );

  it('winograd: gradients w.r.t. input, weight and bias match finite differences', async () => {
    await fc.assert(
      fc.asyncProperty(winogradCase, async (c) => {
        const { xs, ws, x, w, b, p, opts } = winogradSetup(c);
        const inputs = [
          { data: x, shape: xs },
          { data: w, shape: ws },
          ...(c.bias ? [{ data: b, shape: [b.length] }] : []),
        ];
        const r = await q.gradcheck(([tx, tw, tb]) => q.conv2d(tx, tw, tb ?? null, opts), inputs, {
          reference: ([rx, rw, rb]) =>
            refConv({ data: rx, shape: xs }, { data: rw, shape: ws }, rb ? { data: rb, shape: [rb.length] } : null, p)
              .data,
        });
        expect(r.ok, r.worst).toBe(true);
      }),
      RUNS,
    );
  });

  // widths 10 (scalar loads and stores) and 16 (whole vec4 rows)
  for (const [stride, W] of [
    [1, 10],
    [2, 10],
    [1, 16],
    [2, 16],
  ]) {
    it(
      `winograd on a wide stride-${stride} layer of width ${W} (the auto choice) agrees with the implicit GEMM in ` +
        `all three directions, also split into image ranges`,
      async () => {
        const xs = [5, 32, 13, W],
          ws = [24, 32, 3, 3];
        const [OH, OW] = [Math.floor((13 - 1) / stride) + 1, Math.floor((W - 1) / stride) + 1];
        const x = q.keep(
          q.fromArray(
            Array.from({ length: size(xs) }, (_, i) => Math.sin(i * 0.1)),
            xs,
          ),
        );
        const w = q.keep(
          q.fromArray(
            Array.from({ length: size(ws) }, (_, i) => Math.cos(i * 0.2) * 0.1),
            ws,
          ),
        );
        const bias = q.keep(q.fromArray(Array.from({ length: 24 }, (_, i) => 0.05 * i)));
        const seed = q.keep(
          q.fromArray(
            Array.from({ length: 5 * 24 * OH * OW }, (_, i) => Math.cos(i * 0.01)),
            [5, 24, OH, OW],
          ),
        );
        const run = async (impl: 'auto' | 'gemm') => {
          for (const t of [x, w]) t.requiresGrad = true;
          const y = q.conv2d(x, w, bias, { stride, padding: 1, impl });
          const [dx, dw] = q.grad(q.sum(q.mul(y, seed)), [x, w]);
          const r = [await y.toArray(), await dx.toArray(), await dw.toArray()];
          for (const t of [y, dx, dw]) t.dispose();
          return r;
        };
        const p: ConvParams = { stride: [stride, stride], padding: [1, 1], dilation: [1, 1], groups: 1 };
        const ref = refConv(arr(await x.toArray(), xs), arr(await w.toArray(), ws), arr(await bias.toArray(), [24]), p);
        const gemm = await run('gemm');
        expectClose(gemm[0], ref.data, 1e-4, 1e-4);
        for (const limit of [0, 40_000]) {
          // 40 kB: one image per range
          winogradLimits.maxBinding = limit;
          try {
            const wino = await run('auto');
            // float32 Winograd rounding grows with the summed terms (dW sums N x OH x OW products): absolute
            // tolerance 1e-4 of the largest value; a wrong tap or tile is off by the values themselves
            for (let i = 0; i < 3; i++)
              expectClose(wino[i], gemm[i], 1e-4 * Math.max(1, ...gemm[i].map(Math.abs)), 1e-4);
          } finally {
            winogradLimits.maxBinding = 0;
          }
        }
        for (const t of [x, w, bias, seed]) t.dispose();
      },
    );
  }

  it('winograd on 4x4 maps with more channels than tiles (tiles as rows, the wide tile) equals GEMM', async () => {
    // 32 images of 4x4: one tile each, 32 tiles against 128 channels. Channel rows would leave the subgroup
    // kernel 32 columns (its narrow 32 x 4 tile), so the products take the tiles as rows
    expect(tilesAsRows(32, 128, 36)).toBe(subgroupKernels());
    expect(tilesAsRows(128, 256, 36)).toBe(false); // enough columns either way: the longer side as rows
    expect(tilesAsRows(2048, 64, 36)).toBe(true);
    const xs = [32, 32, 4, 4],
      ws = [128, 32, 3, 3];
    const x = q.fromArray(
      Array.from({ length: size(xs) }, (_, i) => Math.sin(i * 0.37)),
      xs,
    );
    const w = q.fromArray(
      Array.from({ length: size(ws) }, (_, i) => Math.cos(i * 0.53) * 0.1),
      ws,
    );
    x.requiresGrad = true;
    w.requiresGrad = true;
    const run = async (impl: 'winograd' | 'gemm') => {
      const y = q.conv2d(x, w, null, { padding: 1, impl });
      const [gx, gw] = q.grad(q.sum(q.mul(y, y)), [x, w]);
      return Promise.all([y, gx, gw].map(async (t) => (await t.toArray()) as Float32Array));
    };
    const wino = await run('winograd'),
      gemm = await run('gemm');
    wino.forEach((v, i) => expectClose(v, gemm[i], 1e-4 * Math.max(1, ...gemm[i].map(Math.abs)), 1e-4));
  });

  it("impl 'winograd' on a conv it cannot compute names what is wrong", () => {
    const x = q.zeros([1, 2, 8, 8]),
      w = q.zeros([2, 2, 3, 3]);
    expect(() => q.conv2d(x, w, null, { stride: 3, impl: 'winograd' })).toThrow(
      /winograd.*3x3 kernel.*stride 2 with equal paddings.*stride 3x3/,
    );
    expect(() => q.conv2d(x, w, null, { stride: 2, padding: [1, 0], impl: 'winograd' })).toThrow(
      /winograd.*stride 2x2.*padding 1x0/,
    );
  });

  it("impl 'depthwise' on a conv that is not depthwise is refused, naming the groups", () => {
    const x = q.zeros([1, 4, 5, 5]),
      w = q.zeros([8, 2, 3, 3]);
    expect(() => q.conv2d(x, w, null, { groups: 2, impl: 'depthwise' })).toThrow(
      "impl 'depthwise' needs groups = in channels = out channels (got 2 groups, 4 in, 8 out)",
    );
  });

  it('depthwise (groups = channels) and rectangular stride/padding', async () => {
    const xs = [2, 4, 7, 6],
      ws = [4, 1, 3, 3];
    const x = Array.from({ length: size(xs) }, (_, i) => Math.sin(i));
    const w = Array.from({ length: size(ws) }, (_, i) => Math.cos(i));
    const p: ConvParams = { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 4 };
    const e = refConv(arr(x, xs), arr(w, ws), null, p);
    const out = q.conv2d(q.fromArray(x, xs), q.fromArray(w, ws), null, {
      stride: [2, 1],
      padding: [1, 0],
      dilation: [1, 2],
      groups: 4,
    });
    expectClose(await out.toArray(), e.data, 1e-4, 1e-4);
  });

  it('a larger layer (wide 3x3, 1x1 fast path) agrees with the reference', async () => {
    for (const [K, pad] of [
      [3, 1],
      [1, 0],
    ]) {
      const xs = [2, 16, 12, 12],
        ws = [24, 16, K, K];
      const x = Array.from({ length: size(xs) }, (_, i) => Math.sin(i * 0.1));
      const w = Array.from({ length: size(ws) }, (_, i) => Math.cos(i * 0.2) * 0.1);
      const p: ConvParams = { stride: [1, 1], padding: [pad, pad], dilation: [1, 1], groups: 1 };
      const e = refConv(arr(x, xs), arr(w, ws), null, p);
      expectClose(
        await q.conv2d(q.fromArray(x, xs), q.fromArray(w, ws), null, { padding: pad }).toArray(),
        e.data,
        1e-4,
        1e-4,
      );
    }
  });

  it('1x1 convs read vec4-aligned inputs as vec4s (strides 1, 2, batch-folded maps): forward, input grad', async () => {
    // [N, Cin, Cout, H, stride]: 12x12 and 8x8 planes start on vec4s; 4x4 maps over 9 images take the folded
    // launch; 9x9 planes do not start on vec4s and keep the scalar reads
    for (const [N, Cin, Cout, H, stride] of [
      [2, 16, 24, 12, 1],
      [3, 8, 36, 8, 2],
      [9, 40, 264, 4, 1],
      [2, 6, 20, 9, 1],
    ]) {
      const xs = [N, Cin, H, H],
        ws = [Cout, Cin, 1, 1];
      const x = Array.from({ length: size(xs) }, (_, i) => Math.sin(i * 0.37));
      const w = Array.from({ length: size(ws) }, (_, i) => Math.cos(i * 0.53) * 0.2);
      const p: ConvParams = { stride: [stride, stride], padding: [0, 0], dilation: [1, 1], groups: 1 };
      const e = refConv(arr(x, xs), arr(w, ws), null, p);
      const xt = q.fromArray(x, xs);
      xt.requiresGrad = true;
      const y = q.conv2d(xt, q.fromArray(w, ws), null, { stride, impl: 'gemm' });
      expectClose(await y.toArray(), e.data, 1e-4, 1e-4);
      // d sum(y * r) / dx = sum over output channels of w[co, ci] r[n, co, pixel] (stride 1 only: every pixel)
      if (stride !== 1) continue;
      const r = Array.from({ length: e.data.length }, (_, i) => Math.cos(i * 0.11));
      const [gx] = q.grad(q.sum(q.mul(y, q.fromArray(r, e.shape))), [xt]);
      const P = H * H,
        dx = new Float64Array(size(xs));
      for (let n = 0; n < N; n++)
        for (let ci = 0; ci < Cin; ci++)
          for (let co = 0; co < Cout; co++)
            for (let px = 0; px < P; px++)
              dx[(n * Cin + ci) * P + px] += w[co * Cin + ci] * r[(n * Cout + co) * P + px];
      expectClose(await gx.toArray(), dx, 1e-4, 1e-4);
    }
    expect(
      engine()
        .pipelineKeys()
        .some((k) => /^conv_gemm(_sg)?:.*:pw:x4/.test(k)),
    ).toBe(true);
  });

  it('weight gradient split into image ranges (storage-binding limit) equals the unsplit one', async () => {
    const xs = [5, 6, 10, 10],
      ws = [8, 6, 3, 3];
    const x = q.keep(
      q.fromArray(
        Array.from({ length: size(xs) }, (_, i) => Math.sin(i * 0.3)),
        xs,
      ),
    );
    const w = q.fromArray(
      Array.from({ length: size(ws) }, (_, i) => Math.cos(i * 0.7)),
      ws,
    );
    w.requiresGrad = true;
    const dw = async () => {
      const [g] = q.grad(q.sum(q.mul(q.conv2d(x, w, null, { padding: 1 }), q.conv2d(x, w, null, { padding: 1 }))), [w]);
      return g.toArray();
    };
    const whole = await dw();
    convLimits.maxBinding = 2 * 100 * 56 * 4; // about 2 images per range: 3 ranges for 5 images
    try {
      expectClose(await dw(), whole, 1e-4, 1e-5);
    } finally {
      convLimits.maxBinding = 0;
    }
    x.dispose();
  });

  it('strided input gradients (col2im path, also split into image ranges) match finite differences', async () => {
    // impl 'gemm': with this few channels auto would pick the direct kernels and never reach col2im
    const cases = [
      { xs: [2, 3, 8, 8], ws: [4, 3, 3, 3], opts: { stride: 2, padding: 1, impl: 'gemm' as const } },
      { xs: [3, 4, 8, 8], ws: [6, 4, 1, 1], opts: { stride: 2, padding: 0, impl: 'gemm' as const } },
      { xs: [2, 2, 9, 9], ws: [4, 2, 3, 3], opts: { stride: 2, padding: 2, dilation: 2, impl: 'gemm' as const } },
    ];
    for (const limit of [0, 600]) {
      convLimits.maxBinding = limit; // 600 bytes: one image per range
      try {
        for (const cse of cases) {
          const x = Array.from({ length: size(cse.xs) }, (_, i) => Math.fround(Math.sin(i * 0.37)));
          const w = Array.from({ length: size(cse.ws) }, (_, i) => Math.fround(Math.cos(i * 0.53)));
          const o = cse.opts as { stride: number; padding: number; dilation?: number; impl: 'gemm' };
          const p: ConvParams = {
            stride: [o.stride, o.stride],
            padding: [o.padding, o.padding],
            dilation: [o.dilation ?? 1, o.dilation ?? 1],
            groups: 1,
          };
          const r = await q.gradcheck(
            ([tx, tw]) => q.conv2d(tx, tw, null, cse.opts),
            [
              { data: x, shape: cse.xs },
              { data: w, shape: cse.ws },
            ],
            {
              reference: ([rx, rw]) => refConv({ data: rx, shape: cse.xs }, { data: rw, shape: cse.ws }, null, p).data,
            },
          );
          expect(r.ok, `${JSON.stringify(cse)} limit ${limit}: ${r.worst}`).toBe(true);
        }
      } finally {
        convLimits.maxBinding = 0;
      }
    }
  });

  it('errors name the mismatch', () => {
    expect(() => q.conv2d(q.zeros([1, 3, 8, 8]), q.zeros([4, 2, 3, 3]))).toThrow(/expects 2 input channels.*has 3/);
    expect(() => q.conv2d(q.zeros([1, 4, 8, 8]), q.zeros([6, 2, 3, 3]), null, { groups: 4 })).toThrow(
      /groups 4 must divide/,
    );
    expect(() => q.conv2d(q.zeros([3, 8, 8]), q.zeros([4, 3, 3, 3]))).toThrow(/input must be \[N, C, H, W\]/);
    expect(() => q.conv2d(q.zeros([1, 3, 2, 2]), q.zeros([4, 3, 5, 5]))).toThrow(/does not fit/);
  });
});
