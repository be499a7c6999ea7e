// Commands for data-free robustness: the generator and the fake-vs-real attack evaluation.
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { GEN_DEFAULTS, defaultGenLr, runGen } from '../experiments/gen.js';
import { ROBUST_DEFAULTS, runRobust } from '../experiments/robust.js';
import { fitRobust, loadRobustPoints, SEED_ROBUST_MODELS } from '../experiments/robust-fit.js';
import { initNode } from '../platform/node.js';
import { checkpointOf, dataset, int, list, modelName, num, splitFormats, withAttackOptions } from './options.js';

export function registerRobustCommands(program: Command): void {
  withAttackOptions(program.command('gen'), {
    eps: GEN_DEFAULTS.eps,
    steps: GEN_DEFAULTS.pgdSteps,
    alpha: GEN_DEFAULTS.pgdAlpha,
  })
    .description(
      "train the Qimera-style generator against a trained classifier (the seed's procedure); writes a fixed fake dataset",
    )
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
    .option('--out <dir>', 'output folder (default <checkpoint folder>/gen)')
    .option('--epochs <n>', 'epochs', int('--epochs'), GEN_DEFAULTS.epochs)
    .option('--iters <n>', 'iterations per epoch', int('--iters'), GEN_DEFAULTS.itersPerEpoch)
    .option('--batch-size <n>', 'batch size', int('--batch-size'), GEN_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate (default 0.001 for CIFAR-10, 0.005 for CIFAR-100)', num('--lr'))
    .option('--milestones <list>', 'MultiStepLR milestones', (v) => list(v).map(Number), GEN_DEFAULTS.milestones)
    .option(
      '--gamma <x>',
      'MultiStepLR gamma (the seed code: 0.2; its README: 0.1)',
      num('--gamma'),
      GEN_DEFAULTS.gamma,
    )
    .option('--bns-weight <x>', 'weight of the BN-statistics loss', num('--bns-weight'), GEN_DEFAULTS.bnsWeight)
    .option(
      '--multi-label-num <k>',
      'labels mixed in boundary samples',
      int('--multi-label-num'),
      GEN_DEFAULTS.multiLabelNum,
    )
    .option('--mix-prob <p>', 'share of training batches with mixed labels', num('--mix-prob'), GEN_DEFAULTS.mixProb)
    .option('--freeze-embedding', 'keep the label embedding fixed', false)
    .option('--fake-batches <n>', 'batches in the saved fake set', int('--fake-batches'), GEN_DEFAULTS.fakeBatches)
    .option('--adjust', "adjust against the classifier's real clean/PGD accuracy (the seed rule)", false)
    .option('--adjust-rounds <n>', 'maximum adjust rounds', int('--adjust-rounds'), GEN_DEFAULTS.adjustRounds)
    .option(
      '--adjust-fake-batches <n>',
      'fake batches measured per adjust round',
      int('--adjust-fake-batches'),
      GEN_DEFAULTS.adjustFakeBatches,
    )
    .option('--org-bound <pp>', 'clean-accuracy bound (percentage points)', num('--org-bound'), GEN_DEFAULTS.orgBound)
    .option('--pgd-bound <pp>', 'PGD-accuracy bound (percentage points)', num('--pgd-bound'), GEN_DEFAULTS.pgdBound)
    .option(
      '--widen-every <n>',
      'rounds between widenings of both bounds by 1',
      int('--widen-every'),
      GEN_DEFAULTS.widenEvery,
    )
    .option(
      '--real-clean <acc>',
      'classifier clean accuracy on real test data (fraction; measured when absent)',
      num('--real-clean'),
    )
    .option(
      '--real-pgd <acc>',
      'classifier PGD accuracy on real test data (fraction; measured when absent)',
      num('--real-pgd'),
    )
    .option('--test-subset <n>', 'test images for the real accuracies', int('--test-subset'))
    .option('--seed <n>', 'seed', int('--seed'), 0)
    .option('--data-dir <dir>', 'folder holding the datasets')
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const checkpoint = checkpointOf('gen', o);
      const r = await runGen({
        ...GEN_DEFAULTS,
        checkpoint,
        model: o.model,
        dataset: o.dataset,
        out: resolve(o.out ?? join(dirname(checkpoint), 'gen')),
        epochs: o.epochs,
        itersPerEpoch: o.iters,
        batchSize: o.batchSize,
        lr: o.lr ?? defaultGenLr(o.dataset),
        milestones: o.milestones,
        gamma: o.gamma,
        bnsWeight: o.bnsWeight,
        multiLabelNum: o.multiLabelNum,
        mixProb: o.mixProb,
        freezeEmbedding: o.freezeEmbedding,
        fakeBatches: o.fakeBatches,
        adjust: o.adjust,
        adjustRounds: o.adjustRounds,
        adjustFakeBatches: o.adjustFakeBatches,
        orgBound: o.orgBound,
        pgdBound: o.pgdBound,
        widenEvery: o.widenEvery,
        realClean: o.realClean,
        realPgd: o.realPgd,
        eps: o.eps,
        pgdSteps: o.pgdSteps,
        pgdAlpha: o.pgdAlpha,
        testSubset: o.testSubset,
        seed: o.seed,
        dataDir: o.dataDir,
        quiet: o.quiet,
      });
      console.log(
        `generator: gen acc ${(r.genAcc * 100).toFixed(1)}%; fake set ${r.fakePath}${r.adjustPath ? `; adjusted (${r.rounds} rounds) ${r.adjustPath}` : ''}`,
      );
    });

  withAttackOptions(program.command('robust'), ROBUST_DEFAULTS)
    .description(
      'clean/FGSM/PGD accuracy of the full-precision and quantized models on fake vs real data; fits, PCA pictures, image grid',
    )
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
    .option('--gen-dir <dir>', 'folder with fake.bin from `quantscope gen` (default <checkpoint folder>/gen)')
    .option('--adjust', 'also evaluate the adjusted fake set', false)
    .option('--formats <list>', 'format families or names', list, ['INT', 'POT', 'FLOAT'])
    .option('--bits <list>', 'bit widths', (v) => list(v).map(Number), [4, 6, 8])
    .option('--batch-size <n>', 'batch size', int('--batch-size'), ROBUST_DEFAULTS.batchSize)
    .option('--test-subset <n>', 'test images', int('--test-subset'))
    .option('--fake-limit <n>', 'fake images', int('--fake-limit'))
    .option(
      '--calib-batches <n>',
      'fake batches for activation ranges',
      int('--calib-batches'),
      ROBUST_DEFAULTS.calibBatches,
    )
    .option('--out <dir>', 'output folder (default: the gen folder)')
    .option('--data-dir <dir>', 'folder holding the datasets')
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const checkpoint = checkpointOf('robust', o);
      const genDir = resolve(o.genDir ?? join(dirname(checkpoint), 'gen'));
      const rows = await runRobust({
        checkpoint,
        model: o.model,
        dataset: o.dataset,
        genDir,
        adjust: o.adjust,
        ...splitFormats(o.formats),
        bits: o.bits,
        eps: o.eps,
        steps: o.pgdSteps,
        alpha: o.pgdAlpha,
        batchSize: o.batchSize,
        testSubset: o.testSubset,
        fakeLimit: o.fakeLimit,
        calibBatches: o.calibBatches,
        out: resolve(o.out ?? genDir),
        dataDir: o.dataDir,
        quiet: o.quiet,
      });
      for (const r of rows)
        console.log(
          `${r.model} ${r.format.padEnd(12)} ${r.data.padEnd(12)} clean ${(r.clean * 100).toFixed(1)}%  fgsm ${(r.fgsm * 100).toFixed(1)}%  pgd ${(r.pgd * 100).toFixed(1)}%`,
        );
    });

  program
    .command('robust-fit')
    .description('straight-line fits of test-relative on fake-relative accuracy, pooled per dataset and fake set')
    .option('--results <dir|csv>', "folder searched for robust.jsonl, or a CSV in the seed's robust.csv layout", 'runs')
    .option('--models <list>', "models pooled (default: the seed's six; 'all' for every model found)", list)
    .option('--json', 'print one JSON row per fit (dataset, fake_set, metric, r2, slope, intercept, points)', false)
    .action((o) => {
      const models = o.models?.[0] === 'all' ? null : (o.models ?? SEED_ROBUST_MODELS);
      const rows = fitRobust(loadRobustPoints(resolve(o.results)), models);
      if (o.json) console.log(JSON.stringify(rows, null, 1));
      else
        for (const r of rows)
          console.log(
            `${r.dataset.padEnd(9)} ${r.fake_set.padEnd(9)} ${r.metric.padEnd(6)} R² ${r.r2.toFixed(4)}  ` +
              `test = ${r.slope.toFixed(3)} x fake + ${r.intercept.toFixed(3)}  (${r.points} points)`,
          );
    });
}
