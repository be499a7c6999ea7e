// PTQ: BN folding keeps eval outputs, calibration sees every layer, the sweep writes consistent and
// resumable results on a real (tiny) trained model, and the fits recover known curves.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { buildModel } from '../src/nn/models/build.js';
import { foldBatchNorms, calibrate, quantLayers, disposeLayers } from '../src/quant/index.js';
import { fitForm, predictFit, selectFit } from '../src/quant/fit.js';
import { runPtq } from '../src/experiments/ptq.js';
import { SEED_RECIPE, train } from '../src/experiments/train.js';
import { readJsonl } from '../src/platform/files.js';
import { ready, expectClose } from './helpers.js';

beforeAll(async () => {
  await ready;
});

async function randomiseBn(m: ReturnType<typeof buildModel>, seed: number): Promise<void> {
  const rng = new q.Random(seed);
  for (const [name, t] of m.stateDict()) {
    if (!/(^|_)bn\d+\./.test(name)) continue;
    const vals = Float32Array.from({ length: t.size }, () =>
      name.endsWith('running_var') ? 0.5 + rng.uniform() : rng.normal() * 0.5 + (name.endsWith('weight') ? 1 : 0),
    );
    q.engine().write(t.buffer, vals);
  }
}

describe('BN folding', () => {
  for (const arch of ['AlexNet_BN', 'ResNet_8_demo', 'ResNet_18', 'MobileNetV2', 'Inception_BN']) {
    it(`leaves ${arch}'s eval outputs unchanged`, async () => {
      const m = buildModel(arch, { seed: 4 });
      await randomiseBn(m, 5);
      m.eval();
      const x = q.keep(q.randn([2, 3, 32, 32], new q.Random(6)));
      const before = await q.tidy(() => q.noGrad(() => m.forward(x))).toArray();
      const n = foldBatchNorms(m);
      expect(n).toBeGreaterThan(0);
      expect([...m.stateDict().keys()].some((k) => /(^|_)bn\d+\./.test(k))).toBe(false);
      const after = await q.tidy(() => q.noGrad(() => m.forward(x))).toArray();
      expectClose(after, before, 2e-4, 2e-3);
      x.dispose();
      m.dispose();
    });
  }
});

describe('calibration', () => {
  it('records a positive input and output range for every conv/linear layer', async () => {
    const m = buildModel('VGG_demo');
    foldBatchNorms(m);
    const rng = new q.Random(1);
    const batches = [0, 1].map(() => ({
      x: Float32Array.from({ length: 4 * 3072 }, () => rng.normal()),
      y: new Int32Array(4),
      n: 4,
    }));
    const cal = await calibrate(m, batches, 10);
    const layers = await quantLayers(m);
    expect(Object.keys(cal).sort()).toEqual(layers.map((l) => l.name).sort());
    for (const v of Object.values(cal)) {
      expect(v.inAbsMax).toBeGreaterThan(0);
      expect(v.outAbsMax).toBeGreaterThan(0);
    }
    // the first layer sees the raw input: its range is max|x| over both batches
    const firstIn = Math.max(...batches.flatMap((b) => [...b.x].map(Math.abs)));
    expect(cal['conv0'].inAbsMax).toBeCloseTo(firstIn, 5);
    disposeLayers(layers);
    m.dispose();
  });
});

/** the folder of the model the first sweep test trains (the seed-protocol test reuses it) */
let trainedDir = '';

/** A short sweep (three formats, two calibration batches, 256 test images) of the model trained in `dir`. */
const sweepConfig = (dir: string) => ({
  checkpoint: join(dir, 'model.safetensors'),
  dataset: 'cifar10' as const,
  families: [],
  bits: [],
  formats: ['INT8', 'INT2', 'POT4'],
  calibBatches: 2,
  calibBatchSize: 64,
  testSubset: 256,
  dataDir: join(process.cwd(), '../shared/data'),
  histBins: 256,
  quiet: true,
});

