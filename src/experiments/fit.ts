// `quantscope fit`: js_flops (and variants) -> acc_loss fits per model and over all models, from every
// ptq.jsonl under a results folder. Writes fit.json (all fits, the chosen one first), fit.csv and
// figures (PNG + SVG): per measure, the scatter of all models with each model's chosen curve, and the
// overall fit.
import { join } from 'node:path';
import { describeFit, predictFit, selectFit, type Fit } from '../quant/fit.js';
import { findFiles, readJsonl, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';
import { toCsv, type PtqRow } from './ptq.js';

export const MEASURES = ['js_flops', 'js_flops_wt_log', 'js_flops_wt_cbrt', 'js_param', 'js_hist_flops'] as const;
export type Measure = (typeof MEASURES)[number];

export interface FitEntry {
  scope: string;
  measure: Measure;
  best: Fit;
  alternatives: Fit[];
  points: number;
}
export interface FitReport {
  created: string;
  sources: string[];
  fits: FitEntry[];
}

export function loadPtqRows(dir: string): { rows: PtqRow[]; sources: string[] } {
  const sources = findFiles(dir, 'ptq.jsonl');
  if (!sources.length) throw new Error(`fit: no ptq.jsonl under ${dir} (run \`quantscope ptq\` first)`);
  return { rows: sources.flatMap((s) => readJsonl<PtqRow>(s)), sources };
}

function fitScope(scope: string, rows: PtqRow[], measure: Measure): FitEntry | null {
  const pts = rows.filter((r) => Number.isFinite(r[measure]) && Number.isFinite(r.acc_loss));
  const all = selectFit(
    pts.map((r) => r[measure]),
    pts.map((r) => r.acc_loss),
  );
  if (!all.length) return null;
  return { scope, measure, best: all[0], alternatives: all.slice(1), points: pts.length };
}

export function fitAll(rows: PtqRow[]): FitEntry[] {
  const models = [...new Set(rows.map((r) => `${r.model}/${r.dataset}`))].sort();
  const fits: FitEntry[] = [];
  for (const measure of MEASURES) {
    for (const m of models) {
      const e = fitScope(
        m,
        rows.filter((r) => `${r.model}/${r.dataset}` === m),
        measure,
      );
      if (e) fits.push(e);
    }
    const overall = fitScope('ALL', rows, measure);
    if (overall) fits.push(overall);
  }
  return fits;
}

function curve(f: Fit, xs: number[], log: boolean): { x: number; y: number }[] {
  const lo = Math.min(...xs),
    hi = Math.max(...xs);
  return Array.from({ length: 80 }, (_, i) => {
    const t = i / 79;
    const x = log && lo > 0 ? lo * (hi / lo) ** t : lo + (hi - lo) * t;
    return { x, y: predictFit(f, x) };
  });
}

export async function runFit(dir: string, out = dir): Promise<FitReport> {
  const { rows, sources } = loadPtqRows(dir);
  const fits = fitAll(rows);
  const report: FitReport = { created: new Date().toISOString(), sources, fits };
  writeJsonAtomic(join(out, 'fit.json'), report);
  writeFileAtomic(
    join(out, 'fit.csv'),
    toCsv(
      fits.map((f) => ({
        scope: f.scope,
        measure: f.measure,
        form: f.best.form,
        r2: f.best.r2,
        cv_r2: f.best.cvR2,
        points: f.points,
        equation: describeFit(f.best),
      })),
      ['scope', 'measure', 'form', 'r2', 'cv_r2', 'points', 'equation'],
    ),
  );
  for (const measure of MEASURES) {
    const perModel = fits.filter((f) => f.measure === measure && f.scope !== 'ALL');
    const series: Series[] = perModel.map((f) => {
      const pts = rows.filter((r) => `${r.model}/${r.dataset}` === f.scope);
      const xs = pts.map((r) => r[measure]);
      return {
        name: `${f.scope} (R² ${f.best.r2.toFixed(3)})`,
        points: pts.map((r) => ({ x: r[measure], y: r.acc_loss, label: r.format })),
        curve: curve(
          f.best,
          xs,
          xs.every((x) => x > 0),
        ),
      };
    });
    if (!series.length) continue;
    const logX = rows.every((r) => r[measure] > 0);
    await saveFigure(
      scatterWithCurves(`${measure} → acc_loss, per model`, measure, 'acc_loss', series, { logX }),
      join(out, `fit-${measure}-models`),
    );
    const overall = fits.find((f) => f.measure === measure && f.scope === 'ALL');
    if (overall) {
      const xs = rows.map((r) => r[measure]);
      const byModel: Series[] = [...new Set(rows.map((r) => `${r.model}/${r.dataset}`))].map((m) => ({
        name: m,
        points: rows
          .filter((r) => `${r.model}/${r.dataset}` === m)
          .map((r) => ({ x: r[measure], y: r.acc_loss, label: r.format })),
      }));
      byModel.push({
        name: `all: ${overall.best.form} (R² ${overall.best.r2.toFixed(3)})`,
        points: [],
        curve: curve(overall.best, xs, logX),
      });
      await saveFigure(
        scatterWithCurves(`${measure} → acc_loss, all models`, measure, 'acc_loss', byModel, { logX }),
        join(out, `fit-${measure}-all`),
      );
    }
  }
  return report;
}

export function formatFitTable(fits: FitEntry[]): string {
  const lines = ['measure            scope                      form    R²       held-out R²  n'];
  for (const f of fits) {
    lines.push(
      `${f.measure.padEnd(18)} ${f.scope.padEnd(26)} ${f.best.form.padEnd(7)} ${f.best.r2.toFixed(4).padStart(7)}  ${Number.isNaN(f.best.cvR2) ? '     -' : f.best.cvR2.toFixed(4).padStart(7)}     ${f.points}`,
    );
  }
  return lines.join('\n');
}
