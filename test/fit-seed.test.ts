// The seed's fits: rational 2/2 by nonlinear least squares from seeded starts, accepted only when
// non-decreasing; reproduced on the seed's own points (../shared/seed/reference/ptq.csv) against the R² its
// README reports, per model and pooled per dataset.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitAll, fitRows, loadPtqRows, protocolOf } from '../src/experiments/fit.js';
import { readSeedPtqCsv } from '../src/experiments/seed-csv.js';
import { SEED_FIT_R2 } from '../src/experiments/compare.js';
import { fitForm, isMonotoneFit, predictFit } from '../src/quant/fit.js';
import { fitRational, isMonotone, rationalValue } from '../src/quant/rational.js';

const PTQ_CSV = join(process.cwd(), '../shared/seed/reference/ptq.csv');
const xs = Array.from({ length: 30 }, (_, i) => 0.05 + (i * i) / 40);

describe('rational fits', () => {
  it('recover a monotone rational function exactly', () => {
    const truth = (x: number) => (0.01 + 0.8 * x * x) / (1 + 0.3 * x + 0.9 * x * x);
    const f = fitRational(xs, xs.map(truth));
    expect(f).not.toBeNull();
    for (const x of [xs[0], 3, xs[29]]) expect(rationalValue(f as NonNullable<typeof f>, x)).toBeCloseTo(truth(x), 6);
  });

  it('a rise-then-fall cloud gets the best NON-decreasing curve, not the humped least-squares optimum', () => {
    const hump = xs.map((x) => 0.9 * (x / 6) * Math.exp(1 - x / 6)); // peaks at x = 6, falls after
    const poly = fitForm('poly2', xs, hump);
    expect(poly?.monotone).toBe(false); // the unconstrained quadratic follows the fall
    const f = fitForm('rat22', xs, hump);
    expect(f?.monotone).toBe(true);
    expect(isMonotoneFit(f as NonNullable<typeof f>, xs)).toBe(true);
    const lo = predictFit(f as NonNullable<typeof f>, 6),
      hi = predictFit(f as NonNullable<typeof f>, xs[29]);
    expect(hi).toBeGreaterThanOrEqual(lo - 1e-9);
    expect(f?.r2).toBeGreaterThan(0.5);
  });

  it('the monotone test rejects a falling curve and a pole inside the range', () => {
    const falling = { degree: 2, params: [1, -0.5, 0, 0, 0], xScale: 1, sse: 0 }; // 1 - 0.5 u
    expect(isMonotone(falling, 0, 1)).toBe(false);
    const pole = { degree: 2, params: [1, 0, 0, -2, 0], xScale: 1, sse: 0 }; // 1 / (1 - 2u): pole at u = 0.5
    expect(isMonotone(pole, 0, 1)).toBe(false);
    expect(isMonotone({ ...pole, params: [0, 1, 0, 0, 0] }, 0, 1)).toBe(true);
  });
});

describe("the seed's own points (reference/ptq.csv)", () => {
  const rows = readSeedPtqCsv(PTQ_CSV);

  it('reads 774 rows of protocol seed with our format names', () => {
    expect(rows.length).toBe(774);
    expect(new Set(rows.map((r) => r.protocol))).toEqual(new Set(['seed']));
    expect(rows.filter((r) => r.format === 'FLOAT6_E3').length).toBe(18);
  });

  it("reproduces the README's R²: per model within 0.015 (16 of 18), pooled within 0.02, all monotone", () => {
    const fits = fitRows(fitAll(rows, { measures: ['js_flops'] }));
    const pooled = fits.filter((f) => f.model === 'ALL');
    expect(pooled.map((f) => f.points)).toEqual([387, 387]);
    for (const f of pooled) expect(Math.abs(f.r2 - SEED_FIT_R2[`ALL/${f.dataset}`]), f.dataset).toBeLessThan(0.02);
    const perModel = fits.filter((f) => f.model !== 'ALL');
    expect(perModel.length).toBe(18);
    const close = perModel.filter((f) => Math.abs(f.r2 - SEED_FIT_R2[`${f.model}/${f.dataset}`]) <= 0.015);
    expect(close.length).toBeGreaterThanOrEqual(16);
    expect(fits.every((f) => f.form === 'rat22' && f.monotone)).toBe(true);
    // a polynomial cannot: the example, MobileNetV2 on CIFAR-10
    const mnv2 = rows.filter((r) => r.model === 'MobileNetV2' && r.dataset === 'cifar10');
    const poly4 = fitForm(
      'poly4',
      mnv2.map((r) => r.js_flops),
      mnv2.map((r) => r.acc_loss),
    );
    expect(poly4?.r2).toBeLessThan(0.85);
  }, 120_000);
});

describe('protocols and bad input', () => {
  it('refuses to fit rows of different protocols together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-fit-proto-'));
    for (const [name, protocol] of [
      ['a', 'seed'],
      ['b', 'clean'],
    ]) {
      mkdirSync(join(dir, name));
      const row = { model: 'M', dataset: 'cifar10', format: 'INT8', protocol, js_flops: 0.1, acc_loss: 0.01 };
      writeFileSync(join(dir, name, 'ptq.jsonl'), `${JSON.stringify(row)}\n`);
    }
    const { rows, sources } = loadPtqRows(dir);
    expect(() => protocolOf(rows, sources)).toThrow(/mix protocols seed, clean/);
  });

  it('a CSV without the columns, or with a non-number, is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-fit-csv-'));
    writeFileSync(join(dir, 'x.csv'), 'a,b\n1,2\n');
    expect(() => readSeedPtqCsv(join(dir, 'x.csv'))).toThrow(/x\.csv has no "dataset" column/);
    writeFileSync(join(dir, 'y.csv'), 'dataset,model,format,js_flops,acc_loss\ncifar10,M,INT_8,abc,0.1\n');
    expect(() => readSeedPtqCsv(join(dir, 'y.csv'))).toThrow(/y\.csv line 2: js_flops or acc_loss is not a number/);
  });
});
