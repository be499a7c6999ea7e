// Commands for quantization: the PTQ sweep, the js -> acc_loss fits, predictions from a saved fit.
import type { Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fitRows, formatFitTable, runFit } from '../experiments/fit.js';
import { FIT_FORMS, type FitForm } from '../quant/fit.js';
import { predictLoss } from '../experiments/predict.js';
import { PTQ_OPTIONS, resolvePtqConfig, runPtq } from '../experiments/ptq.js';
import { addOptions, valuesOf } from './schema-options.js';
import { initNode } from '../platform/node.js';
import { checkpointOf } from './options.js';
import { CLASSIFIER_OPTIONS } from '../experiments/common-options.js';
import { defineOptions } from '../experiments/option-schema.js';

const FIT_OPTIONS = defineOptions({
  results: {
    kind: 'str',
    help: "folder searched for ptq.jsonl files, or a CSV in the seed's ptq.csv layout",
    arg: 'dir|csv',
    default: 'runs',
  },
  out: {
    kind: 'str',
    help: 'where to write fit.json and figures (default: --results, or fit-out/<csv name>)',
    arg: 'dir',
  },
  form: {
    kind: [...new Set(['rat22', 'rat33', 'rat44', 'auto', ...FIT_FORMS])],
    help: 'preferred form when monotone: rat22 (the seed), rat33, rat44, or auto (best held-out R²)',
    arg: 'form',
    default: 'rat22',
  },
  json: {
    kind: 'bool',
    help: 'print one JSON row per fit (dataset, model, measure, form, r2, cv_r2, monotone, points)',
    default: false,
  },
  protocol: { kind: 'str', help: 'fit only the rows of this PTQ protocol (needed when the results hold several)' },
});
const PREDICT_OPTIONS = defineOptions({
  fit: { kind: 'str', help: 'fit.json written by `quantscope fit`', arg: 'file', mandatory: true },
  checkpoint: { kind: 'str', help: 'trained model (safetensors)', arg: 'file', mandatory: true },
  format: { kind: 'list', help: 'format names, e.g. INT4,POT5,FLOAT6_E3', mandatory: true },
  model: CLASSIFIER_OPTIONS.model,
  measure: { kind: 'str', help: 'similarity measure the fit uses', default: 'js_flops' },
  scope: {
    kind: 'str',
    help: 'which fit: ALL (the pooled fit, when one dataset has one), ALL/<dataset> or <model>/<dataset>',
    default: 'ALL',
  },
});

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

  addOptions(
    program
      .command('fit')
      .description(
        'fit js_flops (and variants) -> acc_loss per model and overall; write fit.json, fit.csv, PNG/SVG figures',
      ),
    FIT_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(FIT_OPTIONS, opts);
    const results = resolve(o.results);
    const isCsv = existsSync(results) && statSync(results).isFile();
    const out = resolve(o.out ?? (isCsv ? join('fit-out', basename(results, '.csv')) : results));
    mkdirSync(out, { recursive: true });
    // the schema's choices checked the form
    const report = await runFit(results, out, { form: o.form as FitForm | 'auto', protocol: o.protocol });
    if (o.json) console.log(JSON.stringify(fitRows(report.fits), null, 1));
    else {
      console.log(formatFitTable(report.fits));
      console.log(`fits (protocol ${report.protocol}) and figures in ${out}`);
    }
  });

  addOptions(
    program
      .command('predict')
      .description('predict the accuracy loss of quantizing a model from a saved fit (no test data needed)'),
    PREDICT_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(PREDICT_OPTIONS, opts);
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
