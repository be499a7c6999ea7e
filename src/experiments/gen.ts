// `quantscope gen`: train the conditional generator against a frozen classifier (the seed's procedure,
// ../shared/seed/generator-notes.md), optionally adjust it against the classifier's real clean/PGD
// accuracies, and draw a fixed, seeded fake dataset. Files in the output folder:
//   generator.safetensors  generator + Adam state + metadata (per epoch, atomic; --resume continues)
//   gen.jsonl              per epoch: loss, ce, bns, gen_acc, lr       adjust.jsonl  one line per round
//   fake.safetensors / fake-adjust.safetensors  float32 fake sets (images, labels, generator hash, protocol)
// Protocol `seed` is the seed's code exactly: constant LR (its MultiStepLR is never stepped), single labels in
// training, eps 0.8 in the two middle BNs, K = 2 (CIFAR-10) / 10 (CIFAR-100), per-slot standardisation,
// attacks in normalised space, no cap on adjust rounds. `clean` steps the schedule, uses eps 1e-5 and attacks
// pixels. Every item is also an option of its own.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar, NORMALIZATION } from '../data/cifar.js';
import { IMAGE_BYTES } from '../data/cifar-meta.js';
import { readFakeSet, writeFakeSet } from '../data/fakeset.js';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../io/safetensors.js';
import { add, backward, crossEntropy, fromArray, mul, noGrad, Random, tidy, sub } from '../index.js';
import { countCorrect } from '../nn/metrics.js';
import type { Tensor } from '../tensor/tensor.js';
import { bnStatsLoss } from '../nn/losses.js';
import type { BNStats } from '../nn/module.js';
import { Generator, drawLabels, type SlotNorm } from '../nn/models/generator.js';
import type { Classifier } from '../nn/models/modules.js';
import { Adam } from '../nn/optim.js';
import { constantLR, multiStepLR } from '../nn/schedulers.js';
import { loadModuleState, loadOptimizerState, moduleState, optimizerState, weightsOnly } from '../nn/state.js';
import {
  attackFrame,
  attackSetOfFloats,
  attackSetOfPixels,
  pgd,
  robustAccuracy,
  withFrozenParamsAsync,
  type Normalisation,
} from '../nn/attacks.js';
import { appendJsonl, keepJsonl, readBytes, writeFileAtomic } from '../platform/files.js';
import { cached, sha256File } from '../platform/cache.js';
import { loadTrainedModel } from './train.js';
import { adjustDecision, boundsAt, type AdjustDecision } from './adjust.js';
import { log, Progress } from './progress.js';
import {
  GEN_DEFAULTS,
  GEN_OPTIONS,
  GEN_PROTOCOLS,
  defaultGenLr,
  defaultMultiLabelNum,
  resolveGenConfig,
  type GenConfig,
  type GenOptions,
  type GenProtocol,
} from './gen-options.js';

export { GEN_DEFAULTS, GEN_OPTIONS, GEN_PROTOCOLS, defaultGenLr, defaultMultiLabelNum, resolveGenConfig };
export type { GenConfig, GenOptions, GenProtocol };

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

type StepConfig = Pick<GenConfig, 'bnsWeight' | 'advWeight' | 'eps' | 'pgdSteps' | 'pgdAlpha' | 'attackSpace'>;

/**
 * PGD copies of generated images as the seed makes them: the attack runs on a detached copy in the attack
 * space and its result enters as a constant offset, so the gradient reaches the generator through the
 * clean image (the seed's `adv_images.data = adversary.perturb(...)` on a clone).
 */
function pgdCopies(
  teacher: Classifier,
  images: Tensor,
  labels: Int32Array,
  c: StepConfig,
  norm: Normalisation,
  seed: number,
): Tensor {
  const y = fromArray(labels, [labels.length], 'int32');
  const xn = noGrad(() => mul(images, 1));
  const { x, toModel } = attackFrame(c.attackSpace, xn, norm);
  const adv = pgd(teacher, toModel, x, y, { eps: c.eps, steps: c.pgdSteps, alpha: c.pgdAlpha, seed });
  const offset = noGrad(() => sub(toModel(adv), xn));
  return add(images, offset);
}