describe('ptq sweep on a trained model', () => {
  it('writes rows with consistent acc_loss, orders INT2 below INT8, and resumes without redoing work', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qs-ptq-'));
    trainedDir = out;
    const dataDir = join(process.cwd(), '../shared/data');
    const r = await train(
      {
        ...SEED_RECIPE,
        valSplit: 0, // this test is not about model selection: train on the whole subset
        milestones: [],
        model: 'VGG_demo',
        dataset: 'cifar10',
        epochs: 2,
        batchSize: 64,
        lr: 0.05,
        subset: 1024,
        testSubset: 256,
        seed: 1,
        out,
        evalEvery: 0,
        dataDir,
      },
      false,
      { quiet: true },
    );
    r.model.dispose();
    // the earlier approximation; the seed's protocol is the last test's
    const cfg = { ...sweepConfig(out), out, protocol: 'legacy' as const };
    const rows = await runPtq(cfg);
    expect(rows.map((x) => x.format)).toEqual(['INT8', 'INT2', 'POT4']);
    const [int8, int2] = rows;
    for (const row of rows) expect(row.acc_loss).toBeCloseTo((row.fp_acc - row.q_acc) / row.fp_acc, 12);
    expect(int8.fp_acc).toBeGreaterThan(0.15);
    expect(Math.abs(int8.q_acc - int8.fp_acc)).toBeLessThan(0.03);
    expect(int2.js_flops).toBeGreaterThan(int8.js_flops * 10);
    expect(int2.q_acc).toBeLessThan(int8.q_acc);
    const shares = int8.layers.reduce((s, l) => s + l.mac_share, 0);
    expect(shares).toBeCloseTo(1, 9);
    expect(int8.js_flops_wt_log).toBeCloseTo(int8.js_flops * Math.log10(int8.total_macs), 12);
    // resume: a second run with one more format measures only that one
    const again = await runPtq({ ...cfg, formats: ['INT8', 'INT2', 'POT4', 'FLOAT6_E3'] });
    expect(again.length).toBe(4);
    expect(again[0]).toEqual(int8);
    expect(readJsonl(join(out, 'ptq.jsonl')).length).toBe(4);
    expect(readFileSync(join(out, 'ptq.csv'), 'utf8').split('\n')[0]).toMatch(
      /^model,dataset,format,protocol,family,bits,js_param,js_flops/,
    );
    // the seed's calibration (ranges measured through the fake-quantized network) in its own folder
    await expect(runPtq({ ...cfg, calibration: 'quantized' })).rejects.toThrow(/calibrated with "fp", not "quantized"/);
    const qout = mkdtempSync(join(tmpdir(), 'qs-ptq-q-'));
    const [q8, q2] = await runPtq({ ...cfg, formats: ['INT8', 'INT2'], calibration: 'quantized', out: qout });
    expect(q8.calibration).toBe('quantized');
    expect(q8.js_flops).toBeCloseTo(int8.js_flops, 12); // weights do not depend on calibration
    expect(Math.abs(q8.q_acc - int8.q_acc)).toBeLessThan(0.03);
    expect(q2.q_acc).toBeLessThan(q8.q_acc);
  });
});

describe('fits', () => {
  const xs = Array.from({ length: 24 }, (_, i) => 1e-4 * (i + 1) ** 1.5);
  it('a quadratic is recovered exactly', () => {
    const ys = xs.map((x) => 0.02 + 30 * x - 2000 * x * x);
    const f = fitForm('poly2', xs, ys);
    expect(f?.r2).toBeCloseTo(1, 9);
    for (const x of [xs[0], xs[10], xs[23]])
      expect(predictFit(f as NonNullable<typeof f>, x)).toBeCloseTo(0.02 + 30 * x - 2000 * x * x, 9);
  });
  it('a power law and a saturating exponential are recovered and chosen by held-out R²', () => {
    const pw = xs.map((x) => 3 * x ** 0.7);
    const best = selectFit(xs, pw)[0];
    expect(best.form).toBe('power');
    expect(best.params[1]).toBeCloseTo(0.7, 4);
    expect(predictFit(best, 0.01)).toBeCloseTo(3 * 0.01 ** 0.7, 5);
    const se = xs.map((x) => 0.8 * (1 - Math.exp(-400 * x)));
    const f = fitForm('satexp', xs, se);
    expect(f?.r2).toBeGreaterThan(0.999999);
    expect(f?.params[0]).toBeCloseTo(0.8, 4);
  });
  it('noisy linear data prefer a low-degree form over degree 4 on held-out points', () => {
    const rng = new q.Random(2);
    const ys = xs.map((x) => 5 * x + 0.002 * rng.normal());
    const fits = selectFit(xs, ys);
    expect(['poly1', 'poly2', 'power']).toContain(fits[0].form);
    expect(fits.find((f) => f.form === 'poly4')?.r2).toBeGreaterThanOrEqual(
      fits.find((f) => f.form === 'poly1')?.r2 ?? 1,
    );
  });
});

