// Batching: a seeded shuffle per epoch (a pure function of seed and epoch, so a resumed run sees the same
// order), training augmentation (random 32x32 crop from the zero-padded image, 2 pixels in the seed's
// recipe; horizontal flip)
// and per-channel normalisation into a Float32Array ready for upload.
import seedrandom from 'seedrandom';
import { IMAGE_BYTES, type ImageSet } from './cifar-meta.js';

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export function epochOrder(count: number, seed: number | string, epoch: number): Int32Array {
  const rng = seedrandom(`order:${seed}:${epoch}`);
  const idx = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.quick() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/**
 * The seed's train/validation split (torch.utils.data.random_split of the training set): a seeded
 * permutation, the first (1 - fraction) for training and the rest for validation, each kept in index order.
 */
export function trainValSplit(
  count: number,
  fraction: number,
  seed: number | string,
): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation split must be in [0, 1), got ${fraction}`);
  const perm = epochOrder(count, `val-split:${seed}`, 0);
  const nVal = Math.round(count * fraction);
  const sorted = (a: Int32Array) => a.slice().sort();
  return { train: sorted(perm.subarray(0, count - nVal)), val: sorted(perm.subarray(count - nVal)) };
}

export interface AugmentOptions {
  crop?: number;
  flip?: boolean;
}

/**
 * Assemble a batch. Augmentation randomness comes from `rng` (seeded per batch by the caller), so batch b
 * of epoch e is the same in a resumed run.
 */
export function makeBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  aug: AugmentOptions | null,
  rng: () => number,
): Batch {
  const n = indices.length;
  const x = new Float32Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  const pad = aug?.crop ?? 0;
  const scale = [0, 1, 2].map((c) => 1 / (255 * set.std[c]));
  const shift = [0, 1, 2].map((c) => -set.mean[c] / set.std[c]);
  for (let b = 0; b < n; b++) {
    const src = indices[b] * IMAGE_BYTES;
    y[b] = set.labels[indices[b]];
    const dx = pad ? Math.floor(rng() * (2 * pad + 1)) - pad : 0;
    const dy = pad ? Math.floor(rng() * (2 * pad + 1)) - pad : 0;
    const flip = aug?.flip ? rng() < 0.5 : false;
    for (let c = 0; c < 3; c++) {
      const plane = src + c * 1024,
        out = b * IMAGE_BYTES + c * 1024;
      for (let r = 0; r < 32; r++) {
        const sr = r + dy;
        for (let col = 0; col < 32; col++) {
          const sc = (flip ? 31 - col : col) + dx;
          // zero padding in pixel space, i.e. value 0 before normalisation (as torchvision's RandomCrop)
          const v = sr < 0 || sr > 31 || sc < 0 || sc > 31 ? 0 : set.images[plane + sr * 32 + sc];
          x[out + r * 32 + col] = v * scale[c] + shift[c];
        }
      }
    }
  }
  return { x, y, n };
}

/** Batches of one epoch in order; `aug` null for evaluation. The last partial batch is kept. */
export function* epochBatches(
  set: ImageSet,
  batchSize: number,
  order: Int32Array | null,
  aug: AugmentOptions | null,
  seed: number | string,
  epoch: number,
  startBatch = 0,
): Generator<Batch & { index: number }> {
  const count = set.count;
  const batches = Math.ceil(count / batchSize);
  for (let i = startBatch; i < batches; i++) {
    const idx = order
      ? order.subarray(i * batchSize, Math.min(count, (i + 1) * batchSize))
      : Int32Array.from({ length: Math.min(batchSize, count - i * batchSize) }, (_, k) => i * batchSize + k);
    const rng = seedrandom(`aug:${seed}:${epoch}:${i}`);
    yield { ...makeBatch(set, idx, aug, () => rng.quick()), index: i };
  }
}

/** Un-augmented batches in one fixed shuffled order: what activation-range calibration reads. */
export function calibrationBatches(set: ImageSet, batchSize: number): Generator<Batch & { index: number }> {
  return epochBatches(set, batchSize, epochOrder(set.count, 'calibration', 0), null, 0, 0);
}
