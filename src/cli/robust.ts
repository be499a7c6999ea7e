// Commands for data-free robustness: the generator and the fake-vs-real attack evaluation.
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import {
  GEN_DEFAULTS,
  GEN_PROTOCOLS,
  defaultGenLr,
  defaultMultiLabelNum,
  runGen,
  type GenProtocol,
} from '../experiments/gen.js';
import { ROBUST_DEFAULTS, attackSpaceFor, runRobust } from '../experiments/robust.js';
import { protocolQuirks } from '../quant/protocol.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
import { fitRobust, loadRobustPoints, SEED_ROBUST_MODELS } from '../experiments/robust-fit.js';
import { initNode } from '../platform/node.js';
import {
  checkpointOf,
  choice,
  dataset,
  int,
  list,
  modelName,
  num,
  splitFormats,
  withAttackOptions,
} from './options.js';

export function registerRobustCommands(program: Command): void {
  withAttackOptions(program.command('gen'), {
    eps: GEN_DEFAULTS.eps,
    steps: GEN_DEFAULTS.pgdSteps,
    alpha: GEN_DEFAULTS.pgdAlpha,
  })
    .description(
      "train the Qimera-style generator against a trained classifier (the seed's procedure); writes a fixed fake " +
        'dataset',
    )
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
    .option('--out <dir>', 'output folder (default <checkpoint folder>/gen)')
    .option('--epochs <n>', 'epochs', int('--epochs'), GEN_DEFAULTS.epochs)
    .option('--iters <n>', 'iterations per epoch', int('--iters'), GEN_DEFAULTS.itersPerEpoch)
    .option('--batch-size <n>', 'batch size', int('--batch-size'), GEN_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate (default 0.001 for CIFAR-10, 0.005 for CIFAR-100)', num('--lr'))
    .option(
      '--protocol <name>',
      "seed: the seed's code exactly; clean: the schedule stepped, BN eps 1e-5, pixel-space attacks",
      choice('--protocol', ['seed', 'clean']),
      'seed',
    )
    .option(
      '--lr-schedule <kind>',
      "constant (seed: its MultiStepLR is never stepped) | multistep (default: the protocol's)",
      choice('--lr-schedule', ['constant', 'multistep']),
    )
    .option('--milestones <list>', 'MultiStepLR milestones', (v) => list(v).map(Number), GEN_DEFAULTS.milestones)
    .option(
      '--gamma <x>',
      'MultiStepLR gamma (the seed code: 0.2; its README: 0.1)',
      num('--gamma'),
      GEN_DEFAULTS.gamma,
    )
    .option('--mid-bn-eps <x>', "eps of the generator's two middle BNs (seed 0.8, clean 1e-5)", num('--mid-bn-eps'))
    .option(
      '--slot-norm <kind>',
      'slot: standardise each label slot, then mix (seed) | mix-first: mix, then standardise per sample',
      choice('--slot-norm', ['slot', 'mix-first']),
    )
    .option(
      '--attack-space <space>',
      "normalized (seed) | pixel (clean): where adjust's PGD acts",
      choice('--attack-space', ['normalized', 'pixel']),
    )
    .option('--adv-weight <x>', 'weight of CE on PGD copies in adjust', num('--adv-weight'), GEN_DEFAULTS.advWeight)
    .option('--bns-weight <x>', 'weight of the BN-statistics loss', num('--bns-weight'), GEN_DEFAULTS.bnsWeight)
    .option(
      '--multi-label-num <k>',
      'labels mixed in boundary samples (default 2 for CIFAR-10, 10 for CIFAR-100)',
      int('--multi-label-num'),
    )
    .option('--mix-prob <p>', 'share of training batches with mixed labels (seed: 0)', num('--mix-prob'))
    .option('--freeze-embedding', 'keep the label embedding fixed', false)
    .option('--fake-batches <n>', 'batches in the saved fake set', int('--fake-batches'), GEN_DEFAULTS.fakeBatches)
    .option('--adjust', "adjust against the classifier's real clean/PGD accuracy (the seed rule)", false)
    .option('--adjust-rounds <n>', 'cap on adjust rounds (default: none, as the seed)', int('--adjust-rounds'))
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
      const p = GEN_PROTOCOLS[o.protocol as GenProtocol];
      const r = await runGen({
        ...GEN_DEFAULTS,
        ...p,
        protocol: o.protocol,
        lrSchedule: o.lrSchedule ?? p.lrSchedule,
        midBnEps: o.midBnEps ?? p.midBnEps,
        slotNorm: o.slotNorm ?? p.slotNorm,
        attackSpace: o.attackSpace ?? p.attackSpace,
        advWeight: o.advWeight,
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
        multiLabelNum: o.multiLabelNum ?? defaultMultiLabelNum(o.dataset),
        mixProb: o.mixProb ?? p.mixProb,
        freezeEmbedding: o.freezeEmbedding,
        fakeBatches: o.fakeBatches,
        adjust: o.adjust,
        adjustRounds: o.adjustRounds ?? Infinity,
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
        `generator: gen acc ${(r.genAcc * 100).toFixed(1)}%; fake set ` +
          `${r.fakePath}${r.adjustPath ? `; adjusted (${r.rounds} rounds) ${r.adjustPath}` : ''}`,
      );
    });

  withAttackOptions(program.command('robust'), ROBUST_DEFAULTS)
    .description(
      'clean/FGSM/PGD accuracy of the full-precision and PTQ models on the test set and the fake sets; fits, PCA, ' +
        'images',
    )
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
    .option('--gen-dir <dir>', 'folder with the fake sets from `quantscope gen` (default <checkpoint folder>/gen)')
    .option('--adjust', 'also evaluate the adjusted fake set', false)
    .option(
      '--protocol <name>',
      "PTQ protocol of the quantized models: seed (the seed's code) | clean | the one-quirk variants",
      'seed',
    )
    .option(
      '--attack-space <space>',
      "normalized (the seed's, default under protocol seed) | pixel (default otherwise)",
      choice('--attack-space', ['normalized', 'pixel']),
    )
    .option(
      '--calibration <data>',
      "real: the PTQ step's ranges (real training data) | fake: calibrate on the fake set (data-free)",
      choice('--calibration', ['real', 'fake']),
      'real',
    )
    .option('--ptq-dir <dir>', "folder with the PTQ step's ptq-ranges.jsonl (default: the checkpoint's folder)")
    .option('--formats <list>', 'format families or names (default: all 43 of the seed)', list, ['INT', 'POT', 'FLOAT'])
    .option('--bits <list>', 'bit widths (default: every width of each family)', (v) => list(v).map(Number))
    .option('--batch-size <n>', 'batch size', int('--batch-size'), ROBUST_DEFAULTS.batchSize)
    .option('--test-subset <n>', 'test images', int('--test-subset'))
    .option('--fake-limit <n>', 'fake images', int('--fake-limit'))
    .option(
      '--calib-batches <n>',
      'calibration batches per format',
      int('--calib-batches'),
      ROBUST_DEFAULTS.calibBatches,
    )
    .option(
      '--pca-per-class <n>',
      'fake images per class for PCA (0: none)',
      int('--pca-per-class'),
      ROBUST_DEFAULTS.pcaPerClass,
    )
    .option('--out <dir>', 'output folder (default: the gen folder)')
    .option('--data-dir <dir>', 'folder holding the datasets')
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      protocolQuirks(o.protocol); // a misspelt protocol fails here, before any work
      const checkpoint = checkpointOf('robust', o);
      const genDir = resolve(o.genDir ?? join(dirname(checkpoint), 'gen'));
      const rows = await runRobust({
        ...ROBUST_DEFAULTS,
        checkpoint,
        model: o.model,
        dataset: o.dataset,
        genDir,
        fakeSets: o.adjust ? ['trained', 'adjusted'] : ['trained'],
        protocol: o.protocol,
        attackSpace: o.attackSpace ?? attackSpaceFor(o.protocol),
        calibration: o.calibration,
        ptqDir: o.ptqDir && resolve(o.ptqDir),
        ...splitFormats(o.formats),
        bits: o.bits ?? [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        eps: o.eps,
        steps: o.pgdSteps,
        alpha: o.pgdAlpha,
        batchSize: o.batchSize,
        testSubset: o.testSubset,
        fakeLimit: o.fakeLimit,
        calibBatches: o.calibBatches,
        pcaPerClass: o.pcaPerClass,
        out: resolve(o.out ?? genDir),
        dataDir: o.dataDir,
        quiet: o.quiet,
      });
      for (const r of rows)
        console.log(
          `${r.model} ${r.format.padEnd(12)} ${r.data.padEnd(9)} clean ${pct(r.clean)}  clamp ` +
            `${pct(r.clamp ?? NaN)}  ` +
            `fgsm ${pct(r.fgsm)}  pgd ${pct(r.pgd)}  (${r.attack_space ?? 'pixel'} space)`,
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
