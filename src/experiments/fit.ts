// `quantscope fit`: js_flops (and variants) -> acc_loss fits per model and over all models of each dataset
// (the seed pools per dataset: 387 points each for its 9 models x 43 formats), from every ptq.jsonl under a
// results folder or from one CSV in the seed's ptq.csv layout (../shared/seed/reference/ptq.csv). Rows of
// different protocols are never mixed in one fit. Writes fit.json (all fits, the chosen one first), fit.csv and
// figures (PNG + SVG): per measure, the scatter of all models with each model's chosen curve, and the
// overall fit.
import { join } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describeFit, FIT_FORMS, predictFit, selectFit, type Fit, type FitForm } from '../quant/fit.js';
import { findFiles, readJsonl, writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';
import { rowProtocol, toCsv, type PtqRow } from './ptq.js';
import { readSeedPtqCsv } from './seed-csv.js';

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
  /** the protocol of every row fitted (rows of different protocols are never mixed) */
  protocol: string;
  fits: FitEntry[];
}

/** The form a fit prefers when it is monotone: the seed's rational 2/2 unless asked otherwise. */
export interface FitOptions {
  form?: FitForm | 'auto';
  /** which similarity measures to fit (default: all of MEASURES the rows carry) */
  measures?: readonly Measure[];
  /** fit only the rows of this protocol (results holding several protocols need it) */
  protocol?: string;
}

export function loadPtqRows(results: string): { rows: PtqRow[]; sources: string[] } {
  if (!existsSync(results)) throw new Error(`fit: ${results} does not exist`);
  if (statSync(results).isFile()) return { rows: readSeedPtqCsv(results), sources: [results] };
  const sources = findFiles(results, 'ptq.jsonl');
  if (!sources.length) throw new Error(`fit: no ptq.jsonl under ${results} (run \`quantscope ptq\` first)`);
  return { rows: sources.flatMap((s) => readJsonl<PtqRow>(s)), sources };
}

/** The one protocol of a set of rows (rows written before protocols existed count as "unrecorded"). */
export function protocolOf(rows: PtqRow[], sources: string[]): string {
  const seen = [...new Set(rows.map(rowProtocol))];
  if (seen.length > 1)
    throw new Error(
      `fit: the results mix protocols ${seen.join(', ')} (${sources.join(', ')}); fit one at a time (--protocol NAME)`,
    );
  return seen[0] ?? 'unrecorded';
}

function fitScope(scope: string, rows: PtqRow[], measure: Measure, o: FitOptions): FitEntry | null {
  const pts = rows.filter((r) => Number.isFinite(r[measure]) && Number.isFinite(r.acc_loss));
  const preferred = o.form && o.form !== 'auto' ? o.form : 'rat22';
  const forms = FIT_FORMS.includes(preferred) ? FIT_FORMS : [preferred, ...FIT_FORMS];
  const all = selectFit(
    pts.map((r) => r[measure]),
    pts.map((r) => r.acc_loss),
    forms,
    5,
    o.form === 'auto' ? undefined : preferred,
  );
  if (!all.length) return null;
  return { scope, measure, best: all[0], alternatives: all.slice(1), points: pts.length };
}

/** Per model/dataset and pooled per dataset (scope "ALL/<dataset>"), for every measure the rows carry. */
export function fitAll(rows: PtqRow[], o: FitOptions = {}): FitEntry[] {
  const models = [...new Set(rows.map((r) => `${r.model}/${r.dataset}`))].sort();
  const datasets = [...new Set(rows.map((r) => r.dataset))].sort();
  const fits: FitEntry[] = [];
  for (const measure of o.measures ?? MEASURES) {
    for (const m of models) {
      const e = fitScope(
        m,
        rows.filter((r) => `${r.model}/${r.dataset}` === m),
        measure,
        o,
      );
      if (e) fits.push(e);
    }
    for (const d of datasets) {
      const overall = fitScope(
        `ALL/${d}`,
        rows.filter((r) => r.dataset === d),
        measure,
        o,
      );
      if (overall) fits.push(overall);
    }
  }
  return fits;
}

/** One JSON row per fit: what `fit --json` prints (and ../shared/tools/seed-check reads). */
export function fitRows(fits: FitEntry[]) {
  return fits.map((f) => {
    const [model, dataset] = f.scope.split('/');
    return {
      dataset,
      model,
      measure: f.measure,
      form: f.best.form,
      r2: f.best.r2,
      cv_r2: Number.isNaN(f.best.cvR2) ? null : f.best.cvR2,
      monotone: f.best.monotone === true,
      points: f.points,
      equation: describeFit(f.best),
    };
  });
}

