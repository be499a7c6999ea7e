// `quantscope compare`: every figure a results folder holds next to the seed's own (../shared/seed/reference,
// read from the seed's result files): full-precision accuracy, per-format PTQ accuracy and js_flops, and the
// per-model js_flops -> acc_loss fit R². Only model/dataset pairs of the seed's nine models are compared.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFiles, readJsonl } from '../platform/files.js';
import { readSeedPtqCsv } from './seed-csv.js';
import type { PtqRow } from './ptq.js';
import type { FitReport } from './fit.js';

/** Where the seed's published numbers sit when the project is checked out next to ../shared. */
export const SEED_REFERENCE_DIR = join(process.cwd(), '../shared/seed/reference');

/** The seed README's per-model R² of its rational js_flops -> acc_loss fits (in-sample). */
export const SEED_FIT_R2: Record<string, number> = {
  'AlexNet/cifar10': 0.9819,
  'AlexNet_BN/cifar10': 0.9878,
  'VGG_16/cifar10': 0.9727,
  'VGG_19/cifar10': 0.9648,
  'Inception_BN/cifar10': 0.8693,
  'MobileNetV2/cifar10': 0.9652,
  'ResNet_18/cifar10': 0.9181,
  'ResNet_50/cifar10': 0.9011,
  'ResNet_152/cifar10': 0.8994,
  'AlexNet/cifar100': 0.979,
  'AlexNet_BN/cifar100': 0.973,
  'VGG_16/cifar100': 0.9222,
  'VGG_19/cifar100': 0.9115,
  'Inception_BN/cifar100': 0.8806,
  'MobileNetV2/cifar100': 0.957,
  'ResNet_18/cifar100': 0.8498,
  'ResNet_50/cifar100': 0.862,
  'ResNet_152/cifar100': 0.8713,
  'ALL/cifar10': 0.5185,
  'ALL/cifar100': 0.6458,
};

export interface CompareRow {
  model: string;
  dataset: string;
  /** fp_acc, q_acc FORMAT, js_flops FORMAT, fit_r2 */
  figure: string;
  ours: number;
  seed: number;
}

interface SeedPtq {
  fpAcc: number;
  formats: Map<string, { ptqAcc: number; jsFlops: number }>;
}

export function readSeedPtq(referenceDir: string): Map<string, SeedPtq> {
  const path = join(referenceDir, 'ptq.csv');
  if (!existsSync(path)) throw new Error(`compare: the seed's reference ${path} is missing (set --reference DIR)`);
  const out = new Map<string, SeedPtq>();
  for (const r of readSeedPtqCsv(path, 'compare')) {
    const key = `${r.model}/${r.dataset}`;
    const e = out.get(key) ?? { fpAcc: r.fp_acc, formats: new Map() };
    e.formats.set(r.format, { ptqAcc: r.q_acc, jsFlops: r.js_flops });
    out.set(key, e);
  }
  return out;
}

/** Accuracies as fractions; js_flops in the seed's units (percent shares), as our PTQ rows of protocol seed. */
export function compareWithSeed(resultsDir: string, referenceDir: string): CompareRow[] {
  const seed = readSeedPtq(referenceDir);
  const rows: CompareRow[] = [];
  for (const f of findFiles(resultsDir, 'result.json')) {
    const r = JSON.parse(readFileSync(f, 'utf8')) as { model?: string; dataset?: string; test_acc?: number };
    const s = seed.get(`${r.model}/${r.dataset}`);
    if (s && typeof r.test_acc === 'number')
      rows.push({
        model: r.model as string,
        dataset: r.dataset as string,
        figure: 'fp_acc',
        ours: r.test_acc,
        seed: s.fpAcc,
      });
  }
  for (const f of findFiles(resultsDir, 'ptq.jsonl')) {
    for (const p of readJsonl<PtqRow>(f)) {
      if (p.protocol !== 'seed') continue; // only the seed's protocol measures what the seed measured
      const s = seed.get(`${p.model}/${p.dataset}`)?.formats.get(p.format);
      if (!s) continue;
      const base = { model: p.model, dataset: p.dataset };
      rows.push({ ...base, figure: `q_acc ${p.format}`, ours: p.q_acc, seed: s.ptqAcc });
      rows.push({ ...base, figure: `js_flops ${p.format}`, ours: p.js_flops, seed: s.jsFlops });
    }
  }
  for (const f of findFiles(resultsDir, 'fit.json')) {
    const report = JSON.parse(readFileSync(f, 'utf8')) as FitReport;
    for (const e of report.fits ?? []) {
      if (e.measure !== 'js_flops') continue;
      const [model, dataset] = e.scope.split('/'); // a model/dataset, or ALL/<dataset> for a pooled fit
      const ref = SEED_FIT_R2[`${model}/${dataset}`];
      if (ref !== undefined) rows.push({ model, dataset, figure: 'fit_r2', ours: e.best.r2, seed: ref });
    }
  }
  return rows;
}

export function formatCompare(rows: CompareRow[]): string {
  if (!rows.length) return "compare: no figure of the seed's nine models found (train, ptq or fit one first)";
  const head = ['model', 'dataset', 'figure', 'ours', 'seed', 'ours - seed'];
  const fmt = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4));
  const body = rows.map((r) => [r.model, r.dataset, r.figure, fmt(r.ours), fmt(r.seed), fmt(r.ours - r.seed)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 3 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}
