// `compare`: figures found in a results folder next to the seed's published ones (../shared/seed/reference).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithSeed, formatCompare } from '../src/experiments/compare.js';
import { ourFormatName } from '../src/experiments/seed-csv.js';

const REFERENCE = join(process.cwd(), '../shared/seed/reference');

describe('compare with the seed', () => {
  it('pairs FP accuracy, per-format q_acc and js_flops, and fit R² with the seed reference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-compare-'));
    const run = join(dir, 'AlexNet-cifar10');
    mkdirSync(run);
    writeFileSync(join(run, 'result.json'), JSON.stringify({ model: 'AlexNet', dataset: 'cifar10', test_acc: 0.88 }));
    const row = { model: 'AlexNet', dataset: 'cifar10', format: 'INT8', protocol: 'seed', q_acc: 0.87, js_flops: 0.01 };
    const clean = { ...row, protocol: 'clean' }; // another protocol: left out
    const other = { ...row, model: 'VGG_demo', format: 'INT8' }; // not a seed model: left out
    writeFileSync(join(run, 'ptq.jsonl'), [row, other, clean].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const fit = { fits: [{ scope: 'AlexNet/cifar10', measure: 'js_flops', best: { r2: 0.97 } }] };
    writeFileSync(join(dir, 'fit.json'), JSON.stringify(fit));
    const rows = compareWithSeed(dir, REFERENCE);
    const byFigure = Object.fromEntries(rows.map((r) => [r.figure, r]));
    expect(rows.every((r) => r.model === 'AlexNet' && r.dataset === 'cifar10')).toBe(true);
    expect(byFigure.fp_acc).toMatchObject({ ours: 0.88, seed: 0.8863 });
    expect(byFigure['q_acc INT8'].seed).toBeCloseTo(0.8866, 6);
    expect(byFigure['js_flops INT8'].seed).toBeCloseTo(0.007852610824, 9);
    expect(byFigure.fit_r2).toMatchObject({ ours: 0.97, seed: 0.9819 });
    expect(formatCompare(rows)).toMatch(/AlexNet\s+cifar10\s+fp_acc\s+0\.8800\s+0\.8863\s+-0\.0063/);
  });

  it("maps the seed's format names onto ours", () => {
    expect(['INT_8', 'POT_4', 'FLOAT_6_E3'].map(ourFormatName)).toEqual(['INT8', 'POT4', 'FLOAT6_E3']);
  });

  it('a missing reference folder is named', () => {
    expect(() => compareWithSeed(tmpdir(), '/nonexistent/ref')).toThrow(/\/nonexistent\/ref\/ptq\.csv is missing/);
  });
});
