// Commands for models: list, train, count FLOPs.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { countFlops, formatFlopsTable } from '../nn/flops.js';
import { NonFiniteLossError, TRAIN_DEFAULTS, TRAIN_OPTIONS, train } from '../experiments/train.js';
import { addOptions, valuesOf } from './schema-options.js';
import { buildModel, modelNames } from '../nn/models/build.js';
import { exportSafetensors } from '../experiments/export.js';
import { initNode } from '../platform/node.js';
import { classesOf, dataset, modelName } from './options.js';

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

  addOptions(
    program
      .command('train')
      .description("train a full-precision model with the seed's recipe (SGD+nesterov, MultiStepLR, warm-up)"),
    TRAIN_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const { resume, quiet, ...v } = valuesOf(TRAIN_OPTIONS, o);
    const out = resolve(v.out ?? `runs/${v.model}-${v.dataset}`);
    try {
      const r = await train({ ...TRAIN_DEFAULTS, ...v, out }, resume, { quiet });
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
