// `quantscope demo`: the whole pipeline at small scale on the real CIFAR-10, in minutes on 2 CPU cores.
// Reduced on purpose (and said so in the report): two small demo models (cfg entries VGG_demo and
// AlexNet_demo, not the seed's) and one of the seed's own models (AlexNet_BN, 70 MMac) on a smaller subset,
// few epochs, test subsets, fewer formats. Every step resumes: a re-run skips what is finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPtq } from './ptq.js';
import { buildReport } from './report.js';
import { SEED_RECIPE, train } from './train.js';
import { log } from './progress.js';
import { GEN_DEFAULTS, runGen } from './gen.js';
import { ROBUST_DEFAULTS, runRobust } from './robust.js';
import { ASSESS_DEFAULTS, runAssess } from './assess.js';
import { fitAll, loadPtqRows } from './fit.js';
import { rowProtocol } from './ptq.js';
import { writeJsonAtomic } from '../platform/files.js';
import {
  DEMO_DEFAULTS,
  DEMO_OPTIONS,
  resolveDemoConfig,
  type DemoConfig,
  type DemoOptions,
  type SeedModelDemo,
} from './demo-options.js';

export { DEMO_DEFAULTS, DEMO_OPTIONS, resolveDemoConfig };
export type { DemoConfig, DemoOptions, SeedModelDemo };

const QUIRK_PROTOCOLS = ['seed', 'seed-sum-range', 'seed-int-clamp', 'clean'] as const;

interface TrainStep {
  model: string;
  subset: number;
  testSubset: number;
  epochs: number;
  valSplit: number;
}

async function trainOnce(c: DemoConfig, t: TrainStep): Promise<void> {
  const out = join(c.out, `${t.model}-cifar10`);
  if (existsSync(join(out, 'result.json'))) {
    log(`demo: ${t.model} already trained (${out})`);
    return;
  }
  log(`demo: training ${t.model} on ${t.subset} CIFAR-10 images for ${t.epochs} epochs`);
  const r = await train(
    {
      ...SEED_RECIPE,
      valSplit: t.valSplit,
      milestones: [Math.ceil(t.epochs * 0.6), Math.ceil(t.epochs * 0.85)],
      model: t.model,
      dataset: 'cifar10',
      epochs: t.epochs,
      batchSize: c.batchSize,
      lr: 0.05,
      subset: t.subset,
      testSubset: t.testSubset,
      seed: 0,
      out,
      evalEvery: 0,
      dataDir: c.dataDir,
    },
    true,
    { quiet: c.quiet },
  );
  r.model.dispose();
}

/** One model's PTQ sweep in its run folder (a protocol variant other than seed: in ptq-<protocol>/). */
async function sweep(
  c: DemoConfig,
  model: string,
  size: { bits: number[]; calibBatches: number; testSubset: number },
  protocol: (typeof QUIRK_PROTOCOLS)[number] = 'seed',
): Promise<void> {
  const dir = join(c.out, `${model}-cifar10`);
  await runPtq({
    checkpoint: join(dir, 'model.safetensors'),
    dataset: 'cifar10',
    families: c.families,
    bits: size.bits,
    calibBatches: size.calibBatches,
    calibBatchSize: 128,
    testSubset: size.testSubset,
    dataDir: c.dataDir,
    out: protocol === 'seed' ? dir : join(dir, `ptq-${protocol}`),
    histBins: 2048,
    quiet: c.quiet,
    protocol,
  });
}

