// `quantscope report`: rebuild a self-contained HTML report (figures embedded as PNG data URIs, tables
// inline) plus the PNG/SVG figures and CSV/JSON tables from a results folder. Everything it shows is read
// from files the other commands wrote, so the report can be rebuilt at any time (e.g. after a sweep).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { findFiles, readJsonl, writeFileAtomic } from '../platform/files.js';
import { compareWithSeed, SEED_REFERENCE_DIR } from './compare.js';
import { quirkFits, quirkRows } from './report-quirks.js';
import { runFit, formatFitTable, type FitReport } from './fit.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';
import { PTQ_COLUMNS, rowProtocol, toCsv, type PtqRow } from './ptq.js';
import { robustSection } from './report-robust.js';
import { assessSection } from './assess-report.js';
import type { AssessResult } from './assess.js';
import { esc, img, num, pct, table } from './html.js';

interface TrainRun {
  dir: string;
  result: Record<string, unknown>;
  metrics: Record<string, number>[];
}

export interface ReportExtras {
  title?: string;
  intro?: string;
  sections?: { title: string; html: string }[];
  /** the seed's reference folder (default ../shared/seed/reference); its figures get a comparison table */
  reference?: string;
}

export async function buildReport(
  resultsDir: string,
  outDir = join(resultsDir, 'report'),
  extras: ReportExtras = {},
): Promise<string> {
  const figs = join(outDir);
  mkdirSync(outDir, { recursive: true });
  const sections: string[] = [];
  // training
  const runs: TrainRun[] = findFiles(resultsDir, 'result.json')
    .map((f) => ({
      dir: dirname(f),
      result: JSON.parse(readFileSync(f, 'utf8')),
      metrics: readJsonl<Record<string, number>>(join(dirname(f), 'metrics.jsonl')),
    }))
    .filter((r) => r.result.train_acc !== undefined);
  if (runs.length) {
    const rows = runs.map((r) => [
      String(r.result.model),
      String(r.result.dataset),
      Number(r.result.params).toLocaleString('en-US'),
      String((r.result.config as Record<string, unknown>)?.subset ?? 'all'),
      String(r.result.epochs),
      pct(r.result.train_acc),
      pct(r.result.test_acc),
    ]);
    writeFileAtomic(
      join(outDir, 'training.csv'),
      toCsv(
        runs.map((r) => ({
          model: r.result.model,
          dataset: r.result.dataset,
          params: r.result.params,
          epochs: r.result.epochs,
          train_acc: r.result.train_acc,
          test_acc: r.result.test_acc,
        })),
        ['model', 'dataset', 'params', 'epochs', 'train_acc', 'test_acc'],
      ),
    );
    const series: Series[] = runs.map((r) => ({
      name: `${r.result.model}`,
      points: [],
      curve: r.metrics.map((m) => ({ x: m.epoch + 1, y: m.loss })),
    }));
    await saveFigure(
      scatterWithCurves('Training loss per epoch', 'epoch', 'loss', series),
      join(figs, 'training-loss'),
    );
    sections.push(
      `<h2>1. Full-precision ` +
        `training</h2>` +
        table(['model', 'dataset', 'params', 'train images', 'epochs', 'train acc', 'test acc'], rows) +
        img(join(figs, 'training-loss.png'), 'Training loss per epoch'),
    );
  }
  // PTQ
  const ptqFiles = findFiles(resultsDir, 'ptq.jsonl');
  const allPtq = ptqFiles.flatMap((f) => readJsonl<PtqRow>(f));
  // the main sections show one protocol (seed when present); the quirk section compares them
  const mainProtocol = allPtq.some((r) => r.protocol === 'seed') ? 'seed' : allPtq.length ? rowProtocol(allPtq[0]) : '';
  const ptq = allPtq.filter((r) => rowProtocol(r) === mainProtocol);
  if (ptq.length) {
    writeFileAtomic(join(outDir, 'ptq.csv'), toCsv(ptq as unknown as Record<string, unknown>[], PTQ_COLUMNS));
    const models = [...new Set(ptq.map((r) => r.model))];
    for (const m of models) {
      const rows = ptq.filter((r) => r.model === m);
      const fams = [...new Set(rows.map((r) => r.family))];
      const series: Series[] = fams.map((fam) => {
        const byBits = new Map<number, PtqRow>();
        // for FLOAT at a bit width, show the best exponent split
        for (const r of rows.filter((q) => q.family === fam)) {
          const b = byBits.get(r.bits);
          if (!b || r.q_acc > b.q_acc) byBits.set(r.bits, r);
        }
        const pts = [...byBits.values()].sort((a, b) => a.bits - b.bits);
        return {
          name: fam,
          points: pts.map((r) => ({ x: r.bits, y: r.q_acc, label: r.format })),
          curve: pts.map((r) => ({ x: r.bits, y: r.q_acc })),
        };
      });
      series.push({
        name: 'full precision',
        points: [],
        curve: [
          { x: Math.min(...rows.map((r) => r.bits)), y: rows[0].fp_acc },
          { x: Math.max(...rows.map((r) => r.bits)), y: rows[0].fp_acc },
        ],
      });
      await saveFigure(
        scatterWithCurves(`${m}: test accuracy after PTQ (best exponent split per width)`, 'bits', 'accuracy', series),
        join(figs, `ptq-${m}`),
      );
    }
    const head = ['model', 'format', 'bits', 'js_param', 'js_flops', 'js_hist_flops', 'q_acc', 'acc_loss'];
    sections.push(
      `<h2>2. Post-training quantization</h2><p>${ptq.length} quantized models from ${ptqFiles.length} ` +
        `sweep(s). js_* are the seed's JS-divergence similarities (softmax over input channels, KL sums), ` +
        `weighted by ` +
        `each layer's share of params / MACs; acc_loss = (fp_acc − q_acc) / fp_acc.</p>
${models.map((m) => img(join(figs, `ptq-${m}.png`), `${m}: accuracy vs bit width`)).join('')}
<details><summary>All ${ptq.length} rows</summary>${table(
          head,
          ptq.map((r) => [
            r.model,
            r.format,
            r.bits,
            num(r.js_param),
            num(r.js_flops),
            num(r.js_hist_flops),
            pct(r.q_acc),
            num(r.acc_loss),
          ]),
        )}</details>`,
    );
    // fits
    const report: FitReport = await runFit(resultsDir, outDir, { protocol: mainProtocol });
    const fitRows = report.fits.map((f) => [
      f.measure,
      f.scope,
      f.best.form,
      num(f.best.r2),
      num(f.best.cvR2),
      f.points,
    ]);
    const pooled = report.fits.filter((f) => f.measure === 'js_flops' && f.scope.startsWith('ALL/'));
    const datasets = pooled.map((f) => f.scope.slice(4));
    const allFigures = datasets
      .map(
        (d) =>
          img(join(figs, `fit-js_flops-all-${d}.png`), `js_flops → acc_loss, all models (${d})`) +
          img(join(figs, `fit-js_hist_flops-all-${d}.png`), `histogram JS (FLOPs-weighted) → acc_loss (${d})`),
      )
      .join('');
    sections.push(
      `<h2>3. Predicting accuracy loss from weight similarity</h2><p>Protocol ${esc(report.protocol)}. ` +
        `The seed's form is a rational function (p1·x² + p2·x + p3) / (q1·x² + q2·x + q3), fitted by nonlinear least ` +
        `squares from seeded starts; only fits that are non-decreasing over the data's range are eligible (also for ` +
        `the alternatives: polynomials of degree 1–4, a power law, a saturating exponential). R² is in sample, as ` +
        `the seed reports it; held-out R² is 5-fold. Pooled fits are per dataset.</p>
${img(join(figs, 'fit-js_flops-models.png'), 'js_flops → acc_loss, per model')}${allFigures}
${table(['measure', 'scope', 'chosen form', 'R²', 'held-out R²', 'points'], fitRows)}
<pre>${esc(formatFitTable(report.fits))}</pre>`,
    );
  }
  const quirks = quirkRows(allPtq);
  if (quirks.length) {
    const d = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}`);
    const fits = quirkFits(allPtq);
    sections.push(
      `<h2>2b. What the seed's PTQ quirks change</h2><p>The same models swept under protocol seed, with one quirk ` +
        `fixed at a time, and clean (both fixed). Columns: q_acc under seed, then q_acc(seed) − q_acc(variant) in ` +
        `accuracy points: positive means the quirk helps. The add quirk calibrates each residual sum and concat on ` +
        `its last operand (then POT/FLOAT saturate there); the INT quirk rounds INT without clamping.</p>` +
        table(
          ['model', 'format', 'q_acc (seed)', 'add/concat range', 'INT unclamped', 'both (clean)'],
          quirks.map((r) => [r.model, r.format, pct(r.seed), d(r.addQuirk), d(r.intQuirk), d(r.both)]),
        ) +
        `<p>In-sample R² of the rational js_flops → acc_loss fit per protocol:</p>` +
        table(
          ['model', 'protocol', 'R²', 'points'],
          fits.map((f) => [f.model, f.protocol, num(f.r2), f.points]),
        ),
    );
  }
  // robustness
  const reference = extras.reference ?? SEED_REFERENCE_DIR;
  const robust = await robustSection(resultsDir, outDir, reference);
  if (robust) sections.push(robust);
  // data-free assessments (quantscope assess), with predicted against measured where they were validated
  for (const f of findFiles(resultsDir, 'assess.json')) {
    const r = JSON.parse(readFileSync(f, 'utf8')) as AssessResult;
    sections.push(`<h2>5. ${esc(r.model)} assessed without data</h2>${assessSection(r)}`);
  }
  const seedRows = existsSync(join(reference, 'ptq.csv')) ? compareWithSeed(resultsDir, reference) : [];
  if (seedRows.length)
    sections.push(
      `<h2>Compared with the seed</h2><p>Every figure of the seed's nine models found here next to the seed's own ` +
        `(its result files, <code>${esc(reference)}</code>); accuracies as fractions.</p>` +
        table(
          ['model', 'dataset', 'figure', 'ours', 'seed', 'ours − seed'],
          seedRows.map((r) => [r.model, r.dataset, r.figure, num(r.ours), num(r.seed), num(r.ours - r.seed)]),
        ),
    );
  for (const s of extras.sections ?? []) sections.push(`<h2>${esc(s.title)}</h2>${s.html}`);
  const html =
    `<!doctype html><html lang="en"><head><meta ` +
    `charset="utf-8"><title>${esc(extras.title ?? 'quantscope report')}</title>
<style>body{font-family:system-ui,DejaVu Sans,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.8em}</style></head>
<body><h1>${esc(extras.title ?? 'quantscope report')}</h1><p>${extras.intro ?? ''}</p>
<p>Built ${new Date().toISOString()} from <code>${esc(relative(process.cwd(), resultsDir) || '.')}</code>.</p>
${sections.join('\n')}</body></html>`;
  const path = join(outDir, 'index.html');
  writeFileAtomic(path, html);
  return path;
}
