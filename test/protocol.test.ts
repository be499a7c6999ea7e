// The seed's PTQ protocol: where it quantizes, its percent shares and MMac weighting, and its two quirks
// (an add's range from its last operand; INT not clamped), which protocol "clean" removes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { buildModel } from '../src/nn/models/build.js';
import { countFlops } from '../src/nn/flops.js';
import { calibratePoints, jsBias, PROTOCOLS, protocolContext, seedMac, unitShares } from '../src/quant/protocol.js';
import { ARCHITECTURES, BLOCKS } from '../src/nn/models/architectures.js';
import { fill, parseRow } from '../src/nn/models/parse.js';
import { foldBatchNorms, getFormat } from '../src/quant/index.js';
import { expectClose, ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const batch = (n: number, seed: number) => {
  const rng = new q.Random(seed);
  return { x: Float32Array.from({ length: n * 3072 }, () => rng.normal()), y: new Int32Array(n), n };
};

describe('the seed protocol', () => {
  it("MMac as ptflops prints it, GMac x 1024 (the seed's log/cbrt weighting)", () => {
    expect(seedMac(557_216_778)).toBeCloseTo(557.22, 10);
    expect(seedMac(1_307_668_490)).toBeCloseTo(1341.44, 10);
    expect(seedMac(1_463_741_450)).toBeCloseTo(1495.04, 10);
    expect(seedMac(3_743_182_858)).toBeCloseTo(3829.76, 10);
    expect(seedMac(70_082_570)).toBeCloseTo(70.08, 10);
  });

  it('a unit share and a bias JS, computed by hand', async () => {
    // AlexNet_BN conv0: 32x32x32 x 27 + bias 32x32x32 = 917,504; bn0 2 x 32,768; relu0 32,768; of 70,262,794
    const t = countFlops(buildModel('AlexNet_BN'));
    expect(unitShares(t).get('conv0')?.mac).toBeCloseTo((100 * (917_504 + 65_536 + 32_768)) / 70_262_794, 12);
    expect(unitShares(t).get('conv0')?.param).toBeCloseTo((100 * (896 + 64)) / 3_870_218, 12);
    // softmax([0, ln 2]) = [1/3, 2/3] against softmax([0, 0]) = [1/2, 1/2]
    const p = [1 / 3, 2 / 3],
      qv = [0.5, 0.5],
      m = [5 / 12, 7 / 12];
    const kl = (a: number[]) => a.reduce((s, v, i) => s + v * Math.log(v / m[i]), 0);
    const a = q.fromArray([0, Math.LN2], [2]),
      b = q.fromArray([0, 0], [2]);
    const js = jsBias(a, b);
    expect(await js.item()).toBeCloseTo(0.5 * kl(p) + 0.5 * kl(qv), 6);
    [a, b, js].forEach((x) => x.dispose());
  });

  it('unit shares are percent of the whole model: conv + BN + fused activation, pools left out', () => {
    const t = countFlops(buildModel('AlexNet_BN'));
    const s = unitShares(t);
    const conv0 = ['conv0', 'bn0', 'relu0'].reduce((a, n) => a + (t.layers.find((l) => l.name === n)?.macs ?? 0), 0);
    expect(s.get('conv0')?.mac).toBeCloseTo((100 * conv0) / t.totalMacs, 10);
    const rest = t.layers.filter((l) => l.kind === 'maxpool' || (l.kind === 'relu' && !l.unit));
    const units = [...s.values()].reduce((a, v) => a + v.mac, 0);
    expect(units + rest.reduce((a, l) => a + (100 * l.macs) / t.totalMacs, 0)).toBeCloseTo(100, 9);
    expect([...s.keys()]).toEqual(['conv0', 'conv2', 'conv4', 'conv5', 'conv6', 'fc10', 'fc13', 'fc15']);
  });

  it('quantizes the first input, every unit output, every add and the average pool; ranges by protocol', async () => {
    const m = buildModel('ResNet_8_demo', { seed: 2 });
    foldBatchNorms(m);
    const o = { f: null, firstLayer: 'conv0', ranges: null };
    const seed = await calibratePoints(m, [batch(4, 1)], 1, { ...o, quirks: PROTOCOLS.seed });
    const clean = await calibratePoints(m, [batch(4, 1)], 1, { ...o, quirks: PROTOCOLS.clean });
    expect(Object.keys(seed.joins).sort()).toEqual(['aap4', 'ml0_blk0_add0', 'ml1_blk0_add0', 'ml2_blk0_add0']);
    expect(Object.keys(seed.units)).toContain('ml1_blk0_ds_conv0');
    expect(Object.keys(seed.units)).toContain('fc6');
    expect(seed.input).toBeGreaterThan(0);
    // stage 0 has an identity shortcut: under the seed its add range is the block input's (conv0's output)
    expect(seed.joins.ml0_blk0_add0).toBeCloseTo(seed.units.conv0.out, 6);
    expect(clean.joins.ml0_blk0_add0).not.toBeCloseTo(seed.joins.ml0_blk0_add0, 3); // the sum's own range
    // with a projection the last operand is the shortcut conv's output
    expect(seed.joins.ml1_blk0_add0).toBeCloseTo(seed.units.ml1_blk0_ds_conv0.out, 6);
    expect(seed.units).toEqual(clean.units); // only sums differ
    m.dispose();
  });

  it('INT is not clamped under the seed; POT saturates; clean clamps both', async () => {
    const x = q.fromArray([0.5, 1, 3, -5], [4]);
    const ranges = { input: 1, units: { u: { in: 1, out: 1 } }, joins: {} };
    const run = async (protocol: 'seed' | 'clean', name: string) => {
      const ctx = protocolContext({ f: getFormat(name), quirks: PROTOCOLS[protocol], firstLayer: 'first', ranges });
      const y = ctx.unitHook?.('u', x) as q.Tensor;
      const a = [...(await y.toArray())];
      y.dispose();
      return a;
    };
    // scale 1/7: 0.5 -> 4/7; 3 and -5 lie beyond the range of 1 and stay (to f32 rounding) under the seed
    expectClose(await run('seed', 'INT4'), [4 / 7, 1, 3, -5], 1e-6, 1e-6);
    expectClose(await run('clean', 'INT4'), [4 / 7, 1, 1, -1], 1e-6, 1e-6);
    expect(Math.max(...(await run('seed', 'POT4')).map(Math.abs))).toBeLessThanOrEqual(1);
    x.dispose();
  });

  it('a point that calibration never saw is an error naming it', () => {
    const ctx = protocolContext({
      f: getFormat('INT8'),
      quirks: PROTOCOLS.seed,
      firstLayer: 'first',
      ranges: { input: 1, units: {}, joins: {} },
    });
    const x = q.fromArray([1], [1]);
    expect(() => ctx.unitHook?.('conv3', x)).toThrow(/the output of conv3 was not seen during calibration/);
    x.dispose();
  });

  it("every point the seed's rules name carries a quantizer, and no other (residual and inception nets)", async () => {
    // the reference: the seed's rules applied to the cfg table (first input, each unit, each add/concat, aap)
    const expected = (arch: string) => {
      const units: string[] = [];
      const joins: string[] = [];
      ARCHITECTURES[arch].layers.forEach((text, i) => {
        const r = parseRow(fill(text, { classes: 10 }));
        if (r.op === 'conv') units.push(`conv${i}`);
        if (r.op === 'linear') units.push(`fc${i}`);
        if (r.op === 'adaptive_avgpool') joins.push(`aap${i}`);
        if (r.op === 'inception') {
          joins.push(`inc${r.row}_concat`);
          (BLOCKS.inception.branches ?? []).forEach((rows, k) =>
            rows.forEach((row, j) => row.startsWith('conv') && units.push(`inc${r.row}_br${k}_conv${j}`)),
          );
        }
        if (r.op === 'stage') {
          const def = BLOCKS[r.block];
          for (let blk = 0; blk < r.blocks; blk++) {
            const row = def.rows[2 * r.stage + (blk ? 1 : 0)];
            const vars = Object.fromEntries(def.columns.map((c, k) => [c, row[k]]));
            const pre = `ml${r.stage}_blk${blk}_`;
            (def.body ?? []).forEach((_, j) => units.push(`${pre}ma_conv${j}`));
            if (def.projectIf && vars[def.projectIf]) units.push(`${pre}ds_conv0`);
            // the seed adds unconditionally in basic/bottleneck blocks, in inverted residuals when identity
            if (!def.residualIf || vars[def.residualIf]) joins.push(`${pre}add0`);
          }
        }
      });
      return { units: units.sort(), joins: joins.sort() };
    };
    for (const arch of ['ResNet_8_demo', 'MobileNetV2', 'Inception_BN']) {
      const m = buildModel(arch, { seed: 1 });
      foldBatchNorms(m);
      const r = await calibratePoints(m, [batch(1, 3)], 1, {
        f: null,
        firstLayer: 'conv0',
        ranges: null,
        quirks: PROTOCOLS.seed,
      });
      const want = expected(arch);
      expect(Object.keys(r.units).sort(), arch).toEqual(want.units);
      expect(Object.keys(r.joins).sort(), arch).toEqual(want.joins);
      if (arch === 'Inception_BN') {
        // the seed's concat range is its fourth branch's: the pool-projection conv's output
        expect(r.joins.inc0_concat).toBeCloseTo(r.units.inc0_br3_conv2.out, 6);
      }
      m.dispose();
    }
  }, 60_000);
});
