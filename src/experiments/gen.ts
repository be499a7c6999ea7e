// `quantscope gen`: train the conditional generator against a frozen classifier (the seed's procedure,
// ../shared/seed/generator-notes.md), optionally adjust it against the classifier's real clean/PGD
// accuracies, and write a fixed, seeded fake dataset. Files in the output folder:
//   generator.safetensors  generator + Adam state + metadata (per epoch, atomic; --resume continues)
//   gen.jsonl              per epoch: loss, ce, bns, gen_acc, lr       adjust.jsonl  one line per round
//   fake.bin / fake-adjust.bin  fake sets in the CIFAR-10 record layout (+ .json summaries)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar, NORMALIZATION, type DatasetName } from '../data/cifar.js';
import { toPixels, writeImageSet } from '../data/fakeset.js';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../io/safetensors.js';
import { add, backward, crossEntropy, fromArray, mul, noGrad, Random, tidy, clamp, sub, div } from '../index.js';
import { countCorrect } from '../nn/metrics.js';
import { concat } from '../tensor/ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { bnStatsLoss } from '../nn/losses.js';
import type { BNStats } from '../nn/module.js';
import { Generator, drawLabels } from '../nn/models/generator.js';
import type { Classifier } from '../nn/models/build.js';
import { Adam } from '../nn/optim.js';
import { multiStepLR } from '../nn/schedulers.js';
import { loadModuleState, loadOptimizerState, moduleState, optimizerState, weightsOnly } from '../nn/state.js';
import { pgd, robustAccuracy, withFrozenParamsAsync, PGD_DEFAULTS, normaliser } from '../nn/attacks.js';
import { appendJsonl, keepJsonl, readBytes, readJsonl, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { loadTrainedModel } from './train.js';
import { ADJUST_DEFAULTS, adjustDecision, boundsAt, type AdjustDecision } from './adjust.js';
import { log, Progress } from './progress.js';

export interface GenConfig {
  checkpoint: string;
  model?: string;
  dataset: DatasetName;
  out: string;
  epochs: number;
  itersPerEpoch: number;
  batchSize: number;
  lr: number;
  betas: [number, number];
  milestones: number[];
  gamma: number;
  bnsWeight: number;
  multiLabelNum: number;
  /** probability that a training batch uses mixed labels (when multiLabelNum > 1) */
  mixProb: number;
  freezeEmbedding: boolean;
  seed: number;
  fakeBatches: number;
  adjust: boolean;
  adjustRounds: number;
  adjustFakeBatches: number;
  orgBound: number;
  pgdBound: number;
  widenEvery: number;
  eps: number;
  pgdSteps: number;
  pgdAlpha: number;
  /** real-test-set accuracies for adjust (measured from the test set when absent) */
  realClean?: number;
  realPgd?: number;
  testSubset?: number;
  dataDir?: string;
  quiet?: boolean;
}

export const GEN_DEFAULTS = {
  epochs: 20,
  itersPerEpoch: 200,
  batchSize: 128,
  betas: [0.5, 0.999] as [number, number],
  milestones: [15],
  gamma: 0.2,
  bnsWeight: 0.1,
  multiLabelNum: 2,
  mixProb: 0.5,
  freezeEmbedding: false,
  seed: 0,
  fakeBatches: 20,
  adjust: false,
  adjustRounds: 1000,
  adjustFakeBatches: 20,
  orgBound: ADJUST_DEFAULTS.orgBound,
  pgdBound: ADJUST_DEFAULTS.pgdBound,
  widenEvery: ADJUST_DEFAULTS.widenEvery,
  eps: PGD_DEFAULTS.eps,
  pgdSteps: PGD_DEFAULTS.steps,
  pgdAlpha: PGD_DEFAULTS.alpha,
};
export const defaultGenLr = (d: DatasetName) => (d === 'cifar100' ? 0.005 : 0.001);

/** The classifier's output-layer weight as a [classes, features] embedding. */
export async function embeddingFrom(teacher: Classifier): Promise<{ data: Float32Array; latent: number }> {
  const w = teacher.outputWeight();
  const latent = w.size / teacher.classes;
  return { data: (await w.toArray()) as Float32Array, latent };
}

interface StepResult {
  ce: Tensor;
  bns: Tensor;
  correct: Tensor;
}

/**
 * One generator update on N samples. mode 'single' | 'mixed' picks the labels; withPgd adds PGD-perturbed
 * copies (the perturbation is found against the teacher and added as a constant, so the gradient still
 * reaches the generator through the clean image).
 */
export function generatorStep(
  gen: Generator,
  teacher: Classifier,
  opt: Adam,
  n: number,
  k: number,
  withPgd: boolean,
  rng: Random,
  c: Pick<GenConfig, 'bnsWeight' | 'eps' | 'pgdSteps' | 'pgdAlpha' | 'dataset'>,
  norm: { mean: readonly number[]; std: readonly number[] },
): StepResult {
  const classes = teacher.classes;
  const draw = drawLabels(n, classes, gen.o.latent, k, rng);
  return tidy(() => {
    const mix = fromArray(draw.mix, [n, classes]);
    const images = gen.forward(mix, {}, fromArray(draw.noise, [n, gen.o.latent]));
    const stats: BNStats[] = [];
    let inputs = images;
    let target = mix;
    if (withPgd) {
      // pixel-space PGD on a detached copy, applied as a constant offset in normalised space
      const mean = fromArray(Float32Array.from(norm.mean), [1, 3, 1, 1]),
        std = fromArray(Float32Array.from(norm.std), [1, 3, 1, 1]);
      const px = noGrad(() => clamp(add(mul(images, std), mean), 0, 1));
      const labels = fromArray(draw.labels, [n], 'int32');
      const adv = pgd(teacher, normaliser(norm), px, labels, {
        eps: c.eps,
        steps: c.pgdSteps,
        alpha: c.pgdAlpha,
        seed: rng.int(1 << 30),
      });
      const delta = noGrad(() => div(sub(adv, px), std));
      inputs = concat([images, add(images, delta)], 0);
      target = concat([mix, mix], 0);
    }
    const logits = teacher.forward(inputs, { bnStats: stats });
    const ce = crossEntropy(logits, target);
    // a classifier without BatchNorm (AlexNet) gives no statistics: the BN term is then zero
    const bns = stats.length ? bnStatsLoss(stats) : mul(ce, 0);
    const loss = add(ce, mul(bns, c.bnsWeight));
    backward(loss);
    opt.stepUpdate();
    opt.zeroGrad();
    const sampled = fromArray(
      withPgd ? Int32Array.from([...draw.labels, ...draw.labels]) : draw.labels,
      [inputs.shape[0]],
      'int32',
    );
    const correct = noGrad(() => countCorrect(logits, sampled));
    return { ce: noGrad(() => mul(ce, 1)), bns: noGrad(() => mul(bns, 1)), correct };
  });
}

async function saveGenerator(path: string, gen: Generator, opt: Adam, meta: Record<string, string>): Promise<void> {
  const all = new Map<string, StTensor>([...(await moduleState(gen)), ...(await optimizerState(opt))]);
  writeFileAtomic(
    path,
    encodeSafetensors(all, { ...meta, adam_steps: JSON.stringify(opt.paramSteps), optimizer_step: String(opt.step) }),
  );
}

function loadGenerator(path: string, gen: Generator, opt: Adam | null): Record<string, string> {
  const f = decodeSafetensors(readBytes(path, 'generator'), path);
  loadModuleState(gen, weightsOnly(f.tensors), { source: path });
  if (opt) {
    loadOptimizerState(opt, f.tensors, path);
    opt.paramSteps = JSON.parse(f.metadata.adam_steps ?? '[]');
    opt.step = Number(f.metadata.optimizer_step ?? 0);
  }
  return f.metadata;
}

/** Generate N single-label images with a fixed seed, as uint8 pixels. */
export async function generateFakeSet(
  gen: Generator,
  classes: number,
  n: number,
  batch: number,
  seed: string,
  dataset: DatasetName,
): Promise<{ images: Uint8Array; labels: Int32Array }> {
  const rng = new Random(seed);
  const images = new Uint8Array(n * 3072),
    labels = new Int32Array(n);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const d = drawLabels(m, classes, gen.o.latent, 1, rng);
    const x = noGrad(() =>
      tidy(() => gen.forward(fromArray(d.mix, [m, classes]), {}, fromArray(d.noise, [m, gen.o.latent]))),
    );
    images.set(toPixels((await x.toArray()) as Float32Array, m, dataset), s * 3072);
    labels.set(d.labels, s);
    x.dispose();
  }
  return { images, labels };
}

