// The `ptq` command's schema: formats, bit widths, protocol and calibration of the PTQ sweep, once. PtqConfig,
// the CLI options and the sweep's `ptq` arguments derive from it.
import { CLASSIFIER_OPTIONS, RUN_OPTIONS, splitFormats } from './common-options.js';
import { defineOptions, withDefaults, type OptionValues } from './option-schema.js';

/** The seed's sweep: every width of each family (INT 2..16, POT 2..8, FLOAT 3..8 bits): its 43 formats. */
export const SEED_BITS = Array.from({ length: 15 }, (_, i) => i + 2);

export const PTQ_OPTIONS = defineOptions({
  ...CLASSIFIER_OPTIONS,
  checkpoint: {
    ...CLASSIFIER_OPTIONS.checkpoint,
    help: 'trained model (default runs/<model>-<dataset>/model.safetensors)',
  },
  formats: {
    kind: 'list',
    help: 'format families (INT,POT,FLOAT,OCP,MX) or explicit names (INT8,FP8_E4M3,...)',
    default: ['INT', 'POT', 'FLOAT'],
  },
  bits: { kind: 'ints', help: 'bit widths (INT up to 16, POT up to 8, FLOAT 3..8)', default: SEED_BITS },
  protocol: {
    kind: ['seed', 'clean', 'seed-sum-range', 'seed-int-clamp', 'legacy'],
    help:
      "seed: the seed's placement, calibration, similarity and quirks (default); clean: without the quirks; " +
      'seed-sum-range / seed-int-clamp: one quirk fixed; legacy: the earlier approximation',
    default: 'seed',
  },
  calibBatches: { kind: 'int', help: 'training batches for activation ranges', default: 100 },
  calibBatchSize: { kind: 'int', help: 'calibration batch size', default: 128, min: 1 },
  testSubset: { kind: 'int', help: 'evaluate on the first N test images' },
  histBins: { kind: 'int', help: 'bins of the histogram JS divergence', default: 2048, min: 1 },
  calibration: {
    kind: ['fp', 'quantized'],
    help:
      'legacy protocol only. fp: ranges from the full-precision model once; quantized: per format through the ' +
      'fake-quantized network (upstream quantization shifts downstream ranges)',
    arg: 'mode',
    default: 'fp',
  },
  dataDir: RUN_OPTIONS.dataDir,
  out: {
    kind: 'str',
    help: "output folder (default: the checkpoint's folder)",
    arg: 'dir',
    required: true,
    sweep: false,
  },
  quiet: RUN_OPTIONS.quiet,
});

export type PtqOptions = OptionValues<typeof PTQ_OPTIONS>;
/** What a run needs: --formats split into families (swept over the bit widths) and explicit names; protocol
 *  and calibration fall back to the schema's defaults (seed, fp) when a caller leaves them out. */
export type PtqConfig = Omit<PtqOptions, 'formats' | 'protocol' | 'calibration'> &
  Partial<Pick<PtqOptions, 'protocol' | 'calibration'>> & { families: string[]; formats?: string[] };

export function resolvePtqConfig(o: Partial<PtqOptions> & Pick<PtqOptions, 'checkpoint' | 'out'>): PtqConfig {
  const { formats, ...rest } = withDefaults(PTQ_OPTIONS, o);
  return { ...rest, ...splitFormats(formats) };
}
