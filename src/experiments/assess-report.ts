// The assess report: formats ranked by bits, predicted loss and predicted robustness, the recommended ones
// marked, and (with --validate) predicted against measured; assess.json holds the same numbers.
import { join } from 'node:path';
import { writeFileAtomic } from '../platform/files.js';
import type { AssessResult } from './assess.js';
import { esc, img, num, pct, table } from './html.js';
import { rankFormats } from './rank.js';
import { saveFigure, scatterWithCurves, type Series } from './plot.js';

export async function writeAssessReport(r: AssessResult, out: string): Promise<void> {
  const families = [...new Set(r.rows.map((x) => x.family))];
  const series: Series[] = families.map((family) => ({
    name: family,
    points: r.rows
      .filter((x) => x.family === family)
      .map((x) => ({ x: x.bits, y: x.predicted_loss ?? x.js_flops, label: x.format })),
  }));
  const hasFit = r.rows.some((x) => x.predicted_loss !== null);
  if (series.length)
    await saveFigure(
      scatterWithCurves(
        `${r.model}: ${hasFit ? 'predicted acc_loss' : 'js_flops'} by format (no data used)`,
        'bits',
        hasFit ? 'predicted acc_loss' : 'js_flops',
        series,
      ),
      join(out, 'assess-loss'),
    );
  const rec = new Set(r.recommended);
  const v = r.validation;
  const ranked = rankFormats(r.rows);
  const html = `<!doctype html><meta charset="utf-8"><title>quantscope assess: ${esc(r.model)}</title>
<style>body{font:14px system-ui;margin:2em;max-width:1100px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}tr.rec{background:#e6f4ea}</style>
<h1>${esc(r.model)} (${esc(r.dataset)}): quantization assessed without data</h1>
<p>Checkpoint <code>${esc(r.checkpoint)}</code>; fake set <code>${esc(r.fake_set)}</code>. Full precision on the fake
set: clean ${pct(r.fp.fake_clean)}, PGD ${pct(r.fp.fake_pgd)} (the seed's normalised-space attack).
${r.fit ? `Predicted acc_loss from the fit in <code>${esc(r.fit)}</code>.` : 'No fit given (--fit): js_flops only.'}
Recommended (fewest bits per family with predicted loss ≤ ${pct(r.max_loss)}):
<b>${esc(r.recommended.join(', ') || 'none')}</b>.</p>
${img(join(out, 'assess-loss.png'), 'predicted loss by format')}
${
  v
    ? `<h2>Predicted against measured (real test set)</h2><p>Mean absolute error of acc_loss ${num(v.mae)}; ` +
      `interval coverage ${pct(v.coverage)} over ${v.points} formats; every recommended format met the bound on the ` +
      `test set: ${v.recommended_met ? 'yes' : 'no'}. Full precision on the test set: clean ` +
      `${pct(r.fp.test_clean)}, PGD ${pct(r.fp.test_pgd)}.</p>`
    : ''
}
<h2>Formats</h2>
<table><thead><tr>${headings(Boolean(v))}</tr></thead><tbody>
${ranked
  .map(
    (x) =>
      `<tr class="${rec.has(x.format) ? 'rec' : ''}">${[
        x.format + (rec.has(x.format) ? ' ✓' : ''),
        x.bits,
        num(x.js_flops),
        num(x.predicted_loss),
        x.predicted_lo === null ? '–' : `${num(x.predicted_lo)} … ${num(x.predicted_hi)}`,
        pct(x.fake_clean),
        pct(x.fake_pgd),
        num(x.rel_fake_pgd, 3),
        num(x.predicted_rel_pgd, 3),
        ...(v ? [num(x.measured_loss), num(x.rel_test_pgd, 3)] : []),
      ]
        .map((c) => `<td>${esc(c)}</td>`)
        .join('')}</tr>`,
  )
  .join('\n')}
</tbody></table>`;
  writeFileAtomic(join(out, 'index.html'), html);
}

/** The predicted-against-measured table for a report section (the demo's validation of assess). */
export function assessSection(r: AssessResult): string {
  const v = r.validation;
  const head = v
    ? `<p>Without data: a generator, a fake set, PTQ calibrated on it, acc_loss predicted from js_flops with a fit ` +
      `made on the other demo models. Then the same quantized models on the real test set. Mean absolute ` +
      `error of acc_loss <b>${num(v.mae)}</b>; interval coverage <b>${pct(v.coverage)}</b> over ${v.points} formats; ` +
      `recommended under ${pct(r.max_loss)} loss: ${esc(r.recommended.join(', ') || 'none')}, and all of them met ` +
      `it on the test set: <b>${v.recommended_met ? 'yes' : 'no'}</b>.</p>`
    : '';
  const rows = r.rows.map((x) => [
    x.format,
    num(x.js_flops),
    num(x.predicted_loss),
    x.predicted_lo === null ? '–' : `${num(x.predicted_lo)} … ${num(x.predicted_hi)}`,
    num(x.measured_loss),
    num(x.rel_fake_pgd, 3),
    num(x.rel_test_pgd, 3),
  ]);
  return (
    head +
    table(
      [
        'format',
        'js_flops (fake-calibrated)',
        'predicted acc_loss',
        'band',
        'measured acc_loss',
        'rel PGD fake',
        'rel PGD test',
      ],
      rows,
    )
  );
}

function headings(validated: boolean): string {
  const names = ['format', 'bits', 'js_flops', 'predicted acc_loss', 'band', 'fake clean', 'fake PGD'];
  names.push('rel fake PGD', 'predicted rel PGD', ...(validated ? ['measured acc_loss', 'rel test PGD'] : []));
  return names.map((h) => `<th>${esc(h)}</th>`).join('');
}
