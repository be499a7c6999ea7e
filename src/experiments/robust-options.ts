// The `robust` command's schema: the quantized models, fake sets and attack of the fake-vs-real robustness
// sweep, once. RobustConfig, ROBUST_DEFAULTS, the CLI options and the sweep's `robust` arguments derive from it.
import type { AttackSpace } from '../nn/attacks.js';
import { protocolQuirks } from '../quant/protocol.js';
import { ATTACK_OPTIONS, CLASSIFIER_OPTIONS, RUN_OPTIONS, splitFormats } from './common-options.js';
import { defaultsOf, defineOptions, withDefaults, type OptionValues } from './option-schema.js';

export type FakeSetKind = 'trained' | 'adjusted';
export type RobustCalibration = 'real' | 'fake';

export const ROBUST_OPTIONS = defineOptions({
  ...CLASSIFIER_OPTIONS,
  genDir: {
    kind: 'str',
    help: 'folder with the fake sets from `quantscope gen` (default <checkpoint folder>/gen)',
    arg: 'dir',
    required: true,
    sweep: false,
  },
  adjust: { kind: 'bool', help: 'also evaluate the adjusted fake set', default: false },
  protocol: {
    kind: 'str',
    help: "PTQ protocol of the quantized models: seed (the seed's code) | clean | the one-quirk variants",
    default: 'seed',
    check: (v: string) => void protocolQuirks(v), // a misspelt protocol fails before any work
  },
  attackSpace: {
    kind: ['normalized', 'pixel'],
    help: "normalized (the seed's, default under protocol seed) | pixel (default otherwise)",
    arg: 'space',
  },
  calibration: {
    kind: ['real', 'fake'],
    help: "real: the PTQ step's ranges (real training data) | fake: calibrate on the fake set (data-free)",
    arg: 'data',
    default: 'real',
  },
  ptqDir: {
    kind: 'str',
    help: "folder with the PTQ step's ptq-ranges.jsonl (default: the checkpoint's folder)",
    arg: 'dir',
    sweep: false,
  },
  formats: {
    kind: 'list',
    help: 'format families or names (default: all 43 of the seed)',
    default: ['INT', 'POT', 'FLOAT'],
  },
  bits: { kind: 'ints', help: 'bit widths (default: every width of each family)' },
  batchSize: { kind: 'int', help: 'batch size', default: 128 },
  testSubset: { kind: 'int', help: 'test images' },
  fakeLimit: { kind: 'int', help: 'fake images' },
  calibBatches: {
    kind: 'int',
    help: 'calibration batches per format (the seed: 100 batches of 128 augmented training images)',
    default: 100,
  },
  calibBatchSize: { kind: 'int', help: 'images per calibration batch', default: 128 },
  pcaPerClass: { kind: 'int', help: 'fake images per class for PCA (the seed: 1000; 0: none)', default: 1000 },
  ...ATTACK_OPTIONS,
  out: { kind: 'str', help: 'output folder (default: the gen folder)', arg: 'dir', required: true, sweep: false },
  dataDir: RUN_OPTIONS.dataDir,
  quiet: RUN_OPTIONS.quiet,
});

export type RobustOptions = OptionValues<typeof ROBUST_OPTIONS>;
/** What a run needs: --adjust as the fake sets, --formats split into families and names, the defaults filled. */
export type RobustConfig = Omit<RobustOptions, 'adjust' | 'formats' | 'bits' | 'attackSpace'> & {
  fakeSets: FakeSetKind[];
  families: string[];
  formats?: string[];
  bits: number[];
  attackSpace: AttackSpace;
};

const ALL_BITS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const { adjust: _adjust, formats: _formats, ...defaults } = defaultsOf(ROBUST_OPTIONS);
/** The schema's defaults with the seed's attack space. */
export const ROBUST_DEFAULTS = { ...defaults, attackSpace: 'normalized' as AttackSpace };

/** The attack space a protocol implies: the seed's quirk under `seed`, the physical threat model otherwise. */
export const attackSpaceFor = (protocol: string): AttackSpace => (protocol.startsWith('seed') ? 'normalized' : 'pixel');

export function resolveRobustConfig(
  o: Partial<RobustOptions> & Pick<RobustOptions, 'checkpoint' | 'genDir' | 'out'>,
): RobustConfig {
  const { adjust, formats, bits, attackSpace, ...rest } = withDefaults(ROBUST_OPTIONS, o);
  return {
    ...rest,
    fakeSets: adjust ? ['trained', 'adjusted'] : ['trained'],
    ...splitFormats(formats),
    bits: bits ?? ALL_BITS,
    attackSpace: attackSpace ?? attackSpaceFor(rest.protocol),
  };
}