/** "R² 0.972, held-out 0.920" for a figure legend. */
const r2Label = (f: Fit) => `R² ${f.r2.toFixed(3)}, held-out ${Number.isNaN(f.cvR2) ? '–' : f.cvR2.toFixed(3)}`;

function curve(f: Fit, xs: number[], log: boolean): { x: number; y: number }[] {
  const lo = Math.min(...xs),
    hi = Math.max(...xs);
  return Array.from({ length: 80 }, (_, i) => {
    const t = i / 79;
    const x = log && lo > 0 ? lo * (hi / lo) ** t : lo + (hi - lo) * t;
    return { x, y: predictFit(f, x) };
  });
}

export async function runFit(dir: string, out = dir, o: FitOptions = {}): Promise<FitReport> {
  const loaded = loadPtqRows(dir);
  const rows = o.protocol ? loaded.rows.filter((r) => rowProtocol(r) === o.protocol) : loaded.rows;
  if (!rows.length) throw new Error(`fit: no rows of protocol "${o.protocol}" in ${dir}`);
  const sources = loaded.sources;
  const protocol = protocolOf(rows, sources);
  const fits = fitAll(rows, o);
  const report: FitReport = { created: new Date().toISOString(), sources, protocol, fits };
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
        monotone: f.best.monotone === true,
        points: f.points,
        equation: describeFit(f.best),
      })),
      ['scope', 'measure', 'form', 'r2', 'cv_r2', 'monotone', 'points', 'equation'],
    ),
  );
  for (const measure of MEASURES) {
    const perModel = fits.filter((f) => f.measure === measure && !f.scope.startsWith('ALL/'));
    const series: Series[] = perModel.map((f) => {
      const pts = rows.filter((r) => `${r.model}/${r.dataset}` === f.scope);
      const xs = pts.map((r) => r[measure]);
      return {
        name: `${f.scope} (${r2Label(f.best)})`,
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
    for (const overall of fits.filter((f) => f.measure === measure && f.scope.startsWith('ALL/'))) {
      const dataset = overall.scope.slice(4);
      const inSet = rows.filter((r) => r.dataset === dataset);
      const xs = inSet.map((r) => r[measure]);
      const byModel: Series[] = [...new Set(inSet.map((r) => `${r.model}/${r.dataset}`))].map((m) => ({
        name: m,
        points: inSet
          .filter((r) => `${r.model}/${r.dataset}` === m)
          .map((r) => ({ x: r[measure], y: r.acc_loss, label: r.format })),
      }));
      byModel.push({
        name: `all: ${overall.best.form} (${r2Label(overall.best)})`,
        points: [],
        curve: curve(overall.best, xs, logX),
      });
      await saveFigure(
        scatterWithCurves(`${measure} → acc_loss, all models (${dataset})`, measure, 'acc_loss', byModel, { logX }),
        join(out, `fit-${measure}-all-${dataset}`),
      );
    }
  }
  return report;
}

export function formatFitTable(fits: FitEntry[]): string {
  const lines = ['measure            scope                      form    R²       held-out R²  n'];
  for (const f of fits) {
    lines.push(
      `${f.measure.padEnd(18)} ${f.scope.padEnd(26)} ${f.best.form.padEnd(7)} ${f.best.r2.toFixed(4).padStart(7)}  ` +
        `${Number.isNaN(f.best.cvR2) ? '     -' : f.best.cvR2.toFixed(4).padStart(7)}     ${f.points}`,
    );
  }
  return lines.join('\n');
}

/** Read a fit.json written by `quantscope fit`; a missing, malformed or foreign file fails naming the file. */
export function readFitReport(path: string, cmd: string): FitReport {
  if (!existsSync(path)) throw new Error(`${cmd}: fit file not found: ${path}`);
  let report: FitReport;
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as FitReport;
  } catch (e) {
    throw new Error(
      `${cmd}: ${path} is not valid JSON (${(e as Error).message}); expected a fit.json from \`quantscope fit\``,
    );
  }
  if (!report || !Array.isArray(report.fits))
    throw new Error(`${cmd}: ${path} has no "fits" list; expected a fit.json from \`quantscope fit\``);
  return report;
}
