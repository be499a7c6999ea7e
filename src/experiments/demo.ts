// `quantscope demo`: the whole pipeline at small scale on the real CIFAR-10, in minutes on 2 CPU cores.
// Reduced on purpose (and said so in the report): two small demo models (cfg entries VGG_demo and
// AlexNet_demo, not the seed's), a training subset, few epochs, a test subset. Every step resumes: a
// re-run skips what is finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPtq } from './ptq.js';
import { buildReport, type ReportExtras } from './report.js';
import { SEED_RECIPE, train } from './train.js';
import { log } from './progress.js';

export interface DemoConfig {
  out: string;
  models: string[];
  subset: number;
  testSubset: number;
  epochs: number;
  batchSize: number;
  bits: number[];
  families: string[];
  calibBatches: number;
  dataDir?: string;
  quiet?: boolean;
  /** extra pipeline stages (robustness) plugged in by the CLI */
  stages?: ((c: DemoConfig) => Promise<ReportExtras['sections']>)[];
}

export const DEMO_DEFAULTS: Omit<DemoConfig, 'out'> = {
  models: ['VGG_demo', 'AlexNet_demo'], subset: 10000, testSubset: 2000, epochs: 6, batchSize: 64,
  bits: [2, 3, 4, 5, 6, 8], families: ['INT', 'POT', 'FLOAT'], calibBatches: 20,
};

export async function runDemo(c: DemoConfig): Promise<string> {
  const t0 = Date.now();
  for (const model of c.models) {
    const out = join(c.out, `${model}-cifar10`);
    if (existsSync(join(out, 'result.json'))) { log(`demo: ${model} already trained (${out})`); continue; }
    log(`demo: training ${model} on ${c.subset} CIFAR-10 images for ${c.epochs} epochs`);
    const r = await train({
      ...SEED_RECIPE, milestones: [Math.ceil(c.epochs * 0.6), Math.ceil(c.epochs * 0.85)], model, dataset: 'cifar10', epochs: c.epochs, batchSize: c.batchSize,
      lr: 0.05, subset: c.subset, testSubset: c.testSubset, seed: 0, out, evalEvery: 0, dataDir: c.dataDir,
    }, true, { quiet: c.quiet });
    r.model.dispose();
  }
  for (const model of c.models) {
    const out = join(c.out, `${model}-cifar10`);
    log(`demo: PTQ sweep of ${model} (${c.families.join('/')} at ${c.bits.join(',')} bits)`);
    await runPtq({
      checkpoint: join(out, 'model.safetensors'), dataset: 'cifar10', families: c.families, bits: c.bits, calibBatches: c.calibBatches, calibBatchSize: 128,
      testSubset: c.testSubset, dataDir: c.dataDir, out, histBins: 2048, quiet: c.quiet,
    });
  }
  const extraSections = [];
  for (const stage of c.stages ?? []) extraSections.push(...((await stage(c)) ?? []));
  const minutes = ((Date.now() - t0) / 60000).toFixed(1);
  const path = await buildReport(c.out, join(c.out, 'report'), {
    title: 'quantscope demo: what does quantization cost?',
    intro: `A small-scale run of the whole pipeline on the real CIFAR-10: models ${c.models.join(', ')} (small demo entries of the cfg table, not the seed's models), trained on the first ${c.subset} training images for ${c.epochs} epochs with the seed's optimizer (SGD, nesterov, warm-up; lr 0.05), evaluated on the first ${c.testSubset} test images; PTQ over ${c.families.join('/')} at ${c.bits.join(', ')} bits with ${c.calibBatches} calibration batches. This run's pipeline time: ${minutes} min. Full-scale numbers come from <code>quantscope sweep</code>.`,
    sections: extraSections,
  });
  return path;
}
