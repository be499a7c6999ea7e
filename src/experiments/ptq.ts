// `quantscope ptq`: the PTQ sweep of one trained model over formats and bit widths. One JSONL line per
// format (written as soon as it is measured), a CSV copy, resumable: formats already in the JSONL are
// skipped, and calibration + full-precision accuracy are cached in ptq-calibration.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrationBatches } from '../data/batches.js';
import { loadCifar, type ImageSet } from '../data/cifar.js';
import { loadTrainedModel } from './train.js';
import { runProtocolPtq } from './ptq-protocol.js';
import { accuracy } from './evaluate.js';
import { log, Progress } from './progress.js';
import { PTQ_OPTIONS, SEED_BITS, resolvePtqConfig, type PtqConfig, type PtqOptions } from './ptq-options.js';
import { appendJsonl, readJsonl, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import {
  applyFormat,
  calibrate,
  disposeLayers,
  formatContext,
  getFormat,
  prepareQuantization,
  quantizeBiases,
  modelSimilarity,
  restore,
  sweepFormats,
  type Calibration,
  type QuantFormat,
} from '../quant/index.js';

export { PTQ_OPTIONS, SEED_BITS, resolvePtqConfig };
export type { PtqConfig, PtqOptions };

export interface PtqRow {
  model: string;
  dataset: string;
  format: string;
  family: string;
  bits: number;
  calibration?: string;
  /** the PTQ protocol the row was measured under ("seed", "clean"); rows of different protocols never share a fit */
  protocol?: string;
  /** the checkpoint the row was measured on (rows of another checkpoint are set aside, never mixed) */
  checkpoint_sha256?: string;
  js_param: number;
  js_flops: number;
  js_flops_wt_log: number;
  js_flops_wt_cbrt: number;
  js_hist_param: number;
  js_hist_flops: number;
  fp_acc: number;
  q_acc: number;
  acc_loss: number;
  total_macs: number;
  layers: { name: string; js: number; js_bias?: number; js_hist: number; mac_share: number; param_share: number }[];
}

/** A row's protocol; rows written before protocols existed count as "unrecorded". */
export const rowProtocol = (r: PtqRow): string => r.protocol ?? 'unrecorded';

export const PTQ_COLUMNS = [
  'model',
  'dataset',
  'format',
  'protocol',
  'family',
  'bits',
  'js_param',
  'js_flops',
  'js_flops_wt_log',
  'js_flops_wt_cbrt',
  'js_hist_param',
  'js_hist_flops',
  'fp_acc',
  'q_acc',
  'acc_loss',
] as const;

export function toCsv(rows: Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (v: unknown) =>
    typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v ?? '');
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function ptqFormats(c: Pick<PtqConfig, 'formats' | 'families' | 'bits'>): QuantFormat[] {
  return c.formats?.length ? c.formats.map(getFormat) : sweepFormats(c.families, c.bits);
}

export async function runPtq(c: PtqConfig): Promise<PtqRow[]> {
  const formats = ptqFormats(c);
  if (!formats.length)
    throw new Error(`ptq: no formats for families ${c.families.join(',')} at bits ${c.bits.join(',')}`);
  const jsonl = join(c.out, 'ptq.jsonl');
  if ((c.protocol ?? 'seed') !== 'legacy') {
    await runProtocolPtq(c, formats, jsonl);
    return finish(c, jsonl);
  }
  const existing = readJsonl<PtqRow>(jsonl);
  const mode = c.calibration ?? 'fp';
  const other = existing.find((r) => (r.calibration ?? 'fp') !== mode);
  if (other)
    throw new Error(
      `ptq: ${jsonl} holds results calibrated with "${other.calibration ?? 'fp'}", not "${mode}"; use another --out ` +
        `so the fits do not mix them`,
    );
  const done = new Set(existing.map((r) => r.format));
  const todo = formats.filter((f) => !done.has(f.name));
  if (!todo.length) {
    log(`ptq: all ${formats.length} formats already in ${jsonl}`);
    return finish(c, jsonl);
  }
  const model = loadTrainedModel(c.checkpoint, c.model);
  const arch = model.arch;
  const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
  if (test.classes !== model.classes)
    throw new Error(`${c.checkpoint} has ${model.classes} classes but ${c.dataset} has ${test.classes}`);

  const calPath = join(c.out, 'ptq-calibration.json');
  let cached: {
    fp_acc: number;
    calibration: Calibration;
    checkpoint: string;
    calib_batches: number;
    test_count: number;
  } | null = null;
  if (existsSync(calPath)) {
    cached = JSON.parse(readFileSync(calPath, 'utf8'));
    if (
      cached &&
      (cached.checkpoint !== c.checkpoint ||
        cached.calib_batches !== c.calibBatches ||
        cached.test_count !== test.count)
    )
      cached = null;
  }
  const { layers, shares, totalMacs } = await prepareQuantization(model);
  // the training set is read only when some calibration needs it, and then once
  let trainSet: ImageSet | undefined;
  const trainData = () => (trainSet ??= loadCifar(c.dataset, 'train', { dataDir: c.dataDir }));
  try {
    let fpAcc: number, cal: Calibration;
    if (cached) {
      ({ fp_acc: fpAcc, calibration: cal } = cached);
    } else {
      fpAcc = await accuracy(model, test, { label: 'fp32 test', quiet: c.quiet });
      const bar = new Progress('calibrate', c.calibBatches, c.quiet);
      cal = await calibrate(model, calibrationBatches(trainData(), c.calibBatchSize), c.calibBatches, (i) =>
        bar.update(i),
      );
      writeJsonAtomic(calPath, {
        checkpoint: c.checkpoint,
        calib_batches: c.calibBatches,
        test_count: test.count,
        fp_acc: fpAcc,
        calibration: cal,
      });
    }
    if (!c.quiet) log(`${arch}: full-precision (BN folded) test accuracy ${(fpAcc * 100).toFixed(2)}%`);
    const bar = new Progress('ptq', todo.length, c.quiet);
    let i = 0;
    for (const f of todo) {
      const state = await applyFormat(layers, cal, f, shares, c.histBins);
      let ctx = state.ctx;
      if (c.calibration === 'quantized') {
        // ranges re-measured through the fake-quantized network; weights stay, biases and scales follow
        const fcal = await calibrate(
          model,
          calibrationBatches(trainData(), c.calibBatchSize),
          c.calibBatches,
          undefined,
          state.ctx,
        );
        quantizeBiases(layers, fcal, f);
        ctx = formatContext(fcal, f);
      }
      const qAcc = await accuracy(model, test, { ctx, quiet: true });
      restore(layers);
      const sim = modelSimilarity(state.layers, totalMacs);
      const row: PtqRow = {
        model: arch,
        dataset: c.dataset,
        format: f.name,
        family: f.family,
        bits: f.bits,
        calibration: c.calibration ?? 'fp',
        protocol: 'legacy',
        ...sim,
        fp_acc: fpAcc,
        q_acc: qAcc,
        acc_loss: fpAcc > 0 ? (fpAcc - qAcc) / fpAcc : 0,
        total_macs: totalMacs,
        layers: state.layers.map((l) => ({
          name: l.name,
          js: l.js,
          js_hist: l.jsHist,
          mac_share: l.macShare,
          param_share: l.paramShare,
        })),
      };
      appendJsonl(jsonl, row);
      bar.update(++i, { format: f.name, q_acc: qAcc, js_flops: sim.js_flops });
    }
  } finally {
    disposeLayers(layers);
    model.dispose();
  }
  return finish(c, jsonl);
}

function finish(c: PtqConfig, jsonl: string): PtqRow[] {
  const rows = readJsonl<PtqRow>(jsonl);
  writeFileAtomic(join(c.out, 'ptq.csv'), toCsv(rows as unknown as Record<string, unknown>[], PTQ_COLUMNS));
  return rows;
}