export async function runDemo(c: DemoConfig): Promise<string> {
  const t0 = Date.now();
  // scaled down: the demo nets train on their whole subset (the seed holds out 20% for validation)
  for (const model of c.models) await trainOnce(c, { ...c, model, valSplit: 0 });
  const sm = c.seedModel;
  if (sm) await trainOnce(c, { ...sm, valSplit: SEED_RECIPE.valSplit });
  const qm = c.quirkModel;
  if (qm) await trainOnce(c, { ...qm, valSplit: 0 });
  for (const model of c.models) {
    log(`demo: PTQ sweep of ${model} (${c.families.join('/')} at ${c.bits.join(',')} bits)`);
    await sweep(c, model, c);
  }
  if (qm) {
    // the same model under each protocol variant, each in its own folder (fits never mix protocols)
    for (const protocol of QUIRK_PROTOCOLS) {
      log(`demo: PTQ sweep of ${qm.model} under protocol ${protocol} (bits ${qm.bits.join(',')})`);
      await sweep(c, qm.model, qm, protocol);
    }
  }
  if (sm) {
    log(`demo: PTQ sweep of the seed's ${sm.model} (${c.families.join('/')} at ${sm.bits.join(',')} bits)`);
    await sweep(c, sm.model, sm);
  }
  // data-free robustness as the seed measures it: generator (short training + a few adjust rounds), then
  // FGSM/PGD in the seed's normalised space on the test set and the adjusted fake set, over the PTQ step's
  // quantized models (real-data calibration, read from its ptq-ranges.jsonl); the full-precision model also
  // in pixel space, to show what the space changes
  const genDir = join(c.out, `${c.robustModel}-cifar10`, 'gen');
  const checkpoint = join(c.out, `${c.robustModel}-cifar10`, 'model.safetensors');
  log(`demo: generator for ${c.robustModel} (${c.genEpochs} epochs x ${c.genIters} iterations, then adjust)`);
  await runGen({
    ...GEN_DEFAULTS,
    checkpoint,
    dataset: 'cifar10',
    out: genDir,
    epochs: c.genEpochs,
    itersPerEpoch: c.genIters,
    batchSize: 64,
    lr: 0.005,
    fakeBatches: Math.ceil(c.robustFakeLimit / 64),
    adjust: true,
    adjustRounds: c.adjustRounds,
    adjustFakeBatches: 2,
    testSubset: c.robustTestSubset,
    dataDir: c.dataDir,
    quiet: c.quiet,
  });
  const robust = {
    ...ROBUST_DEFAULTS,
    checkpoint,
    dataset: 'cifar10' as const,
    genDir,
    fakeSets: ['adjusted' as const],
    families: c.families,
    bits: c.bits,
    testSubset: c.robustTestSubset,
    fakeLimit: c.robustFakeLimit,
    calibBatches: c.calibBatches,
    pcaPerClass: c.pcaPerClass,
    dataDir: c.dataDir,
    quiet: c.quiet,
  };
  log(`demo: robustness of ${c.robustModel} and its PTQ models, fake vs real data, seed's attack space`);
  await runRobust({ ...robust, out: genDir });
  log(`demo: the full-precision ${c.robustModel} attacked in pixel space, for comparison`);
  await runRobust({ ...robust, attackSpace: 'pixel', families: [], pcaPerClass: 0, out: join(genDir, 'pixel-space') });

  // data-free assessment of the same model, validated: the fit comes from the other demo models only
  // (leave-one-out), the generator is the one above (no data), then the same formats on the real test set
  const assessOut = join(c.out, `${c.robustModel}-cifar10`, 'assess');
  const others = loadPtqRows(c.out).rows.filter((r) => rowProtocol(r) === 'seed' && r.model !== c.robustModel);
  const fitPath = join(assessOut, 'fit-without-' + c.robustModel + '.json');
  writeJsonAtomic(fitPath, {
    created: new Date().toISOString(),
    sources: [c.out],
    protocol: 'seed',
    fits: fitAll(others, { measures: ['js_flops'] }),
  });
  log(`demo: assess ${c.robustModel} without data (fit from the other models), then validate on the test set`);
  await runAssess({
    ...ASSESS_DEFAULTS,
    checkpoint,
    dataset: 'cifar10',
    out: assessOut,
    genDir,
    fit: fitPath,
    formats: c.assessFormats,
    gen: {
      epochs: c.genEpochs,
      itersPerEpoch: c.genIters,
      batchSize: 64,
      lr: 0.005,
      fakeBatches: Math.ceil(c.robustFakeLimit / 64),
    },
    calibBatches: 2,
    evalImages: c.robustFakeLimit,
    validate: true,
    testSubset: c.robustTestSubset,
    dataDir: c.dataDir,
    quiet: c.quiet,
  });

  const minutes = ((Date.now() - t0) / 60000).toFixed(1);
  const quirkText = qm
    ? `${qm.model} (residual adds) trained on ${qm.subset} images for ${qm.epochs} epochs and swept at ` +
      `${qm.bits.join(', ')} bits under the seed protocol, with each quirk fixed, and clean (section 2b);`
    : '';
  const seedText = sm
    ? `the seed's own ${sm.model}, scaled down: the first ${sm.subset} training images (80/20 train/validation ` +
      `split, best-validation epoch kept, as the seed) for ${sm.epochs} epochs instead of 50,000 for 200, tested on ` +
      `${sm.testSubset} images, PTQ at ${sm.bits.join(', ')} bits with ${sm.calibBatches} calibration batches ` +
      "(the seed: 43 formats, 100 batches) — its accuracy is far below the seed's and is shown next to it only to " +
      'show the comparison;'
    : '';
  const robustText =
    `a generator for ${c.robustModel} trained for ${c.genEpochs} x ${c.genIters} iterations (the seed: 20 x 200) ` +
    `plus up to ${c.adjustRounds} adjust rounds (the seed: until its rule stops); FGSM and PGD-10 at the seed's ` +
    `eps 8/255 in its normalised space over ${c.robustModel}'s PTQ models, on ${c.robustTestSubset} test and ` +
    `${c.robustFakeLimit} adjusted fake images (the seed: 10,000 and 12,800).`;
  const path = await buildReport(c.out, join(c.out, 'report'), {
    title: 'quantscope demo: what does quantization cost?',
    intro:
      `A small-scale run of the whole pipeline on the real CIFAR-10: models ${c.models.join(', ')} (small demo ` +
      `entries of the cfg table, not the seed's models), trained on the first ${c.subset} training images for ` +
      `${c.epochs} epochs with the seed's optimizer (SGD, nesterov, warm-up; lr 0.05), evaluated on the first ` +
      `${c.testSubset} test images; PTQ under the seed's protocol over ${c.families.join('/')} at ` +
      `${c.bits.join(', ')} bits with ${c.calibBatches} calibration batches per format (the seed: all 43 ` +
      `formats, 100 batches); ${quirkText} ${seedText} ${robustText} This run's pipeline time: ${minutes} min. ` +
      'Full-scale numbers come from <code>quantscope sweep</code>.',
  });
  return path;
}
