// PyTorch checkpoints (`torch.save(model.state_dict())`, the zip format of torch >= 1.6): a zip holding
// <archive>/data.pkl (the pickled OrderedDict) and <archive>/data/<key> (each storage's raw little-endian
// bytes). The pickle is read by the restricted unpickler (./pickle.ts) with an allow-list of exactly what a
// state dict needs; every tensor is checked against its storage, and all of it is read before any of it is
// returned, so a bad file loads nothing. Platform-neutral.
import { sizeOf } from '../tensor/shape.js';
import { readZip } from './zip.js';
import { PickleDict, PickleGlobal, PickleObject, PickleTuple, unpickle, type PickleValue } from './pickle.js';
import type { StDType, StTensor } from './safetensors.js';

/** torch storage types -> element type and size */
const STORAGES: Record<string, { dtype: StDType; bytes: number }> = {
  'torch.FloatStorage': { dtype: 'F32', bytes: 4 },
  'torch.DoubleStorage': { dtype: 'F64', bytes: 8 },
  'torch.HalfStorage': { dtype: 'F16', bytes: 2 },
  'torch.BFloat16Storage': { dtype: 'BF16', bytes: 2 },
  'torch.LongStorage': { dtype: 'I64', bytes: 8 },
  'torch.IntStorage': { dtype: 'I32', bytes: 4 },
  'torch.ByteStorage': { dtype: 'U8', bytes: 1 },
};

interface StorageRef {
  key: string;
  dtype: StDType;
  bytes: number;
  numel: number;
}
interface TensorRef {
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

const ints = (v: PickleValue, what: string, source: string): number[] => {
  const items = v instanceof PickleTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0))
    throw new Error(`${source}: a tensor's ${what} is not a tuple of non-negative integers`);
  return items as number[];
};

function rebuildTensor(args: PickleValue[], source: string): PickleValue {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof PickleObject) || storage.kind !== 'storage')
    throw new Error(`${source}: _rebuild_tensor_v2 without a storage`);
  if (typeof offset !== 'number') throw new Error(`${source}: a tensor's storage offset is not an integer`);
  const ref: TensorRef = {
    storage: storage.value as StorageRef,
    offset,
    size: ints(size, 'size', source),
    stride: ints(stride, 'stride', source),
  };
  if (ref.size.length !== ref.stride.length) throw new Error(`${source}: a tensor's size and stride differ in rank`);
  return new PickleObject('tensor', ref);
}

function persistentLoad(pid: PickleValue, source: string): PickleValue {
  const t = pid instanceof PickleTuple ? pid.items : [];
  const [tag, type, key, , numel] = t;
  if (tag !== 'storage' || !(type instanceof PickleGlobal) || typeof key !== 'string' || typeof numel !== 'number')
    throw new Error(`${source}: an unexpected persistent id (not a torch storage)`);
  const s = STORAGES[type.qualified];
  if (!s) throw new Error(`${source}: unsupported storage type ${type.qualified} (storage ${key})`);
  return new PickleObject('storage', { key, numel, ...s } satisfies StorageRef);
}

/** Decode one float16 / bfloat16 bit pattern. */
function half(h: number): number {
  const e = (h >> 10) & 0x1f,
    f = h & 0x3ff,
    s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
const bf16 = new DataView(new ArrayBuffer(4));

/** The tensor's elements, in row-major order, from its storage's bytes (strides and offset applied). */
function materialise(name: string, t: TensorRef, raw: Uint8Array, source: string): StTensor {
  const { storage: s, offset, size, stride } = t;
  const count = sizeOf(size);
  const have = Math.floor(raw.length / s.bytes);
  const extent = count === 0 ? 0 : offset + size.reduce((a, d, i) => a + (d - 1) * stride[i], 0) + 1;
  if (raw.length < s.numel * s.bytes || extent > have)
    throw new Error(
      `${source}: "${name}" [${size}] needs ${extent} elements of storage ${s.key}, which holds ${have} ` +
        `(declared ${s.numel}; truncated or corrupt)`,
    );
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (i: number): number => {
    const o = i * s.bytes;
    switch (s.dtype) {
      case 'F32':
        return view.getFloat32(o, true);
      case 'F64':
        return view.getFloat64(o, true);
      case 'F16':
        return half(view.getUint16(o, true));
      case 'BF16':
        bf16.setUint32(0, view.getUint16(o, true) << 16, true);
        return bf16.getFloat32(0, true);
      case 'I64':
        return Number(view.getBigInt64(o, true));
      case 'I32':
        return view.getInt32(o, true);
      default:
        return raw[o];
    }
  };
  const floating = s.dtype.startsWith('F') || s.dtype === 'BF16';
  const data = floating ? new Float32Array(count) : new Int32Array(count);
  const idx = new Array(size.length).fill(0);
  for (let k = 0; k < count; k++) {
    let src = offset;
    for (let d = 0; d < size.length; d++) src += idx[d] * stride[d];
    data[k] = read(src);
    for (let d = size.length - 1; d >= 0 && ++idx[d] === size[d]; d--) idx[d] = 0;
  }
  return { dtype: s.dtype, shape: [...size], data };
}

/** Read a state dict written by torch.save; names as in the file (e.g. the seed's conv0.weight). */
export function readTorchCheckpoint(bytes: Uint8Array, source: string): Map<string, StTensor> {
  const zip = readZip(bytes, source);
  const pkl = [...zip.keys()].find((k) => k === 'data.pkl' || k.endsWith('/data.pkl'));
  if (!pkl) throw new Error(`${source}: a zip without data.pkl (not a torch.save checkpoint)`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = zip.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(order.data).trim() !== 'little')
    throw new Error(`${source}: big-endian storages are not supported`);
  const root = unpickle(zip.get(pkl)?.data as Uint8Array, {
    source,
    calls: {
      'collections.OrderedDict': () => new PickleDict(),
      'torch._utils._rebuild_tensor_v2': (a) => rebuildTensor(a, source),
      'torch._utils._rebuild_parameter': (a) => a[0],
    },
    values: Object.keys(STORAGES),
    persistentLoad: (pid) => persistentLoad(pid, source),
  });
  // a bare state dict, or one under "state_dict" / "model" (common training-script wrappers)
  let dict = root instanceof PickleDict ? root : null;
  for (const key of ['state_dict', 'model']) {
    const inner = dict?.map.get(key);
    if (inner instanceof PickleDict) dict = inner;
  }
  if (!dict) throw new Error(`${source}: the checkpoint does not hold a state dict`);
  const out = new Map<string, StTensor>();
  for (const [k, v] of dict.map) {
    if (typeof k !== 'string') throw new Error(`${source}: a state-dict key that is not a string`);
    if (!(v instanceof PickleObject) || v.kind !== 'tensor') throw new Error(`${source}: "${k}" is not a tensor`);
    const ref = v.value as TensorRef;
    const entry = zip.get(`${prefix}data/${ref.storage.key}`);
    if (!entry) throw new Error(`${source}: "${k}" refers to storage ${ref.storage.key}, which the archive lacks`);
    out.set(k, materialise(k, ref, entry.data, source));
  }
  return out;
}
