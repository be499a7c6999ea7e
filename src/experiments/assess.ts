// `quantscope assess`: what the seed's last section describes and never built. A pretrained CNN, no data:
//   1. load the model (our safetensors, a PyTorch state dict of a seed architecture);
//   2. train the seed's generator against it (and adjust it, when the model's real clean/PGD accuracies are
//      given), and draw a fake set;
//   3. per format: calibrate the quantized model on the fake set (the seed's protocol), compute js_flops,
//      predict acc_loss with its interval from a saved fit, measure FP vs quantized clean/PGD accuracy on the
//      fake set (and, given a saved robust fit, the predicted test-relative PGD accuracy);
//   4. rank formats and mark the smallest whose predicted loss stays under --max-loss (assess.json, HTML).
// It never opens a dataset, unless --validate asks it to measure the same formats on the real test set.
// Rows go to assess.jsonl as they are measured, keyed by the hashes of their inputs (resumable).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar, NORMALIZATION } from '../data/cifar.js';
import { fakeSetBatches, readFakeSet } from '../data/fakeset.js';
import { attackSetOfFloats, attackSetOfPixels, robustAccuracy, type AttackSet } from '../nn/attacks.js';
import {
  calibrateFormat,
  calibratePoints,
  disposeLayers,
  getFormat,
  prepareQuantization,
  protocolQuirks,
  quantizedParams,
  restore,
  seedFormats,
  seedSimilarity,
  unitShares,
  unitSimilarities,
  withFormat,
  type PointRanges,
} from '../quant/index.js';
import { predictInterval } from '../quant/fit.js';
import { cached, hashOf, sha256File } from '../platform/cache.js';
import { appendJsonl, readJsonl, setAsideStale, writeJsonAtomic } from '../platform/files.js';
import { resolveGenConfig, runGen } from './gen.js';
import { readFitReport } from './fit.js';
import type { RobustFitRow } from './robust-fit.js';
import { loadTrainedModel } from './train.js';
import { writeAssessReport } from './assess-report.js';
import { recommend } from './rank.js';
import { log, Progress } from './progress.js';
import {
  ASSESS_DEFAULTS,
  ASSESS_OPTIONS,
  resolveAssessConfig,
  type AssessConfig,
  type AssessOptions,
} from './assess-options.js';

export { ASSESS_DEFAULTS, ASSESS_OPTIONS, resolveAssessConfig };
export type { AssessConfig, AssessOptions };

export interface AssessRow {
  format: string;
  family: string;
  bits: number;
  inputs: string;
  js_flops: number;
  js_param: number;
  predicted_loss: number | null;
  predicted_lo: number | null;
  predicted_hi: number | null;
  fake_clean: number;
  fake_pgd: number;
  rel_fake_clean: number;
  rel_fake_pgd: number;
  /** predicted test-relative PGD accuracy from the robust fit (null without one) */
  predicted_rel_pgd: number | null;
  /** with --validate: the same quantized model on the real test set */
  test_clean?: number;
  test_pgd?: number;
  measured_loss?: number;
  rel_test_pgd?: number;
}

export interface AssessResult {
  model: string;
  dataset: string;
  checkpoint: string;
  fake_set: string;
  fp: { fake_clean: number; fake_pgd: number; test_clean?: number; test_pgd?: number };
  rows: AssessRow[];
  /** the smallest formats (fewest bits) whose predicted loss is under max_loss */
  recommended: string[];
  max_loss: number;
  fit: string | null;
  validation?: { mae: number; coverage: number; recommended_met: boolean; points: number };
}

function loadFit(path: string, dataset: string, scope?: string) {
  const report = readFitReport(path, 'assess');
  if (report.protocol !== 'seed')
    throw new Error(
      `assess: ${path} was fitted on protocol "${report.protocol}" rows, but assess computes the seed protocol's ` +
        'js_flops; refit with `quantscope fit --protocol seed`',
    );
  const want = scope ?? `ALL/${dataset}`;
  const entry = report.fits.find((f) => f.measure === 'js_flops' && f.scope === want);
  if (!entry) {
    const have = report.fits.filter((f) => f.measure === 'js_flops').map((f) => f.scope);
    throw new Error(`assess: ${path} has no js_flops fit for scope ${want} (it has: ${have.join(', ') || 'none'})`);
  }
  return entry;
}

