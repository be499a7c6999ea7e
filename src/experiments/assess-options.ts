// The `assess` command's schema: the fits, formats and generator budget of a data-free assessment, once.
// AssessConfig, ASSESS_DEFAULTS and the CLI options derive from it.
import { ATTACK_OPTIONS, CLASSIFIER_OPTIONS, RUN_OPTIONS } from './common-options.js';
import type { GenConfig } from './gen-options.js';
import { defaultsOf, defineOptions, withDefaults, type OptionValues } from './option-schema.js';

export const ASSESS_OPTIONS = defineOptions({
  checkpoint: {
    ...CLASSIFIER_OPTIONS.checkpoint,
    help: 'the model: our .safetensors, or a PyTorch state dict (.pt) with --model',
    mandatory: true,
  },
  model: { ...CLASSIFIER_OPTIONS.model, help: 'architecture (default: from the checkpoint metadata)' },
  dataset: {
    ...CLASSIFIER_OPTIONS.dataset,
    help: 'what it was trained on: cifar10 | cifar100 (constants only; no data is read)',
  },
  fit: { kind: 'str', help: 'fit.json from `quantscope fit --protocol seed` (predicted acc_loss)', arg: 'file' },
  fitScope: { kind: 'str', help: 'which fit in it (default: the pooled ALL/<dataset>)', arg: 'scope' },
  robustFit: {
    kind: 'str',
    help: 'robust-fit.json from `quantscope robust` (predicted test-relative PGD)',
    arg: 'file',
  },
  formats: { kind: 'list', help: "format names (default: the seed's 43)", default: [] },
  maxLoss: { kind: 'num', help: 'the acc_loss a recommended format may lose', default: 0.01 },
  realClean: {
    kind: 'num',
    help: "the model's real-test clean accuracy, if known (enables adjust)",
    arg: 'acc',
  },
  realPgd: { kind: 'num', help: "the model's real-test PGD accuracy, if known (enables adjust)", arg: 'acc' },
  genEpochs: { kind: 'int', help: 'generator epochs (default: the seed, 20)' },
  genIters: { kind: 'int', help: 'generator iterations per epoch (default: the seed, 200)' },
  genBatchSize: { kind: 'int', help: 'generator batch size (default 128)', min: 1 },
  fakeBatches: { kind: 'int', help: 'fake-set batches (default: the seed, 100)' },
  adjustRounds: { kind: 'int', help: 'cap on adjust rounds (default: none)' },
  genDir: {
    kind: 'str',
    help: "the generator's folder (default <out>/gen); a finished generator there is reused",
    arg: 'dir',
  },
  calibBatches: { kind: 'int', help: 'fake batches per format for calibration', default: 20 },
  evalImages: { kind: 'int', help: 'fake images for the robustness measurement', default: 1280 },
  ...ATTACK_OPTIONS,
  validate: {
    kind: 'bool',
    help: 'also measure every format on the real test set (opens the dataset)',
    default: false,
  },
  testSubset: { kind: 'int', help: 'test images for --validate' },
  out: { kind: 'str', help: 'output folder (default <checkpoint folder>/assess)', arg: 'dir', required: true },
  dataDir: { ...RUN_OPTIONS.dataDir, help: 'folder holding the datasets (only --validate reads it)' },
  quiet: RUN_OPTIONS.quiet,
});

type GenBudget = 'genEpochs' | 'genIters' | 'genBatchSize' | 'fakeBatches' | 'adjustRounds';
export type AssessOptions = OptionValues<typeof ASSESS_OPTIONS>;
/** What a run needs: the generator budget options as the generator's own settings. */
export type AssessConfig = Omit<AssessOptions, GenBudget> & { gen: Partial<GenConfig> };

export const ASSESS_DEFAULTS = defaultsOf(ASSESS_OPTIONS);

export function resolveAssessConfig(
  o: Partial<AssessOptions> & Pick<AssessOptions, 'checkpoint' | 'out'>,
): AssessConfig {
  const { genEpochs, genIters, genBatchSize, fakeBatches, adjustRounds, ...rest } = withDefaults(ASSESS_OPTIONS, o);
  const gen = { epochs: genEpochs, itersPerEpoch: genIters, batchSize: genBatchSize, fakeBatches, adjustRounds };
  return {
    ...rest,
    gen: Object.fromEntries(Object.entries(gen).filter(([, v]) => v !== undefined)) as Partial<GenConfig>,
  };
}
