// Attacks, generator and robustness pieces: PGD stays in the eps-ball and the pixel box and lowers a
// trained model's accuracy; the BN-statistics loss is zero when statistics match; gradients flow from
// the classifier into the generator; the generator learns to make its labels; the adjust rule; PCA.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { buildModel } from '../src/nn/models/build.js';
import {
  attackSetOfFloats,
  attackSetOfPixels,
  fgsm,
  normaliser,
  pgd,
  pixelBatch,
  robustAccuracy,
} from '../src/nn/attacks.js';
import { bnStatsLoss } from '../src/nn/losses.js';
import { Generator, drawLabels } from '../src/nn/models/generator.js';
import { adjustDecision, boundsAt } from '../src/experiments/adjust.js';
import { pca, project } from '../src/experiments/pca.js';
import { SEED_RECIPE, train, loadTrainedModel } from '../src/experiments/train.js';
import { GEN_DEFAULTS, runGen } from '../src/experiments/gen.js';
import { readFakeSet } from '../src/data/fakeset.js';
import { loadCifar, NORMALIZATION, subset } from '../src/data/cifar.js';
import { accuracyOf } from '../src/nn/metrics.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const dataDir = join(process.cwd(), '../shared/data');
let trainedPath = '';

describe('attacks on a trained model', () => {
  it('PGD and FGSM stay inside the eps-ball and [0, 1], and PGD lowers accuracy', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qs-robust-'));
    const r = await train(
      {
        ...SEED_RECIPE,
        valSplit: 0, // this test is not about model selection: train on the whole subset
        milestones: [],
        model: 'VGG_demo',
        dataset: 'cifar10',
        epochs: 3,
        batchSize: 64,
        lr: 0.05,
        subset: 2048,
        testSubset: 200,
        seed: 2,
        out,
        evalEvery: 0,
        dataDir,
      },
      false,
      { quiet: true },
    );
    trainedPath = join(out, 'model.safetensors');
    const model = r.model.eval();
    const test = subset(loadCifar('cifar10', 'test', { dataDir }), 200);
    const eps = 4 / 255;
    const n = 64;
    const x = q.keep(q.fromArray(pixelBatch(test.images, 0, n), [n, 3, 32, 32]));
    const y = q.keep(q.fromArray(test.labels.slice(0, n), [n], 'int32'));
    const norm = normaliser(test);
    const x0 = await x.toArray();
    for (const adv of [
      pgd(model, norm, x, y, { eps, steps: 5, alpha: 1 / 255, seed: 3 }),
      fgsm(model, norm, x, y, { eps }),
    ]) {
      const a = await adv.toArray();
      let maxDev = 0,
        lo = 1,
        hi = 0;
      for (let i = 0; i < a.length; i++) {
        maxDev = Math.max(maxDev, Math.abs(a[i] - x0[i]));
        lo = Math.min(lo, a[i]);
        hi = Math.max(hi, a[i]);
      }
      expect(maxDev).toBeLessThanOrEqual(eps + 1e-6);
      expect(maxDev).toBeGreaterThan(eps * 0.5);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      adv.dispose();
    }
    const acc = await robustAccuracy(model, attackSetOfPixels(test), {
      space: 'pixel',
      eps,
      steps: 5,
      alpha: 1 / 255,
      batchSize: 100,
    });
    expect(acc.clean).toBeGreaterThan(0.25);
    expect(acc.pgd).toBeLessThan(acc.clean - 0.1);
    expect(acc.fgsm).toBeLessThan(acc.clean);
    expect(acc.clean).toBeCloseTo(await accuracyOf(model, test), 6); // same data path as plain evaluation
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

describe('BN-statistics loss', () => {
  it('is zero when batch statistics equal the running statistics, positive otherwise', async () => {
    const m = q.fromArray([1, 2, 3]),
      v = q.fromArray([0.5, 1, 2]);
    expect(await bnStatsLoss([{ mean: m, variance: v, runningMean: m, runningVar: v }]).item()).toBe(0);
    const l = await bnStatsLoss([
      { mean: m, variance: v, runningMean: q.fromArray([1, 2, 4]), runningVar: v },
      { mean: m, variance: v, runningMean: m, runningVar: v },
    ]).item();
    expect(l).toBeCloseTo(1 / 3 / 2, 6); // MSE 1/3 in one of two layers
  });

  it('a teacher in eval mode reports the batch statistics of each BN input', async () => {
    const t = buildModel('VGG_demo').eval();
    const stats: { mean: q.Tensor; variance: q.Tensor; runningMean: q.Tensor; runningVar: q.Tensor }[] = [];
    const x = q.randn([4, 3, 32, 32], new q.Random(1));
    q.noGrad(() => t.forward(x, { bnStats: stats as never }));
    expect(stats.length).toBe(3);
    const first = await stats[0].mean.toArray();
    expect(first.length).toBe(16);
    t.dispose();
  });
});

describe('generator', () => {
  it('gradients flow from the frozen classifier back into the generator (finite differences)', async () => {
    const teacher = buildModel('VGG_demo', { seed: 1 }).eval();
    teacher.parameters().forEach((p) => {
      p.requiresGrad = false;
    });
    const gen = new Generator({ classes: 10, latent: 8, seed: 2 });
    const draw = drawLabels(4, 10, 8, 2, new q.Random(5));
    const mix = q.keep(q.fromArray(draw.mix, [4, 10]));
    const emb = gen.param('embedding');
    // mixed labels (K = 2): the gradient passes the per-slot standardisation and the slot weights
    const lossOf = () => q.crossEntropy(teacher.forward(gen.generate(draw)), mix);
    const [g] = q.grad(lossOf(), [emb]);
    const ga = await g.toArray();
    const e0 = await emb.toArray();
    // central differences on a few embedding entries used by the drawn labels
    const used = [...new Set([...draw.labels])];
    for (const idx of [used[0] * 8 + 1, used[0] * 8 + 5]) {
      const h = 1e-2;
      const at = async (d: number) => {
        const e = Float32Array.from(e0);
        e[idx] += d;
        q.engine().write(emb.buffer, e);
        return q.noGrad(() => lossOf()).item();
      };
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      q.engine().write(emb.buffer, e0);
      expect(Math.abs(ga[idx] - fd)).toBeLessThan(0.02 + 0.1 * Math.abs(fd));
    }
    expect(ga.some((v) => v !== 0)).toBe(true);
    gen.dispose();
    teacher.dispose();
  });

  it('a short run lowers the loss and makes images the classifier labels as sampled, far above chance', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qs-gen-'));
    const r = await runGen(
      {
        ...GEN_DEFAULTS,
        checkpoint: trainedPath,
        dataset: 'cifar10',
        out,
        epochs: 4,
        itersPerEpoch: 12,
        batchSize: 32,
        lr: 0.01,
        milestones: [],
        fakeBatches: 4,
        quiet: true,
      },
      false,
    );
    const log = (await import('../src/platform/files.js')).readJsonl<{ loss: number; gen_acc: number }>(
      join(out, 'gen.jsonl'),
    );
    expect(log.length).toBe(4);
    expect(log[3].loss).toBeLessThan(log[0].loss);
    const teacher = loadTrainedModel(trainedPath);
    const fake = readFakeSet(r.fakePath, { classes: 10 });
    expect(fake.count).toBe(128);
    const acc = await robustAccuracy(teacher, attackSetOfFloats(fake.images, fake.labels, NORMALIZATION.cifar10), {
      steps: 1,
    });
    expect(acc.clean).toBeGreaterThan(0.4); // chance is 0.1
    teacher.dispose();
  });
});

describe('adjust rule', () => {
  const real = { clean: 0.9, pgd: 0.1 };
  const b = { org: 3, pgd: 1 };
  it('decides as the seed does on hand-made accuracy pairs', () => {
    expect(adjustDecision({ clean: 0.8, pgd: 0.12 }, real, b).decision).toBe('single');
    expect(adjustDecision({ clean: 0.8, pgd: 0.05 }, real, b).decision).toBe('single+pgd');
    expect(adjustDecision({ clean: 0.95, pgd: 0.05 }, real, b).decision).toBe('single+pgd');
    expect(adjustDecision({ clean: 0.95, pgd: 0.2 }, real, b).decision).toBe('mixed');
    expect(adjustDecision({ clean: 0.88, pgd: 0.105 }, real, b).decision).toBe('stop');
    expect(adjustDecision({ clean: 0.871, pgd: 0.095 }, real, b)).toMatchObject({ decision: 'stop' });
    const d = adjustDecision({ clean: 0.5, pgd: 0.3 }, real, b);
    expect(d.orgDiff).toBeCloseTo(-40, 9);
    expect(d.pgdDiff).toBeCloseTo(20, 9);
  });
  it('widens both bounds by 1 after every 300 rounds of its counter (robust-seed.test.ts checks each round)', () => {
    expect(boundsAt(299, b)).toEqual({ org: 3, pgd: 1 });
    expect(boundsAt(301, b)).toEqual({ org: 4, pgd: 2 });
    expect(boundsAt(905, b)).toEqual({ org: 6, pgd: 4 });
  });
});

describe('PCA', () => {
  /** float64 reference: Jacobi eigen-decomposition of the covariance matrix */
  function refTop2(data: number[][]): { vals: number[]; vecs: number[][] } {
    const n = data.length,
      d = data[0].length;
    const mean = Array.from({ length: d }, (_, j) => data.reduce((s, r) => s + r[j], 0) / n);
    const A = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => data.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1)),
    );
    let V = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j): number => (i === j ? 1 : 0)));
    let M = A;
    const mm = (X: number[][], Y: number[][]) =>
      X.map((row) => Y[0].map((_, j) => row.reduce((s, x, k) => s + x * Y[k][j], 0)));
    const tr = (X: number[][]) => X[0].map((_, j) => X.map((row) => row[j]));
    for (let sweep = 0; sweep < 50; sweep++) {
      for (let p = 0; p < d; p++)
        for (let r = p + 1; r < d; r++) {
          if (Math.abs(M[p][r]) < 1e-300) continue;
          // rotation J zeroing M[p][r] (Numerical Recipes): M <- J^T M J, V <- V J
          const theta = (M[r][r] - M[p][p]) / (2 * M[p][r]);
          const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1),
            sn = t * c;
          const J = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j): number => (i === j ? 1 : 0)));
          J[p][p] = c;
          J[r][r] = c;
          J[p][r] = sn;
          J[r][p] = -sn;
          M = mm(mm(tr(J), M), J);
          V = mm(V, J);
        }
    }
    const Af = M;
    const order = [...Array(d).keys()].sort((a, b2) => Af[b2][b2] - Af[a][a]);
    return { vals: order.slice(0, 2).map((i) => Af[i][i]), vecs: order.slice(0, 2).map((i) => V.map((row) => row[i])) };
  }
  it('top-2 components and variances match a Jacobi float64 reference (up to sign)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 1, max: 1000 }), (d, seed) => {
        const rng = new q.Random(seed);
        const scales = Array.from({ length: d }, (_, j) => 3 / (j + 1));
        const data = Array.from({ length: 40 }, () => scales.map((s) => s * rng.normal()));
        const ref = refTop2(data);
        if (ref.vals[0] - ref.vals[1] < 1e-3 * ref.vals[0]) return; // nearly tied: directions are not unique
        const p = pca(Float64Array.from(data.flat()), 40, d);
        for (let k = 0; k < 2; k++) {
          expect(p.variances[k]).toBeCloseTo(ref.vals[k], 6);
          const dot = p.components[k].reduce((s, v, j) => s + v * ref.vecs[k][j], 0);
          expect(Math.abs(dot)).toBeCloseTo(1, 5);
        }
        const [p1] = project(p, Float64Array.from(data.flat()), 40);
        const varP1 = p1.reduce((s, v) => s + v * v, 0) / 39;
        expect(varP1).toBeCloseTo(p.variances[0], 6);
      }),
      { numRuns: 20 },
    );
  });
});

