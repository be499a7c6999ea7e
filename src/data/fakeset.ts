// Generated ("fake") datasets stored like real ones: records of 1 label byte + 3072 uint8 pixels (the
// CIFAR-10 binary layout), so every loader, attack and report treats fake and real data the same way.
import { existsSync, readFileSync } from 'node:fs';
import { IMAGE_BYTES, NORMALIZATION, type DatasetName, type ImageSet } from './cifar.js';
import { writeFileAtomic } from '../platform/files.js';
import { encodeRecords, parseRecords } from './records.js';

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
  writeFileAtomic(path, encodeRecords(images, labels));
}

export function readImageSet(path: string, dataset: DatasetName, classes: number): ImageSet {
  if (!existsSync(path)) throw new Error(`fake set not found: ${path} (run \`quantscope gen\` first)`);
  const b = readFileSync(path);
  return parseRecords(new Uint8Array(b.buffer, b.byteOffset, b.length), classes, NORMALIZATION[dataset], path);
}
