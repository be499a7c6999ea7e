// Commands for quantization: the PTQ sweep, the js -> acc_loss fits, predictions from a saved fit.
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fitRows, formatFitTable, runFit } from '../experiments/fit.js';
import { FIT_FORMS } from '../quant/fit.js';
import { PROTOCOLS } from '../quant/protocol.js';
import { predictLoss } from '../experiments/predict.js';
import { runPtq } from '../experiments/ptq.js';
import { initNode } from '../platform/node.js';
import { checkpointOf, dataset, int, list, modelName, splitFormats } from './options.js';

/** The seed's sweep: every width of each family (INT 2..16, POT 2..8, FLOAT 3..8 bits): its 43 formats. */
const SEED_BITS = Array.from({ length: 15 }, (_, i) => i + 2);

export function registerQuantCommands(program: Command): void {
  program
    .command('ptq')
    .description('post-training quantization sweep: js_param, js_flops, q_acc, acc_loss per format and bit width')
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
    .option('--checkpoint <file>', 'trained model (default runs/<model>-<dataset>/model.safetensors)')
    .option('--formats <list>', 'format families (INT,POT,FLOAT,OCP,MX) or explicit names (INT8,FP8_E4M3,...)', list, [
      'INT',
      'POT',
      'FLOAT',
    ])
    .option(
      '--bits <list>',
      'bit widths (INT up to 16, POT up to 8, FLOAT 3..8)',
      (v) => list(v).map(Number),
      SEED_BITS,
    )
    .option(
      '--protocol <name>',
      "seed: the seed's placement, calibration, similarity and quirks (default); clean: without the quirks; " +
        'seed-sum-range / seed-int-clamp: one quirk fixed; legacy: the earlier approximation',
      (v) => {
        if (v !== 'legacy' && !(v in PROTOCOLS))
          throw new InvalidArgumentError(
            `--protocol must be one of ${[...Object.keys(PROTOCOLS), 'legacy'].join(', ')}, got "${v}"`,
          );
        return v;
      },
      'seed',
    )
    .option('--calib-batches <n>', 'training batches for activation ranges', int('--calib-batches'), 100)
    .option('--calib-batch-size <n>', 'calibration batch size', int('--calib-batch-size'), 128)
    .option('--test-subset <n>', 'evaluate on the first N test images', int('--test-subset'))
    .option('--hist-bins <n>', 'bins of the histogram JS divergence', int('--hist-bins'), 2048)
    .option(
      '--calibration <mode>',
      'legacy protocol only. fp: ranges from the full-precision model once; quantized: per format through the ' +
        'fake-quantized network',
      (v) => {
        if (v !== 'fp' && v !== 'quantized')
          throw new InvalidArgumentError(`--calibration must be fp or quantized, got "${v}"`);
        return v;
      },
      'fp',
    )
    .option('--data-dir <dir>', 'folder holding the datasets')
    .option('--out <dir>', "output folder (default: the checkpoint's folder)")
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const checkpoint = checkpointOf('ptq', o);
      const rows = await runPtq({
        checkpoint,
        model: o.model,
        dataset: o.dataset,
        ...splitFormats(o.formats),
        bits: o.bits,
        calibBatches: o.calibBatches,
        calibBatchSize: o.calibBatchSize,
        calibration: o.calibration,
        protocol: o.protocol,
        testSubset: o.testSubset,
        dataDir: o.dataDir,
        out: resolve(o.out ?? dirname(checkpoint)),
        histBins: o.histBins,
        quiet: o.quiet,
      });
      for (const r of rows)
        console.log(
          `${r.model} ${r.format.padEnd(12)} js_flops ${r.js_flops.toExponential(3)}  q_acc ` +
            `${(r.q_acc * 100).toFixed(2)}%  acc_loss ${r.acc_loss.toFixed(4)}`,
        );
    });

  program
    .command('fit')
    .description(
      'fit js_flops (and variants) -> acc_loss per model and overall; write fit.json, fit.csv, PNG/SVG figures',
    )
    .option('--results <dir|csv>', "folder searched for ptq.jsonl files, or a CSV in the seed's ptq.csv layout", 'runs')
    .option('--out <dir>', 'where to write fit.json and figures (default: --results, or fit-out/<csv name>)')
    .option(
      '--form <form>',
      'preferred form when monotone: rat22 (the seed), rat33, rat44, or auto (best held-out R²)',
      'rat22',
    )
    .option('--json', 'print one JSON row per fit (dataset, model, measure, form, r2, cv_r2, monotone, points)', false)
    .option('--protocol <name>', 'fit only the rows of this PTQ protocol (needed when the results hold several)')
    .action(async (o) => {
      const results = resolve(o.results);
      const isCsv = existsSync(results) && statSync(results).isFile();
      const out = resolve(o.out ?? (isCsv ? join('fit-out', basename(results, '.csv')) : results));
      if (!['rat22', 'rat33', 'rat44', 'auto', ...FIT_FORMS].includes(o.form))
        throw new Error(
          `fit: unknown --form "${o.form}" (rat22, rat33, rat44, auto, or one of ${FIT_FORMS.join(', ')})`,
        );
      mkdirSync(out, { recursive: true });
      const report = await runFit(results, out, { form: o.form, protocol: o.protocol });
      if (o.json) console.log(JSON.stringify(fitRows(report.fits), null, 1));
      else {
        console.log(formatFitTable(report.fits));
        console.log(`fits (protocol ${report.protocol}) and figures in ${out}`);
      }
    });

  program
    .command('predict')
    .description('predict the accuracy loss of quantizing a model from a saved fit (no test data needed)')
    .requiredOption('--fit <file>', 'fit.json written by `quantscope fit`')
    .requiredOption('--checkpoint <file>', 'trained model (safetensors)')
    .requiredOption('--format <list>', 'format names, e.g. INT4,POT5,FLOAT6_E3', list)
    .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
    .option('--measure <name>', 'similarity measure the fit uses', 'js_flops')
    .option(
      '--scope <name>',
      'which fit: ALL (the pooled fit, when one dataset has one), ALL/<dataset> or <model>/<dataset>',
      'ALL',
    )
    .action(async (o) => {
      await initNode();
      const rows = await predictLoss({
        fitFile: resolve(o.fit),
        checkpoint: resolve(o.checkpoint),
        formats: o.format,
        model: o.model,
        measure: o.measure,
        scope: o.scope,
      });
      for (const r of rows)
        console.log(
          `${r.model} ${r.format.padEnd(12)} ${o.measure} ${r.x.toExponential(3)}  ` +
            `predicted acc_loss ${r.predicted.toFixed(4)} ` +
            `[${r.interval[0].toFixed(4)}, ${r.interval[1].toFixed(4)}] (5-95% of held-out residuals)  (${r.fit})`,
        );
    });
}
