// safetensors encode/decode (https://github.com/huggingface/safetensors): 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__: {string: string}}, then the raw
// little-endian data. Platform-neutral (bytes in, bytes out) so the browser page reads the same files.
import { sizeOf } from '../tensor/shape.js';

export type StDType = 'F32' | 'I32' | 'F64' | 'I64' | 'U8' | 'F16' | 'BF16';
export interface StTensor {
  dtype: StDType;
  shape: number[];
  data: Float32Array | Int32Array;
}
export interface StFile {
  tensors: Map<string, StTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<StDType, number> = { F32: 4, I32: 4, F64: 8, I64: 8, U8: 1, F16: 2, BF16: 2 };

export function encodeSafetensors(tensors: Map<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name) as StTensor;
    const count = sizeOf(t.shape);
    if (count !== t.data.length)
      throw new Error(`safetensors: "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    const bytes = count * 4;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // keep data 8-byte aligned, as the reference writer does
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const name of names) {
    const t = tensors.get(name) as StTensor;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): StFile {
  if (bytes.length < 8)
    throw new Error(`${source}: not a safetensors file (${bytes.length} bytes, shorter than the 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8)
    throw new Error(
      `${source}: header length ${n} exceeds the file size ${bytes.length} (truncated or not safetensors)`,
    );
  let header: Record<
    string,
    { dtype: StDType; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: StDType; shape: number[]; data_offsets: [number, number] };
    if (!(e.dtype in BYTES)) throw new Error(`${source}: "${name}" has unknown dtype ${e.dtype}`);
    const [b0, b1] = e.data_offsets;
    const count = sizeOf(e.shape);
    if (b1 - b0 !== count * BYTES[e.dtype])
      throw new Error(`${source}: "${name}" offsets [${b0}, ${b1}] do not fit ${e.dtype} shape [${e.shape}]`);
    if (base + b1 > bytes.length)
      throw new Error(`${source}: "${name}" data runs past the end of the file (truncated)`);
    const raw = bytes.slice(base + b0, base + b1); // copy: aligned for the typed array
    const dv = new DataView(raw.buffer);
    let data: Float32Array | Int32Array;
    switch (e.dtype) {
      case 'F32':
        data = new Float32Array(raw.buffer);
        break;
      case 'I32':
        data = new Int32Array(raw.buffer);
        break;
      case 'F64':
        data = Float32Array.from({ length: count }, (_, i) => dv.getFloat64(i * 8, true));
        break;
      case 'I64':
        data = Int32Array.from({ length: count }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
        break;
      case 'U8':
        data = Int32Array.from(raw);
        break;
      case 'BF16':
        data = Float32Array.from(
          { length: count },
          (_, i) => new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0],
        );
        break;
      case 'F16':
        data = Float32Array.from({ length: count }, (_, i) => halfToFloat(dv.getUint16(i * 2, true)));
        break;
    }
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
