// The `gen` command's schema: every hyperparameter of the generator, its adjust rule and its fake sets, once.
// GenConfig, GEN_DEFAULTS, the CLI options and the sweep's `gen` arguments are derived from it.
import type { DatasetName } from '../data/cifar-meta.js';
import { ADJUST_DEFAULTS } from './adjust.js';
import { ATTACK_OPTIONS, CLASSIFIER_OPTIONS, RUN_OPTIONS } from './common-options.js';
import { defaultsOf, defineOptions, withDefaults, type OptionValues } from './option-schema.js';

export const GEN_OPTIONS = defineOptions({
  ...CLASSIFIER_OPTIONS,
  out: {
    kind: 'str',
    help: 'output folder (default <checkpoint folder>/gen)',
    arg: 'dir',
    required: true,
    sweep: false,
  },
  protocol: {
    kind: ['seed', 'clean'],
    help: "seed: the seed's code exactly; clean: the schedule stepped, BN eps 1e-5, pixel-space attacks",
    default: 'seed',
  },
  epochs: { kind: 'int', help: 'epochs', default: 20 },
  itersPerEpoch: { kind: 'int', flag: 'iters', help: 'iterations per epoch', default: 200 },
  batchSize: { kind: 'int', help: 'batch size', default: 128 },
  lr: { kind: 'num', help: 'Adam learning rate (default 0.001 for CIFAR-10, 0.005 for CIFAR-100)' },
  betas: { kind: 'nums', help: 'Adam betas (beta1,beta2)', default: [0.5, 0.999] },
  lrSchedule: {
    kind: ['constant', 'multistep'],
    help: "constant (seed: its MultiStepLR is never stepped) | multistep (default: the protocol's)",
    arg: 'kind',
  },
  milestones: { kind: 'ints', help: 'MultiStepLR milestones', default: [15] },
  gamma: { kind: 'num', help: 'MultiStepLR gamma (the seed code: 0.2; its README: 0.1)', default: 0.2 },
  midBnEps: { kind: 'num', help: "eps of the generator's two middle BNs (seed 0.8, clean 1e-5)" },
  slotNorm: {
    kind: ['slot', 'mix-first'],
    help: 'slot: standardise each label slot, then mix (seed) | mix-first: mix, then standardise per sample',
    arg: 'kind',
  },
  attackSpace: {
    kind: ['normalized', 'pixel'],
    help: "normalized (seed) | pixel (clean): where adjust's PGD acts",
    arg: 'space',
  },
  advWeight: { kind: 'num', help: 'weight of CE on PGD copies in adjust (the seed: 0.5)', default: 0.5 },
  bnsWeight: { kind: 'num', help: 'weight of the BN-statistics loss', default: 0.1 },
  multiLabelNum: {
    kind: 'int',
    help: 'labels mixed in boundary samples (default 2 for CIFAR-10, 10 for CIFAR-100)',
    arg: 'k',
  },
  mixProb: { kind: 'num', help: 'share of training batches with mixed labels (seed: 0)', arg: 'p' },
  freezeEmbedding: { kind: 'bool', help: 'keep the label embedding fixed', default: false },
  fakeBatches: { kind: 'int', help: 'batches in the saved fake set', default: 100 },
  adjust: {
    kind: 'bool',
    help: "adjust against the classifier's real clean/PGD accuracy (the seed rule)",
    default: false,
  },
  adjustRounds: { kind: 'int', help: 'cap on adjust rounds (default: none, as the seed)' },
  adjustFakeBatches: { kind: 'int', help: 'fake batches measured per adjust round', default: 20 },
  orgBound: {
    kind: 'num',
    help: 'clean-accuracy bound (percentage points)',
    arg: 'pp',
    default: ADJUST_DEFAULTS.orgBound,
  },
  pgdBound: {
    kind: 'num',
    help: 'PGD-accuracy bound (percentage points)',
    arg: 'pp',
    default: ADJUST_DEFAULTS.pgdBound,
  },
  widenEvery: {
    kind: 'int',
    help: 'rounds between widenings of both bounds by 1',
    default: ADJUST_DEFAULTS.widenEvery,
  },
  ...ATTACK_OPTIONS,
  realClean: {
    kind: 'num',
    help: 'classifier clean accuracy on real test data (fraction; measured when absent)',
    arg: 'acc',
  },
  realPgd: {
    kind: 'num',
    help: 'classifier PGD accuracy on real test data (fraction; measured when absent)',
    arg: 'acc',
  },
  testSubset: { kind: 'int', help: 'test images for the real accuracies' },
  ...RUN_OPTIONS,
});

export type GenProtocol = 'seed' | 'clean';
export type GenOptions = OptionValues<typeof GEN_OPTIONS>;
/** What a run needs: the options, with the protocol's and the dataset's defaults filled in. */
export type GenConfig = GenOptions &
  Required<Pick<GenOptions, 'lr' | 'lrSchedule' | 'midBnEps' | 'slotNorm' | 'attackSpace' | 'multiLabelNum'>> &
  Required<Pick<GenOptions, 'mixProb' | 'adjustRounds'>>;

/** What each protocol sets; any of it can be overridden by its own option. */
export const GEN_PROTOCOLS: Record<
  GenProtocol,
  Pick<GenConfig, 'lrSchedule' | 'midBnEps' | 'attackSpace' | 'mixProb' | 'slotNorm'>
> = {
  seed: { lrSchedule: 'constant', midBnEps: 0.8, attackSpace: 'normalized', mixProb: 0, slotNorm: 'slot' },
  clean: { lrSchedule: 'multistep', midBnEps: 1e-5, attackSpace: 'pixel', mixProb: 0, slotNorm: 'slot' },
};

export const defaultGenLr = (d: DatasetName) => (d === 'cifar100' ? 0.005 : 0.001);
/** K, the labels mixed in boundary samples: the seed's result files record 2 for CIFAR-10, 10 for CIFAR-100. */
export const defaultMultiLabelNum = (d: DatasetName) => (d === 'cifar100' ? 10 : 2);

/** The schema's defaults under protocol `seed` on CIFAR-10, no cap on adjust rounds. */
export const GEN_DEFAULTS = {
  ...defaultsOf(GEN_OPTIONS),
  ...GEN_PROTOCOLS.seed,
  multiLabelNum: defaultMultiLabelNum('cifar10'),
  adjustRounds: Infinity,
};

/** Fill what the protocol and the dataset decide, where no option set it. */
export function resolveGenConfig(o: Partial<GenOptions> & Pick<GenConfig, 'checkpoint' | 'out'>): GenConfig {
  const d = withDefaults(GEN_OPTIONS, o);
  const p = GEN_PROTOCOLS[d.protocol];
  if (d.betas.length !== 2) throw new Error(`--betas takes two numbers (beta1,beta2), got ${d.betas.join(',')}`);
  return {
    ...d,
    lr: d.lr ?? defaultGenLr(d.dataset),
    multiLabelNum: d.multiLabelNum ?? defaultMultiLabelNum(d.dataset),
    lrSchedule: d.lrSchedule ?? p.lrSchedule,
    midBnEps: d.midBnEps ?? p.midBnEps,
    slotNorm: d.slotNorm ?? p.slotNorm,
    attackSpace: d.attackSpace ?? p.attackSpace,
    mixProb: d.mixProb ?? p.mixProb,
    adjustRounds: d.adjustRounds ?? Infinity,
  };
}
