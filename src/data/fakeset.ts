// Generated ("fake") datasets. The seed keeps them as float tensors, the generator's unclipped outputs in the
// classifier's normalised space; so do we: one safetensors file with `images` [N, 3, 32, 32] float32,
// `labels` [N] int32, and metadata naming the generator checkpoint it was drawn from, that file's sha256,
// the protocol and the dataset. Reading a set checks the hash against the generator it claims, so a set
// never outlives a retrained generator. (The older uint8 CIFAR-record layout stays readable for pictures.)
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IMAGE_BYTES, IMAGE_SHAPE, NORMALIZATION, type DatasetName, type ImageSet } from './cifar-meta.js';
import { writeFileAtomic } from '../platform/files.js';
import { sha256File } from '../platform/cache.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { encodeRecords, parseRecords } from './records.js';
import type { Batch } from './batches.js';

export interface FakeSetMeta {
  /** the generator checkpoint's file name, in the fake set's folder */
  generator: string;
  generator_sha256: string;
  protocol: string;
  dataset: DatasetName;
  classes: number;
  adjusted: boolean;
  seed: number;
}

export interface FakeSet {
  /** normalised-space images, unclipped */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  meta: FakeSetMeta;
  path: string;
}

export function writeFakeSet(path: string, images: Float32Array, labels: Int32Array, meta: FakeSetMeta): void {
  const n = labels.length;
  if (images.length !== n * IMAGE_BYTES)
    throw new Error(`fake set ${path}: ${images.length} image values for ${n} labels (expected ${n} x ${IMAGE_BYTES})`);
  const tensors = new Map([
    ['images', { dtype: 'F32' as const, shape: [n, ...IMAGE_SHAPE], data: images }],
    ['labels', { dtype: 'I32' as const, shape: [n], data: labels }],
  ]);
  const metadata = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)]));
  writeFileAtomic(path, encodeSafetensors(tensors, { format: 'quantscope-fake-set', ...metadata }));
}

/** Read a fake set and check that the generator it names still has the hash it was drawn with. */
export function readFakeSet(path: string, expect: { classes?: number; dataset?: DatasetName } = {}): FakeSet {
  if (!existsSync(path)) throw new Error(`fake set not found: ${path} (run \`quantscope gen\` first)`);
  const b = readFileSync(path);
  const f = decodeSafetensors(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  if (f.metadata.format !== 'quantscope-fake-set')
    throw new Error(`${path} is not a quantscope fake set (metadata "format" is ${f.metadata.format ?? 'missing'})`);
  const images = f.tensors.get('images'),
    labels = f.tensors.get('labels');
  if (images?.dtype !== 'F32' || labels?.dtype !== 'I32')
    throw new Error(`fake set ${path}: needs "images" (F32) and "labels" (I32)`);
  const count = labels.shape[0];
  if (images.shape.join() !== [count, ...IMAGE_SHAPE].join())
    throw new Error(
      `fake set ${path}: images have shape [${images.shape}], expected [${[count, ...IMAGE_SHAPE].join(', ')}]`,
    );
  const m = f.metadata;
  const meta: FakeSetMeta = {
    generator: m.generator,
    generator_sha256: m.generator_sha256,
    protocol: m.protocol,
    dataset: m.dataset as DatasetName,
    classes: Number(m.classes),
    adjusted: m.adjusted === 'true',
    seed: Number(m.seed),
  };
  const genPath = join(dirname(path), basename(meta.generator ?? ''));
  if (!meta.generator || !existsSync(genPath))
    throw new Error(`fake set ${path} names generator "${meta.generator}", which is not in ${dirname(path)}`);
  const hash = sha256File(genPath);
  if (hash !== meta.generator_sha256)
    throw new Error(
      `fake set ${path} was drawn from ${meta.generator} with sha256 ${meta.generator_sha256.slice(0, 12)}…, ` +
        `but that file now has ${hash.slice(0, 12)}…: the generator changed; run \`quantscope gen\` again`,
    );
  if (expect.classes !== undefined && meta.classes !== expect.classes)
    throw new Error(`fake set ${path} has ${meta.classes} classes, the model ${expect.classes}`);
  if (expect.dataset !== undefined && meta.dataset !== expect.dataset)
    throw new Error(`fake set ${path} was made for ${meta.dataset}, not ${expect.dataset}`);
  for (const l of labels.data as Int32Array)
    if (l < 0 || l >= meta.classes) throw new Error(`fake set ${path}: label ${l} outside [0, ${meta.classes})`);
  return { images: images.data as Float32Array, labels: labels.data as Int32Array, count, meta, path };
}

/** A fake set's images in order, as normalised batches (for calibration on fake data). */
export function* fakeSetBatches(f: FakeSet, batchSize: number): Generator<Batch> {
  for (let s = 0; s < f.count; s += batchSize) {
    const n = Math.min(batchSize, f.count - s);
    yield { x: f.images.slice(s * IMAGE_BYTES, (s + n) * IMAGE_BYTES), y: f.labels.slice(s, s + n), n };
  }
}

/** Normalised-space images [n, 3, 32, 32] -> uint8 pixels (x·std + mean, clamped to [0, 1], rounded). */
export function toPixels(x: Float32Array, n: number, dataset: DatasetName): Uint8Array {
  const { mean, std } = NORMALIZATION[dataset];
  const out = new Uint8Array(n * IMAGE_BYTES);
  for (let i = 0; i < n * IMAGE_BYTES; i++) {
    const c = Math.floor((i % IMAGE_BYTES) / 1024);
    const p = x[i] * std[c] + mean[c];
    out[i] = Math.round(Math.min(1, Math.max(0, p)) * 255);
  }
  return out;
}

/** A fake set as displayable uint8 pixels (for pictures and image grids; the clamp and rounding are lossy). */
export function fakeSetPixels(f: FakeSet): ImageSet {
  const norm = NORMALIZATION[f.meta.dataset];
  return {
    images: toPixels(f.images, f.count, f.meta.dataset),
    labels: f.labels,
    count: f.count,
    classes: f.meta.classes,
    mean: norm.mean,
    std: norm.std,
    source: f.path,
  };
}

export function writeImageSet(path: string, images: Uint8Array, labels: Int32Array): void {
  writeFileAtomic(path, encodeRecords(images, labels));
}

export function readImageSet(path: string, dataset: DatasetName, classes: number): ImageSet {
  if (!existsSync(path)) throw new Error(`image set not found: ${path}`);
  const b = readFileSync(path);
  return parseRecords(new Uint8Array(b.buffer, b.byteOffset, b.length), classes, NORMALIZATION[dataset], path);
}
