// The tape: each differentiable op output remembers its op name, inputs and whatever the gradient rule
// needs (ctx). Rules live in one table (./gradients.ts), tinygrad style.
import type { Tensor } from '../tensor/tensor.js';

export interface Node {
  op: string;
  inputs: Tensor[];
  ctx: Record<string, unknown>;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn without recording (evaluation, optimizer updates, attacks' projection steps). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function record(out: Tensor, op: string, inputs: Tensor[], ctx: Record<string, unknown> = {}): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, ctx };
  }
  return out;
}
