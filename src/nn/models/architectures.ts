// The model zoo as data, in quantscope's own layer-row notation: the seed's corrected cfg tables (ALL/cfg.py of
// klin02/Model-Transfer-Adaptability, mirrored in ../shared/seed/architectures.json; a test checks the two agree
// row for row). A new architecture is a new entry here, not new code.
//
// Row notation (parsed by ./parse.ts):
//   conv IN->OUT kK sS pP [gG] +bias|-bias [bn] [relu|relu6]   conv, then what follows it
//   linear IN->OUT +bias|-bias          maxpool kK sS pP          adaptive_avgpool OUT
//   relu | relu6 | flatten | softmax   dropout P                 stage BLOCK S xN
//   inception I                          ({name} is filled from a block-table row or {classes})
// A stage of N blocks uses block-table row 2S for its first block and row 2S+1 for the others (the seed's
// convention).
//
// Module names follow the seed's code (model_deployment.py), so state dicts are interchangeable with its
// PyTorch checkpoints: a top-level row i is conv{i} / bn{i} / relu{i} (relus{i} for ReLU6) / pool{i} / aap{i} /
// fc{i} / drop{i}; stage S block b is ml{S}_blk{b}_ma_conv{j} (body row j), ml{S}_blk{b}_ds_conv0 (projection),
// ml{S}_blk{b}_relu1 (the ReLU after the add); inception I branch k row j is inc{I}_br{k}_conv{j}. Row indices
// therefore count every table row, flatten included, exactly as the seed's cfg rows do.

import { IMAGE_SHAPE } from '../../data/cifar-meta.js';

export interface BlockDef {
  columns: string[];
  rows: (number | boolean)[][];
  /** layer rows with {column} placeholders */
  body?: string[];
  /** projection shortcut when the named column is true, identity otherwise */
  projectIf?: string;
  projection?: string[];
  /** add the input only when the named column is true (inverted residual) */
  residualIf?: string;
  /** activation after the residual add */
  post?: string;
  /** parallel branches joined by channel concat (inception) */
  branches?: string[][];
}

/** Channels, height, width of one input image. */
export type InputShape = readonly [number, number, number];
/** CIFAR-10/100 images: what every seed model takes. */
export const CIFAR_INPUT: InputShape = IMAGE_SHAPE;

export interface Architecture {
  /** one input image (the model's batches are [N, ...input]) */
  input: InputShape;
  layers: string[];
  note?: string;
}

