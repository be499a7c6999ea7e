// Output allocation and input validation shared by all ops.
import type { DType } from '../../device/engine.js';
import { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';

export function empty(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(shape, dtype);
}

export class DTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DTypeError';
  }
}

export function expectFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${typeof t}`);
    if (t.dtype !== 'float32') throw new DTypeError(`${op}: expected float32, got ${t.describe()}`);
    void t.storage; // throws on a disposed tensor
  }
}

export function expectInt(op: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${typeof t}`);
  if (t.dtype !== 'int32') throw new DTypeError(`${op}: expected int32 indices/labels, got ${t.describe()}`);
  void t.storage;
}