export interface GenResult {
  genAcc: number;
  fakePath: string;
  adjustPath?: string;
  rounds?: number;
}

export async function runGen(c: GenConfig, resume = true): Promise<GenResult> {
  const teacher = loadTrainedModel(c.checkpoint, c.model).eval();
  const { data: embInit, latent } = await embeddingFrom(teacher);
  const gen = new Generator(
    { classes: teacher.classes, latent, seed: c.seed, freezeEmbedding: c.freezeEmbedding },
    embInit,
  );
  const opt = new Adam(gen.trainable(), { lr: c.lr, betas: c.betas });
  const ckpt = join(c.out, 'generator.safetensors');
  let startEpoch = 0;
  if (resume && existsSync(ckpt)) {
    const meta = loadGenerator(ckpt, gen, opt);
    startEpoch = Number(meta.epochs_done ?? 0);
    if (!c.quiet) log(`gen: resuming after epoch ${startEpoch} from ${ckpt}`);
  }
  const jsonl = join(c.out, 'gen.jsonl');
  keepJsonl<{ epoch: number }>(jsonl, (r) => r.epoch < startEpoch);
  const lrAt = multiStepLR(c.lr, c.milestones, c.gamma);
  const norm = NORMALIZATION[c.dataset];
  let genAcc = NaN;
  await withFrozenParamsAsync(teacher, async () => {
    for (let epoch = startEpoch; epoch < c.epochs; epoch++) {
      gen.train();
      opt.lr = lrAt({ epoch, batch: 0, batchesPerEpoch: c.itersPerEpoch });
      const bar = new Progress(`gen epoch ${epoch + 1}/${c.epochs}`, c.itersPerEpoch, c.quiet);
      let ce = 0,
        bns = 0,
        correct = 0,
        seen = 0;
      for (let it = 0; it < c.itersPerEpoch; it++) {
        const rng = new Random(`gen:${c.seed}:${epoch}:${it}`);
        const mixed = c.multiLabelNum > 1 && rng.uniform() < c.mixProb;
        const r = generatorStep(gen, teacher, opt, c.batchSize, mixed ? c.multiLabelNum : 1, false, rng, c, norm);
        const vals = [await r.ce.item(), await r.bns.item(), await r.correct.item()];
        r.ce.dispose();
        r.bns.dispose();
        r.correct.dispose();
        if (!vals.every(Number.isFinite))
          throw new Error(
            `gen: loss became non-finite in epoch ${epoch + 1} iteration ${it + 1}; the last good generator is kept at ${ckpt}`,
          );
        ce += vals[0];
        bns += vals[1];
        if (!mixed) {
          correct += vals[2];
          seen += c.batchSize;
        }
        bar.update(it + 1, { ce: ce / (it + 1), bns: bns / (it + 1), gen_acc: seen ? correct / seen : 0 });
      }
      genAcc = seen ? correct / seen : NaN;
      await saveGenerator(ckpt, gen, opt, {
        epochs_done: String(epoch + 1),
        arch: teacher.arch,
        classes: String(teacher.classes),
        latent: String(latent),
      });
      appendJsonl(jsonl, {
        epoch,
        loss: (ce + c.bnsWeight * bns) / c.itersPerEpoch,
        ce: ce / c.itersPerEpoch,
        bns: bns / c.itersPerEpoch,
        gen_acc: genAcc,
        lr: opt.lr,
      });
      if (!c.quiet)
        log(
          `gen epoch ${epoch + 1}/${c.epochs}: ce ${(ce / c.itersPerEpoch).toFixed(4)} bns ${(bns / c.itersPerEpoch).toFixed(4)} gen acc ${(genAcc * 100).toFixed(1)}%`,
        );
    }
  });
  const n = c.fakeBatches * c.batchSize;
  const fakePath = join(c.out, 'fake.bin');
  const fakeMeta = join(c.out, 'fake.json');
  // the fake set belongs to the generator of a given epoch: regenerate it when training went further
  const current = existsSync(fakeMeta) && existsSync(fakePath) ? JSON.parse(readFileSync(fakeMeta, 'utf8')) : null;
  if (!current || current.epochs !== c.epochs || current.count !== n || current.seed !== c.seed) {
    const fake = await generateFakeSet(gen, teacher.classes, n, c.batchSize, `fake:${c.seed}`, c.dataset);
    writeImageSet(fakePath, fake.images, fake.labels);
    writeJsonAtomic(fakeMeta, { count: n, seed: c.seed, epochs: c.epochs, checkpoint: c.checkpoint, adjusted: false });
  }
  const result: GenResult = { genAcc, fakePath };
  if (c.adjust) Object.assign(result, await runAdjust(c, gen, opt, teacher, norm));
  teacher.dispose();
  gen.dispose();
  return result;
}