export const BLOCKS: Record<string, BlockDef> = {
  basic: {
    columns: ['downsample', 'in', 'planes', 'out', 'stride', 'groups'],
    rows: [
      [false, 64, 64, 64, 1, 1],
      [false, 64, 64, 64, 1, 1],
      [true, 64, 128, 128, 2, 1],
      [false, 128, 128, 128, 1, 1],
      [true, 128, 256, 256, 2, 1],
      [false, 256, 256, 256, 1, 1],
      [true, 256, 512, 512, 2, 1],
      [false, 512, 512, 512, 1, 1],
    ],
    body: [
      'conv {in}->{planes} k3 s{stride} p1 g{groups} -bias bn relu',
      'conv {planes}->{planes} k3 s1 p1 g{groups} -bias bn',
    ],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 -bias bn'],
    post: 'relu',
  },
  bottleneck: {
    columns: ['downsample', 'in', 'planes', 'out', 'stride', 'groups'],
    rows: [
      [true, 64, 64, 256, 1, 1],
      [false, 256, 64, 256, 1, 1],
      [true, 256, 128, 512, 2, 1],
      [false, 512, 128, 512, 1, 1],
      [true, 512, 256, 1024, 2, 1],
      [false, 1024, 256, 1024, 1, 1],
      [true, 1024, 512, 2048, 2, 1],
      [false, 2048, 512, 2048, 1, 1],
    ],
    body: [
      'conv {in}->{planes} k1 s1 p0 -bias bn relu',
      'conv {planes}->{planes} k3 s{stride} p1 g{groups} -bias bn relu',
      'conv {planes}->{out} k1 s1 p0 -bias bn',
    ],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 -bias bn'],
    post: 'relu',
  },
  inverted_residual: {
    columns: ['identity', 'in', 'out', 'hidden', 'stride', 'groups'],
    rows: [
      [false, 32, 16, 32, 1, 1],
      [true, 16, 16, 16, 1, 1],
      [false, 16, 24, 96, 2, 1],
      [true, 24, 24, 144, 1, 1],
      [false, 24, 32, 144, 2, 1],
      [true, 32, 32, 192, 1, 1],
      [false, 32, 64, 192, 2, 1],
      [true, 64, 64, 384, 1, 1],
      [false, 64, 96, 384, 1, 1],
      [true, 96, 96, 576, 1, 1],
      [false, 96, 160, 576, 1, 1],
      [true, 160, 160, 960, 1, 1],
      [false, 160, 320, 960, 1, 1],
      [true, 320, 320, 1920, 1, 1],
    ],
    body: [
      'conv {in}->{hidden} k1 s1 p0 +bias bn relu6',
      'conv {hidden}->{hidden} k3 s{stride} p1 g{hidden} +bias bn relu6',
      'conv {hidden}->{out} k1 s1 p0 +bias bn',
    ],
    residualIf: 'identity',
  },
  inception: {
    columns: ['in', 'b1_1x1', 'b2_reduce', 'b2_3x3', 'b3_reduce', 'b3_5x5', 'b4_pool_proj'],
    rows: [
      [64, 64, 96, 128, 16, 32, 32],
      [256, 128, 128, 192, 32, 96, 64],
      [480, 192, 96, 208, 16, 48, 64],
      [512, 160, 112, 224, 24, 64, 64],
      [512, 128, 128, 256, 24, 64, 64],
      [512, 112, 144, 288, 32, 64, 64],
      [528, 256, 160, 320, 32, 128, 128],
      [832, 256, 160, 320, 32, 128, 128],
      [832, 384, 192, 384, 48, 128, 128],
    ],
    // the seed builds every branch conv with bias=False (make_inc_layers), whatever its row says
    branches: [
      ['conv {in}->{b1_1x1} k1 s1 p0 -bias bn relu'],
      ['conv {in}->{b2_reduce} k1 s1 p0 -bias bn relu', 'conv {b2_reduce}->{b2_3x3} k3 s1 p1 -bias bn relu'],
      ['conv {in}->{b3_reduce} k1 s1 p0 -bias bn relu', 'conv {b3_reduce}->{b3_5x5} k5 s1 p2 -bias bn relu'],
      ['maxpool k3 s1 p1', 'relu', 'conv {in}->{b4_pool_proj} k1 s1 p0 -bias bn relu'],
    ],
  },
  // Not in the seed: the narrow 16/32/64 basic block of the demo ResNet (minutes on 2 cores).
  basic_narrow: {
    columns: ['downsample', 'in', 'planes', 'out', 'stride', 'groups'],
    rows: [
      [false, 16, 16, 16, 1, 1],
      [false, 16, 16, 16, 1, 1],
      [true, 16, 32, 32, 2, 1],
      [false, 32, 32, 32, 1, 1],
      [true, 32, 64, 64, 2, 1],
      [false, 64, 64, 64, 1, 1],
    ],
    body: [
      'conv {in}->{planes} k3 s{stride} p1 g{groups} +bias bn relu',
      'conv {planes}->{planes} k3 s1 p1 g{groups} +bias bn',
    ],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 +bias bn'],
    post: 'relu',
  },
};

const resnet = (block: string, stages: number[], features: number): string[] => [
  'conv 3->64 k3 s1 p1 -bias bn relu',
  ...stages.map((n, s) => `stage ${block} ${s} x${n}`),
  'adaptive_avgpool 1',
  'flatten',
  `linear ${features}->{classes} +bias`,
];

