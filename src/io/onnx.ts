// .onnx files decoded with protobufjs against the ONNX schema (./onnx-proto.gen.ts) into a plain graph: nodes
// with their attributes, float initializers, the graph's inputs and outputs. Decoding runs no code from the
// file; external data (tensors stored in other files) is refused by name, as are non-float weights.
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-proto.gen.js';
import { sizeOf } from '../tensor/shape.js';

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, or int64 values as numbers (shapes, axes) */
  data: Float32Array | number[];
}
export type OnnxAttr = number | number[] | string | OnnxTensor;
export interface OnnxNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}
export interface OnnxGraph {
  source: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** graph inputs that are not initializers, with their dims (a string for a symbolic dim) */
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: string[];
  opset: number;
  producer: string;
}

let modelType: protobuf.Type | null = null;
function schema(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

const num = (v: unknown): number => (typeof v === 'object' && v !== null ? Number(String(v)) : Number(v));
// TensorProto.DataType: 1 FLOAT, 7 INT64, 6 INT32, 11 DOUBLE
const FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
  DOUBLE = 11;

interface RawTensor {
  name?: string;
  dims?: unknown[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: unknown[];
  double_data?: number[];
  raw_data?: Uint8Array;
  data_location?: number;
}

function tensorOf(t: RawTensor, source: string): OnnxTensor {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map(num);
  const count = sizeOf(dims);
  if (t.data_location === 1)
    throw new Error(`${source}: tensor "${name}" keeps its data in an external file, which is not supported`);
  const raw = t.raw_data && t.raw_data.length ? t.raw_data : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  let data: Float32Array | number[];
  switch (t.data_type) {
    case FLOAT:
      data = view
        ? Float32Array.from({ length: raw!.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true))
        : Float32Array.from(t.float_data ?? []);
      break;
    case DOUBLE:
      data = view
        ? Float32Array.from({ length: raw!.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, true))
        : Float32Array.from(t.double_data ?? []);
      break;
    case INT64:
      data = view
        ? Array.from({ length: raw!.byteLength / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true)))
        : (t.int64_data ?? []).map(num);
      break;
    case INT32:
      data = view
        ? Array.from({ length: raw!.byteLength / 4 }, (_, i) => view.getInt32(4 * i, true))
        : (t.int32_data ?? []).map(num);
      break;
    default:
      throw new Error(`${source}: tensor "${name}" has ONNX data type ${t.data_type}; only float and int weights load`);
  }
  if (data.length !== count)
    throw new Error(`${source}: tensor "${name}" has ${data.length} values for dims [${dims}] (${count})`);
  return { name, dims, data };
}

interface RawAttr {
  name: string;
  type?: number;
  f?: number;
  i?: unknown;
  s?: Uint8Array;
  t?: RawTensor;
  floats?: number[];
  ints?: unknown[];
}

function attrOf(a: RawAttr, source: string): OnnxAttr {
  // AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return num(a.i ?? 0);
    case 3:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case 4:
      return tensorOf(a.t ?? {}, source);
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map(num);
    default:
      return `unsupported attribute type ${a.type}`;
  }
}

/** Decode an .onnx file; errors name the file and what is wrong with it. */
export function decodeOnnx(bytes: Uint8Array, source: string): OnnxGraph {
  let m: Record<string, unknown>;
  try {
    m = schema().toObject(schema().decode(bytes), { defaults: false, arrays: true, bytes: Uint8Array as never });
  } catch (e) {
    throw new Error(`${source}: not a readable ONNX model (truncated, or not ONNX): ${(e as Error).message}`);
  }
  const g = m.graph as
    | {
        node?: { name?: string; op_type?: string; input?: string[]; output?: string[]; attribute?: RawAttr[] }[];
        initializer?: RawTensor[];
        input?: {
          name: string;
          type?: { tensor_type?: { shape?: { dim?: { dim_value?: unknown; dim_param?: string }[] } } };
        }[];
        output?: { name: string }[];
      }
    | undefined;
  if (!g || !g.node?.length)
    throw new Error(`${source}: not an ONNX model (no graph with nodes; is this an .onnx file?)`);
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) {
    const tensor = tensorOf(t, source);
    initializers.set(tensor.name, tensor);
  }
  const nodes: OnnxNode[] = g.node.map((n, i) => {
    const attrs: Record<string, OnnxAttr> = {};
    for (const a of n.attribute ?? []) attrs[a.name] = attrOf(a, source);
    return {
      name: n.name || `${n.op_type}_${i}`,
      op: n.op_type ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    };
  });
  const inputs = (g.input ?? [])
    .filter((i) => !initializers.has(i.name))
    .map((i) => ({
      name: i.name,
      dims: (i.type?.tensor_type?.shape?.dim ?? []).map((d) =>
        d.dim_value !== undefined ? num(d.dim_value) : (d.dim_param ?? '?'),
      ),
    }));
  const opsets = (m.opset_import as { domain?: string; version?: unknown }[] | undefined) ?? [];
  const opset = num(opsets.find((o) => !o.domain)?.version ?? 0);
  return {
    source,
    nodes,
    initializers,
    inputs,
    outputs: (g.output ?? []).map((o) => o.name),
    opset,
    producer: String(m.producer_name ?? ''),
  };
}
