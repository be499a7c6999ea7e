// Dataset constants and the in-memory image-set shape (platform-neutral; the file readers are in ./cifar.ts).

export type DatasetName = 'cifar10' | 'cifar100';
export type Split = 'train' | 'test';
/** One CIFAR image: channels, height, width; IMAGE_BYTES values (bytes on disk, floats in batches). */
export const IMAGE_SHAPE = [3, 32, 32] as const;
export const IMAGE_BYTES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2];

export interface ImageSet {
  /** uint8 pixels, N x 3 x 32 x 32 */
  images: Uint8Array;
  labels: Int32Array;
  classes: number;
  count: number;
  /** per-channel mean/std used for normalisation */
  mean: readonly number[];
  std: readonly number[];
  source: string;
}

export const NORMALIZATION: Record<DatasetName, { mean: number[]; std: number[] }> = {
  // the seed's constants, digit for digit (ALL/dataloader.py)
  cifar10: { mean: [0.49139968, 0.48215827, 0.44653124], std: [0.24703233, 0.24348505, 0.26158768] },
  cifar100: { mean: [0.50705882, 0.48666667, 0.44078431], std: [0.26745098, 0.25568627, 0.27607843] },
};

/** CIFAR-10's class names, in label order (batches.meta.txt). */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** A class's name for legends: CIFAR-10's names, else "class i" (CIFAR-100's names are in its meta file). */
export const className = (classes: number, label: number): string =>
  classes === 10 ? CIFAR10_CLASSES[label] : `class ${label}`;