export const ARCHITECTURES: Record<string, Architecture> = {
  ResNet_18: { input: CIFAR_INPUT, layers: resnet('basic', [2, 2, 2, 2], 512) },
  ResNet_50: { input: CIFAR_INPUT, layers: resnet('bottleneck', [3, 4, 6, 3], 2048) },
  ResNet_152: { input: CIFAR_INPUT, layers: resnet('bottleneck', [3, 8, 36, 3], 2048) },
  MobileNetV2: {
    input: CIFAR_INPUT,
    layers: [
      // the seed's stem is a 1x1 conv with padding 1 (34x34 maps from here on)
      'conv 3->32 k1 s1 p1 +bias bn relu6',
      ...[1, 2, 3, 4, 3, 3, 1].map((n, s) => `stage inverted_residual ${s} x${n}`),
      'conv 320->1280 k1 s1 p0 +bias bn relu6',
      'adaptive_avgpool 1',
      'flatten',
      'linear 1280->{classes} +bias',
    ],
  },
  AlexNet: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->32 k3 s1 p1 +bias',
      'relu',
      'maxpool k2 s2 p0',
      'conv 32->64 k3 s1 p1 +bias',
      'relu',
      'maxpool k2 s2 p0',
      'conv 64->128 k3 s1 p1 +bias',
      'relu',
      'conv 128->256 k3 s1 p1 +bias',
      'relu',
      'conv 256->256 k3 s1 p1 +bias',
      'relu',
      'maxpool k3 s2 p0',
      'flatten',
      'dropout 0.5',
      'linear 2304->1024 +bias',
      'relu',
      'dropout 0.5',
      'linear 1024->512 +bias',
      'relu',
      'linear 512->{classes} +bias',
    ],
  },
  AlexNet_BN: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->32 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 32->64 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 64->128 k3 s1 p1 +bias bn relu',
      'conv 128->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'maxpool k3 s2 p0',
      'flatten',
      'dropout 0.5',
      'linear 2304->1024 +bias',
      'relu',
      'dropout 0.5',
      'linear 1024->512 +bias',
      'relu',
      'linear 512->{classes} +bias',
    ],
  },
  VGG_16: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->64 k3 s1 p1 +bias bn relu',
      'conv 64->64 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 64->128 k3 s1 p1 +bias bn relu',
      'conv 128->128 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 128->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 256->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'flatten',
      'linear 512->4096 +bias',
      'relu',
      'dropout 0.5',
      'linear 4096->4096 +bias',
      'relu',
      'dropout 0.5',
      'linear 4096->{classes} +bias',
    ],
  },
  VGG_19: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->64 k3 s1 p1 +bias bn relu',
      'conv 64->64 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 64->128 k3 s1 p1 +bias bn relu',
      'conv 128->128 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 128->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'conv 256->256 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 256->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'conv 512->512 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'flatten',
      'linear 512->4096 +bias',
      'relu',
      'dropout 0.5',
      'linear 4096->4096 +bias',
      'relu',
      'dropout 0.5',
      'linear 4096->{classes} +bias',
    ],
  },
  Inception_BN: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->64 k3 s1 p1 +bias',
      'relu',
      'conv 64->64 k3 s1 p1 +bias',
      'relu',
      'inception 0',
      'inception 1',
      'maxpool k3 s2 p1',
      'inception 2',
      'inception 3',
      'inception 4',
      'inception 5',
      'inception 6',
      'maxpool k3 s2 p1',
      'inception 7',
      'inception 8',
      'adaptive_avgpool 1',
      'conv 1024->{classes} k1 s1 p0 +bias',
      'flatten',
    ],
  },
  // Small models for the README's demo (minutes on 2 CPU cores). Not in the seed: they exist so the whole
  // pipeline can be shown end to end without hours of training; results are labelled as such.
  ResNet_8_demo: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'stage basic_narrow 0 x1',
      'stage basic_narrow 1 x1',
      'stage basic_narrow 2 x1',
      'adaptive_avgpool 1',
      'flatten',
      'linear 64->{classes} +bias',
    ],
    note: 'demo: a narrow (16/32/64) ResNet with one basic block per stage and three stages',
  },
  VGG_demo: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 16->32 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'conv 32->64 k3 s1 p1 +bias bn relu',
      'maxpool k2 s2 p0',
      'flatten',
      'linear 1024->128 +bias',
      'relu',
      'linear 128->{classes} +bias',
    ],
    note: 'demo: a three-conv VGG-style net',
  },
  AlexNet_demo: {
    input: CIFAR_INPUT,
    layers: [
      'conv 3->16 k3 s1 p1 +bias',
      'relu',
      'maxpool k2 s2 p0',
      'conv 16->32 k3 s1 p1 +bias',
      'relu',
      'maxpool k2 s2 p0',
      'conv 32->64 k3 s1 p1 +bias',
      'relu',
      'maxpool k2 s2 p0',
      'flatten',
      'dropout 0.5',
      'linear 1024->256 +bias',
      'relu',
      'linear 256->{classes} +bias',
    ],
    note: 'demo: a three-conv AlexNet-style net without BatchNorm',
  },
};
