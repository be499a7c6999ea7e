// Full-precision training with the seed's recipe. Everything that decides a step (batch order,
// augmentation, dropout masks, learning rate) is a pure function of (seed, epoch, batch), and the
// checkpoint holds parameters, BN buffers and optimizer state, so `--resume` continues bit-exactly.
// Files in the output folder:
//   checkpoint.safetensors  model state (PyTorch names) + optimizer.* entries + metadata (written atomically)
//   model.safetensors       model state only (load it in PyTorch with safetensors.torch.load_file): with a
//                           validation split, the epoch of best validation accuracy (the seed's choice)
//   metrics.jsonl           one line per epoch      result.json  final summary
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { epochBatches, epochOrder, trainValSplit } from '../data/batches.js';
import { loadCifar, pick, type ImageSet } from '../data/cifar.js';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../io/safetensors.js';
import { add, backward, crossEntropy, fromArray, keep, mul, noGrad, tidy } from '../index.js';
import { buildModel } from '../nn/models/build.js';
import type { Classifier } from '../nn/models/modules.js';
import { SGD } from '../nn/optim.js';
import { linearWarmup, multiStepLR, type Schedule } from '../nn/schedulers.js';
import {
  classifierFromCheckpoint,
  loadModuleState,
  loadOptimizerState,
  moduleState,
  optimizerState,
  weightsOnly,
} from '../nn/state.js';
import { appendJsonl, keepJsonl, readBytes, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { accuracy, countCorrect } from './evaluate.js';
import { log, Progress } from './progress.js';
import { SEED_RECIPE, TRAIN_DEFAULTS, TRAIN_OPTIONS, type TrainConfig, type TrainOptions } from './train-options.js';

export { SEED_RECIPE, TRAIN_DEFAULTS, TRAIN_OPTIONS };
export type { TrainConfig, TrainOptions };

export class NonFiniteLossError extends Error {}

export interface TrainResult {
  model: Classifier;
  trainAcc: number;
  testAcc: number;
  epochs: number;
  stoppedEarly?: string;
  /** with a validation split: the best validation accuracy and its epoch (0-based), whose weights are returned */
  valAcc?: number;
  bestEpoch?: number;
}

export function schedule(c: TrainConfig): Schedule {
  const base = multiStepLR(c.lr, c.milestones, c.gamma);
  return c.warmupEpochs > 0 ? linearWarmup(base, c.warmupEpochs) : base;
}

export const checkpointPath = (out: string) => join(out, 'checkpoint.safetensors');

interface Best {
  valAcc: number;
  epoch: number;
}

async function saveCheckpoint(
  c: TrainConfig,
  model: Classifier,
  opt: SGD,
  epochsDone: number,
  best: Best | null,
  improved: boolean,
): Promise<void> {
  const state = await moduleState(model);
  const all = new Map<string, StTensor>([...state, ...(await optimizerState(opt))]);
  const meta = {
    format: 'quantscope-train-v1',
    arch: c.model,
    dataset: c.dataset,
    classes: String(model.classes),
    epochs_done: String(epochsDone),
    optimizer_step: String(opt.step),
    config: JSON.stringify(c),
    ...(best ? { best_val_acc: String(best.valAcc), best_epoch: String(best.epoch) } : {}),
  };
  // the model file first: a kill between the two writes then redoes the epoch, never loses the best weights
  if (!best || improved) await saveModel(c, model, state, epochsDone, best);
  writeFileAtomic(checkpointPath(c.out), encodeSafetensors(all, meta));
}

async function saveModel(
  c: TrainConfig,
  model: Classifier,
  state: Map<string, StTensor>,
  epochsDone: number,
  best: Best | null,
): Promise<void> {
  writeFileAtomic(
    join(c.out, 'model.safetensors'),
    encodeSafetensors(state, {
      arch: c.model,
      dataset: c.dataset,
      classes: String(model.classes),
      epochs_done: String(epochsDone),
      ...(best ? { val_acc: String(best.valAcc), epoch: String(best.epoch) } : {}),
    }),
  );
}

/**
 * Load a trained model from a checkpoint or model file: ours (safetensors; the architecture from its metadata
 * unless given) or a PyTorch state dict (.pt/.pth, the seed's key names; the architecture must be given).
 */
export function loadTrainedModel(path: string, arch?: string): Classifier {
  return classifierFromCheckpoint(readBytes(path, 'checkpoint'), path, arch);
}

interface TrainData {
  train: ImageSet;
  val: ImageSet | null;
  test: ImageSet;
  split: { seed: number; fraction: number; train: number; val: number } | null;
}

function loadData(c: TrainConfig): TrainData {
  const all = loadCifar(c.dataset, 'train', { dataDir: c.dataDir, limit: c.subset });
  const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
  if (!c.valSplit) return { train: all, val: null, test, split: null };
  const s = trainValSplit(all.count, c.valSplit, c.seed);
  const split = { seed: c.seed, fraction: c.valSplit, train: s.train.length, val: s.val.length };
  return { train: pick(all, s.train), val: pick(all, s.val), test, split };
}

export interface TrainHooks {
  quiet?: boolean;
  /** stop after this many batches in total (tests simulate a kill) */ stopAfterBatches?: number;
}

export async function train(c: TrainConfig, resume = false, hooks: TrainHooks = {}): Promise<TrainResult> {
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${c.batchSize}`);
  const { train: trainSet, val: valSet, test: testSet, split } = loadData(c);
  if (valSet && valSet.count === 0) throw new Error(`--val-split ${c.valSplit} leaves no validation images`);
  const classes = trainSet.classes;
  const model = buildModel(c.model, { classes, seed: c.seed });
  const opt = new SGD(model.parameters(), {
    lr: c.lr,
    momentum: c.momentum,
    weightDecay: c.weightDecay,
    nesterov: c.nesterov,
  });
  let startEpoch = 0;
  let best: Best | null = null;
  const ckpt = checkpointPath(c.out);
  if (resume && existsSync(ckpt)) {
    const f = decodeSafetensors(readBytes(ckpt, 'checkpoint'), ckpt);
    if (f.metadata.arch !== c.model) throw new Error(`${ckpt} holds ${f.metadata.arch}, not ${c.model}`);
    loadModuleState(model, weightsOnly(f.tensors), { source: ckpt });
    loadOptimizerState(opt, f.tensors, ckpt);
    opt.step = Number(f.metadata.optimizer_step);
    if (opt.step > 0) opt.markStarted();
    startEpoch = Number(f.metadata.epochs_done);
    if (f.metadata.best_val_acc)
      best = { valAcc: Number(f.metadata.best_val_acc), epoch: Number(f.metadata.best_epoch) };
    log(`resuming ${c.model} from ${ckpt} after epoch ${startEpoch}`);
  }
  const lrAt = schedule(c);
  const batchesPerEpoch = Math.ceil(trainSet.count / c.batchSize);
  const metricsPath = join(c.out, 'metrics.jsonl');
  // a resumed run rewrites history from its checkpoint on: drop lines of epochs that did not checkpoint
  keepJsonl<{ epoch: number }>(metricsPath, (m) => m.epoch < startEpoch);
  let batchesRun = 0;
  let trainAcc = 0;
  let testAcc = NaN;
  for (let epoch = startEpoch; epoch < c.epochs; epoch++) {
    model.train();
    const order = epochOrder(trainSet.count, c.seed, epoch);
    const bar = new Progress(`epoch ${epoch + 1}/${c.epochs}`, batchesPerEpoch, hooks.quiet);
    const t0 = performance.now();
    let lossSum = keep(fromArray([0]));
    let correct = keep(fromArray([0]));
    let seen = 0;
    let lr = c.lr;
    const aug = { crop: SEED_RECIPE.cropPadding, flip: true };
    const batches = epochBatches(trainSet, c.batchSize, order, aug, c.seed, epoch);
    // the next batch is assembled on the CPU while the GPU runs the current step
    let pending = batches.next();
    while (!pending.done) {
      const b = pending.value;
      lr = lrAt({ epoch, batch: b.index, batchesPerEpoch });
      opt.lr = lr;
      const dropoutRng = seedrandom(`dropout:${c.seed}:${epoch}:${b.index}`);
      const [nextLoss, nextCorrect] = tidy(() => {
        const x = fromArray(b.x, model.batchShape(b.n));
        const y = fromArray(b.y, [b.n], 'int32');
        const logits = model.forward(x, { nextSeed: () => dropoutRng.int32() >>> 0 });
        const loss = crossEntropy(logits, y);
        backward(loss);
        opt.stepUpdate();
        opt.zeroGrad();
        return noGrad(() => [add(lossSum, mul(loss, b.n)), add(correct, countCorrect(logits, y))]);
      });
      lossSum.dispose();
      correct.dispose();
      lossSum = keep(nextLoss);
      correct = keep(nextCorrect);
      seen += b.n;
      batchesRun++;
      pending = batches.next();
      if (b.index % 10 === 9 || pending.done) {
        const l = await lossSum.item();
        if (!Number.isFinite(l)) {
          lossSum.dispose();
          correct.dispose();
          const msg =
            `loss became ${l} in epoch ${epoch + 1} batch ${b.index + 1} (lr ${lr}); stopped. The last ` +
            `good checkpoint (after epoch ${epoch}) is kept at ${ckpt}`;
          throw new NonFiniteLossError(msg);
        }
        const secs = (performance.now() - t0) / 1000;
        bar.update(b.index + 1, {
          loss: l / seen,
          acc: (await correct.item()) / seen,
          'img/s': Math.round(seen / secs),
          lr,
        });
      }
      if (hooks.stopAfterBatches && batchesRun >= hooks.stopAfterBatches) {
        lossSum.dispose();
        correct.dispose();
        return { model, trainAcc, testAcc, epochs: epoch, stoppedEarly: 'stopAfterBatches' };
      }
    }
    const loss = (await lossSum.item()) / seen;
    trainAcc = (await correct.item()) / seen;
    lossSum.dispose();
    correct.dispose();
    const secs = (performance.now() - t0) / 1000;
    const last = epoch === c.epochs - 1;
    if (last || (c.evalEvery > 0 && (epoch + 1) % c.evalEvery === 0))
      testAcc = await accuracy(model, testSet, { quiet: hooks.quiet, label: 'test' });
    let improved = false;
    let valAcc: number | null = null;
    if (valSet) {
      valAcc = await accuracy(model, valSet, { quiet: hooks.quiet, label: 'val' });
      improved = !best || valAcc > best.valAcc;
      if (improved) best = { valAcc, epoch };
    }
    await saveCheckpoint(c, model, opt, epoch + 1, best, improved);
    const row = {
      epoch,
      loss,
      train_acc: trainAcc,
      val_acc: valAcc,
      test_acc: Number.isNaN(testAcc) ? null : testAcc,
      lr,
      seconds: secs,
      images_per_second: seen / secs,
    };
    appendJsonl(metricsPath, row);
    if (!hooks.quiet)
      log(
        `epoch ${epoch + 1}/${c.epochs}: loss ${loss.toFixed(4)} train acc ${(trainAcc * 100).toFixed(2)}% ` +
          `${Number.isNaN(testAcc) ? '' : `test acc ${(testAcc * 100).toFixed(2)}% `}(${(seen / secs).toFixed(1)} ` +
          `img/s)`,
      );
  }
  const lastTestAcc = testAcc;
  if (best) {
    // the seed reports the checkpoint of best validation accuracy on the test set
    const file = join(c.out, 'model.safetensors');
    loadModuleState(model, decodeSafetensors(readBytes(file, 'model'), file).tensors, { source: file });
    testAcc = await accuracy(model, testSet, { quiet: hooks.quiet, label: 'test' });
  } else if (startEpoch >= c.epochs && Number.isNaN(testAcc))
    testAcc = await accuracy(model, testSet, { quiet: hooks.quiet, label: 'test' });
  writeJsonAtomic(join(c.out, 'result.json'), {
    model: c.model,
    dataset: c.dataset,
    classes,
    epochs: c.epochs,
    train_acc: trainAcc,
    test_acc: testAcc,
    ...(best ? { val_acc: best.valAcc, best_epoch: best.epoch, last_epoch_test_acc: lastTestAcc } : {}),
    split,
    params: model.numParameters(),
    config: c,
  });
  return {
    model,
    trainAcc,
    testAcc,
    epochs: c.epochs,
    ...(best ? { valAcc: best.valAcc, bestEpoch: best.epoch } : {}),
  };
}