/**
 * One generator update on N samples: k = 1 single labels, k > 1 mixed labels; withPgd adds the loss on
 * PGD-perturbed copies. Loss = CE(clean) + advWeight · CE(PGD copies) + bnsWeight · BNS(clean only).
 */
export function generatorStep(
  gen: Generator,
  teacher: Classifier,
  opt: Adam,
  n: number,
  k: number,
  withPgd: boolean,
  rng: Random,
  c: StepConfig,
  norm: Normalisation,
): StepResult {
  const draw = drawLabels(n, teacher.classes, gen.o.latent, k, rng);
  return tidy(() => {
    const target = fromArray(draw.mix, [n, teacher.classes]);
    const images = gen.generate(draw);
    const stats: BNStats[] = [];
    const logits = teacher.forward(images, { bnStats: stats });
    const ce = crossEntropy(logits, target);
    // a classifier without BatchNorm (AlexNet) gives no statistics: the BN term is then zero
    const bns = stats.length ? bnStatsLoss(stats) : mul(ce, 0);
    let loss = add(ce, mul(bns, c.bnsWeight));
    if (withPgd) {
      const adv = pgdCopies(teacher, images, draw.labels, c, norm, rng.int(1 << 30));
      loss = add(loss, mul(crossEntropy(teacher.forward(adv), target), c.advWeight));
    }
    backward(loss);
    opt.stepUpdate();
    opt.zeroGrad();
    const correct = noGrad(() => countCorrect(logits, fromArray(draw.labels, [n], 'int32')));
    return { ce: noGrad(() => mul(ce, 1)), bns: noGrad(() => mul(bns, 1)), correct };
  });
}

async function saveGenerator(path: string, gen: Generator, opt: Adam, meta: Record<string, string>): Promise<void> {
  const all = new Map<string, StTensor>([...(await moduleState(gen)), ...(await optimizerState(opt))]);
  const shape = { mid_bn_eps: String(gen.o.midBnEps ?? 0.8), slot_norm: gen.o.slotNorm ?? 'slot' };
  const steps = { adam_steps: JSON.stringify(opt.paramSteps), optimizer_step: String(opt.step) };
  writeFileAtomic(path, encodeSafetensors(all, { ...meta, ...shape, ...steps }));
}

/** A saved generator for this teacher, in eval or train mode as the caller sets (PCA: eval, as the seed). */
export async function restoreGenerator(path: string, teacher: Classifier): Promise<Generator> {
  const f = decodeSafetensors(readBytes(path, 'generator'), path);
  const { data, latent } = await embeddingFrom(teacher);
  const m = f.metadata;
  const gen = new Generator(
    {
      classes: teacher.classes,
      latent,
      midBnEps: m.mid_bn_eps !== undefined ? Number(m.mid_bn_eps) : 0.8,
      slotNorm: (m.slot_norm as SlotNorm | undefined) ?? 'slot',
    },
    data,
  );
  loadModuleState(gen, weightsOnly(f.tensors), { source: path });
  return gen;
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

/**
 * Draw N single-label images with a fixed seed: float32, the generator's unclipped normalised-space outputs
 * (the seed's build_gen_loader). The generator's mode is the caller's: the seed draws its sets in train mode.
 */
export async function generateFakeSet(
  gen: Generator,
  classes: number,
  n: number,
  batch: number,
  seed: string,
): Promise<{ images: Float32Array; labels: Int32Array }> {
  const rng = new Random(seed);
  const images = new Float32Array(n * IMAGE_BYTES),
    labels = new Int32Array(n);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const d = drawLabels(m, classes, gen.o.latent, 1, rng);
    const x = noGrad(() => tidy(() => gen.generate(d)));
    images.set((await x.toArray()) as Float32Array, s * IMAGE_BYTES);
    labels.set(d.labels, s);
    x.dispose();
  }
  return { images, labels };
}

