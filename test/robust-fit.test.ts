// robust-fit: test-relative on fake-relative accuracy, straight lines pooled per dataset and fake set; on the
// seed's own numbers (../shared/seed/reference/robust.csv) it gives exactly the R² of the seed's figures.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitRobust, pointsFromRows, readSeedRobustCsv } from '../src/experiments/robust-fit.js';
import type { RobustRow } from '../src/experiments/robust.js';

const CSV = join(process.cwd(), '../shared/seed/reference/robust.csv');

describe('robust-fit', () => {
  it("reproduces the seed's pooled R² (6 models x 43 formats, adjusted fake sets)", () => {
    const rows = fitRobust(readSeedRobustCsv(CSV)).filter((r) => r.fake_set === 'adjusted');
    const r2 = Object.fromEntries(rows.map((r) => [`${r.dataset} ${r.metric}`, r.r2]));
    expect(r2['cifar10 clean']).toBeCloseTo(0.9145, 3);
    expect(r2['cifar10 pgd']).toBeCloseTo(0.771, 3);
    expect(r2['cifar100 clean']).toBeCloseTo(0.9481, 3);
    expect(r2['cifar100 pgd']).toBeCloseTo(0.5586, 3);
    expect(rows.every((r) => r.points === 258 && r.models.length === 6)).toBe(true);
  });

  it('pairs our robust.jsonl test rows with each fake kind and divides by the full-precision row', () => {
    const row = (data: string, format: string, acc: number): RobustRow => ({
      model: 'M',
      dataset: 'cifar10',
      format,
      bits: 8,
      data,
      clean: acc,
      fgsm: acc / 2,
      pgd: acc / 4,
      count: 10,
    });
    const rows = ['test', 'fake'].flatMap((d) =>
      [
        ['fp32', 0.8],
        ['INT8', 0.78],
        ['INT4', 0.5],
        ['INT2', 0.1],
      ].map(([f, a]) => row(d, f as string, (a as number) * (d === 'fake' ? 1.1 : 1))),
    );
    const pts = pointsFromRows(rows);
    expect(pts.length).toBe(4);
    expect(pts.find((p) => p.format === 'Full')?.fakeSet).toBe('trained');
    const [clean] = fitRobust(pts, null);
    expect(clean).toMatchObject({ dataset: 'cifar10', fake_set: 'trained', metric: 'clean', points: 3 });
    expect(clean.r2).toBeCloseTo(1, 9); // fake = 1.1 x test everywhere: relative accuracies agree exactly
    expect(clean.slope).toBeCloseTo(1, 9);
  });

  it('a CSV without the columns, or with a non-number, is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-rfit-'));
    writeFileSync(join(dir, 'a.csv'), 'dataset,model\ncifar10,M\n');
    expect(() => readSeedRobustCsv(join(dir, 'a.csv'))).toThrow(/a\.csv has no "fake_set" column/);
    const head = 'dataset,model,fake_set,format,test_clean,fake_clean,test_fgsm,fake_fgsm,test_pgd,fake_pgd';
    writeFileSync(join(dir, 'b.csv'), `${head}\ncifar10,M,trained,Full,90,x,1,1,1,1\n`);
    expect(() => readSeedRobustCsv(join(dir, 'b.csv'))).toThrow(/b\.csv line 2: fake_clean is not a number/);
  });
});
