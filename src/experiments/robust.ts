// `quantscope robust`: clean / FGSM / PGD accuracy of the full-precision model and of its quantized models on
// the real test set and on the generated (fake) sets, as the seed's robust_one.py measures them:
//   - the quantized models are the PTQ step's (protocol `seed`: each format's ranges calibrated on real
//     training data, read from ptq-ranges.jsonl or recomputed the same way); `--calibration fake` calibrates
//     them on the fake set instead, the data-free question of the seed's last section;
//   - attacks in the seed's normalised space (protocol `seed`) or in pixel space (`clean`); every row says
//     which, and also gives the accuracy after the [0, 1] clamp alone;
//   - relative accuracies (quantized ÷ full precision) and straight-line fits of test-relative on
//     fake-relative accuracy, pooled per dataset and fake set (robust-fit.ts); PCA pictures; an image grid.
// Rows go to robust.jsonl as they are measured, keyed by the hashes of their inputs (resumable, never stale).
import { dirname, join } from 'node:path';
import { loadCifar, type ImageSet } from '../data/cifar.js';
import { className, IMAGE_BYTES } from '../data/cifar-meta.js';
import { fakeSetBatches, readFakeSet, toPixels, type FakeSet } from '../data/fakeset.js';
import type { Batch } from '../data/batches.js';
import { fromArray, keep, noGrad, tidy } from '../index.js';
import { Random } from '../tensor/ops/creation.js';
import {
  attackFrame,
  attackSetOfFloats,
  attackSetOfPixels,
  pgd,
  robustAccuracy,
  type AttackSet,
  type AttackSpace,
} from '../nn/attacks.js';
import type { Classifier } from '../nn/models/modules.js';
import type { ForwardContext } from '../nn/module.js';
import {
  calibrateFormat,
  calibratePoints,
  disposeLayers,
  prepareQuantization,
  protocolQuirks,
  restore,
  type PointRanges,
  type QuantFormat,
  type QuantLayer,
  withFormat,
} from '../quant/index.js';
import { cached, hashOf, sha256File } from '../platform/cache.js';
import { appendJsonl, readJsonl, setAsideStale, writeFileAtomic } from '../platform/files.js';
import { loadTrainedModel } from './train.js';
import { ptqFormats, toCsv } from './ptq.js';
import { PTQ_RANGES_FILE, seedCalibrationBatches, type FormatRanges } from './ptq-protocol.js';
import { FAKE_ADJUST_FILE, FAKE_FILE, GENERATOR_ADJUST_FILE, GENERATOR_FILE, restoreGenerator } from './gen.js';
import { drawLabels } from '../nn/models/generator.js';
import { fitRobust, pointsFromRows, type RobustFitRow } from './robust-fit.js';
import { pca, project } from './pca.js';
import { imageGrid } from './png.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';
import { log, Progress } from './progress.js';
import {
  ROBUST_DEFAULTS,
  ROBUST_OPTIONS,
  attackSpaceFor,
  resolveRobustConfig,
  type FakeSetKind,
  type RobustCalibration,
  type RobustConfig,
} from './robust-options.js';

export { ROBUST_DEFAULTS, ROBUST_OPTIONS, attackSpaceFor, resolveRobustConfig };
export type { FakeSetKind, RobustCalibration, RobustConfig };

export interface RobustRow {
  model: string;
  dataset: string;
  format: string;
  bits: number;
  /** 'test' or the fake set: 'trained' | 'adjusted' */
  data: string;
  protocol?: string;
  attack_space?: AttackSpace;
  calibration?: RobustCalibration;
  /** the hash of every input the row depends on (checkpoint, fake sets, settings) */
  inputs?: string;
  clean: number;
  /** accuracy after the attack's [0, 1] clamp alone, with no perturbation */
  clamp?: number;
  fgsm: number;
  pgd: number;
  count: number;
}

const FAKE_FILES: Record<FakeSetKind, { fake: string; generator: string }> = {
  trained: { fake: FAKE_FILE, generator: GENERATOR_FILE },
  adjusted: { fake: FAKE_ADJUST_FILE, generator: GENERATOR_ADJUST_FILE },
};

