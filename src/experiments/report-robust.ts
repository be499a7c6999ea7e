// Report section 4: data-free robustness. Robust rows from every robust.jsonl under the results, relative
// accuracies (robust.csv), the pooled fits next to the seed's, PCA pictures, image grids and adjust rounds.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { findFiles, readJsonl, writeFileAtomic } from '../platform/files.js';
import { toCsv } from './ptq.js';
import { RELATIVE_COLUMNS, robustFits, withRelative, type RobustRow } from './robust.js';
import { fitRobust, readSeedRobustCsv, type RobustFitRow } from './robust-fit.js';
import { esc, img, num, pct, table } from './html.js';

/** The section's HTML, or null when no robustness results are there. */
export async function robustSection(resultsDir: string, outDir: string, reference: string): Promise<string | null> {
  const robustFiles = findFiles(resultsDir, 'robust.jsonl');
  if (!robustFiles.length) return null;
  {
    const rows = robustFiles.flatMap((f) => readJsonl<RobustRow>(f));
    const rel = withRelative(rows);
    writeFileAtomic(join(outDir, 'robust.csv'), toCsv(rel as unknown as Record<string, unknown>[], RELATIVE_COLUMNS));
    const fits = await robustFits(rows, outDir, 'all models');
    const pictures: string[] = [];
    for (const f of robustFiles) {
      const dir = dirname(f);
      const tag = relative(resultsDir, dir).replace(/[\\/]/g, '_');
      for (const name of ['pca-test', 'pca-trained', 'pca-adjusted']) {
        if (!existsSync(join(dir, `${name}.png`))) continue;
        copyFileSync(join(dir, `${name}.png`), join(outDir, `${tag}-${name}.png`));
        copyFileSync(join(dir, `${name}.svg`), join(outDir, `${tag}-${name}.svg`));
        pictures.push(img(join(outDir, `${tag}-${name}.png`), `${tag}: PCA of penultimate features, ${name.slice(4)}`));
      }
      if (existsSync(join(dir, 'adversarial-grid.png'))) {
        copyFileSync(join(dir, 'adversarial-grid.png'), join(outDir, `${tag}-adversarial-grid.png`));
        pictures.push(
          `<figure><img alt="clean vs adversarial" ` +
            `src="data:image/png;base64,${readFileSync(join(dir, 'adversarial-grid.png')).toString('base64')}">` +
            `<figcaption>${esc(tag)}: rows per data set — clean, PGD-perturbed, perturbation amplified ` +
            '(test set first, then fake)</figcaption></figure>',
        );
      }
      const adj = join(dir, 'adjust.jsonl');
      if (existsSync(adj)) {
        const rounds = readJsonl<Record<string, number | string>>(adj);
        pictures.push(
          `<details><summary>${esc(tag)}: ${rounds.length} adjust rounds</summary>${table(
            [
              'round',
              'fake clean',
              'fake PGD',
              'real clean',
              'real PGD',
              'clean diff (pp)',
              'PGD diff (pp)',
              'decision',
            ],
            rounds.map((r) => [
              r.round,
              pct(r.fake_clean),
              pct(r.fake_pgd),
              pct(r.real_clean),
              pct(r.real_pgd),
              num(r.org_diff, 2),
              num(r.pgd_diff, 2),
              String(r.decision),
            ]),
          )}</details>`,
        );
      }
    }
    const spaces = [...new Set(rows.map((r) => r.attack_space ?? 'pixel'))].join(' and ');
    const seedFits = robustSeedFits(reference);
    return (
      `<h2>4. Data-free robustness</h2><p>Clean / FGSM / PGD accuracy (L∞ eps 8/255 unless stated; ` +
      `attacks in ${esc(spaces)} space) of the full-precision and quantized models on generated (fake) data and on ` +
      `the real test set. Relative accuracy = quantized ÷ full precision on the same data. If fake-relative ` +
      `accuracy tracks test-relative accuracy, the generator predicts the robustness cost of quantization ` +
      `without the data.</p>
<p>Attack space: the seed attacks the <em>normalised</em> tensors with a [0, 1] clip (advertorch's
clip_min/clip_max), so most input values are clipped before any perturbation; the "clamp" column is the accuracy
after that clip alone. Protocol <code>clean</code> attacks pixels instead, where [0, 1] is the real image box.</p>
${
  seedFits.length
    ? `<p>The seed's pooled fits (reference/robust.csv; 6 models × 43 formats):</p>${table(
        ['dataset', 'fake set', 'metric', 'R²', 'slope', 'points'],
        seedFits.map((f) => [f.dataset, f.fake_set, f.metric, num(f.r2), num(f.slope), f.points]),
      )}`
    : ''
}
${img(join(outDir, 'robust-fit-clean.png'), 'clean accuracy: fake-relative vs test-relative')}
${img(join(outDir, 'robust-fit-pgd.png'), 'PGD accuracy: fake-relative vs test-relative')}
${table(
  ['dataset', 'fake set', 'metric', 'R²', 'slope', 'intercept', 'points', 'models'],
  fits.map((f) => [
    f.dataset,
    f.fake_set,
    f.metric,
    num(f.r2),
    num(f.slope),
    num(f.intercept),
    f.points,
    f.models.join(', '),
  ]),
)}
${table(
  ['model', 'format', 'data', 'space', 'clean', 'clamp', 'FGSM', 'PGD', 'rel clean', 'rel PGD'],
  rel.map((r) => [
    r.model,
    r.format,
    r.data,
    r.attack_space ?? 'pixel',
    pct(r.clean),
    r.clamp === undefined ? '–' : pct(r.clamp),
    pct(r.fgsm),
    pct(r.pgd),
    num(r.rel_clean, 3),
    num(r.rel_pgd, 3),
  ]),
)}
${pictures.join('\n')}`
    );
  }
}

/** The seed's own pooled robust fits (clean and PGD, from its reference robust.csv), when it is present. */
function robustSeedFits(reference: string): RobustFitRow[] {
  const path = join(reference, 'robust.csv');
  if (!existsSync(path)) return [];
  return fitRobust(readSeedRobustCsv(path)).filter((f) => f.metric !== 'fgsm');
}
