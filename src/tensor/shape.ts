// Shape arithmetic shared by every op: sizes, contiguous strides, PyTorch broadcasting, axis normalisation.
// All errors name the offending shape/axis so a user can see what went wrong without a debugger.

export type Shape = readonly number[];

export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: Shape, what = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${what} must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`${what} [${shape.join(', ')}] has an invalid dimension ${d}`);
  }
  return [...shape];
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** PyTorch broadcasting: align right, dims must be equal or 1. */
export function broadcastShapes(a: Shape, b: Shape, op = 'op'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides to read a tensor of `shape` as if it had `target` shape (0 stride on broadcast dims). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = contiguousStrides(shape);
  const off = target.length - shape.length;
  return target.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]));
}

export function normAxis(axis: number, rank: number, op = 'op'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(axes: number | readonly number[] | undefined, rank: number, op = 'op'): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = [...new Set(list.map((a) => normAxis(a, rank, op)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new ShapeError(`${op}: repeated axis in [${list.join(', ')}]`);
  return out;
}

/** Resolve a reshape target that may contain one -1. */
export function resolveReshape(from: Shape, to: Shape): number[] {
  const n = sizeOf(from);
  const neg = to.filter((d) => d === -1).length;
  if (neg > 1) throw new ShapeError(`reshape: only one -1 allowed in ${fmt(to)}`);
  const known = to.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const out = to.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
  checkShape(out, 'reshape target');
  if (sizeOf(out) !== n) throw new ShapeError(`reshape: cannot view ${fmt(from)} (${n} elements) as ${fmt(to)}`);
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