/** Draw and write a fake set from the generator checkpoint `genFile` (in `out`), unless an identical one exists. */
async function writeFakeSetOnce(
  c: GenConfig,
  gen: Generator,
  classes: number,
  genFile: string,
  fakeFile: string,
  adjusted: boolean,
): Promise<string> {
  const path = join(c.out, fakeFile);
  const hash = sha256File(join(c.out, genFile));
  const count = c.fakeBatches * c.batchSize;
  if (existsSync(path)) {
    try {
      const f = readFakeSet(path);
      if (f.meta.generator_sha256 === hash && f.count === count && f.meta.seed === c.seed) return path;
    } catch {
      // stale (its generator changed) or unreadable: draw it again
    }
  }
  gen.train();
  const fake = await generateFakeSet(gen, classes, count, c.batchSize, `fake:${c.seed}`);
  writeFakeSet(path, fake.images, fake.labels, {
    generator: genFile,
    generator_sha256: hash,
    protocol: c.protocol,
    dataset: c.dataset,
    classes,
    adjusted,
    seed: c.seed,
  });
  return path;
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
    {
      classes: teacher.classes,
      latent,
      seed: c.seed,
      freezeEmbedding: c.freezeEmbedding,
      midBnEps: c.midBnEps,
      slotNorm: c.slotNorm,
    },
    embInit,
  );
  const opt = new Adam(gen.trainable(), { lr: c.lr, betas: [c.betas[0], c.betas[1]] });
  const ckpt = join(c.out, GENERATOR_FILE);
  let startEpoch = 0;
  if (resume && existsSync(ckpt)) {
    const meta = loadGenerator(ckpt, gen, opt);
    startEpoch = Number(meta.epochs_done ?? 0);
    if (!c.quiet) log(`gen: resuming after epoch ${startEpoch} from ${ckpt}`);
  }
  const jsonl = join(c.out, 'gen.jsonl');
  keepJsonl<{ epoch: number }>(jsonl, (r) => r.epoch < startEpoch);
  const lrAt = c.lrSchedule === 'constant' ? constantLR(c.lr) : multiStepLR(c.lr, c.milestones, c.gamma);
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
        const mixed = c.multiLabelNum > 1 && c.mixProb > 0 && rng.uniform() < c.mixProb;
        const r = generatorStep(gen, teacher, opt, c.batchSize, mixed ? c.multiLabelNum : 1, false, rng, c, norm);
        const vals = [await r.ce.item(), await r.bns.item(), await r.correct.item()];
        r.ce.dispose();
        r.bns.dispose();
        r.correct.dispose();
        if (!vals.every(Number.isFinite))
          throw new Error(
            `gen: loss became non-finite in epoch ${epoch + 1} iteration ${it + 1}; ` +
              `the last good generator is kept at ${ckpt}`,
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
        protocol: c.protocol,
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
          `gen epoch ${epoch + 1}/${c.epochs}: ce ${(ce / c.itersPerEpoch).toFixed(4)} ` +
            `bns ${(bns / c.itersPerEpoch).toFixed(4)} gen acc ${(genAcc * 100).toFixed(1)}%`,
        );
    }
  });
  const fakePath = await writeFakeSetOnce(c, gen, teacher.classes, GENERATOR_FILE, FAKE_FILE, false);
  const result: GenResult = { genAcc, fakePath };
  if (c.adjust) Object.assign(result, await runAdjust(c, gen, opt, teacher, norm));
  teacher.dispose();
  gen.dispose();
  return result;
}

export const GENERATOR_FILE = 'generator.safetensors';
export const GENERATOR_ADJUST_FILE = 'generator-adjust.safetensors';
export const FAKE_FILE = 'fake.safetensors';
export const FAKE_ADJUST_FILE = 'fake-adjust.safetensors';