async function runAdjust(
  c: GenConfig,
  gen: Generator,
  opt: Adam,
  teacher: Classifier,
  norm: { mean: number[]; std: number[] },
): Promise<{ adjustPath: string; rounds: number }> {
  const adjustPath = join(c.out, 'fake-adjust.bin');
  const logPath = join(c.out, 'adjust.jsonl');
  const ckpt = join(c.out, 'generator-adjust.safetensors');
  if (existsSync(adjustPath)) return { adjustPath, rounds: readJsonl(logPath).length };
  // the real side: only two numbers, never the images, reach the generator
  let real = c.realClean !== undefined && c.realPgd !== undefined ? { clean: c.realClean, pgd: c.realPgd } : null;
  const realPath = join(c.out, 'adjust-real.json');
  if (!real && existsSync(realPath)) real = JSON.parse(readFileSync(realPath, 'utf8'));
  if (!real) {
    const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
    const r = await robustAccuracy(teacher, test, {
      eps: c.eps,
      steps: c.pgdSteps,
      alpha: c.pgdAlpha,
      batchSize: c.batchSize,
    });
    real = { clean: r.clean, pgd: r.pgd };
    writeJsonAtomic(realPath, { ...real, fgsm: r.fgsm, count: r.count });
  }
  let startRound = 0;
  if (existsSync(ckpt)) {
    startRound = Number(loadGenerator(ckpt, gen, opt).rounds_done ?? 0);
  }
  keepJsonl<{ round: number }>(logPath, (r) => r.round < startRound);
  const base = { org: c.orgBound, pgd: c.pgdBound };
  const bar = new Progress('adjust', c.adjustRounds, c.quiet);
  let round = startRound;
  let decision: AdjustDecision = 'single';
  await withFrozenParamsAsync(teacher, async () => {
    for (; round < c.adjustRounds; round++) {
      const fake = await generateFakeSet(
        gen,
        teacher.classes,
        c.adjustFakeBatches * c.batchSize,
        c.batchSize,
        `adjust:${c.seed}:${round}`,
        c.dataset,
      );
      const set = { ...fake, count: fake.labels.length, mean: norm.mean, std: norm.std };
      const acc = await robustAccuracy(teacher, set, {
        eps: c.eps,
        steps: c.pgdSteps,
        alpha: c.pgdAlpha,
        batchSize: c.batchSize,
        seed: round,
      });
      const bounds = boundsAt(round, base, c.widenEvery);
      const d = adjustDecision(acc, real as { clean: number; pgd: number }, bounds);
      decision = d.decision;
      appendJsonl(logPath, {
        round,
        fake_clean: acc.clean,
        fake_fgsm: acc.fgsm,
        fake_pgd: acc.pgd,
        real_clean: real?.clean,
        real_pgd: real?.pgd,
        org_diff: d.orgDiff,
        pgd_diff: d.pgdDiff,
        org_bound: bounds.org,
        pgd_bound: bounds.pgd,
        decision,
      });
      bar.update(round + 1, { decision, org_diff: d.orgDiff, pgd_diff: d.pgdDiff });
      if (decision === 'stop') break;
      gen.train();
      const rng = new Random(`adjust-step:${c.seed}:${round}`);
      const r = generatorStep(
        gen,
        teacher,
        opt,
        c.batchSize,
        decision === 'mixed' ? c.multiLabelNum : 1,
        decision === 'single+pgd',
        rng,
        c,
        norm,
      );
      r.ce.dispose();
      r.bns.dispose();
      r.correct.dispose();
      if (round % 10 === 9) await saveGenerator(ckpt, gen, opt, { rounds_done: String(round + 1), arch: teacher.arch });
    }
  });
  const fake = await generateFakeSet(
    gen,
    teacher.classes,
    c.fakeBatches * c.batchSize,
    c.batchSize,
    `fake:${c.seed}`,
    c.dataset,
  );
  await saveGenerator(ckpt, gen, opt, { rounds_done: String(round), arch: teacher.arch, stopped: decision });
  writeImageSet(adjustPath, fake.images, fake.labels);
  writeJsonAtomic(join(c.out, 'fake-adjust.json'), {
    count: fake.labels.length,
    seed: c.seed,
    rounds: round,
    last_decision: decision,
    adjusted: true,
  });
  return { adjustPath, rounds: round };
}
