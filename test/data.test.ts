// CIFAR loaders on hand-made tiny files in both official layouts, corrupt-file errors, batching.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { epochBatches, epochOrder, makeBatch } from '../src/data/batches.js';
import { loadCifar, verifyChecksums } from '../src/data/cifar.js';
import { createHash } from 'node:crypto';

/** Records with label bytes then 3072 pixels whose value encodes (record, channel). */
function records(n: number, labels: (i: number) => number[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(3072);
    for (let c = 0; c < 3; c++) px.fill((i * 10 + c * 3) % 256, c * 1024, (c + 1) * 1024);
    px[5] = 200; // a marker pixel in the R plane, row 0, column 5
    parts.push(Buffer.concat([Buffer.from(labels(i)), px]));
  }
  return Buffer.concat(parts);
}

function cifar10Dir(n = 3): string {
  const root = mkdtempSync(join(tmpdir(), 'qs-c10-'));
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir);
  for (let b = 1; b <= 5; b++)
    writeFileSync(
      join(dir, `data_batch_${b}.bin`),
      records(n, (i) => [(b + i) % 10]),
    );
  writeFileSync(
    join(dir, 'test_batch.bin'),
    records(n, (i) => [i % 10]),
  );
  return root;
}

describe('CIFAR-10 binary layout', () => {
  it('reads all five training files in order with labels and CHW pixels', () => {
    const set = loadCifar('cifar10', 'train', { dataDir: cifar10Dir() });
    expect(set.count).toBe(15);
    expect(set.classes).toBe(10);
    expect([...set.labels.slice(0, 4)]).toEqual([1, 2, 3, 2]);
    expect(set.images[3072 + 1024]).toBe(13); // record 1, G plane
    expect(set.images[5]).toBe(200);
  });

  it('names the file when one is truncated', () => {
    const root = cifar10Dir();
    writeFileSync(join(root, 'cifar-10-batches-bin', 'data_batch_3.bin'), records(2, () => [1]).subarray(0, 5000));
    expect(() => loadCifar('cifar10', 'train', { dataDir: root })).toThrow(
      /data_batch_3\.bin: 5000 bytes is not a whole number of 3073-byte records/,
    );
  });

  it('rejects out-of-range labels, missing files and missing folders', () => {
    const root = cifar10Dir();
    writeFileSync(
      join(root, 'cifar-10-batches-bin', 'test_batch.bin'),
      records(2, () => [12]),
    );
    expect(() => loadCifar('cifar10', 'test', { dataDir: root })).toThrow(/record 0 has label 12, outside 0..9/);
    expect(() => loadCifar('cifar10', 'train', { dataDir: '/nonexistent-qs' })).toThrow(/data folder not found/);
    const r2 = cifar10Dir();
    writeFileSync(join(r2, 'cifar-10-batches-bin', 'data_batch_5.bin.bak'), '');
    expect(() => loadCifar('cifar100', 'train', { dataDir: r2 })).toThrow(/cifar-100-binary/);
  });

  it('verifies SHA256SUMS when asked', () => {
    const root = cifar10Dir();
    const dir = join(root, 'cifar-10-batches-bin');
    const bytes = records(3, (i) => [i % 10]);
    const good = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'test_batch.bin'), bytes);
    writeFileSync(join(dir, 'SHA256SUMS'), `${good}  test_batch.bin\n`);
    expect(() => verifyChecksums(dir)).not.toThrow();
    writeFileSync(
      join(dir, 'test_batch.bin'),
      Buffer.concat([bytes.subarray(0, 10), Buffer.from([bytes[10] ^ 1]), bytes.subarray(11)]),
    );
    expect(() => loadCifar('cifar10', 'test', { dataDir: root, verify: true })).toThrow(
      /test_batch\.bin: SHA-256 .* corrupt/,
    );
  });
});

