// The `train` command's schema: the seed's training recipe (ptq-notes.md: SGD + nesterov, MultiStepLR,
// per-batch warm-up, a validation split) as options, once. TrainConfig, the CLI options and the sweep's
// `train` arguments derive from it.
import { CLASSIFIER_OPTIONS, RUN_OPTIONS } from './common-options.js';
import { defaultsOf, defineOptions, type OptionValues } from './option-schema.js';

/** The seed's recipe (ALL/train.py), with RandomCrop(32, padding=2) augmentation. */
export const SEED_RECIPE = {
  epochs: 200,
  batchSize: 128,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  nesterov: true,
  milestones: [60, 120, 160],
  gamma: 0.2,
  warmupEpochs: 1,
  valSplit: 0.2,
  /** RandomCrop(32, padding=2) */
  cropPadding: 2,
} as const;

export const TRAIN_OPTIONS = defineOptions({
  model: { ...CLASSIFIER_OPTIONS.model, help: 'model cfg name', required: true, mandatory: true, sweep: false },
  dataset: CLASSIFIER_OPTIONS.dataset,
  epochs: { kind: 'int', help: 'epochs', default: SEED_RECIPE.epochs },
  batchSize: { kind: 'int', help: 'batch size', default: SEED_RECIPE.batchSize, min: 1 },
  lr: { kind: 'num', help: 'base learning rate', default: SEED_RECIPE.lr },
  momentum: { kind: 'num', help: 'SGD momentum', default: SEED_RECIPE.momentum },
  weightDecay: { kind: 'num', help: 'weight decay', default: SEED_RECIPE.weightDecay },
  nesterov: {
    kind: 'bool',
    help: "Nesterov momentum (the seed's; --no-nesterov: plain momentum)",
    default: SEED_RECIPE.nesterov,
  },
  milestones: { kind: 'ints', help: 'MultiStepLR milestones (epochs)', default: [...SEED_RECIPE.milestones] },
  gamma: { kind: 'num', help: 'MultiStepLR gamma', default: SEED_RECIPE.gamma },
  warmupEpochs: { kind: 'int', help: 'linear per-batch warm-up epochs', default: SEED_RECIPE.warmupEpochs },
  subset: { kind: 'int', help: 'train on the first N training images' },
  testSubset: { kind: 'int', help: 'evaluate on the first N test images' },
  valSplit: {
    kind: 'num',
    help: 'fraction of the training images held out for validation; the best-validation epoch is kept (0: none)',
    default: SEED_RECIPE.valSplit,
  },
  evalEvery: { kind: 'int', help: 'test accuracy every N epochs (0: only at the end)', default: 1 },
  seed: { ...RUN_OPTIONS.seed, help: 'seed for init, order, augmentation, dropout' },
  dataDir: { ...RUN_OPTIONS.dataDir, help: 'folder holding cifar-10-batches-bin / cifar-100-binary' },
  out: {
    kind: 'str',
    help: 'output folder (default runs/<model>-<dataset>)',
    arg: 'dir',
    required: true,
    sweep: false,
  },
  resume: {
    kind: 'bool',
    help: 'continue from <out>/checkpoint.safetensors if present',
    default: false,
    sweep: false,
  },
  quiet: RUN_OPTIONS.quiet,
});

export type TrainOptions = OptionValues<typeof TRAIN_OPTIONS>;
/** A training run's settings (resuming and progress output are how it runs, not what it trains). */
export type TrainConfig = Omit<TrainOptions, 'resume' | 'quiet'>;
/** The seed's recipe as a config, less the model, dataset and output folder. */
export const TRAIN_DEFAULTS = (() => {
  const { resume: _r, ...d } = defaultsOf(TRAIN_OPTIONS);
  return d;
})();