function loadRobustFit(path: string, dataset: string): RobustFitRow | null {
  const rows = JSON.parse(readFileSync(path, 'utf8')) as RobustFitRow[];
  if (!Array.isArray(rows)) throw new Error(`assess: ${path} is not a robust-fit.json (expected a list of fits)`);
  return (
    rows.find((r) => r.dataset === dataset && r.metric === 'pgd' && r.fake_set === 'adjusted') ??
    rows.find((r) => r.dataset === dataset && r.metric === 'pgd') ??
    null
  );
}

export async function runAssess(c: AssessConfig): Promise<AssessResult> {
  const fitEntry = c.fit ? loadFit(c.fit, c.dataset, c.fitScope) : null;
  const robustFit = c.robustFit ? loadRobustFit(c.robustFit, c.dataset) : null;
  const formats = (c.formats.length ? c.formats.map(getFormat) : seedFormats()).sort((a, b) => a.bits - b.bits);
  const adjust = c.realClean !== undefined && c.realPgd !== undefined;
  const genDir = c.genDir ?? join(c.out, 'gen');
  if (!c.quiet) log(`assess: generator${adjust ? ' (with adjust)' : ''} in ${genDir}`);
  const gen = await runGen(
    resolveGenConfig({
      ...c.gen,
      checkpoint: c.checkpoint,
      model: c.model,
      dataset: c.dataset,
      out: genDir,
      adjust,
      realClean: c.realClean,
      realPgd: c.realPgd,
      quiet: c.quiet,
    }),
  );
  const fakePath = gen.adjustPath ?? gen.fakePath;
  const model = loadTrainedModel(c.checkpoint, c.model).eval();
  const fake = readFakeSet(fakePath, { classes: model.classes, dataset: c.dataset });
  const evalN = Math.min(c.evalImages, fake.count);
  const fakeSet = attackSetOfFloats(fake.images, fake.labels, NORMALIZATION[c.dataset], evalN);
  const arch = model.arch;
  const test: AttackSet | null = c.validate
    ? attackSetOfPixels(loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset }))
    : null;
  const inputs = hashOf([
    sha256File(c.checkpoint),
    fake.meta.generator_sha256,
    c.calibBatches,
    evalN,
    c.eps,
    c.pgdSteps,
    c.pgdAlpha,
    c.fit ? sha256File(c.fit) : null,
    c.robustFit ? sha256File(c.robustFit) : null,
    c.validate ? (test?.count ?? 0) : 0,
  ]);
  const jsonl = join(c.out, 'assess.jsonl');
  const aside = setAsideStale<AssessRow>(jsonl, (r) => r.inputs !== inputs);
  if (aside && !c.quiet) log(`assess: ${jsonl} came from other inputs; moved to ${aside}`);
  const done = new Map(readJsonl<AssessRow>(jsonl).map((r) => [r.format, r]));
  const attack = { space: 'normalized' as const, eps: c.eps, steps: c.pgdSteps, alpha: c.pgdAlpha, seed: 1 };
  const fp = await cached<AssessResult['fp']>(join(c.out, 'assess-fp.json'), { inputs }, async () => {
    const r = await robustAccuracy(model, fakeSet, attack);
    const t = test ? await robustAccuracy(model, test, attack) : null;
    return { fake_clean: r.clean, fake_pgd: r.pgd, ...(t ? { test_clean: t.clean, test_pgd: t.pgd } : {}) };
  });
  const { layers, totalMacs, table } = await prepareQuantization(model);
  const quirks = protocolQuirks('seed');
  const firstLayer = layers[0].name;
  const shares = unitShares(table);
  const bar = new Progress('assess', formats.length, c.quiet);
  try {
    const fpRanges = await calibratePoints(model, fakeSetBatches(fake, 128), c.calibBatches, {
      f: null,
      quirks,
      firstLayer,
      ranges: null,
    });
    let i = 0;
    for (const f of formats) {
      i++;
      if (done.has(f.name)) continue;
      let ranges: PointRanges;
      try {
        ranges = await calibrateFormat(
          model,
          layers,
          f,
          { quirks, firstLayer, fpRanges },
          fakeSetBatches(fake, 128),
          c.calibBatches,
        );
      } finally {
        restore(layers);
      }
      // the similarity needs only the full-precision weights and the ranges; then the format is measured
      const params = quantizedParams(layers, f, ranges);
      const sim = seedSimilarity(await unitSimilarities(layers, params, shares), totalMacs);
      for (const p of params) {
        p.w.dispose();
        p.b?.dispose();
      }
      const row = await withFormat(layers, f, { quirks, firstLayer, ranges }, async (ctx) => {
        const r = await robustAccuracy(model, fakeSet, { ...attack, ctx });
        const band = fitEntry ? predictInterval(fitEntry.best, sim.js_flops) : null;
        const relPgd = r.pgd / fp.fake_pgd;
        const row: AssessRow = {
          format: f.name,
          family: f.family,
          bits: f.bits,
          inputs,
          js_flops: sim.js_flops,
          js_param: sim.js_param,
          predicted_loss: band?.value ?? null,
          predicted_lo: band?.lo ?? null,
          predicted_hi: band?.hi ?? null,
          fake_clean: r.clean,
          fake_pgd: r.pgd,
          rel_fake_clean: r.clean / fp.fake_clean,
          rel_fake_pgd: relPgd,
          predicted_rel_pgd: robustFit ? robustFit.intercept + robustFit.slope * relPgd : null,
        };
        if (test && fp.test_clean !== undefined && fp.test_pgd !== undefined) {
          const t = await robustAccuracy(model, test, { ...attack, ctx });
          Object.assign(row, {
            test_clean: t.clean,
            test_pgd: t.pgd,
            measured_loss: (fp.test_clean - t.clean) / fp.test_clean,
            rel_test_pgd: t.pgd / fp.test_pgd,
          });
        }
        return row;
      });
      appendJsonl(jsonl, row);
      bar.update(i, { format: f.name, js_flops: sim.js_flops, fake_pgd: row.fake_pgd });
    }
  } finally {
    disposeLayers(layers);
    model.dispose();
  }
  const byFormat = new Map(readJsonl<AssessRow>(jsonl).map((r) => [r.format, r]));
  const rows = formats.map((f) => byFormat.get(f.name)).filter((r): r is AssessRow => !!r);
  const result: AssessResult = {
    model: arch,
    dataset: c.dataset,
    checkpoint: c.checkpoint,
    fake_set: fakePath,
    fp,
    rows,
    recommended: recommend(rows, c.maxLoss),
    max_loss: c.maxLoss,
    fit: c.fit ?? null,
  };
  if (c.validate) result.validation = validation(rows, result.recommended, c.maxLoss);
  writeJsonAtomic(join(c.out, 'assess.json'), result);
  await writeAssessReport(result, c.out);
  return result;
}

/** Predicted against measured acc_loss: mean absolute error, interval coverage, and the recommendations' truth. */
export function validation(rows: AssessRow[], recommended: string[], maxLoss: number): AssessResult['validation'] {
  const pts = rows.filter((r) => r.predicted_loss !== null && r.measured_loss !== undefined);
  if (!pts.length) return { mae: NaN, coverage: NaN, recommended_met: false, points: 0 };
  const mae =
    pts.reduce((s, r) => s + Math.abs((r.predicted_loss as number) - (r.measured_loss as number)), 0) / pts.length;
  const inside = pts.filter(
    (r) =>
      (r.measured_loss as number) >= (r.predicted_lo as number) &&
      (r.measured_loss as number) <= (r.predicted_hi as number),
  ).length;
  const met = recommended.every((f) => {
    const r = rows.find((x) => x.format === f);
    return r?.measured_loss !== undefined && r.measured_loss <= maxLoss;
  });
  return { mae, coverage: inside / pts.length, recommended_met: met, points: pts.length };
}
