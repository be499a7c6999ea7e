// `quantscope robust-fit`: straight-line fits of test-relative on fake-relative accuracy (quantized ÷ full
// precision, per data set and metric), pooled over models per dataset and fake set, as the seed's figures do
// (6 models x 43 formats = 258 points per dataset). Reads robust.jsonl files under a results folder, or one
// CSV in the seed's robust.csv layout (../shared/seed/reference/robust.csv, accuracies in percent).
import { existsSync, statSync } from 'node:fs';
import { readCsvRecords } from './seed-csv.js';
import { fitForm } from '../quant/fit.js';
import { findFiles, readJsonl } from '../platform/files.js';
import type { RobustRow } from './robust.js';

/** The seed's pooled models for its robustness figures (the other three have incomplete runs). */
export const SEED_ROBUST_MODELS = ['AlexNet', 'AlexNet_BN', 'VGG_16', 'VGG_19', 'MobileNetV2', 'ResNet_18'];
export const ROBUST_METRICS = ['clean', 'fgsm', 'pgd'] as const;
type Metric = (typeof ROBUST_METRICS)[number];

/** One measured format of one model on one fake set: test and fake accuracies per metric. */
export interface RobustPoint {
  dataset: string;
  model: string;
  fakeSet: string;
  format: string;
  test: Record<Metric, number>;
  fake: Record<Metric, number>;
}

export interface RobustFitRow {
  dataset: string;
  fake_set: string;
  metric: Metric;
  r2: number;
  slope: number;
  intercept: number;
  points: number;
  models: string[];
}

export function readSeedRobustCsv(path: string): RobustPoint[] {
  const need = ['dataset', 'model', 'fake_set', 'format', ...ROBUST_METRICS.flatMap((m) => [`test_${m}`, `fake_${m}`])];
  return readCsvRecords(path, need, 'robust-fit').map((r, i) => {
    const get = (k: string) => {
      const v = Number(r[k]);
      if (!Number.isFinite(v)) throw new Error(`robust-fit: ${path} line ${i + 2}: ${k} is not a number`);
      return v / 100;
    };
    const per = (side: string) =>
      Object.fromEntries(ROBUST_METRICS.map((m) => [m, get(`${side}_${m}`)])) as Record<Metric, number>;
    return {
      dataset: r.dataset,
      model: r.model,
      fakeSet: r.fake_set,
      format: r.format,
      test: per('test'),
      fake: per('fake'),
    };
  });
}

/**
 * Our robust.jsonl rows as points: the "test" rows paired with each fake set of the same model, attack space
 * and calibration. Rows of another attack space or calibration than the seed's form their own fake-set group
 * ("adjusted, pixel space"), so a fit never mixes them.
 */
export function pointsFromRows(rows: RobustRow[]): RobustPoint[] {
  const variant = (r: RobustRow) =>
    [r.attack_space === 'pixel' ? 'pixel space' : '', r.calibration === 'fake' ? 'fake-calibrated' : '']
      .filter(Boolean)
      .join(', ');
  const key = (r: RobustRow) => `${r.model}|${r.dataset}|${r.format}|${variant(r)}`;
  const test = new Map(rows.filter((r) => r.data === 'test').map((r) => [key(r), r]));
  const pick = (r: RobustRow) => ({ clean: r.clean, fgsm: r.fgsm, pgd: r.pgd });
  const kindOf = (d: string) => (d === 'fake' ? 'trained' : d === 'fake-adjust' ? 'adjusted' : d);
  return rows
    .filter((r) => r.data !== 'test' && test.has(key(r)))
    .map((r) => ({
      dataset: r.dataset,
      model: r.model,
      fakeSet: [kindOf(r.data), variant(r)].filter(Boolean).join(', '),
      format: r.format === 'fp32' ? 'Full' : r.format,
      test: pick(test.get(key(r)) as RobustRow),
      fake: pick(r),
    }));
}

export function loadRobustPoints(results: string): RobustPoint[] {
  if (!existsSync(results)) throw new Error(`robust-fit: ${results} does not exist`);
  if (statSync(results).isFile()) return readSeedRobustCsv(results);
  const files = findFiles(results, 'robust.jsonl');
  if (!files.length) throw new Error(`robust-fit: no robust.jsonl under ${results} (run \`quantscope robust\` first)`);
  return pointsFromRows(files.flatMap((f) => readJsonl<RobustRow>(f)));
}

/** Relative accuracy (÷ the Full row of the same model, dataset and fake set), then one line per group. */
export function fitRobust(points: RobustPoint[], models: string[] | null = SEED_ROBUST_MODELS): RobustFitRow[] {
  const full = new Map(
    points.filter((p) => p.format === 'Full').map((p) => [`${p.dataset}|${p.model}|${p.fakeSet}`, p]),
  );
  const out: RobustFitRow[] = [];
  const groups = [...new Set(points.map((p) => `${p.dataset}|${p.fakeSet}`))].sort();
  for (const g of groups) {
    const [dataset, fakeSet] = g.split('|');
    const inGroup = points.filter(
      (p) =>
        p.dataset === dataset &&
        p.fakeSet === fakeSet &&
        p.format !== 'Full' &&
        (!models || models.includes(p.model)) &&
        full.has(`${p.dataset}|${p.model}|${p.fakeSet}`),
    );
    for (const metric of ROBUST_METRICS) {
      const pairs = inGroup
        .map((p) => {
          const f = full.get(`${p.dataset}|${p.model}|${p.fakeSet}`) as RobustPoint;
          return [p.fake[metric] / f.fake[metric], p.test[metric] / f.test[metric]];
        })
        .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      if (pairs.length < 3) continue;
      const fit = fitForm(
        'poly1',
        pairs.map(([x]) => x),
        pairs.map(([, y]) => y),
      );
      if (!fit) continue;
      out.push({
        dataset,
        fake_set: fakeSet,
        metric,
        r2: fit.r2,
        slope: fit.params[1] / fit.xScale,
        intercept: fit.params[0],
        points: pairs.length,
        models: [...new Set(inGroup.map((p) => p.model))].sort(),
      });
    }
  }
  return out;
}
