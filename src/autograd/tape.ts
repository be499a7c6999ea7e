// The tape. An op is declared once with defineOp, next to its forward code in the tensor layer: its name,
// the typed record it saves for the backward pass, and its gradient rule. Each differentiable output
// remembers the op, its inputs and that record; backward() (./backward.ts) walks the outputs in reverse.
import type { Tensor } from '../tensor/tensor.js';

/** Gradient per input (null where an input gets none), from the upstream gradient g. */
export type GradientRule<S> = (g: Tensor, saved: S, inputs: readonly Tensor[], out: Tensor) => (Tensor | null)[];

export interface Node<S = unknown> {
  op: OpDef<S>;
  inputs: Tensor[];
  saved: S;
}

export class OpDef<S = undefined> {
  constructor(
    readonly name: string,
    readonly backward: GradientRule<S>,
  ) {}

  /** Attach `out` to the tape (when recording and an input requires grad) and return it. */
  record(out: Tensor, inputs: Tensor[], ...saved: S extends undefined ? [] : [S]): Tensor {
    if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
      out.requiresGrad = true;
      out.node = { op: this as OpDef<unknown>, inputs, saved: saved[0] };
    }
    return out;
  }
}

const defined = new Set<string>();

/** Declare a differentiable op: its name (unique: it names the op in errors) and its gradient rule. */
export function defineOp<S = undefined>(name: string, backward: GradientRule<S>): OpDef<S> {
  if (defined.has(name)) throw new Error(`defineOp: op "${name}" is defined twice`);
  defined.add(name);
  return new OpDef<S>(name, backward);
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