describe('gen resume', () => {
  it('a generator run continued from its checkpoint equals an uninterrupted one', async () => {
    const { readFileSync } = await import('node:fs');
    const { decodeSafetensors } = await import('../src/io/safetensors.js');
    const cfg = (out: string, epochs: number) => ({
      ...GEN_DEFAULTS,
      checkpoint: trainedPath,
      dataset: 'cifar10' as const,
      out,
      epochs,
      itersPerEpoch: 3,
      batchSize: 16,
      lr: 0.01,
      milestones: [1],
      fakeBatches: 1,
      quiet: true,
    });
    const a = mkdtempSync(join(tmpdir(), 'qs-gen-a-')),
      b = mkdtempSync(join(tmpdir(), 'qs-gen-b-'));
    await runGen(cfg(a, 2), false);
    await runGen(cfg(b, 1), false);
    await runGen(cfg(b, 2), true);
    const wa = decodeSafetensors(new Uint8Array(readFileSync(join(a, 'generator.safetensors'))));
    const wb = decodeSafetensors(new Uint8Array(readFileSync(join(b, 'generator.safetensors'))));
    expect(wb.metadata.epochs_done).toBe('2');
    for (const [k, t] of wa.tensors) expect(wb.tensors.get(k)?.data, k).toEqual(t.data);
    expect(readFileSync(join(a, 'fake.safetensors')).equals(readFileSync(join(b, 'fake.safetensors')))).toBe(true);
  });
});
