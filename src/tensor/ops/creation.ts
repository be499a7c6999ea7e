// Creation: constants on the GPU by a fill kernel (no upload, no flush), host data by upload.
import seedrandom from 'seedrandom';
import { engine, type DType } from '../../device/engine.js';
import { checkShape, fmt, sizeOf, type Shape } from '../shape.js';
import { fill } from '../../kernels/copy.js';
import { empty, DTypeError } from './alloc.js';
import type { Tensor } from '../tensor.js';

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  const s = checkShape(shape);
  if (dtype === 'int32' && !Number.isInteger(value)) throw new DTypeError(`full: ${value} is not an int32 value`);
  const t = empty(s, dtype);
  fill(dtype, t.buffer, t.size, value, 0);
  return t;
}

export const zeros = (shape: Shape, dtype: DType = 'float32') => full(shape, 0, dtype);
export const ones = (shape: Shape, dtype: DType = 'float32') => full(shape, 1, dtype);

export function arange(start: number, end?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = empty([n], dtype);
  fill(dtype, t.buffer, n, start, step);
  return t;
}

export type HostData = ArrayLike<number> | Float32Array | Int32Array | Float64Array;

export function fromArray(data: HostData, shape?: Shape, dtype?: DType): Tensor {
  const s = checkShape(shape ?? [data.length]);
  if (sizeOf(s) !== data.length)
    throw new RangeError(`fromArray: ${data.length} values do not fill shape ${fmt(s)} (${sizeOf(s)} elements)`);
  const dt: DType = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  let arr: Float32Array | Int32Array;
  if (dt === 'int32') {
    arr = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
    for (let i = 0; i < data.length; i++)
      if (!Number.isInteger(data[i])) throw new DTypeError(`fromArray: value ${data[i]} at ${i} is not an int32`);
  } else arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  const t = empty(s, dt);
  if (arr.length) engine().write(t.buffer, arr);
  return t;
}

export const tensor = fromArray;

/** A seeded generator; uniform() in [0, 1), normal() standard normal (Box–Muller). */
export class Random {
  private rng: seedrandom.PRNG & { state(): object };
  private spare: number | null = null;
  constructor(seed: string | number = 0) {
    this.rng = seedrandom(String(seed), { state: true }) as Random['rng'];
  }
  uniform(): number {
    return this.rng.quick();
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.rng.quick();
    const v = this.rng.quick();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  int(n: number): number {
    return Math.floor(this.rng.quick() * n);
  }
  /** Serializable state, so a resumed run continues the same stream. */
  state(): object {
    return this.rng.state();
  }
  static fromState(state: object): Random {
    const r = new Random(0);
    r.rng = seedrandom('', { state: state as never }) as Random['rng'];
    return r;
  }
}

let globalRandom = new Random(0);
export function manualSeed(seed: number | string): void {
  globalRandom = new Random(seed);
}

export function rand(shape: Shape, rng: Random = globalRandom): Tensor {
  const s = checkShape(shape);
  const a = new Float32Array(sizeOf(s));
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform();
  return fromArray(a, s);
}

export function randn(shape: Shape, rng: Random = globalRandom): Tensor {
  const s = checkShape(shape);
  const a = new Float32Array(sizeOf(s));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return fromArray(a, s);
}
