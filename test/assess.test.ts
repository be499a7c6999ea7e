// `quantscope assess` end to end without data: an empty data folder (any dataset read would throw), a small
// model and an ONNX one, a fit file; and the bad inputs a user meets: a fit of another protocol, a malformed fit file.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/nn/models/build.js';
import { moduleState } from '../src/nn/state.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import { fitForm } from '../src/quant/fit.js';
import { ASSESS_DEFAULTS, runAssess, validation, type AssessRow } from '../src/experiments/assess.js';
import { recommend } from '../src/experiments/rank.js';
import { predictLoss } from '../src/experiments/predict.js';
import { readJsonl } from '../src/platform/files.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

async function fixture(): Promise<{ dir: string; checkpoint: string; fit: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'qs-assess-'));
  const model = buildModel('VGG_demo', { seed: 3 });
  const checkpoint = join(dir, 'model.safetensors');
  writeFileSync(checkpoint, encodeSafetensors(await moduleState(model), { arch: 'VGG_demo', classes: '10' }));
  model.dispose();
  // a monotone fit of acc_loss on js_flops, as `quantscope fit` writes it
  const xs = [0.001, 0.01, 0.1, 0.5, 1, 3, 10];
  const best = fitForm(
    'rat22',
    xs,
    xs.map((x) => (0.8 * x) / (x + 1)),
  );
  const fit = join(dir, 'fit.json');
  writeFileSync(
    fit,
    JSON.stringify({
      created: 'test',
      sources: [],
      protocol: 'seed',
      fits: [{ scope: 'ALL/cifar10', measure: 'js_flops', best, alternatives: [], points: xs.length }],
    }),
  );
  return { dir, checkpoint, fit };
}

/** A tiny assess run with an empty data folder: any dataset read would throw. */
function tinyNoData(dir: string) {
  const empty = join(dir, 'no-data');
  mkdirSync(empty, { recursive: true });
  return {
    ...ASSESS_DEFAULTS,
    dataset: 'cifar10' as const,
    formats: ['INT8'],
    gen: { epochs: 1, itersPerEpoch: 2, batchSize: 16, fakeBatches: 2 },
    calibBatches: 1,
    evalImages: 16,
    pgdSteps: 1,
    dataDir: empty,
    quiet: true,
  };
}

describe('assess', () => {
  it('ranks formats with predicted loss and fake-set robustness, never opening a dataset', async () => {
    const { dir, checkpoint, fit } = await fixture();
    const config = { ...tinyNoData(dir), checkpoint, out: join(dir, 'assess'), fit };
    config.formats = ['INT8', 'INT2', 'POT4'];
    config.maxLoss = 0.05;
    const r = await runAssess(config);
    expect(r.rows.map((x) => x.format)).toEqual(['INT2', 'POT4', 'INT8']); // sorted by bits
    for (const x of r.rows) {
      expect(x.js_flops).toBeGreaterThanOrEqual(0);
      expect(x.predicted_loss).not.toBeNull();
      expect(x.predicted_lo as number).toBeLessThanOrEqual(x.predicted_loss as number);
    }
    // INT2 damages the weights far more than INT8
    const js = Object.fromEntries(r.rows.map((x) => [x.format, x.js_flops]));
    expect(js.INT2).toBeGreaterThan(js.INT8 * 10);
    expect(r.recommended).toEqual(
      r.recommended.filter((f) => (r.rows.find((x) => x.format === f)?.predicted_loss ?? 1) <= 0.05),
    );
    // resumable: a second run measures nothing new and gives the same rows
    const again = await runAssess(config);
    expect(again.rows).toEqual(r.rows);
    expect(readJsonl(join(dir, 'assess', 'assess.jsonl')).length).toBe(3);
  }, 300_000);

  it('assesses an ONNX model (a ResNet-20 not in our table) with no dataset present', async () => {
    const { dir, fit } = await fixture();
    const onnx = join(process.cwd(), 'test/fixtures/onnx/resnet20.onnx');
    const r = await runAssess({
      ...tinyNoData(dir),
      checkpoint: onnx,
      out: join(dir, 'onnx'),
      fit,
      formats: ['INT8', 'INT4'],
    });
    expect(r.model).toBe('onnx:resnet20.onnx');
    expect(r.rows.map((x) => x.format)).toEqual(['INT4', 'INT8']);
    expect(r.rows[0].js_flops).toBeGreaterThan(r.rows[1].js_flops);
  }, 300_000);

  it('refuses a fit of another protocol and a malformed fit file, naming the file', async () => {
    const { dir, checkpoint } = await fixture();
    const other = join(dir, 'clean-fit.json');
    writeFileSync(other, JSON.stringify({ protocol: 'clean', fits: [] }));
    const base = {
      ...ASSESS_DEFAULTS,
      checkpoint,
      dataset: 'cifar10' as const,
      out: join(dir, 'a'),
      formats: ['INT8'],
      gen: {},
      quiet: true,
    };
    await expect(runAssess({ ...base, fit: other })).rejects.toThrow(
      /protocol "clean".*quantscope fit --protocol seed/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "fits": [');
    await expect(runAssess({ ...base, fit: bad })).rejects.toThrow(new RegExp(`${bad}.*not valid JSON`));
    await expect(
      predictLoss({ fitFile: bad, checkpoint, formats: ['INT8'], measure: 'js_flops', scope: 'ALL' }),
    ).rejects.toThrow(/bad\.json is not valid JSON/);
  });

  it('recommends the fewest bits under the bound per family, and scores predictions against measurements', () => {
    const row = (format: string, family: string, bits: number, p: number, m: number): AssessRow => ({
      format,
      family,
      bits,
      inputs: '',
      js_flops: p,
      js_param: p,
      predicted_loss: p,
      predicted_lo: p - 0.01,
      predicted_hi: p + 0.01,
      fake_clean: 0.5,
      fake_pgd: 0.1,
      rel_fake_clean: 1,
      rel_fake_pgd: 1,
      predicted_rel_pgd: null,
      measured_loss: m,
    });
    const rows = [
      row('INT4', 'INT', 4, 0.2, 0.25),
      row('INT6', 'INT', 6, 0.008, 0.02),
      row('INT8', 'INT', 8, 0.001, 0.001),
    ];
    expect(recommend(rows, 0.01)).toEqual(['INT6']);
    const v = validation(rows, ['INT6'], 0.01);
    expect(v?.mae).toBeCloseTo((0.05 + 0.012 + 0) / 3, 9);
    expect(v?.coverage).toBeCloseTo(1 / 3, 9); // only INT8's measurement lies inside its band
    expect(v?.recommended_met).toBe(false); // INT6 lost 2% on the test set
  });
});
