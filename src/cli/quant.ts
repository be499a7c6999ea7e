// Commands for quantization: the PTQ sweep, the js -> acc_loss fits, predictions from a saved fit.
import type { Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fitRows, formatFitTable, runFit } from '../experiments/fit.js';
import { FIT_FORMS } from '../quant/fit.js';
import { predictLoss } from '../experiments/predict.js';
import { PTQ_OPTIONS, resolvePtqConfig, runPtq } from '../experiments/ptq.js';
import { addOptions, valuesOf } from './schema-options.js';
import { initNode } from '../platform/node.js';
import { checkpointOf, list, modelName } from './options.js';

export function registerQuantCommands(program: Command): void {
  addOptions(
    program
      .command('ptq')
      .description('post-training quantization sweep: js_param, js_flops, q_acc, acc_loss per format and bit width'),
    PTQ_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const v = valuesOf(PTQ_OPTIONS, o);
    const checkpoint = checkpointOf('ptq', v);
    const rows = await runPtq(resolvePtqConfig({ ...v, checkpoint, out: resolve(v.out ?? dirname(checkpoint)) }));
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
