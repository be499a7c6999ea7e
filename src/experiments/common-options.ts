// Option entries several commands' schemas share (./option-schema.ts): the classifier they read, the
// L-inf attack, and the run's seed, data folder and progress output.
import { PGD_DEFAULTS } from '../nn/attacks.js';
import { modelNames } from '../nn/models/build.js';

export const DATASETS = ['cifar10', 'cifar100'] as const;
const datasetName = (v: string) => v.toLowerCase().replace(/[-_]/g, '');
const checkModel = (v: string) => {
  if (!modelNames().includes(v)) throw new Error(`unknown model "${v}" (known: ${modelNames().join(', ')})`);
};
/** The options every command taking a trained classifier shares. */
export const CLASSIFIER_OPTIONS = {
  model: { kind: 'str', help: 'model cfg name (default: from the checkpoint metadata)', check: checkModel },
  dataset: { kind: DATASETS, help: 'cifar10 | cifar100', default: 'cifar10', normalize: datasetName, sweep: false },
  checkpoint: {
    kind: 'str',
    help: 'trained classifier (default runs/<model>-<dataset>/model.safetensors)',
    arg: 'file',
    required: true,
    sweep: false,
  },
} as const;
/** Seed, data folder and progress output. */
export const RUN_OPTIONS = {
  seed: { kind: 'int', help: 'seed', default: 0 },
  dataDir: { kind: 'str', help: 'folder holding the datasets', arg: 'dir', sweep: false },
  quiet: { kind: 'bool', help: 'no progress output', sweep: false },
} as const;

/** The L-inf attack (FGSM and PGD), in the units of the attack space. */
export const ATTACK_OPTIONS = {
  eps: { kind: 'num', help: 'L-inf budget, in the units of the attack space', default: PGD_DEFAULTS.eps },
  pgdSteps: { kind: 'int', help: 'PGD steps', default: PGD_DEFAULTS.steps },
  pgdAlpha: { kind: 'num', help: 'PGD step size', default: PGD_DEFAULTS.alpha },
} as const;

/** --formats mixes family names (swept over --bits) and explicit format names. */
export function splitFormats(list: string[]): { families: string[]; formats?: string[] } {
  const families = list.filter((f) => /^(INT|POT|FLOAT|OCP|MX)$/i.test(f));
  const names = list.filter((f) => !families.includes(f));
  return { families, formats: names.length ? names : undefined };
}