describe('CIFAR-100 binary layout', () => {
  function cifar100Dir(): string {
    const root = mkdtempSync(join(tmpdir(), 'qs-c100-'));
    const dir = join(root, 'cifar-100-binary');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'train.bin'),
      records(4, (i) => [i % 20, 90 + i]),
    );
    writeFileSync(
      join(dir, 'test.bin'),
      records(2, (i) => [19 - i, 42 + i]),
    );
    return root;
  }
  it('uses the fine label by default and the coarse one on request', () => {
    const root = cifar100Dir();
    const fine = loadCifar('cifar100', 'train', { dataDir: root });
    expect(fine.classes).toBe(100);
    expect([...fine.labels]).toEqual([90, 91, 92, 93]);
    expect(fine.images[3072 + 2048]).toBe(16); // record 1, B plane: not shifted by the two label bytes
    const coarse = loadCifar('cifar100', 'test', { dataDir: root, coarse: true });
    expect(coarse.classes).toBe(20);
    expect([...coarse.labels]).toEqual([19, 18]);
  });
  it('rejects a file in the CIFAR-10 record size', () => {
    const root = cifar100Dir();
    writeFileSync(
      join(root, 'cifar-100-binary', 'test.bin'),
      records(3, () => [1]),
    );
    expect(() => loadCifar('cifar100', 'test', { dataDir: root })).toThrow(/not a whole number of 3074-byte records/);
  });
});

describe('batches', () => {
  const set = loadCifar('cifar10', 'train', { dataDir: cifar10Dir(4) });
  it('normalises per channel', () => {
    const b = makeBatch(set, [1], null, Math.random);
    const expected = (c: number, v: number) => (v / 255 - set.mean[c]) / set.std[c];
    expect(b.x[0]).toBeCloseTo(expected(0, 10), 5);
    expect(b.x[1024]).toBeCloseTo(expected(1, 13), 5);
    expect(b.y[0]).toBe(set.labels[1]);
  });
  it('flip mirrors columns and crop shifts with zero padding', () => {
    let calls = 0;
    const seq = [0.5, 0.5, 0.1]; // dx = 0, dy = 0, flip (flip when < 0.5)
    const flipped = makeBatch(set, [0], { crop: 4, flip: true }, () => seq[calls++]);
    const zero = (0 - set.mean[0]) / set.std[0];
    expect(flipped.x[31 - 5]).toBeCloseTo((200 / 255 - set.mean[0]) / set.std[0], 5);
    calls = 0;
    const seq2 = [0, 0.5, 0.9]; // dx = -4, no flip: columns 0..3 come from the padding
    const shifted = makeBatch(set, [0], { crop: 4, flip: true }, () => seq2[calls++]);
    expect(shifted.x[0]).toBeCloseTo(zero, 5);
    expect(shifted.x[9]).toBeCloseTo((200 / 255 - set.mean[0]) / set.std[0], 5);
  });
  it('epoch order is a seeded permutation, the same on every call', () => {
    const a = epochOrder(100, 7, 3),
      b = epochOrder(100, 7, 3),
      c = epochOrder(100, 7, 4);
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
  });
  it('yields every image once per epoch, last batch partial, augmentation reproducible', () => {
    const order = epochOrder(set.count, 1, 0);
    const run = () => [...epochBatches(set, 8, order, { crop: 4, flip: true }, 1, 0)];
    const r1 = run(),
      r2 = run();
    expect(r1.map((b) => b.n)).toEqual([8, 8, 4]);
    expect(r1.flatMap((b) => [...b.y]).length).toBe(20);
    expect(r1[1].x).toEqual(r2[1].x);
  });
});

describe('CIFAR-100 end to end', () => {
  it('trains a 100-class model from files in the official CIFAR-100 layout', async () => {
    const { ready } = await import('./helpers.js');
    await ready;
    const { SEED_RECIPE, train } = await import('../src/experiments/train.js');
    const root = mkdtempSync(join(tmpdir(), 'qs-c100-train-'));
    const dir = join(root, 'cifar-100-binary');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'train.bin'),
      records(64, (i) => [i % 20, (i * 7) % 100]),
    );
    writeFileSync(
      join(dir, 'test.bin'),
      records(16, (i) => [i % 20, (i * 3) % 100]),
    );
    const r = await train(
      {
        ...SEED_RECIPE,
        valSplit: 0, // this test is not about model selection: train on the whole subset
        milestones: [],
        model: 'ResNet_8_demo',
        dataset: 'cifar100',
        epochs: 1,
        batchSize: 32,
        lr: 0.01,
        seed: 0,
        out: join(root, 'run'),
        evalEvery: 1,
        dataDir: root,
      },
      false,
      { quiet: true },
    );
    expect(r.model.classes).toBe(100);
    expect(r.model.outputWeight().shape).toEqual([100, 64]);
    expect(r.testAcc).toBeGreaterThanOrEqual(0);
    r.model.dispose();
  });
});
