// Generated ("fake") datasets stored like real ones: records of 1 label byte + 3072 uint8 pixels (the
// CIFAR-10 binary layout), so every loader, attack and report treats fake and real data the same way.
import { existsSync, readFileSync } from 'node:fs';
import { IMAGE_BYTES, NORMALIZATION, type DatasetName, type ImageSet } from './cifar.js';
import { writeFileAtomic } from '../platform/files.js';

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

export function writeImageSet(path: string, images: Uint8Array, labels: Int32Array): void {
  const n = labels.length;
  if (images.length !== n * IMAGE_BYTES) throw new Error(`fake set: ${images.length} pixel bytes for ${n} labels`);
  const buf = new Uint8Array(n * (IMAGE_BYTES + 1));
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] > 255) throw new Error(`fake set: label ${labels[i]} does not fit a byte`);
    buf[i * (IMAGE_BYTES + 1)] = labels[i];
    buf.set(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), i * (IMAGE_BYTES + 1) + 1);
  }
  writeFileAtomic(path, buf);
}

export function readImageSet(path: string, dataset: DatasetName, classes: number): ImageSet {
  if (!existsSync(path)) throw new Error(`fake set not found: ${path} (run \`quantscope gen\` first)`);
  const b = readFileSync(path);
  const rec = IMAGE_BYTES + 1;
  if (b.length === 0 || b.length % rec) throw new Error(`${path}: ${b.length} bytes is not a whole number of ${rec}-byte records`);
  const n = b.length / rec;
  const images = new Uint8Array(n * IMAGE_BYTES), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = b[i * rec];
    if (labels[i] >= classes) throw new Error(`${path}: record ${i} has label ${labels[i]}, outside 0..${classes - 1}`);
    images.set(b.subarray(i * rec + 1, (i + 1) * rec), i * IMAGE_BYTES);
  }
  const norm = NORMALIZATION[dataset];
  return { images, labels, classes, count: n, mean: norm.mean, std: norm.std, source: path };
}