function limitFake(f: FakeSet, limit?: number): FakeSet {
  if (limit === undefined || limit >= f.count) return f;
  return { ...f, count: limit, images: f.images.subarray(0, limit * IMAGE_BYTES), labels: f.labels.subarray(0, limit) };
}

export async function runRobust(c: RobustConfig): Promise<RobustRow[]> {
  const teacher = loadTrainedModel(c.checkpoint, c.model).eval();
  const arch = teacher.arch;
  const test = loadCifar(c.dataset, 'test', { dataDir: c.dataDir, limit: c.testSubset });
  const fakes = c.fakeSets.map(
    (k) =>
      [
        k,
        limitFake(readFakeSet(join(c.genDir, FAKE_FILES[k].fake), { classes: teacher.classes }), c.fakeLimit),
      ] as const,
  );
  const sets: [string, AttackSet][] = [
    ['test', attackSetOfPixels(test)],
    ...fakes.map(([k, f]) => [k, attackSetOfFloats(f.images, f.labels, test, f.count)] as [string, AttackSet]),
  ];
  const inputs = hashOf({
    checkpoint: sha256File(c.checkpoint),
    fakes: fakes.map(([k, f]) => `${k}:${f.meta.generator_sha256}:${f.count}`).join(),
    test: test.count,
    protocol: c.protocol,
    space: c.attackSpace,
    calibration: c.calibration,
    calib: `${c.calibBatches}x${c.calibBatchSize}`,
    attack: `${c.eps}:${c.pgdSteps}:${c.pgdAlpha}`,
  });
  const jsonl = join(c.out, 'robust.jsonl');
  const aside = setAsideStale<RobustRow>(jsonl, (r) => r.inputs !== inputs);
  if (aside)
    log(`robust: ${jsonl} was measured from other inputs (checkpoint, fake sets or settings); moved to ${aside}`);
  const done = new Set(readJsonl<RobustRow>(jsonl).map((r) => `${r.format}|${r.data}`));
  const formats = ptqFormats(c);
  const opts = { space: c.attackSpace, eps: c.eps, steps: c.pgdSteps, alpha: c.pgdAlpha, batchSize: c.batchSize };
  const bar = new Progress(`robust (${c.attackSpace} space)`, (formats.length + 1) * sets.length, c.quiet);
  let k = 0;
  const measure = async (format: string, bits: number, ctx: ForwardContext) => {
    for (const [name, set] of sets) {
      k++;
      if (done.has(`${format}|${name}`)) continue;
      const r = await robustAccuracy(teacher, set, { ...opts, ctx, seed: 1 });
      const row: RobustRow = {
        model: arch,
        dataset: c.dataset,
        format,
        bits,
        data: name,
        protocol: c.protocol,
        attack_space: c.attackSpace,
        calibration: c.calibration,
        inputs,
        clean: r.clean,
        clamp: r.clamp,
        fgsm: r.fgsm,
        pgd: r.pgd,
        count: r.count,
      };
      appendJsonl(jsonl, row);
      bar.update(k, { format, data: name, clean: r.clean, pgd: r.pgd });
    }
  };
  await measure('fp32', 32, {});
  // the pictures (PCA of up to 10,000 + 10,000 images per fake set) are drawn once per set of inputs
  await cached(join(c.out, 'robust-pictures.json'), { inputs, pca: c.pcaPerClass }, async () => {
    await pictures(teacher, test, fakes, c);
    return true;
  });
  const { layers } = await prepareQuantization(teacher);
  try {
    const todo = formats.filter((f) => sets.some(([name]) => !done.has(`${f.name}|${name}`)));
    const ranges = todo.length ? await formatRanges(teacher, layers, todo, c, fakes) : new Map();
    const quirks = protocolQuirks(c.protocol);
    const firstLayer = layers[0].name;
    for (const f of formats) {
      if (!todo.includes(f)) {
        k += sets.length;
        continue;
      }
      const fr = ranges.get(f.name) as PointRanges;
      await withFormat(layers, f, { quirks, firstLayer, ranges: fr }, (ctx) => measure(f.name, f.bits, ctx));
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

/**
 * Each format's calibrated ranges. Real calibration: the PTQ step's (ptq-ranges.jsonl for this checkpoint and
 * protocol), the rest recomputed as the PTQ step does it. Fake: on the fake set (the adjusted one if present).
 * Computed ranges are cached by the hashes of their inputs.
 */
async function formatRanges(
  model: Classifier,
  layers: QuantLayer[],
  formats: QuantFormat[],
  c: RobustConfig,
  fakes: readonly (readonly [FakeSetKind, FakeSet])[],
): Promise<Map<string, PointRanges>> {
  const out = new Map<string, PointRanges>();
  const checkpointSha = sha256File(c.checkpoint);
  if (c.calibration === 'real') {
    const fromPtq = readJsonl<FormatRanges>(join(c.ptqDir ?? dirname(c.checkpoint), PTQ_RANGES_FILE)).filter(
      (r) => r.protocol === c.protocol && r.checkpoint_sha256 === checkpointSha,
    );
    for (const r of fromPtq) out.set(r.format, r.ranges);
  }
  const missing = formats.filter((f) => !out.has(f.name));
  if (!missing.length) return out;
  const calibSet = fakes.find(([k]) => k === 'adjusted') ?? fakes[0];
  if (c.calibration === 'fake' && !calibSet) throw new Error('robust: --calibration fake needs a fake set');
  let trainSet: ImageSet | undefined;
  const batches = (): Iterable<Batch> =>
    c.calibration === 'fake'
      ? fakeSetBatches(calibSet[1], c.calibBatchSize)
      : seedCalibrationBatches((trainSet ??= loadCifar(c.dataset, 'train', { dataDir: c.dataDir })), c.calibBatchSize);
  const key = {
    checkpoint_sha256: checkpointSha,
    protocol: c.protocol,
    calibration: c.calibration,
    source: c.calibration === 'fake' ? `${calibSet[0]}:${calibSet[1].meta.generator_sha256}` : 'cifar-train',
    batches: `${c.calibBatches}x${c.calibBatchSize}`,
    formats: missing.map((f) => f.name).join(),
  };
  const quirks = protocolQuirks(c.protocol);
  const firstLayer = layers[0].name;
  if (c.calibration === 'real' && !c.quiet)
    log(`robust: ${missing.length} formats have no ranges from the PTQ step; calibrating them as it does`);
  const computed = await cached(join(c.out, `robust-ranges-${c.calibration}.json`), key, async () => {
    const bar = new Progress(`calibrate (${c.calibration} data)`, missing.length + 1, c.quiet);
    const fpRanges = await calibratePoints(model, batches(), c.calibBatches, {
      f: null,
      quirks,
      firstLayer,
      ranges: null,
    });
    const r: Record<string, PointRanges> = {};
    let i = 0;
    for (const f of missing) {
      try {
        r[f.name] = await calibrateFormat(
          model,
          layers,
          f,
          { quirks, firstLayer, fpRanges },
          batches(),
          c.calibBatches,
        );
      } finally {
        restore(layers);
      }
      bar.update(++i + 1, { format: f.name });
    }
    return r;
  });
  for (const [name, r] of Object.entries(computed)) out.set(name, r);
  return out;
}

export const RELATIVE_COLUMNS = [
  'model',
  'dataset',
  'format',
  'bits',
  'data',
  'protocol',
  'attack_space',
  'calibration',
  'clean',
  'clamp',
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

/**
 * Test-relative on fake-relative accuracy, pooled per dataset and fake set over every model in the rows
 * (the seed's figures): robust-fit.json (RobustFitRow[]) and one figure per metric.
 */
export async function robustFits(rows: RobustRow[], out: string, label: string): Promise<RobustFitRow[]> {
  const points = pointsFromRows(rows);
  const fits = fitRobust(points, null);
  for (const metric of ['clean', 'pgd'] as const) {
    const series: Series[] = [];
    for (const fit of fits.filter((f) => f.metric === metric)) {
      const full = new Map(
        points
          .filter((p) => p.format === 'Full' && p.dataset === fit.dataset && p.fakeSet === fit.fake_set)
          .map((p) => [p.model, p]),
      );
      const pts = points
        .filter((p) => p.format !== 'Full' && p.dataset === fit.dataset && p.fakeSet === fit.fake_set)
        .map((p) => {
          const f = full.get(p.model);
          return f
            ? {
                x: p.fake[metric] / f.fake[metric],
                y: p.test[metric] / f.test[metric],
                label: `${p.model} ${p.format}`,
              }
            : null;
        })
        .filter(
          (p): p is { x: number; y: number; label: string } => !!p && Number.isFinite(p.x) && Number.isFinite(p.y),
        );
      const xs = pts.map((p) => p.x);
      const lo = Math.min(...xs),
        hi = Math.max(...xs);
      series.push({
        name: `${fit.dataset} ${fit.fake_set} (R² ${fit.r2.toFixed(3)}, ${fit.points} points)`,
        points: pts,
        curve: [
          { x: lo, y: fit.intercept + fit.slope * lo },
          { x: hi, y: fit.intercept + fit.slope * hi },
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
  writeFileAtomic(join(out, 'robust-fit.json'), `${JSON.stringify(fits, null, 2)}\n`);
  return fits;
}

/** Penultimate features of normalised images, in batches. */
async function featuresOf(model: Classifier, x: Float32Array, n: number): Promise<{ data: Float32Array; dim: number }> {
  const parts: Float32Array[] = [];
  let dim = 0;
  for (let s = 0; s < n; s += 256) {
    const m = Math.min(256, n - s);
    const t = keep(fromArray(x.subarray(s * IMAGE_BYTES, (s + m) * IMAGE_BYTES), model.batchShape(m)));
    const f = noGrad(() => tidy(() => model.forwardFeatures(t).features));
    dim = f.shape[1];
    parts.push((await f.toArray()) as Float32Array);
    t.dispose();
    f.dispose();
  }
  const data = new Float32Array(n * dim);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, dim };
}

/** Standardise features in place with the test features' per-dimension mean and (biased) std (StandardScaler). */
function scalerOf(data: Float32Array, n: number, dim: number): (d: Float32Array, m: number) => Float64Array {
  const mean = new Float64Array(dim),
    sq = new Float64Array(dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const v = data[i * dim + j];
      mean[j] += v / n;
      sq[j] += (v * v) / n;
    }
  const std = mean.map((m, j) => Math.sqrt(Math.max(0, sq[j] - m * m)) || 1);
  return (d, m) => Float64Array.from({ length: m * dim }, (_, i) => (d[i] - mean[i % dim]) / std[i % dim]);
}

/**
 * The seed's PCA: features before the classifier, standardised with the test features' statistics, the top
 * two eigenvectors of their covariance; test images and `pcaPerClass` fake images per class from each
 * generator in eval mode, labelled with the class names. Then a clean-vs-PGD image grid.
 */
async function pictures(
  model: Classifier,
  test: ImageSet,
  fakes: readonly (readonly [FakeSetKind, FakeSet])[],
  c: RobustConfig,
): Promise<void> {
  const classes = model.classes;
  if (c.pcaPerClass > 0) {
    const nTest = Math.min(test.count, c.pcaPerClass * classes);
    const testSet = attackSetOfPixels(test);
    const tf = await featuresOf(model, testSet.normalized(0, nTest), nTest);
    const scale = scalerOf(tf.data, nTest, tf.dim);
    const std = scale(tf.data, nTest);
    const basis = pca(std, nTest, tf.dim);
    const groups: [string, Float64Array, Int32Array, number][] = [['test', std, test.labels.slice(0, nTest), nTest]];
    for (const [kind] of fakes) {
      const gen = await restoreGenerator(join(c.genDir, FAKE_FILES[kind].generator), model);
      gen.eval();
      const n = c.pcaPerClass * classes;
      const images = new Float32Array(n * IMAGE_BYTES),
        labels = new Int32Array(n);
      const rng = new Random(`pca:${kind}`);
      for (let s = 0; s < n; s += 200) {
        const m = Math.min(200, n - s);
        const d = drawLabels(m, classes, gen.o.latent, 1, rng);
        // labels in class order, 1,000 per class as the seed draws them (200 at a time, 5 batches per class)
        d.slots.fill(0);
        d.mix.fill(0);
        for (let i = 0; i < m; i++) {
          const y = Math.floor((s + i) / c.pcaPerClass);
          d.labels[i] = y;
          d.slots[i * classes + y] = 1;
          d.mix[i * classes + y] = 1;
        }
        const x = noGrad(() => tidy(() => gen.generate(d)));
        images.set((await x.toArray()) as Float32Array, s * IMAGE_BYTES);
        labels.set(d.labels, s);
        x.dispose();
      }
      gen.dispose();
      const ff = await featuresOf(model, images, n);
      groups.push([kind, scale(ff.data, n), labels, n]);
    }
    for (const [name, data, labels, n] of groups) {
      const [p1, p2] = project(basis, data, n);
      const byLabel = new Map<number, { x: number; y: number }[]>();
      for (let i = 0; i < n; i++) {
        const l = labels[i];
        if (!byLabel.has(l)) byLabel.set(l, []);
        byLabel.get(l)?.push({ x: p1[i], y: p2[i] });
      }
      const series: Series[] = [...byLabel.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([l, pts]) => ({ name: className(classes, l), points: pts }));
      await saveFigure(
        scatterWithCurves(
          `PCA of standardised penultimate features: ${name} (${n} images; basis and scaling from the test set)`,
          'PC 1',
          'PC 2',
          series,
          { width: 460, height: 380 },
        ),
        join(c.out, `pca-${name}`),
      );
    }
  }
  await imageRows(model, test, fakes, c);
}

/** Rows per data set: clean, PGD-perturbed (as the model sees it, shown as pixels), the change amplified. */
async function imageRows(
  model: Classifier,
  test: ImageSet,
  fakes: readonly (readonly [FakeSetKind, FakeSet])[],
  c: RobustConfig,
): Promise<void> {
  const rows: Uint8Array[][] = [];
  const sets: [string, AttackSet][] = [['test', attackSetOfPixels(test)]];
  if (fakes[0]) sets.push([fakes[0][0], attackSetOfFloats(fakes[0][1].images, fakes[0][1].labels, test)]);
  for (const [, set] of sets) {
    const m = Math.min(8, set.count);
    const xn = keep(fromArray(set.normalized(0, m), model.batchShape(m)));
    const y = keep(fromArray(set.labels.slice(0, m), [m], 'int32'));
    const { x, toModel } = attackFrame(c.attackSpace, xn, test);
    const adv = pgd(model, toModel, x, y, { eps: c.eps, steps: c.pgdSteps, alpha: c.pgdAlpha, seed: 7 });
    const seen = noGrad(() => tidy(() => toModel(adv)));
    const clean = (await xn.toArray()) as Float32Array;
    const a = (await seen.toArray()) as Float32Array;
    const cleanPx = toPixels(clean, m, c.dataset),
      advPx = toPixels(a, m, c.dataset);
    let maxDiff = 1;
    for (let i = 0; i < cleanPx.length; i++) maxDiff = Math.max(maxDiff, Math.abs(advPx[i] - cleanPx[i]));
    const img = (b: Uint8Array) => Array.from({ length: m }, (_, i) => b.slice(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));
    rows.push(
      img(cleanPx),
      img(advPx),
      img(Uint8Array.from(advPx, (v, i) => 128 + ((v - cleanPx[i]) / maxDiff) * 127)),
    );
    for (const t of new Set([xn, y, x, adv, seen])) t.dispose();
  }
  writeFileAtomic(join(c.out, 'adversarial-grid.png'), imageGrid(rows));
  if (!c.quiet)
    log(`robust: image grid (${c.attackSpace} space): per data set clean, PGD as the model sees it, change amplified`);
}
