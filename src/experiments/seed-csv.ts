// The seed's reference files (../shared/seed/reference/*.csv): plain comma-separated records with a header
// line, accuracies in percent, its format names (INT_8, FLOAT_6_E3). One reader for every such file.
import { readFileSync } from 'node:fs';
import type { PtqRow } from './ptq.js';

/** Our format name of a seed format (INT_8 -> INT8, FLOAT_6_E3 -> FLOAT6_E3). */
export const ourFormatName = (seed: string) => seed.replace(/^(INT|POT|FLOAT)_/, '$1');

/**
 * The records of a CSV with a header line, as column -> text; a missing required column is an error naming
 * the command (`who`), the file and the column. Record i is line i + 2 of the file.
 */
export function readCsvRecords(path: string, required: string[], who: string, layout = ''): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  for (const c of required) if (!cols.includes(c)) throw new Error(`${who}: ${path} has no "${c}" column${layout}`);
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, j) => [cols[j], v])));
}

/** Rows in the seed's ptq.csv layout (accuracies in percent) as PTQ rows of protocol "seed". */
export function readSeedPtqCsv(path: string, who = 'fit'): PtqRow[] {
  const required = ['dataset', 'model', 'format', 'js_flops', 'acc_loss'];
  return readCsvRecords(path, required, who, " (expected the seed's ptq.csv layout)").map((r, i) => {
    const num = (k: string) => (r[k] === undefined || r[k] === '' ? NaN : Number(r[k]));
    if (!Number.isFinite(num('js_flops')) || !Number.isFinite(num('acc_loss')))
      throw new Error(`${who}: ${path} line ${i + 2}: js_flops or acc_loss is not a number`);
    const [family, bits] = r.format.split('_');
    return {
      model: r.model,
      dataset: r.dataset,
      format: ourFormatName(r.format),
      family,
      bits: Number(bits),
      protocol: 'seed',
      js_hist_param: NaN,
      total_macs: NaN,
      layers: [],
      js_flops: num('js_flops'),
      js_flops_wt_log: num('js_flops_wt_log'),
      js_flops_wt_cbrt: num('js_flops_wt_cbrt'),
      js_param: num('js_param'),
      js_hist_flops: NaN,
      fp_acc: num('fp_acc') / 100,
      q_acc: num('ptq_acc') / 100,
      acc_loss: num('acc_loss'),
    };
  });
}