describe('fit and predict on sweep results', () => {
  it('fit writes figures and fit.json; predict applies the saved fit to a model without data', async () => {
    const { mkdtempSync: mk, existsSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { runFit } = await import('../src/experiments/fit.js');
    const { predictLoss } = await import('../src/experiments/predict.js');
    const { moduleState } = await import('../src/nn/state.js');
    const { encodeSafetensors } = await import('../src/io/safetensors.js');
    const dir = mk(join(tmpdir(), 'qs-fit-'));
    // synthetic sweep rows for two models: acc_loss = 20 * js_flops (+ small model-specific offsets)
    for (const [model, off] of [
      ['A', 0],
      ['B', 0.01],
    ] as const) {
      mkdirSync(join(dir, model), { recursive: true });
      const rows = Array.from({ length: 12 }, (_, i) => {
        const js = 1e-3 * (i + 1);
        return {
          model,
          dataset: 'cifar10',
          format: `F${i}`,
          family: 'INT',
          bits: i + 2,
          js_param: js,
          js_flops: js,
          js_flops_wt_log: js * 7,
          js_flops_wt_cbrt: js * 300,
          js_hist_param: js,
          js_hist_flops: js,
          fp_acc: 0.9,
          q_acc: 0.9 * (1 - 20 * js - off),
          acc_loss: 20 * js + off,
          total_macs: 1e7,
          layers: [],
        };
      });
      writeFileSync(join(dir, model, 'ptq.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    const report = await runFit(dir);
    const overall = report.fits.find((f) => f.measure === 'js_flops' && f.scope === 'ALL/cifar10');
    expect(overall?.best.r2).toBeGreaterThan(0.99);
    expect(existsSync(join(dir, 'fit-js_flops-all-cifar10.png'))).toBe(true);
    expect(existsSync(join(dir, 'fit-js_flops-models.svg'))).toBe(true);
    const m = buildModel('VGG_demo');
    writeFileSync(
      join(dir, 'm.safetensors'),
      encodeSafetensors(await moduleState(m), { arch: 'VGG_demo', classes: '10' }),
    );
    m.dispose();
    const [int8, int2] = await predictLoss({
      fitFile: join(dir, 'fit.json'),
      checkpoint: join(dir, 'm.safetensors'),
      formats: ['INT8', 'INT2'],
      measure: 'js_flops',
      scope: 'ALL',
    });
    expect(int2.x).toBeGreaterThan(int8.x);
    expect(int2.predicted).toBeGreaterThan(int8.predicted);
    for (const r of [int8, int2]) {
      expect(r.interval[0]).toBeLessThanOrEqual(r.predicted); // 5-95% of the held-out residuals
      expect(r.interval[1]).toBeGreaterThanOrEqual(r.predicted);
    }
    expect(int8.predicted).toBeCloseTo(20 * int8.x + 0.005, 1);
    await expect(
      predictLoss({
        fitFile: join(dir, 'fit.json'),
        checkpoint: join(dir, 'm.safetensors'),
        formats: ['INT8'],
        measure: 'js_flops',
        scope: 'C/cifar10',
      }),
    ).rejects.toThrow(/no fit for measure js_flops and scope C\/cifar10/);
  });

  it("protocol seed: the seed's placement and similarity; clean differs only by the quirks; never mixed", async () => {
    const cfg = sweepConfig(trainedDir);
    const sout = mkdtempSync(join(tmpdir(), 'qs-ptq-seed-'));
    const [s8, s2, p4] = await runPtq({ ...cfg, out: sout, protocol: 'seed' });
    expect([s8, s2, p4].map((r) => r.protocol)).toEqual(['seed', 'seed', 'seed']);
    expect(s2.q_acc).toBeLessThan(s8.q_acc);
    expect(Math.abs(s8.q_acc - s8.fp_acc)).toBeLessThan(0.03);
    expect(s2.js_flops).toBeGreaterThan(s8.js_flops * 10);
    // percent shares of the whole model: the units hold all but the pools' and the standalone ReLU's share
    const shares = s8.layers.reduce((a, l) => a + l.mac_share, 0);
    expect(shares).toBeGreaterThan(95);
    expect(shares).toBeLessThan(100);
    expect(s8.layers.every((l) => typeof l.js_bias === 'number')).toBe(true);
    const js = s8.layers.reduce((a, l) => a + (l.js + (l.js_bias ?? 0)) * l.mac_share, 0);
    expect(s8.js_flops).toBeCloseTo(js, 10);
    await expect(runPtq({ ...cfg, out: sout, protocol: 'clean' })).rejects.toThrow(
      /holds results of protocol "seed", not "clean"/,
    );
    const [c8, c2] = await runPtq({
      ...cfg,
      formats: ['INT8', 'INT2'],
      out: mkdtempSync(join(tmpdir(), 'qs-c-')),
      protocol: 'clean',
    });
    expect(c8.protocol).toBe('clean');
    expect(c8.js_flops).toBeCloseTo(s8.js_flops, 6); // VGG has no sums: only the INT clamp can differ
    expect(c2.q_acc).toBeLessThan(c8.q_acc);
  });
});
