// The `demo` command's schema: the sizes of the small-scale pipeline, once. DemoConfig, DEMO_DEFAULTS and
// the CLI options derive from it; the seed model and the quirk model are scaled-down settings of their own.
import { CLASSIFIER_OPTIONS, RUN_OPTIONS } from './common-options.js';
import { defineOptions, withDefaults, type OptionValues } from './option-schema.js';

/** A seed model in the demo: trained with the seed's recipe (80/20 validation split included) on a subset. */
export interface SeedModelDemo {
  model: string;
  subset: number;
  epochs: number;
  testSubset: number;
  bits: number[];
  calibBatches: number;
}
const SEED_MODEL: SeedModelDemo = {
  model: 'AlexNet_BN',
  subset: 2500,
  epochs: 2,
  testSubset: 400,
  bits: [2, 4, 8],
  calibBatches: 2,
};
const QUIRK_MODEL: SeedModelDemo = {
  model: 'ResNet_8_demo',
  subset: 4000,
  epochs: 2,
  testSubset: 500,
  bits: [2, 4, 8],
  calibBatches: 2,
};

const checkModelOrNone = (v: string) => {
  if (v !== 'none') CLASSIFIER_OPTIONS.model.check(v);
};

// sized for about 10 minutes on a 2-core machine (measured: Intel Xeon, lavapipe)
export const DEMO_OPTIONS = defineOptions({
  out: { kind: 'str', help: 'output folder', arg: 'dir', default: 'demo-out' },
  dataDir: { ...RUN_OPTIONS.dataDir, help: 'folder holding cifar-10-batches-bin' },
  models: { kind: 'list', help: 'models to train', default: ['VGG_demo', 'AlexNet_demo'] },
  subset: { kind: 'int', help: 'training images', default: 8000 },
  testSubset: { kind: 'int', help: 'test images', default: 1000 },
  epochs: { kind: 'int', help: 'epochs', default: 4 },
  batchSize: { kind: 'int', help: 'batch size', default: 64, min: 1 },
  bits: { kind: 'ints', help: 'bit widths for PTQ', default: [2, 4, 8] },
  families: { kind: 'list', help: 'format families for PTQ', default: ['INT', 'POT', 'FLOAT'] },
  calibBatches: { kind: 'int', help: 'calibration batches per format', default: 4 },
  robustModel: {
    ...CLASSIFIER_OPTIONS.model,
    help: 'the model whose generator and robustness are shown',
    default: 'VGG_demo',
  },
  genEpochs: { kind: 'int', help: 'generator epochs', default: 2 },
  genIters: { kind: 'int', help: 'generator iterations per epoch', default: 25 },
  robustTestSubset: { kind: 'int', help: 'test images for the robustness step', default: 100 },
  robustFakeLimit: { kind: 'int', help: 'fake images for the robustness step', default: 100 },
  adjustRounds: { kind: 'int', help: 'adjust rounds', default: 4 },
  pcaPerClass: { kind: 'int', help: 'fake images per class in the PCA pictures', default: 20 },
  assessFormats: {
    kind: 'list',
    help: 'formats `assess` ranks and validates',
    default: ['INT2', 'INT4', 'INT8', 'POT4', 'FLOAT4_E2', 'FLOAT8_E3'],
  },
  seedModelName: {
    kind: 'str',
    flag: 'seed-model',
    help: "one of the seed's own models, scaled down ('none' leaves it out)",
    default: SEED_MODEL.model,
    check: checkModelOrNone,
  },
  quiet: RUN_OPTIONS.quiet,
});

export type DemoOptions = OptionValues<typeof DEMO_OPTIONS>;
export type DemoConfig = Omit<DemoOptions, 'seedModelName'> & {
  /** one of the seed's own models, scaled down (null to leave it out) */
  seedModel: SeedModelDemo | null;
  /** a model with residual adds swept under the seed protocol, each quirk fixed, and clean (null: none) */
  quirkModel: SeedModelDemo | null;
};

export function resolveDemoConfig(o: Partial<DemoOptions>): DemoConfig {
  const { seedModelName, ...rest } = withDefaults(DEMO_OPTIONS, o);
  return {
    ...rest,
    seedModel: seedModelName === 'none' ? null : { ...SEED_MODEL, model: seedModelName },
    quirkModel: QUIRK_MODEL,
  };
}

/** The demo as the README runs it. */
export const DEMO_DEFAULTS = resolveDemoConfig({});
