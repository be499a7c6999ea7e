// The model zoo: parameter counts from the cfg table (the reference numbers), forward shapes,
// FLOP counting conventions, cfg errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { buildModel, modelNames } from '../src/nn/models/build.js';
import { ARCHITECTURES } from '../src/nn/models/architectures.js';
import { fill, parseRow } from '../src/nn/models/parse.js';
import { countFlops, foldedLayerMacs } from '../src/nn/flops.js';
import { ready, expectClose } from './helpers.js';

beforeAll(async () => {
  await ready;
});

// the seed's own model code (ALL/cfg.py) gives these counts at 10 classes
const PARAMS: Record<string, number> = {
  ResNet_18: 11_173_962,
  ResNet_50: 23_520_842,
  ResNet_152: 58_156_618,
  MobileNetV2: 2_254_090,
  AlexNet: 3_868_746,
  AlexNet_BN: 3_870_218,
  VGG_16: 33_646_666,
  VGG_19: 38_958_922,
  Inception_BN: 5_878_442,
};

describe('model cfg table', () => {
  it('builds every model with the reference parameter count (10 classes)', () => {
    expect(
      modelNames()
        .filter((n) => !n.endsWith('_demo'))
        .sort(),
    ).toEqual(Object.keys(PARAMS).sort());
    expect(
      modelNames()
        .filter((n) => n.endsWith('_demo'))
        .sort(),
    ).toEqual(['AlexNet_demo', 'ResNet_8_demo', 'VGG_demo']);
    for (const [name, n] of Object.entries(PARAMS)) {
      const m = buildModel(name);
      expect(m.numParameters(), name).toBe(n);
      m.dispose();
    }
  });

  it('100 classes changes only the output layer', () => {
    const m10 = buildModel('ResNet_18'),
      m100 = buildModel('ResNet_18', { classes: 100 });
    expect(m100.numParameters() - m10.numParameters()).toBe(90 * 512 + 90);
    expect(m100.outputWeight().shape).toEqual([100, 512]);
    m10.dispose();
    m100.dispose();
  });

  it('forward gives [N, classes] logits for all models, finite', async () => {
    for (const name of modelNames()) {
      const m = buildModel(name, { classes: 100 }).eval();
      const y = q.tidy(() => q.noGrad(() => m.forward(q.randn([2, 3, 32, 32], new q.Random(1)))));
      expect(y.shape, name).toEqual([2, 100]);
      const a = await y.toArray();
      expect(a.every(Number.isFinite), name).toBe(true);
      y.dispose();
      m.dispose();
    }
  });

  it('fused BN+ReLU and residual sum+ReLU give the unfused outputs, gradients and running statistics', async () => {
    // a trace (as FLOP counting sets) makes every module run on its own: the unfused reference
    for (const name of ['ResNet_8_demo', 'VGG_demo']) {
      const step = async (ctx: { trace?: () => void }) => {
        const m = buildModel(name, { seed: 3 }).train();
        const x = q.randn([4, 3, 32, 32], new q.Random(5));
        const y = m.forward(x, ctx);
        q.backward(q.sum(q.mul(y, y)));
        const grads = await Promise.all(m.parameters().map((p) => (p.grad as q.Tensor).toArray()));
        const state = await Promise.all([...m.stateDict().values()].map((t) => t.toArray()));
        const out = await y.toArray();
        m.dispose();
        return { out, grads, state };
      };
      const fused = await step({}),
        plain = await step({ trace: () => undefined });
      expectClose(fused.out, plain.out, 1e-5, 1e-4);
      fused.grads.forEach((g, i) => expectClose(g, plain.grads[i], 1e-4, 1e-3));
      fused.state.forEach((t, i) => expectClose(t, plain.state[i], 1e-5, 1e-4));
    }
  });

  it("penultimate features have the output layer's input width", () => {
    const m = buildModel('MobileNetV2').eval();
    const { features, logits } = q.tidy(() => q.noGrad(() => m.forwardFeatures(q.randn([3, 3, 32, 32]))));
    expect(features.shape).toEqual([3, 1280]);
    expect(logits.shape).toEqual([3, 10]);
    features.dispose();
    logits.dispose();
    m.dispose();
  });

  it("names parameters with the seed's module names (its PyTorch state-dict keys)", () => {
    const m = buildModel('ResNet_18');
    const names = [...m.stateDict().keys()];
    expect(names).toContain('conv0.weight');
    expect(names).toContain('bn0.running_var');
    expect(names).toContain('ml0_blk1_ma_conv1.weight');
    expect(names).toContain('ml1_blk0_ds_conv0.weight');
    expect(names).toContain('ml1_blk0_ds_bn0.running_mean');
    expect(names).toContain('fc7.bias');
    expect(names.some((n) => n.startsWith('layers.'))).toBe(false);
    m.dispose();
    const inc = buildModel('Inception_BN');
    const incNames = [...inc.stateDict().keys()];
    expect(incNames).toContain('inc3_br1_conv1.weight');
    expect(incNames).toContain('inc0_br3_bn2.weight');
    expect(incNames).not.toContain('inc0_br0_conv0.bias'); // the seed's branch convs have no bias
    expect(incNames).toContain('conv16.weight');
    inc.dispose();
  });

  it('rejects bad cfg rows and names with a message naming the problem', () => {
    expect(() => parseRow('conv 3->16 k3 s1 p1 bn')).toThrow(/\+bias or -bias/);
    expect(() => parseRow('conv 3-16 k3 +bias')).toThrow(/IN->OUT/);
    expect(() => parseRow('swish')).toThrow(/unknown layer "swish"/);
    expect(() => fill('linear 128->{clases} +bias', { classes: 10 })).toThrow(/\{clases\}/);
    expect(() => buildModel('ResNet_19')).toThrow(/unknown model "ResNet_19"/);
    expect(() => buildModel('ResNet_18', { classes: 1 })).toThrow(/classes/);
  });

  it('takes its input shape from the table entry, and refuses a batch with other channels', () => {
    for (const name of modelNames()) {
      expect(ARCHITECTURES[name].input, name).toEqual([3, 32, 32]);
      expect(buildModel(name).batchShape(5)).toEqual([5, ...ARCHITECTURES[name].input]);
    }
    const gray = { ...ARCHITECTURES.AlexNet_demo, input: [1, 32, 32] as const };
    ARCHITECTURES.Gray_demo = {
      ...gray,
      layers: gray.layers.map((r, i) => (i === 0 ? r.replace(/^conv 3->/, 'conv 1->') : r)),
    };
    try {
      const m = buildModel('Gray_demo');
      expect(m.batchShape(2)).toEqual([2, 1, 32, 32]);
      expect(() => m.forward(q.zeros([2, 3, 32, 32]))).toThrow(
        'Gray_demo: expected input [N, 1, H, W], got [2,3,32,32]',
      );
    } finally {
      delete ARCHITECTURES.Gray_demo;
    }
  });
});

