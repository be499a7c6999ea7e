// Commands for models: list, train, count FLOPs.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { countFlops, formatFlopsTable } from '../nn/flops.js';
import { NonFiniteLossError, SEED_RECIPE, train } from '../experiments/train.js';
import { buildModel, modelNames } from '../nn/models/build.js';
import { exportSafetensors } from '../experiments/export.js';
import { initNode } from '../platform/node.js';
import { classesOf, dataset, int, list, modelName, num } from './options.js';

export function registerModelsCommands(program: Command): void {
  program
    .command('models')
    .description('list the model cfg entries with parameter counts')
    .action(async () => {
      await initNode();
      for (const n of modelNames()) {
        const m = buildModel(n);
        console.log(`${n.padEnd(16)} ${m.numParameters().toLocaleString('en-US').padStart(12)} params (10 classes)`);
        m.dispose();
      }
    });

  program
    .command('train')
    .description("train a full-precision model with the seed's recipe (SGD+nesterov, MultiStepLR, warm-up)")
    .requiredOption('--model <name>', 'model cfg name', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--epochs <n>', 'epochs', int('--epochs'), SEED_RECIPE.epochs)
    .option('--batch-size <n>', 'batch size', int('--batch-size'), SEED_RECIPE.batchSize)
    .option('--lr <x>', 'base learning rate', num('--lr'), SEED_RECIPE.lr)
    .option('--momentum <x>', 'SGD momentum', num('--momentum'), SEED_RECIPE.momentum)
    .option('--weight-decay <x>', 'weight decay', num('--weight-decay'), SEED_RECIPE.weightDecay)
    .option('--milestones <list>', 'MultiStepLR milestones (epochs)', (v) => list(v).map(Number), [
      ...SEED_RECIPE.milestones,
    ])
    .option('--gamma <x>', 'MultiStepLR gamma', num('--gamma'), SEED_RECIPE.gamma)
    .option('--warmup-epochs <n>', 'linear per-batch warm-up epochs', int('--warmup-epochs'), SEED_RECIPE.warmupEpochs)
    .option('--subset <n>', 'train on the first N training images', int('--subset'))
    .option('--test-subset <n>', 'evaluate on the first N test images', int('--test-subset'))
    .option(
      '--val-split <x>',
      'fraction of the training images held out for validation; the best-validation epoch is kept (0: none)',
      num('--val-split'),
      SEED_RECIPE.valSplit,
    )
    .option('--eval-every <n>', 'test accuracy every N epochs (0: only at the end)', int('--eval-every'), 1)
    .option('--seed <n>', 'seed for init, order, augmentation, dropout', int('--seed'), 0)
    .option('--data-dir <dir>', 'folder holding cifar-10-batches-bin / cifar-100-binary')
    .option('--out <dir>', 'output folder (default runs/<model>-<dataset>)')
    .option('--resume', 'continue from <out>/checkpoint.safetensors if present', false)
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const out = resolve(o.out ?? `runs/${o.model}-${o.dataset}`);
      try {
        const r = await train(
          {
            model: o.model,
            dataset: o.dataset,
            epochs: o.epochs,
            batchSize: o.batchSize,
            lr: o.lr,
            momentum: o.momentum,
            weightDecay: o.weightDecay,
            nesterov: true,
            milestones: o.milestones,
            gamma: o.gamma,
            warmupEpochs: o.warmupEpochs,
            subset: o.subset,
            testSubset: o.testSubset,
            seed: o.seed,
            dataDir: o.dataDir,
            out,
            evalEvery: o.evalEvery,
            valSplit: o.valSplit,
          },
          o.resume,
          { quiet: o.quiet },
        );
        const val =
          r.valAcc === undefined
            ? ''
            : `best validation ${(r.valAcc * 100).toFixed(2)}% (epoch ${(r.bestEpoch ?? 0) + 1}); `;
        console.log(
          `${o.model} on ${o.dataset}: ${val}test accuracy ${(r.testAcc * 100).toFixed(2)}% (train ` +
            `${(r.trainAcc * 100).toFixed(2)}%); files in ${out}`,
        );
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          console.error(`error: ${e.message}`);
          process.exitCode = 3;
          return;
        }
        throw e;
      }
    });

  program
    .command('flops')
    .description('per-layer params and MACs (ptflops convention) for one 32x32 image')
    .requiredOption('--model <name>', 'model cfg name', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--json', 'print JSON instead of a table', false)
    .action(async (o) => {
      await initNode();
      const t = countFlops(buildModel(o.model, { classes: classesOf(o.dataset) }));
      console.log(o.json ? JSON.stringify(t, null, 2) : formatFlopsTable(t));
    });

  program
    .command('export')
    .description("write a checkpoint (ours, or a PyTorch .pt state dict) as weights-only safetensors, the seed's names")
    .requiredOption('--checkpoint <file>', 'a .safetensors checkpoint or a torch.save(model.state_dict()) .pt/.pth')
    .option('--model <name>', 'model cfg name (required for .pt files, which do not name it)', modelName)
    .requiredOption('--out <file>', 'the safetensors file to write')
    .action(async (o) => {
      await initNode();
      const r = await exportSafetensors(o.checkpoint, resolve(o.out), o.model);
      console.log(`${r.arch} (${r.classes} classes): ${r.tensors} tensors written to ${r.out}`);
    });
}
