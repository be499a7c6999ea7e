// The Tensor: a shape, a dtype and a reference-counted GPU buffer (reshape shares it). Tensors are always
// contiguous: permute/slice/expand materialise through a strided-copy kernel, which keeps every kernel
// simple and fast on lavapipe. Methods are thin wrappers over the functions in ./ops.
import { engine, type DType } from '../device/engine.js';
import { fmt, sizeOf, type Shape } from './shape.js';
import { track, untrack, TENSOR_BRAND } from './scope.js';
import type { Node } from '../autograd/tape.js';

export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
  release(): void {
    if (--this.refs === 0) engine().releaseBuffer(this.buffer);
  }
}

let nextId = 1;

export class Tensor {
  /** lets tidy() recognise tensors in returned values without importing this class */
  readonly [TENSOR_BRAND] = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  private _storage: Storage | null;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** the op that produced this tensor (null for leaves) */
  node: Node | null = null;
  kept = false;
  /** optional label for error messages (parameter names) */
  name?: string;

  constructor(shape: Shape, dtype: DType, storage?: Storage) {
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    const bytes = this.size * 4;
    this._storage = storage ?? new Storage(engine().createBuffer(bytes), bytes);
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this._storage === null;
  }

  describe(): string {
    return `${this.name ? `"${this.name}" ` : ''}tensor ${fmt(this.shape)} ${this.dtype}`;
  }

  get storage(): Storage {
    if (!this._storage) throw new Error(`use of a disposed ${this.describe()} (id ${this.id})`);
    return this._storage;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  /** A tensor of another shape over the same buffer (no copy). */
  shareAs(shape: Shape): Tensor {
    const s = this.storage;
    s.refs++;
    return new Tensor(shape, this.dtype, s);
  }

  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    untrack(this);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  async toArray(): Promise<Float32Array | Int32Array> {
    const data = await engine().read(this.buffer, this.size * 4);
    return this.dtype === 'int32' ? new Int32Array(data) : new Float32Array(data);
  }

  async toFloat32(): Promise<Float32Array> {
    const a = await this.toArray();
    return a instanceof Float32Array ? a : Float32Array.from(a);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): ${this.describe()} has ${this.size} elements, expected 1`);
    return (await this.toArray())[0];
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype})`;
  }
}
