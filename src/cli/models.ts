// Commands for models: list, train, count FLOPs.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { countFlops, formatFlopsTable } from '../nn/flops.js';
import { NonFiniteLossError, TRAIN_DEFAULTS, TRAIN_OPTIONS, train } from '../experiments/train.js';
import { addOptions, valuesOf } from './schema-options.js';
import { buildModel, modelNames } from '../nn/models/build.js';
import { exportSafetensors } from '../experiments/export.js';
import { initNode } from '../platform/node.js';
import { classesOf } from './options.js';
import { CLASSIFIER_OPTIONS } from '../experiments/common-options.js';
import { defineOptions } from '../experiments/option-schema.js';

const FLOPS_OPTIONS = defineOptions({
  model: { ...CLASSIFIER_OPTIONS.model, help: 'model cfg name', mandatory: true },
  dataset: CLASSIFIER_OPTIONS.dataset,
  json: { kind: 'bool', help: 'print JSON instead of a table', default: false },
});
const EXPORT_OPTIONS = defineOptions({
  checkpoint: {
    kind: 'str',
    help: 'a .safetensors checkpoint or a torch.save(model.state_dict()) .pt/.pth',
    arg: 'file',
    mandatory: true,
  },
  model: { ...CLASSIFIER_OPTIONS.model, help: 'model cfg name (required for .pt files, which do not name it)' },
  out: { kind: 'str', help: 'the safetensors file to write', arg: 'file', mandatory: true },
});

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

  addOptions(
    program.command('flops').description('per-layer params and MACs (ptflops convention) for one 32x32 image'),
    FLOPS_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(FLOPS_OPTIONS, opts);
    await initNode();
    const t = countFlops(buildModel(o.model, { classes: classesOf(o.dataset) }));
    console.log(o.json ? JSON.stringify(t, null, 2) : formatFlopsTable(t));
  });

  addOptions(
    program
      .command('export')
      .description(
        "write a checkpoint (ours, or a PyTorch .pt state dict) as weights-only safetensors, the seed's names",
      ),
    EXPORT_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(EXPORT_OPTIONS, opts);
    await initNode();
    const r = await exportSafetensors(o.checkpoint, resolve(o.out), o.model);
    console.log(`${r.arch} (${r.classes} classes): ${r.tensors} tensors written to ${r.out}`);
  });
}
