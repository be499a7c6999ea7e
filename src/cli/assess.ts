// `quantscope assess`: a pretrained CNN assessed for quantization without its data (experiments/assess.ts).
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { ASSESS_DEFAULTS, runAssess } from '../experiments/assess.js';
import { initNode } from '../platform/node.js';
import { dataset, int, list, modelName, num } from './options.js';

export function registerAssessCommand(program: Command): void {
  program
    .command('assess')
    .description(
      'data-free assessment of a pretrained CNN: generator, fake set, per-format PTQ calibrated on it, ' +
        'predicted acc_loss and robustness, ranked formats',
    )
    .requiredOption('--checkpoint <file>', 'the model: our .safetensors, or a PyTorch state dict (.pt) with --model')
    .option('--model <name>', 'architecture (default: from the checkpoint metadata)', modelName)
    .option(
      '--dataset <name>',
      'what it was trained on: cifar10 | cifar100 (constants only; no data is read)',
      dataset,
      'cifar10',
    )
    .option('--fit <file>', 'fit.json from `quantscope fit --protocol seed` (predicted acc_loss)')
    .option('--fit-scope <scope>', 'which fit in it (default: the pooled ALL/<dataset>)')
    .option('--robust-fit <file>', 'robust-fit.json from `quantscope robust` (predicted test-relative PGD)')
    .option('--formats <list>', "format names (default: the seed's 43)", list, [])
    .option('--max-loss <x>', 'the acc_loss a recommended format may lose', num('--max-loss'), ASSESS_DEFAULTS.maxLoss)
    .option(
      '--real-clean <acc>',
      "the model's real-test clean accuracy, if known (enables adjust)",
      num('--real-clean'),
    )
    .option('--real-pgd <acc>', "the model's real-test PGD accuracy, if known (enables adjust)", num('--real-pgd'))
    .option('--gen-epochs <n>', 'generator epochs (default: the seed, 20)', int('--gen-epochs'))
    .option('--gen-iters <n>', 'generator iterations per epoch (default: the seed, 200)', int('--gen-iters'))
    .option('--gen-batch-size <n>', 'generator batch size (default 128)', int('--gen-batch-size'))
    .option('--fake-batches <n>', 'fake-set batches (default: the seed, 100)', int('--fake-batches'))
    .option('--adjust-rounds <n>', 'cap on adjust rounds (default: none)', int('--adjust-rounds'))
    .option(
      '--calib-batches <n>',
      'fake batches per format for calibration',
      int('--calib-batches'),
      ASSESS_DEFAULTS.calibBatches,
    )
    .option(
      '--eval-images <n>',
      'fake images for the robustness measurement',
      int('--eval-images'),
      ASSESS_DEFAULTS.evalImages,
    )
    .option('--pgd-steps <n>', 'PGD steps', int('--pgd-steps'), ASSESS_DEFAULTS.steps)
    .option('--validate', 'also measure every format on the real test set (opens the dataset)', false)
    .option('--test-subset <n>', 'test images for --validate', int('--test-subset'))
    .option('--out <dir>', 'output folder (default <checkpoint folder>/assess)')
    .option('--data-dir <dir>', 'folder holding the datasets (only --validate reads it)')
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const checkpoint = resolve(o.checkpoint);
      const gen: Record<string, number> = {};
      if (o.genEpochs !== undefined) gen.epochs = o.genEpochs;
      if (o.genIters !== undefined) gen.itersPerEpoch = o.genIters;
      if (o.genBatchSize !== undefined) gen.batchSize = o.genBatchSize;
      if (o.fakeBatches !== undefined) gen.fakeBatches = o.fakeBatches;
      if (o.adjustRounds !== undefined) gen.adjustRounds = o.adjustRounds;
      const r = await runAssess({
        ...ASSESS_DEFAULTS,
        checkpoint,
        model: o.model,
        dataset: o.dataset,
        out: resolve(o.out ?? join(dirname(checkpoint), 'assess')),
        fit: o.fit && resolve(o.fit),
        fitScope: o.fitScope,
        robustFit: o.robustFit && resolve(o.robustFit),
        formats: o.formats,
        maxLoss: o.maxLoss,
        realClean: o.realClean,
        realPgd: o.realPgd,
        gen,
        calibBatches: o.calibBatches,
        evalImages: o.evalImages,
        steps: o.pgdSteps,
        validate: o.validate,
        testSubset: o.testSubset,
        dataDir: o.dataDir,
        quiet: o.quiet,
      });
      for (const x of r.rows)
        console.log(
          `${x.format.padEnd(12)} js_flops ${x.js_flops.toExponential(3)}  predicted loss ` +
            `${x.predicted_loss === null ? '–' : x.predicted_loss.toFixed(4)}  fake PGD ` +
            `${(x.fake_pgd * 100).toFixed(1)}%` +
            (x.measured_loss !== undefined ? `  measured loss ${x.measured_loss.toFixed(4)}` : ''),
        );
      console.log(`recommended under max loss ${r.max_loss}: ${r.recommended.join(', ') || 'none'}`);
      console.log(`report: ${join(resolve(o.out ?? join(dirname(checkpoint), 'assess')), 'index.html')}`);
    });
}
