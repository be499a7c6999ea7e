// Inference of a conv unit as one conv (nn/bn-fold.ts, ConvUnit.inferencePass): the eval BatchNorm folded into
// the weights and the ReLU / ReLU6 applied in the conv's store. The fused activation must match the float64
// reference on every conv path; the fused unit must give the module-by-module result, follow changes of the
// weights and running statistics, keep the input gradient an attack needs, and stay out of training.
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { BatchNorm2d, Conv2d, ReLU, ReLU6 } from '../src/nn/layers.js';
import { ConvUnit } from '../src/nn/models/modules.js';
import { inferenceFusion } from '../src/nn/bn-fold.js';
import { engine } from '../src/device/engine.js';
import { buildModel } from '../src/nn/models/build.js';
import { arr, conv2d as refConv } from './ref.js';
import { expectClose, ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const values = (n: number, f: number, scale = 1) => Array.from({ length: n }, (_, i) => scale * Math.sin(i * f + 0.3));
const ACT = { relu: (v: number) => Math.max(v, 0), relu6: (v: number) => Math.min(Math.max(v, 0), 6) };

describe('conv2d with an activation in its store', () => {
  // one case per conv path: implicit GEMM (1x1 and 3x3 strided), Winograd, depthwise, direct (grouped)
  const cases = [
    { name: 'gemm 1x1', impl: 'gemm', C: 8, Cout: 12, k: 1, stride: 1, pad: 0, groups: 1 },
    { name: 'gemm 3x3 s2', impl: 'gemm', C: 6, Cout: 8, k: 3, stride: 2, pad: 1, groups: 1 },
    { name: 'winograd', impl: 'winograd', C: 5, Cout: 8, k: 3, stride: 1, pad: 1, groups: 1 },
    { name: 'depthwise', impl: 'depthwise', C: 8, Cout: 8, k: 3, stride: 1, pad: 1, groups: 8 },
    { name: 'direct grouped', impl: 'direct', C: 8, Cout: 8, k: 3, stride: 1, pad: 1, groups: 4 },
  ] as const;
  for (const c of cases)
    for (const act of ['relu', 'relu6'] as const)
      it(`${c.name}, ${act}: act(conv + bias) as the float64 reference`, async () => {
        const xs = values(2 * c.C * 9 * 9, 0.37, 20),
          ws = values((c.Cout * c.C * c.k * c.k) / c.groups, 0.71),
          bs = values(c.Cout, 1.3);
        const wShape = [c.Cout, c.C / c.groups, c.k, c.k];
        const y = q.conv2d(q.fromArray(xs, [2, c.C, 9, 9]), q.fromArray(ws, wShape), q.fromArray(bs, [c.Cout]), {
          stride: c.stride,
          padding: c.pad,
          groups: c.groups,
          impl: c.impl,
          activation: act,
        });
        const ref = refConv(arr(xs, [2, c.C, 9, 9]), arr(ws, wShape), arr(bs, [c.Cout]), {
          stride: [c.stride, c.stride],
          padding: [c.pad, c.pad],
          dilation: [1, 1],
          groups: c.groups,
        });
        const want = ref.data.map(ACT[act]);
        expect(want.some((v) => v === 0)).toBe(true); // the activation has something to clip
        if (act === 'relu6') expect(want.some((v) => v === 6)).toBe(true);
        expectClose(await y.toArray(), want, 1e-4, 1e-4);
      });

  for (const c of cases)
    it(`${c.name}: a residual added in the store before the ReLU`, async () => {
      const xs = values(2 * c.C * 9 * 9, 0.37, 3),
        ws = values((c.Cout * c.C * c.k * c.k) / c.groups, 0.71);
      const wShape = [c.Cout, c.C / c.groups, c.k, c.k];
      const ref = refConv(arr(xs, [2, c.C, 9, 9]), arr(ws, wShape), null, {
        stride: [c.stride, c.stride],
        padding: [c.pad, c.pad],
        dilation: [1, 1],
        groups: c.groups,
      });
      const rs = values(ref.data.length, 0.13, 5);
      const y = q.conv2d(q.fromArray(xs, [2, c.C, 9, 9]), q.fromArray(ws, wShape), null, {
        stride: c.stride,
        padding: c.pad,
        groups: c.groups,
        impl: c.impl,
        activation: 'relu',
        residual: q.fromArray(rs, ref.shape),
      });
      expectClose(
        await y.toArray(),
        ref.data.map((v, i) => Math.max(v + rs[i], 0)),
        1e-4,
        1e-4,
      );
    });

  it('refuses a residual of another shape, naming both', () => {
    const x = q.fromArray(values(2 * 4 * 6 * 6, 0.3), [2, 4, 6, 6]);
    const w = q.fromArray(values(8 * 4, 0.5), [8, 4, 1, 1]);
    expect(() => q.conv2d(x, w, null, { residual: q.zeros([2, 8, 6, 5]) })).toThrow(
      /residual must be the output's shape \[2, 8, 6, 6\], got \[2, 8, 6, 5\]/,
    );
  });

  it('refuses a fused activation where a gradient is needed, names unknown ones, and runs under noGrad', async () => {
    const x = q.fromArray(values(2 * 4 * 6 * 6, 0.3), [2, 4, 6, 6]);
    const w = q.fromArray(values(8 * 4 * 9, 0.5), [8, 4, 3, 3]);
    w.requiresGrad = true;
    expect(() => q.conv2d(x, w, null, { activation: 'relu' })).toThrow(/fused activation 'relu' has no gradient/);
    expect(() => q.conv2d(x, w, null, { activation: 'gelu' as 'relu' })).toThrow(/unknown activation 'gelu'/);
    const y = q.noGrad(() => q.conv2d(x, w, null, { activation: 'relu' }));
    const plain = q.noGrad(() => q.relu(q.conv2d(x, w, null)));
    expectClose(await y.toArray(), await plain.toArray(), 1e-6, 1e-6);
  });
});

/** conv, BatchNorm with running statistics away from 0 / 1, activation */
function unit(act: 'relu' | 'relu6' | null, o: { C: number; Cout: number; k: number; groups?: number }): ConvUnit {
  const rng = new q.Random(7);
  const conv = new Conv2d({ in: o.C, out: o.Cout, kernel: o.k, padding: (o.k - 1) / 2, groups: o.groups ?? 1 }, rng);
  const bn = new BatchNorm2d(o.Cout);
  bn.setTensor('running_mean', q.fromArray(values(o.Cout, 0.9, 0.3), [o.Cout]));
  bn.setTensor(
    'running_var',
    q.fromArray(
      values(o.Cout, 1.7).map((v) => 0.5 + v * v),
      [o.Cout],
    ),
  );
  bn.setTensor('weight', q.fromArray(values(o.Cout, 2.1, 1.5), [o.Cout]));
  bn.setTensor('bias', q.fromArray(values(o.Cout, 0.4, 0.2), [o.Cout]));
  const m = new ConvUnit(conv, bn, act === 'relu' ? ReLU() : act === 'relu6' ? ReLU6() : null);
  m.register();
  return m.eval();
}

/** The unit's eval output fused and module by module, and how many dispatches a repeated fused pass takes. */
async function both(m: ConvUnit, x: q.Tensor) {
  const pass = async () => (await q.noGrad(() => m.forward(x, {})).toArray()) as Float32Array;
  const fused = await pass();
  const before = engine().stats().dispatches;
  await pass();
  const fusedDispatches = engine().stats().dispatches - before;
  inferenceFusion.enabled = false;
  try {
    const start = engine().stats().dispatches;
    const plain = await pass();
    return { fused, plain, fusedDispatches, plainDispatches: engine().stats().dispatches - start };
  } finally {
    inferenceFusion.enabled = true;
  }
}

describe('conv unit inference as one conv', () => {
  const x = () => q.fromArray(values(2 * 8 * 10 * 10, 0.23, 3), [2, 8, 10, 10]);
  for (const [act, shape] of [
    ['relu', { C: 8, Cout: 12, k: 3 }],
    ['relu6', { C: 8, Cout: 8, k: 3, groups: 8 }],
    [null, { C: 8, Cout: 16, k: 1 }],
  ] as const)
    it(`conv + bn${act ? ` + ${act}` : ''}${'groups' in shape ? ', depthwise' : ''}: the plain output`, async () => {
      const m = unit(act, shape);
      const { fused, plain, fusedDispatches, plainDispatches } = await both(m, x());
      expectClose(fused, plain, 1e-5, 1e-4);
      // the folded weights are kept and the BatchNorm's four dispatches (and the activation's) are gone
      expect(fusedDispatches).toBeLessThanOrEqual(plainDispatches - (act ? 5 : 4));
      m.dispose();
    });

  it('residual blocks (basic, bottleneck, inverted) give the plain output with the sum in the last conv', async () => {
    for (const name of ['ResNet_8_demo', 'MobileNetV2']) {
      const m = buildModel(name, { seed: 2 });
      const x = q.fromArray(values(2 * 3 * 32 * 32, 0.11, 2), [2, 3, 32, 32]);
      q.tidy(() => void m.forward(x)); // training mode: running statistics away from 0 / 1
      m.eval();
      const fused = (await q.noGrad(() => m.forward(x)).toArray()) as Float32Array;
      inferenceFusion.enabled = false;
      const plain = (await q.noGrad(() => m.forward(x)).toArray()) as Float32Array;
      inferenceFusion.enabled = true;
      expectClose(fused, plain, 1e-5, 1e-4);
      m.dispose();
    }
    expect(
      engine()
        .pipelineKeys()
        .some((k) => k.includes(':res')),
    ).toBe(true);
  });

  it('follows a change of the running statistics and of the weights (the folded pair is remade)', async () => {
    const m = unit('relu', { C: 8, Cout: 12, k: 3 });
    const input = x();
    const before = await both(m, input);
    // a training-mode pass moves the running statistics in place (a write, not a new tensor)
    m.train();
    q.tidy(() => void m.forward(input, {}));
    m.eval();
    const after = await both(m, input);
    expect(Math.max(...after.plain.map((v, i) => Math.abs(v - before.plain[i])))).toBeGreaterThan(1e-3);
    expectClose(after.fused, after.plain, 1e-5, 1e-4);
    // replacing the conv weight (state loading) is seen too
    m.conv.setTensor('weight', q.mul(m.conv.param('weight'), -1));
    const flipped = await both(m, input);
    expectClose(flipped.fused, flipped.plain, 1e-5, 1e-4);
    expect(Math.max(...flipped.plain.map((v, i) => Math.abs(v - after.plain[i])))).toBeGreaterThan(1e-3);
    m.dispose();
  });

  it('gives the input gradient an attack needs (frozen parameters, activation on its own)', async () => {
    const m = unit('relu6', { C: 8, Cout: 8, k: 3 });
    for (const p of m.parameters()) p.requiresGrad = false;
    const grads: Float32Array[] = [];
    for (const enabled of [true, false]) {
      inferenceFusion.enabled = enabled;
      const xv = x();
      xv.requiresGrad = true;
      const [g] = q.grad(q.sum(q.mul(m.forward(xv, {}), m.forward(xv, {}))), [xv]);
      grads.push((await g.toArray()) as Float32Array);
    }
    inferenceFusion.enabled = true;
    expect(grads[1].some((v) => v !== 0)).toBe(true);
    expectClose(grads[0], grads[1], 1e-4, 1e-3);
    m.dispose();
  });

  it('stays out of training and of passes that need parameter gradients', async () => {
    const m = unit('relu', { C: 8, Cout: 12, k: 3 });
    // eval mode, parameters that want gradients: the module-by-module path, so the gradients arrive
    const y = m.forward(x(), {});
    q.backward(q.sum(y));
    expect(m.conv.param('weight').grad).toBeTruthy();
    expect(m.bn?.param('weight').grad).toBeTruthy();
    m.dispose();
  });
});
