// Parsing image records in the CIFAR-10 binary layout (1 label byte + 3072 pixel bytes) from bytes in
// memory: platform-neutral, used for fake sets in Node and for the browser page's bundled slices.
import { IMAGE_BYTES, type ImageSet } from './cifar-meta.js';

export function parseRecords(
  bytes: Uint8Array,
  classes: number,
  norm: { mean: readonly number[]; std: readonly number[] },
  source: string,
): ImageSet {
  const rec = IMAGE_BYTES + 1;
  if (bytes.length === 0 || bytes.length % rec)
    throw new Error(`${source}: ${bytes.length} bytes is not a whole number of ${rec}-byte records`);
  const n = bytes.length / rec;
  const images = new Uint8Array(n * IMAGE_BYTES),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = bytes[i * rec];
    if (labels[i] >= classes)
      throw new Error(`${source}: record ${i} has label ${labels[i]}, outside 0..${classes - 1}`);
    images.set(bytes.subarray(i * rec + 1, (i + 1) * rec), i * IMAGE_BYTES);
  }
  return { images, labels, classes, count: n, mean: norm.mean, std: norm.std, source };
}

export function encodeRecords(images: Uint8Array, labels: Int32Array): Uint8Array {
  const n = labels.length;
  if (images.length !== n * IMAGE_BYTES) throw new Error(`records: ${images.length} pixel bytes for ${n} labels`);
  const buf = new Uint8Array(n * (IMAGE_BYTES + 1));
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] > 255) throw new Error(`records: label ${labels[i]} does not fit a byte`);
    buf[i * (IMAGE_BYTES + 1)] = labels[i];
    buf.set(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), i * (IMAGE_BYTES + 1) + 1);
  }
  return buf;
}
