// The model zoo as data, in quantscope's own layer-row notation (converted from the seed's cfg tables,
// ../shared/seed/architectures.json). A new architecture is a new entry here, not new code.
//
// Row notation (parsed by ./parse.ts):
//   conv IN->OUT kK sS pP [gG] +bias|-bias [bn] [relu|relu6]   conv, then what follows it
//   linear IN->OUT +bias|-bias          maxpool kK sS pP          adaptive_avgpool OUT
//   relu | relu6 | flatten | softmax   dropout P                 stage BLOCK S xN
//   inception I                          ({name} is filled from a block-table row or {classes})
// A stage of N blocks uses block-table row 2S for its first block and row 2S+1 for the others (the seed's
// convention). The trailing softmax of the seed's ResNets is the output head: training and attacks use
// the logits before it (softmax does not change the argmax, so accuracies are unaffected).
//
// Decision on an ambiguity of the seed: its inception table comments say the branch convs carry BN+ReLU
// and no bias, while its generic conv row defaults bias to true. We keep the bias (it is what the seed's
// row format produces), which gives Inception_BN 5,885,402 parameters at 10 classes.

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

export interface Architecture {
  layers: string[];
  note?: string;
}

export const BLOCKS: Record<string, BlockDef> = {
  basic: {
    columns: ['downsample', 'in', 'planes', 'out', 'stride', 'groups'],
    rows: [
      [false, 16, 16, 16, 1, 1],
      [false, 16, 16, 16, 1, 1],
      [true, 16, 32, 32, 2, 1],
      [false, 32, 32, 32, 1, 1],
      [true, 32, 64, 64, 2, 1],
      [false, 64, 64, 64, 1, 1],
      [true, 64, 128, 128, 2, 1],
      [false, 128, 128, 128, 1, 1],
    ],
    body: [
      'conv {in}->{planes} k3 s{stride} p1 g{groups} +bias bn relu',
      'conv {planes}->{planes} k3 s1 p1 g{groups} +bias bn',
    ],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 +bias bn'],
    post: 'relu',
  },
  bottleneck: {
    columns: ['downsample', 'in', 'planes', 'out', 'stride', 'groups'],
    rows: [
      [true, 16, 16, 64, 1, 1],
      [false, 64, 16, 64, 1, 1],
      [true, 64, 32, 128, 2, 1],
      [false, 128, 32, 128, 1, 1],
      [true, 128, 64, 256, 2, 1],
      [false, 256, 64, 256, 1, 1],
      [true, 256, 128, 512, 2, 1],
      [false, 512, 128, 512, 1, 1],
    ],
    body: [
      'conv {in}->{planes} k1 s1 p0 +bias bn relu',
      'conv {planes}->{planes} k3 s{stride} p1 g{groups} +bias bn relu',
      'conv {planes}->{out} k1 s1 p0 +bias bn',
    ],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 +bias bn'],
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
      [false, 32, 96, 192, 1, 1],
      [true, 96, 96, 576, 1, 1],
      [false, 96, 160, 576, 2, 1],
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
    branches: [
      ['conv {in}->{b1_1x1} k1 s1 p0 +bias bn relu'],
      ['conv {in}->{b2_reduce} k1 s1 p0 +bias bn relu', 'conv {b2_reduce}->{b2_3x3} k3 s1 p1 +bias bn relu'],
      ['conv {in}->{b3_reduce} k1 s1 p0 +bias bn relu', 'conv {b3_reduce}->{b3_5x5} k5 s1 p2 +bias bn relu'],
      ['maxpool k3 s1 p1', 'relu', 'conv {in}->{b4_pool_proj} k1 s1 p0 +bias bn relu'],
    ],
  },
  // the common wide CIFAR ResNet-18 block (convs without bias)
  basic_wide: {
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
    body: ['conv {in}->{planes} k3 s{stride} p1 -bias bn relu', 'conv {planes}->{planes} k3 s1 p1 -bias bn'],
    projectIf: 'downsample',
    projection: ['conv {in}->{out} k1 s{stride} p0 -bias bn'],
    post: 'relu',
  },
};

export const ARCHITECTURES: Record<string, Architecture> = {
  ResNet_18: {
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'stage basic 0 x2',
      'stage basic 1 x2',
      'stage basic 2 x2',
      'stage basic 3 x2',
      'adaptive_avgpool 1',
      'flatten',
      'linear 128->{classes} +bias',
      'softmax',
    ],
  },
  ResNet_50: {
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'stage bottleneck 0 x3',
      'stage bottleneck 1 x4',
      'stage bottleneck 2 x6',
      'stage bottleneck 3 x3',
      'adaptive_avgpool 1',
      'flatten',
      'linear 512->{classes} +bias',
      'softmax',
    ],
  },
  ResNet_152: {
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'stage bottleneck 0 x3',
      'stage bottleneck 1 x8',
      'stage bottleneck 2 x36',
      'stage bottleneck 3 x3',
      'adaptive_avgpool 1',
      'flatten',
      'linear 512->{classes} +bias',
      'softmax',
    ],
  },
  MobileNetV2: {
    layers: [
      'conv 3->32 k3 s1 p1 +bias bn relu6',
      'stage inverted_residual 0 x1',
      'stage inverted_residual 1 x2',
      'stage inverted_residual 2 x3',
      'stage inverted_residual 3 x3',
      'stage inverted_residual 4 x3',
      'stage inverted_residual 5 x1',
      'conv 320->1280 k1 s1 p0 +bias',
      'adaptive_avgpool 1',
      'flatten',
      'linear 1280->{classes} +bias',
    ],
  },
  AlexNet: {
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
  // Not in the seed: the widely used CIFAR ResNet-18 (64/128/256/512, bias-free convs), for comparisons.
  ResNet_18_wide: {
    layers: [
      'conv 3->64 k3 s1 p1 -bias bn relu',
      'stage basic_wide 0 x2',
      'stage basic_wide 1 x2',
      'stage basic_wide 2 x2',
      'stage basic_wide 3 x2',
      'adaptive_avgpool 1',
      'flatten',
      'linear 512->{classes} +bias',
    ],
    note: 'not part of the seed; the common wide CIFAR ResNet-18',
  },
  // Small models for the README's demo (minutes on 2 CPU cores). Not in the seed: they exist so the whole
  // pipeline can be shown end to end without hours of training; results are labelled as such.
  ResNet_8_demo: {
    layers: [
      'conv 3->16 k3 s1 p1 +bias bn relu',
      'stage basic 0 x1',
      'stage basic 1 x1',
      'stage basic 2 x1',
      'adaptive_avgpool 1',
      'flatten',
      'linear 64->{classes} +bias',
    ],
    note: 'demo: the seed ResNet with one basic block per stage and three stages',
  },
  VGG_demo: {
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
