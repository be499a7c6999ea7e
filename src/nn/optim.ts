// Optimizers over parameter tensors (leaves with requiresGrad), updated in place by fused GPU kernels.
// State (momentum buffers, Adam moments, step count) is exposed for checkpoints so a resumed run continues
// exactly.
import { adamStep, sgdStep } from '../tensor/ops/kernel-ops.js';
import { zeros } from '../tensor/ops/creation.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface OptimizerState {
  step: number;
  buffers: Record<string, Tensor>;
}

export abstract class Optimizer {
  lr: number;
  step = 0;
  constructor(
    readonly params: Tensor[],
    lr: number,
  ) {
    if (!(lr >= 0)) throw new RangeError(`optimizer: learning rate must be >= 0, got ${lr}`);
    for (const p of params) if (p.dtype !== 'float32') throw new TypeError(`optimizer: ${p.describe()} is not float32`);
    this.lr = lr;
  }

  zeroGrad(): void {
    for (const p of this.params)
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
  }

  /** Apply one update to every parameter that has a gradient. */
  abstract stepUpdate(): void;

  /** Named state tensors (for checkpoints): `${kind}.${paramIndex}`. */
  abstract stateTensors(): Record<string, Tensor>;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private bufs: (Tensor | null)[];
  private started: boolean[];

  constructor(params: Tensor[], o: SgdOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new RangeError('SGD: nesterov needs momentum > 0 and dampening 0');
    this.bufs = params.map((p) => keep(zeros(p.shape)));
    this.started = params.map(() => false);
  }

  stepUpdate(): void {
    this.step++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      sgdStep(p, p.grad, this.bufs[i] as Tensor, {
        lr: this.lr,
        weightDecay: this.weightDecay,
        momentum: this.momentum,
        dampening: this.dampening,
        nesterov: this.nesterov,
        first: !this.started[i],
      });
      this.started[i] = true;
    });
  }

  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.bufs.forEach((b, i) => {
      if (b) out[`momentum.${i}`] = b;
    });
    return out;
  }

  /** After loading momentum buffers from a checkpoint, they are no longer "first step". */
  markStarted(): void {
    this.started = this.started.map(() => true);
  }
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private m: Tensor[];
  private v: Tensor[];
  private steps: number[];

  constructor(params: Tensor[], o: AdamOptions) {
    super(params, o.lr);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.m = params.map((p) => keep(zeros(p.shape)));
    this.v = params.map((p) => keep(zeros(p.shape)));
    this.steps = params.map(() => 0);
  }

  stepUpdate(): void {
    this.step++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      this.steps[i]++;
      adamStep(p, p.grad, this.m[i], this.v[i], {
        lr: this.lr,
        weightDecay: this.weightDecay,
        beta1: this.betas[0],
        beta2: this.betas[1],
        eps: this.eps,
        step: this.steps[i],
      });
    });
  }

  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.m.forEach((t, i) => {
      out[`exp_avg.${i}`] = t;
    });
    this.v.forEach((t, i) => {
      out[`exp_avg_sq.${i}`] = t;
    });
    return out;
  }

  /** Per-parameter step counts (restored from checkpoints with the moments). */
  get paramSteps(): number[] {
    return [...this.steps];
  }
  set paramSteps(s: number[]) {
    this.steps = [...s];
  }
}
