// The PTQ sweep under the seed's protocol (or its clean variant; ../quant/protocol.ts): per format,
// calibrate through the fake-quantized network on augmented training batches, evaluate on the test set,
// and compute the seed's similarity (JS of weights and biases, percent shares of the whole model, MMac
// weighting). One JSONL row per format as soon as it is measured; the full-precision accuracy and ranges
// are cached, so a killed sweep resumes where it stopped.
import { join } from 'node:path';
import { epochBatches, epochOrder } from '../data/batches.js';
import { loadCifar, type ImageSet } from '../data/cifar.js';
import { appendJsonl, readJsonl, setAsideStale } from '../platform/files.js';
import { cached, sha256File } from '../platform/cache.js';
import {
  calibrateFormat,
  calibratePoints,
  disposeLayers,
  prepareQuantization,
  protocolContext,
  protocolQuirks,
  quantizedParams,
  restore,
  seedSimilarity,
  unitShares,
  unitSimilarities,
  type PointRanges,
  type QuantFormat,
} from '../quant/index.js';
import { accuracy } from './evaluate.js';
import { log, Progress } from './progress.js';
import type { PtqConfig, PtqRow } from './ptq.js';
import { loadTrainedModel } from './train.js';

/** The seed's calibration loader: the augmented training set (crop 2 + flip), shuffled, in batches. */
function augmentedBatches(set: ImageSet, batchSize: number) {
  return epochBatches(
    set,
    batchSize,
    epochOrder(set.count, 'calibration', 0),
    { crop: 2, flip: true },
    'calibration',
    0,
  );
}

/** One line of ptq-ranges.jsonl: a format's calibrated ranges and what they were calibrated from. */
export interface FormatRanges {
  format: string;
  protocol: string;
  checkpoint_sha256: string;
  calib_batches: number;
  ranges: PointRanges;
}
export const PTQ_RANGES_FILE = 'ptq-ranges.jsonl';

/** The seed's calibration loader: see augmentedBatches; exported for the robustness step's real calibration. */
export const seedCalibrationBatches = (set: ImageSet, batchSize: number) => augmentedBatches(set, batchSize);

interface FpCalibration {
  fp_acc: number;
  fp_ranges: PointRanges;
}

export async function runProtocolPtq(c: PtqConfig, formats: QuantFormat[], jsonl: string): Promise<void> {
  const protocol = c.protocol ?? 'seed';
  const quirks = protocolQuirks(protocol);
  const checkpointSha = sha256File(c.checkpoint);
  const aside = setAsideStale<PtqRow>(
    jsonl,
    (r) => r.checkpoint_sha256 !== undefined && r.checkpoint_sha256 !== checkpointSha,
  );
  if (aside) log(`ptq: ${jsonl} was measured on another checkpoint than ${c.checkpoint}; moved to ${aside}`);
  const existing = readJsonl<PtqRow>(jsonl);
  const other = existing.find((r) => r.protocol !== protocol);
  if (other)
    throw new Error(
      `ptq: ${jsonl} holds results of protocol "${other.protocol ?? 'unrecorded'}", not "${protocol}"; ` +
        'use another --out so that fits never mix protocols',
    );
  const done = new Set(existing.map((r) => r.format));
  const todo = formats.filter((f) => !done.has(f.name));
  if (!todo.length) return log(`ptq: all ${formats.length} formats already in ${jsonl}`);
  const model = loadTrainedModel(c.checkpoint, c.model);
  const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
  if (test.classes !== model.classes)
    throw new Error(`${c.checkpoint} has ${model.classes} classes but ${c.dataset} has ${test.classes}`);
  const { layers, totalMacs, table } = await prepareQuantization(model);
  const shares = unitShares(table);
  const firstLayer = layers[0].name;
  let trainSet: ImageSet | undefined;
  const batches = () =>
    augmentedBatches((trainSet ??= loadCifar(c.dataset, 'train', { dataDir: c.dataDir })), c.calibBatchSize);
  const cachePath = join(c.out, 'ptq-calibration.json');
  // each format's activation ranges, for the robustness step to rebuild the same quantized models
  const rangesPath = join(c.out, PTQ_RANGES_FILE);
  const rangesKey = { protocol, checkpoint_sha256: checkpointSha, calib_batches: c.calibBatches };
  // the full-precision accuracy and ranges, keyed by what they were computed from
  const fpKey = { ...rangesKey, test_count: test.count, calib_batch_size: c.calibBatchSize };
  try {
    const { fp_acc: fpAcc, fp_ranges: fpRanges } = await cached<FpCalibration>(cachePath, fpKey, async () => {
      const fpAcc = await accuracy(model, test, { label: 'fp32 test', quiet: c.quiet });
      const bar = new Progress('calibrate fp32', c.calibBatches, c.quiet);
      const fpRanges = await calibratePoints(
        model,
        batches(),
        c.calibBatches,
        { f: null, quirks, firstLayer, ranges: null },
        (i) => bar.update(i),
      );
      return { fp_acc: fpAcc, fp_ranges: fpRanges };
    });
    if (!c.quiet) log(`${model.arch}: full-precision (BN folded) test accuracy ${(fpAcc * 100).toFixed(2)}%`);
    const bar = new Progress(`ptq (${protocol})`, todo.length, c.quiet);
    let i = 0;
    for (const f of todo) {
      try {
        // weights and (full-precision-range) biases in place, then the ranges through the quantized network
        const ranges = await calibrateFormat(
          model,
          layers,
          f,
          { quirks, firstLayer, fpRanges },
          batches(),
          c.calibBatches,
        );
        appendJsonl(rangesPath, { format: f.name, ...rangesKey, ranges } satisfies FormatRanges);
        const params = quantizedParams(layers, f, ranges);
        const units = await unitSimilarities(layers, params, shares);
        layers.forEach((l, k) => {
          params[k].w.dispose(); // the weights are the same as the first pass's
          if (params[k].b) l.layer.setTensor('bias', params[k].b as NonNullable<(typeof params)[number]['b']>);
        });
        const ctx = protocolContext({ f, quirks, firstLayer, ranges });
        const qAcc = await accuracy(model, test, { ctx, quiet: true });
        const sim = seedSimilarity(units, totalMacs);
        const row: PtqRow = {
          model: model.arch,
          dataset: c.dataset,
          format: f.name,
          family: f.family,
          bits: f.bits,
          protocol,
          checkpoint_sha256: checkpointSha,
          calibration: 'quantized',
          ...sim,
          js_hist_param: NaN,
          js_hist_flops: NaN,
          fp_acc: fpAcc,
          q_acc: qAcc,
          acc_loss: fpAcc > 0 ? (fpAcc - qAcc) / fpAcc : 0,
          total_macs: totalMacs,
          layers: units.map((u) => ({
            name: u.name,
            js: u.jsWeight,
            js_bias: u.jsBias,
            js_hist: NaN,
            mac_share: u.macShare,
            param_share: u.paramShare,
          })),
        };
        appendJsonl(jsonl, row);
        bar.update(++i, { format: f.name, q_acc: qAcc, js_flops: sim.js_flops });
      } finally {
        restore(layers);
      }
    }
  } finally {
    disposeLayers(layers);
    model.dispose();
  }
}