describe('FLOP counting (ptflops conventions)', () => {
  it('counts conv, BN, activations, pooling and linear as ptflops does', () => {
    const t = countFlops(buildModel('AlexNet_BN'));
    const conv0 = t.layers.find((l) => l.name === 'conv0');
    expect(conv0?.macs).toBe(32 * 32 * 32 * 3 * 9 + 32 * 32 * 32); // pixels x Cout x Cin x k^2 + bias
    expect(t.layers.find((l) => l.name === 'bn0')?.macs).toBe(2 * 32 * 32 * 32);
    expect(t.layers.find((l) => l.name === 'relu0')?.macs).toBe(32 * 32 * 32);
    expect(t.layers.find((l) => l.name === 'pool1')?.macs).toBe(32 * 32 * 32); // maxpool: input elements
    expect(t.layers.find((l) => l.kind === 'linear')?.macs).toBe(2304 * 1024 + 1024);
    expect(t.layers.reduce((s, l) => s + l.params, 0)).toBe(t.totalParams);
    expect(t.totalFlops).toBe(2 * t.totalMacs);
  });

  it("the seed's ResNet-18 has the well-known ~0.56 GMACs", () => {
    const t = countFlops(buildModel('ResNet_18'));
    expect(t.totalMacs / 1e9).toBeGreaterThan(0.55);
    expect(t.totalMacs / 1e9).toBeLessThan(0.57);
  });

  it('folds BN MACs and params into the preceding conv', () => {
    const t = countFlops(buildModel('ResNet_18'));
    const f = foldedLayerMacs(t);
    const conv = t.layers.find((l) => l.name === 'ml1_blk0_ds_conv0');
    const bn = t.layers.find((l) => l.name === 'ml1_blk0_ds_bn0');
    expect(f.get('ml1_blk0_ds_conv0')).toEqual({ macs: (conv?.macs ?? 0) + (bn?.macs ?? 0), params: 8192 + 256 });
    expect(f.has('fc7')).toBe(true); // the linear head
  });
});
