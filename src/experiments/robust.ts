// `quantscope robust`: clean / FGSM / PGD accuracy of the full-precision model and of quantized models on
// the generated (fake) set and on the real test set; relative accuracies (quantized ÷ full precision);
// fits of fake-relative vs test-relative accuracy with R²; PCA pictures of penultimate features; a grid
// of clean vs adversarial images. Rows go to robust.jsonl as they are measured (resumable).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar, subset, type DatasetName, type ImageSet } from '../data/cifar.js';
import { readImageSet } from '../data/fakeset.js';
import { calibrationBatches } from '../data/batches.js';
import { fromArray, keep, noGrad, tidy } from '../index.js';
import type { Tensor } from '../tensor/tensor.js';
import { normaliser, pgd, pixelBatch, robustAccuracy, PGD_DEFAULTS } from '../nn/attacks.js';
import type { Classifier } from '../nn/models/build.js';
import type { ForwardContext } from '../nn/module.js';
import {
  applyFormat,
  calibrate,
  disposeLayers,
  prepareQuantization,
  restore,
  type Calibration,
} from '../quant/index.js';
import { fitForm } from '../quant/fit.js';
import { appendJsonl, readJsonl, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { loadTrainedModel } from './train.js';
import { ptqFormats, toCsv } from './ptq.js';
import { pca, project } from './pca.js';
import { imageGrid } from './png.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';
import { log, Progress } from './progress.js';

export interface RobustConfig {
  checkpoint: string;
  model?: string;
  dataset: DatasetName;
  /** folder holding fake.bin (and fake-adjust.bin) from `quantscope gen` */
  genDir: string;
  adjust: boolean;
  families: string[];
  bits: number[];
  formats?: string[];
  eps: number;
  steps: number;
  alpha: number;
  batchSize: number;
  testSubset?: number;
  fakeLimit?: number;
  calibBatches: number;
  out: string;
  dataDir?: string;
  quiet?: boolean;
}

export interface RobustRow {
  model: string;
  dataset: string;
  format: string;
  bits: number;
  data: string;
  clean: number;
  fgsm: number;
  pgd: number;
  count: number;
}

export const ROBUST_DEFAULTS = {
  eps: PGD_DEFAULTS.eps,
  steps: PGD_DEFAULTS.steps,
  alpha: PGD_DEFAULTS.alpha,
  batchSize: 128,
  calibBatches: 20,
} as const;

export async function runRobust(c: RobustConfig): Promise<RobustRow[]> {
  const teacher = loadTrainedModel(c.checkpoint, c.model).eval();
  const arch = teacher.arch;
  const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
  const sets: [string, ImageSet][] = [
    ['test', test],
    ['fake', subset(readImageSet(join(c.genDir, 'fake.bin'), c.dataset, teacher.classes), c.fakeLimit)],
  ];
  if (c.adjust)
    sets.push([
      'fake-adjust',
      subset(readImageSet(join(c.genDir, 'fake-adjust.bin'), c.dataset, teacher.classes), c.fakeLimit),
    ]);
  const jsonl = join(c.out, 'robust.jsonl');
  const done = new Set(readJsonl<RobustRow>(jsonl).map((r) => `${r.format}|${r.data}`));
  const formats = ptqFormats(c);
  const opts = { eps: c.eps, steps: c.steps, alpha: c.alpha, batchSize: c.batchSize };
  const total = (formats.length + 1) * sets.length;
  const bar = new Progress('robust', total, c.quiet);
  let k = 0;
  const measure = async (format: string, bits: number, ctx: ForwardContext, model: Classifier) => {
    for (const [name, set] of sets) {
      k++;
      if (done.has(`${format}|${name}`)) continue;
      const r = await robustAccuracy(model, set, { ...opts, ctx, seed: 1 });
      const row: RobustRow = {
        model: arch,
        dataset: c.dataset,
        format,
        bits,
        data: name,
        clean: r.clean,
        fgsm: r.fgsm,
        pgd: r.pgd,
        count: r.count,
      };
      appendJsonl(jsonl, row);
      bar.update(k, { format, data: name, clean: r.clean, pgd: r.pgd });
    }
  };
  await measure('fp32', 32, {}, teacher);
  await pictures(teacher, sets, c);
  // quantized models: BN folded, activation ranges calibrated on the fake set (data-free)
  const { layers, shares } = await prepareQuantization(teacher);
  try {
    const calPath = join(c.out, 'robust-calibration.json');
    let cal: Calibration;
    if (existsSync(calPath)) cal = JSON.parse(readFileSync(calPath, 'utf8'));
    else {
      const fake = sets[1][1];
      cal = await calibrate(teacher, calibrationBatches(fake, c.batchSize), c.calibBatches);
      writeJsonAtomic(calPath, cal);
    }
    for (const f of formats) {
      if (sets.every(([name]) => done.has(`${f.name}|${name}`))) {
        k += sets.length;
        continue;
      }
      const state = await applyFormat(layers, cal, f, shares, 256);
      await measure(f.name, f.bits, state.ctx, teacher);
      restore(layers);
    }
  } finally {
    disposeLayers(layers);
    teacher.dispose();
  }
  const rows = readJsonl<RobustRow>(jsonl);
  writeFileAtomic(
    join(c.out, 'robust.csv'),
    toCsv(withRelative(rows) as unknown as Record<string, unknown>[], RELATIVE_COLUMNS),
  );
  await robustFits(rows, c.out, `${arch}`);
  return rows;
}

export const RELATIVE_COLUMNS = [
  'model',
  'dataset',
  'format',
  'bits',
  'data',
  'clean',
  'fgsm',
  'pgd',
  'rel_clean',
  'rel_fgsm',
  'rel_pgd',
  'count',
];

/** Relative accuracies: each quantized row divided by the full-precision row of the same model and data. */
export function withRelative(
  rows: RobustRow[],
): (RobustRow & { rel_clean: number; rel_fgsm: number; rel_pgd: number })[] {
  const fp = new Map(rows.filter((r) => r.format === 'fp32').map((r) => [`${r.model}|${r.dataset}|${r.data}`, r]));
  const rel = (a: number, b: number | undefined) => (b && b > 0 ? a / b : NaN);
  return rows.map((r) => {
    const f = fp.get(`${r.model}|${r.dataset}|${r.data}`);
    return { ...r, rel_clean: rel(r.clean, f?.clean), rel_fgsm: rel(r.fgsm, f?.fgsm), rel_pgd: rel(r.pgd, f?.pgd) };
  });
}

export interface RobustFit {
  fakeKind: string;
  metric: 'clean' | 'pgd';
  r2: number;
  slope: number;
  intercept: number;
  points: number;
}

/** fake-relative vs test-relative accuracy (clean and PGD) over quantized variants: linear fits + figures. */
export async function robustFits(rows: RobustRow[], out: string, label: string): Promise<RobustFit[]> {
  const rel = withRelative(rows).filter((r) => r.format !== 'fp32');
  const fits: RobustFit[] = [];
  const kinds = [...new Set(rel.map((r) => r.data))].filter((d) => d !== 'test');
  for (const metric of ['clean', 'pgd'] as const) {
    const key = metric === 'clean' ? 'rel_clean' : 'rel_pgd';
    const series: Series[] = [];
    for (const kind of kinds) {
      const pairs = rel
        .filter((r) => r.data === kind)
        .map((r) => {
          const t = rel.find(
            (q) => q.data === 'test' && q.model === r.model && q.dataset === r.dataset && q.format === r.format,
          );
          return t ? { x: r[key], y: t[key], label: `${r.model} ${r.format}` } : null;
        })
        .filter(
          (p): p is { x: number; y: number; label: string } =>
            p !== null && Number.isFinite(p.x) && Number.isFinite(p.y),
        );
      if (pairs.length < 3) continue;
      const f = fitForm(
        'poly1',
        pairs.map((p) => p.x),
        pairs.map((p) => p.y),
      );
      if (!f) continue;
      const slope = f.params[1] / f.xScale,
        intercept = f.params[0];
      fits.push({ fakeKind: kind, metric, r2: f.r2, slope, intercept, points: pairs.length });
      const xs = pairs.map((p) => p.x);
      const lo = Math.min(...xs),
        hi = Math.max(...xs);
      series.push({
        name: `${kind} (R² ${f.r2.toFixed(3)})`,
        points: pairs,
        curve: [
          { x: lo, y: intercept + slope * lo },
          { x: hi, y: intercept + slope * hi },
        ],
      });
    }
    if (series.length)
      await saveFigure(
        scatterWithCurves(
          `${label}: ${metric === 'clean' ? 'clean' : 'PGD'} accuracy, quantized ÷ full precision`,
          'relative accuracy on fake data',
          'relative accuracy on the test set',
          series,
        ),
        join(out, `robust-fit-${metric}`),
      );
  }
  writeJsonAtomic(join(out, 'robust-fit.json'), fits);
  return fits;
}

/** PCA of penultimate features (basis from the test set) per data kind, and a clean-vs-PGD image grid. */
async function pictures(model: Classifier, sets: [string, ImageSet][], c: RobustConfig): Promise<void> {
  const n = 500;
  const norm = normaliser(sets[0][1]);
  const feats: { name: string; data: Float32Array; labels: Int32Array; count: number; dim: number }[] = [];
  for (const [name, set] of sets) {
    const count = Math.min(n, set.count);
    const x = keep(fromArray(pixelBatch(set.images, 0, count), [count, 3, 32, 32]));
    const f = noGrad(() => tidy(() => model.forwardFeatures(norm(x)).features));
    feats.push({
      name,
      data: (await f.toArray()) as Float32Array,
      labels: set.labels.slice(0, count),
      count,
      dim: f.shape[1],
    });
    x.dispose();
    f.dispose();
  }
  const basis = pca(feats[0].data, feats[0].count, feats[0].dim);
  const all: Series[] = [];
  for (const f of feats) {
    const [p1, p2] = project(basis, f.data, f.count);
    const byLabel = new Map<number, { x: number; y: number }[]>();
    for (let i = 0; i < f.count; i++) {
      const l = f.labels[i];
      if (!byLabel.has(l)) byLabel.set(l, []);
      byLabel.get(l)?.push({ x: p1[i], y: p2[i] });
    }
    const series: Series[] = [...byLabel.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([l, pts]) => ({ name: `class ${l}`, points: pts }));
    all.push(...series);
    await saveFigure(
      scatterWithCurves(
        `PCA of penultimate features: ${f.name} (${f.count} images, basis from the test set)`,
        'PC 1',
        'PC 2',
        series,
        { width: 420, height: 360 },
      ),
      join(c.out, `pca-${f.name}`),
    );
  }
  // clean vs adversarial images: first 8 test and fake images
  const rows: Uint8Array[][] = [];
  for (const [name, set] of sets.slice(0, 2)) {
    const m = Math.min(8, set.count);
    const x = keep(fromArray(pixelBatch(set.images, 0, m), [m, 3, 32, 32]));
    const y = keep(fromArray(set.labels.slice(0, m), [m], 'int32'));
    const adv: Tensor = pgd(model, norm, x, y, { eps: c.eps, steps: c.steps, alpha: c.alpha, seed: 7 });
    const a = (await adv.toArray()) as Float32Array;
    rows.push(Array.from({ length: m }, (_, i) => set.images.slice(i * 3072, (i + 1) * 3072)));
    rows.push(
      Array.from({ length: m }, (_, i) =>
        Uint8Array.from(a.subarray(i * 3072, (i + 1) * 3072), (v) => Math.round(v * 255)),
      ),
    );
    // a third row shows the perturbation, amplified to the full range
    rows.push(
      Array.from({ length: m }, (_, i) =>
        Uint8Array.from(a.subarray(i * 3072, (i + 1) * 3072), (v, j) =>
          Math.round(128 + ((v * 255 - set.images[i * 3072 + j]) / (c.eps * 255)) * 127),
        ),
      ),
    );
    x.dispose();
    y.dispose();
    adv.dispose();
    if (!c.quiet)
      log(
        `robust: image grid rows for ${name}: clean, PGD (eps ${(c.eps * 255).toFixed(1)}/255), perturbation x${(1 / c.eps).toFixed(0)}`,
      );
  }
  writeFileAtomic(join(c.out, 'adversarial-grid.png'), imageGrid(rows));
}
