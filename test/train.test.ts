// Training on a small real CIFAR-10 subset: the loss falls, a killed-and-resumed run ends with exactly the
// parameters of an uninterrupted one, and a non-finite loss stops the run keeping the last checkpoint.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  NonFiniteLossError,
  SEED_RECIPE,
  train,
  loadTrainedModel,
  type TrainConfig,
} from '../src/experiments/train.js';
import { moduleState } from '../src/nn/state.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { trainValSplit } from '../src/data/batches.js';
import { readJsonl } from '../src/platform/files.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const config = (out: string, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  ...SEED_RECIPE,
  milestones: [2],
  model: 'ResNet_8_demo', // a narrow ResNet: BN, residual adds, shortcut convs, in seconds
  dataset: 'cifar10',
  epochs: 3,
  batchSize: 64,
  lr: 0.05,
  subset: 256,
  testSubset: 128,
  seed: 3,
  out,
  evalEvery: 0,
  dataDir: join(process.cwd(), '../shared/data'),
  ...extra,
});

describe('train', () => {
  let uninterrupted: Awaited<ReturnType<typeof moduleState>>;
  let outA = '';

  it('the loss falls on a real CIFAR-10 subset; metrics, checkpoint and result are written', async () => {
    outA = mkdtempSync(join(tmpdir(), 'qs-train-a-'));
    const r = await train(config(outA), false, { quiet: true });
    const m = readJsonl<{ epoch: number; loss: number; lr: number }>(join(outA, 'metrics.jsonl'));
    expect(m.map((x) => x.epoch)).toEqual([0, 1, 2]);
    expect(m[2].loss).toBeLessThan(m[0].loss * 0.95);
    expect(m[2].lr).toBeCloseTo(0.05 * 0.2, 8); // milestone 2 passed
    expect(r.testAcc).toBeGreaterThanOrEqual(0);
    // the seed's model selection: 20% of the subset held out, the best-validation epoch kept and tested
    const res = JSON.parse(readFileSync(join(outA, 'result.json'), 'utf8'));
    expect(res.split).toEqual({ seed: 3, fraction: 0.2, train: 205, val: 51 });
    const vals = readJsonl<{ val_acc: number }>(join(outA, 'metrics.jsonl')).map((x) => x.val_acc);
    expect(r.valAcc).toBe(Math.max(...vals));
    expect(r.bestEpoch).toBe(vals.indexOf(Math.max(...vals)));
    expect(res.best_epoch).toBe(r.bestEpoch);
    const meta = decodeSafetensors(new Uint8Array(readFileSync(join(outA, 'model.safetensors'))), 'm').metadata;
    expect(Number(meta.epoch)).toBe(r.bestEpoch);
    uninterrupted = await moduleState(r.model);
    const reloaded = loadTrainedModel(join(outA, 'model.safetensors'));
    expect((await moduleState(reloaded)).get('fc6.weight')?.data).toEqual(uninterrupted.get('fc6.weight')?.data);
    r.model.dispose();
    reloaded.dispose();
  });

  it('a run killed mid-epoch and resumed ends with the same parameters', async () => {
    const outB = mkdtempSync(join(tmpdir(), 'qs-train-b-'));
    // epoch 1 done, 2 batches into epoch 2
    const killed = await train(config(outB), false, { quiet: true, stopAfterBatches: 6 });
    expect(killed.stoppedEarly).toBeDefined();
    killed.model.dispose();
    const r = await train(config(outB), true, { quiet: true });
    const resumed = await moduleState(r.model);
    for (const [k, v] of uninterrupted) expect(resumed.get(k)?.data, k).toEqual(v.data);
    expect(readJsonl(join(outB, 'metrics.jsonl')).length).toBe(3);
    r.model.dispose();
  });

  it('a non-finite loss stops with a clear message and keeps the last good checkpoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qs-train-nan-'));
    const ok = await train(config(out, { epochs: 1 }), false, { quiet: true });
    ok.model.dispose();
    const err = await train(config(out, { epochs: 2, lr: 1e30, warmupEpochs: 0, milestones: [] }), true, {
      quiet: true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(String(err.message)).toMatch(/loss became (NaN|Infinity).*last good checkpoint \(after epoch 1\)/);
    const kept = loadTrainedModel(join(out, 'checkpoint.safetensors'));
    expect(kept.numParameters()).toBe(78_378); // ResNet_8_demo;
    kept.dispose();
  });
});

describe("the seed's train/validation split", () => {
  it('is a seeded partition: disjoint, complete, 80/20, the same for a seed and different across seeds', () => {
    const a = trainValSplit(1000, 0.2, 7);
    expect([a.train.length, a.val.length]).toEqual([800, 200]);
    expect(new Set([...a.train, ...a.val]).size).toBe(1000);
    expect(trainValSplit(1000, 0.2, 7)).toEqual(a);
    expect([...trainValSplit(1000, 0.2, 8).val]).not.toEqual([...a.val]);
    expect(trainValSplit(10, 0, 1).val.length).toBe(0);
    expect(() => trainValSplit(10, 1, 1)).toThrow(/validation split must be in \[0, 1\)/);
  });

  it('a batch size of 0 is refused before any training', async () => {
    await expect(train(config('/nonexistent', { batchSize: 0 }), false, { quiet: true })).rejects.toThrow(
      /batch size must be a positive integer, got 0/,
    );
  });
});