/** The teacher's real-test accuracies for adjust, cached by the checkpoint's hash and the attack settings. */
async function realAccuracies(c: GenConfig, teacher: Classifier): Promise<{ clean: number; pgd: number }> {
  if (c.realClean !== undefined && c.realPgd !== undefined) return { clean: c.realClean, pgd: c.realPgd };
  const key = {
    checkpoint_sha256: sha256File(c.checkpoint),
    space: c.attackSpace,
    eps: c.eps,
    steps: c.pgdSteps,
    alpha: c.pgdAlpha,
    test_subset: c.testSubset ?? null,
  };
  return cached(join(c.out, 'adjust-real.json'), key, async () => {
    const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
    const r = await robustAccuracy(teacher, attackSetOfPixels(test), {
      space: c.attackSpace,
      eps: c.eps,
      steps: c.pgdSteps,
      alpha: c.pgdAlpha,
      batchSize: c.batchSize,
    });
    return { clean: r.clean, pgd: r.pgd, fgsm: r.fgsm, clamp: r.clamp, count: r.count };
  });
}

async function runAdjust(
  c: GenConfig,
  gen: Generator,
  opt: Adam,
  teacher: Classifier,
  norm: Normalisation,
): Promise<{ adjustPath: string; rounds: number }> {
  const logPath = join(c.out, 'adjust.jsonl');
  const ckpt = join(c.out, GENERATOR_ADJUST_FILE);
  // the real side: only two numbers, never the images, reach the generator
  const real = await realAccuracies(c, teacher);
  let startRound = 0;
  let stopped = false;
  if (existsSync(ckpt)) {
    const meta = loadGenerator(ckpt, gen, opt);
    startRound = Number(meta.rounds_done ?? 0);
    stopped = meta.stopped !== undefined;
  }
  keepJsonl<{ round: number }>(logPath, (r) => r.round < startRound);
  const base = { org: c.orgBound, pgd: c.pgdBound };
  const bar = new Progress('adjust', c.adjustRounds, c.quiet);
  let round = startRound;
  let decision: AdjustDecision = 'single';
  await withFrozenParamsAsync(teacher, async () => {
    for (; !stopped && round < c.adjustRounds; round++) {
      gen.train();
      const fake = await generateFakeSet(
        gen,
        teacher.classes,
        c.adjustFakeBatches * c.batchSize,
        c.batchSize,
        `adjust:${c.seed}:${round}`,
      );
      const acc = await robustAccuracy(teacher, attackSetOfFloats(fake.images, fake.labels, norm), {
        space: c.attackSpace,
        eps: c.eps,
        steps: c.pgdSteps,
        alpha: c.pgdAlpha,
        batchSize: c.batchSize,
        seed: round,
      });
      const bounds = boundsAt(round, base, c.widenEvery);
      const d = adjustDecision(acc, real, bounds);
      decision = d.decision;
      appendJsonl(logPath, {
        round,
        fake_clean: acc.clean,
        fake_fgsm: acc.fgsm,
        fake_pgd: acc.pgd,
        real_clean: real.clean,
        real_pgd: real.pgd,
        org_diff: d.orgDiff,
        pgd_diff: d.pgdDiff,
        org_bound: bounds.org,
        pgd_bound: bounds.pgd,
        decision,
      });
      bar.update(round + 1, { decision, org_diff: d.orgDiff, pgd_diff: d.pgdDiff });
      if (decision === 'stop') break;
      const rng = new Random(`adjust-step:${c.seed}:${round}`);
      const k = decision === 'mixed' ? c.multiLabelNum : 1;
      const r = generatorStep(gen, teacher, opt, c.batchSize, k, decision === 'single+pgd', rng, c, norm);
      r.ce.dispose();
      r.bns.dispose();
      r.correct.dispose();
      if (round % 10 === 9)
        await saveGenerator(ckpt, gen, opt, {
          rounds_done: String(round + 1),
          arch: teacher.arch,
          protocol: c.protocol,
        });
    }
  });
  if (!stopped)
    await saveGenerator(ckpt, gen, opt, {
      rounds_done: String(round),
      arch: teacher.arch,
      protocol: c.protocol,
      stopped: decision,
    });
  const adjustPath = await writeFakeSetOnce(c, gen, teacher.classes, GENERATOR_ADJUST_FILE, FAKE_ADJUST_FILE, true);
  return { adjustPath, rounds: round };
}
