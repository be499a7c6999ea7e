// Dataset constants and the in-memory image-set shape (platform-neutral; the file readers are in ./cifar.ts).

export type DatasetName = 'cifar10' | 'cifar100';
export type Split = 'train' | 'test';
export const IMAGE_BYTES = 3072;

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
  // per-channel statistics of the training sets (the widely used values)
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
};
