// CIFAR-10 / CIFAR-100 readers for the official binary layouts, read in place:
//   cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin: records of 1 label byte + 3072 pixels
//   cifar-100-binary/train.bin, test.bin: records of 1 coarse + 1 fine label byte + 3072 pixels
// Pixels are R plane, G plane, B plane, each 32x32 row-major (already NCHW). Every file is checked for a
// whole number of records and labels in range; SHA256SUMS, when present, is verified on request.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { IMAGE_BYTES, NORMALIZATION, type DatasetName, type ImageSet, type Split } from './cifar-meta.js';

export { IMAGE_BYTES, NORMALIZATION, type DatasetName, type ImageSet, type Split };

interface Layout {
  dir: string;
  files: Record<Split, string[]>;
  labelBytes: number;
  labelOffset: number;
  classes: number;
}

function layout(name: DatasetName, opts: { coarse?: boolean }): Layout {
  if (name === 'cifar10') {
    return {
      dir: 'cifar-10-batches-bin',
      files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
      labelBytes: 1,
      labelOffset: 0,
      classes: 10,
    };
  }
  return {
    dir: 'cifar-100-binary',
    files: { train: ['train.bin'], test: ['test.bin'] },
    labelBytes: 2,
    labelOffset: opts.coarse ? 0 : 1,
    classes: opts.coarse ? 20 : 100,
  };
}

export function parseDatasetName(s: string): DatasetName {
  const k = s.toLowerCase().replace(/[-_]/g, '');
  if (k === 'cifar10') return 'cifar10';
  if (k === 'cifar100') return 'cifar100';
  throw new Error(`unknown dataset "${s}" (known: cifar10, cifar100)`);
}

/** Default data directory: $QUANTSCOPE_DATA, else ../shared/data next to the project. */
export function defaultDataDir(): string {
  return process.env.QUANTSCOPE_DATA ?? resolve(process.cwd(), '../shared/data');
}

export function verifyChecksums(dir: string): void {
  const sums = join(dir, 'SHA256SUMS');
  if (!existsSync(sums)) return;
  for (const line of readFileSync(sums, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (!m) continue;
    const file = join(dir, m[2]);
    if (!existsSync(file)) continue;
    const got = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (got !== m[1])
      throw new Error(`${file}: SHA-256 ${got} does not match SHA256SUMS (${m[1]}): the file is corrupt`);
  }
}

export interface LoadCifarOptions {
  dataDir?: string;
  coarse?: boolean;
  verify?: boolean;
  limit?: number;
}

export function loadCifar(name: DatasetName, split: Split, opts: LoadCifarOptions = {}): ImageSet {
  const lay = layout(name, opts);
  const dir = join(opts.dataDir ?? defaultDataDir(), lay.dir);
  if (!existsSync(dir))
    throw new Error(
      `${name}: data folder not found: ${dir} (set --data-dir or QUANTSCOPE_DATA to the folder holding ${lay.dir}/)`,
    );
  if (opts.verify) verifyChecksums(dir);
  const rec = lay.labelBytes + IMAGE_BYTES;
  const parts: Uint8Array[] = [];
  for (const f of lay.files[split]) {
    const path = join(dir, f);
    if (!existsSync(path))
      throw new Error(
        `${name}: missing file ${path} (expected the official binary layout: ${lay.files[split].join(', ')})`,
      );
    const b = readFileSync(path);
    if (b.length === 0 || b.length % rec !== 0) {
      throw new Error(
        `${path}: ${b.length} bytes is not a whole number of ${rec}-byte records (truncated or not the ${name} ` +
          `binary layout)`,
      );
    }
    parts.push(new Uint8Array(b.buffer, b.byteOffset, b.length));
  }
  const total = parts.reduce((s, p) => s + p.length / rec, 0);
  const count = opts.limit ? Math.min(opts.limit, total) : total;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  let i = 0;
  for (let f = 0; f < parts.length && i < count; f++) {
    const p = parts[f];
    for (let r = 0; r < p.length / rec && i < count; r++, i++) {
      const o = r * rec;
      const label = p[o + lay.labelOffset];
      if (label >= lay.classes)
        throw new Error(
          `${join(dir, lay.files[split][f])}: record ${r} has label ${label}, outside 0..${lay.classes - 1} ` +
            `(corrupt file or wrong layout)`,
        );
      labels[i] = label;
      images.set(p.subarray(o + lay.labelBytes, o + rec), i * IMAGE_BYTES);
    }
  }
  const norm = NORMALIZATION[name];
  return { images, labels, classes: lay.classes, count, mean: norm.mean, std: norm.std, source: dir };
}

/** The first n images of a set (a deterministic subset, class-balanced enough for CIFAR's shuffled files);
 *  the whole set when n is not given. */
export function subset(set: ImageSet, n?: number): ImageSet {
  if (!n) return set;
  const count = Math.min(n, set.count);
  return { ...set, count, images: set.images.subarray(0, count * IMAGE_BYTES), labels: set.labels.subarray(0, count) };
}

/** The images at `indices`, copied, in that order (a validation split, a shuffled subset). */
export function pick(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const n = indices.length;
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    images.set(set.images.subarray(indices[i] * IMAGE_BYTES, (indices[i] + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
    labels[i] = set.labels[indices[i]];
  }
  return { ...set, count: n, images, labels };
}
