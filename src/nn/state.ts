// Moving a Module's state (parameters + buffers, PyTorch-style names) to and from safetensors tensors.
// Loading checks every name, shape and dtype and reports all mismatches at once.
import { engine } from '../device/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, type StTensor } from '../io/safetensors.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';
import { buildModel, outputWeightKey } from './models/build.js';
import type { Classifier } from './models/modules.js';
import { looksLikeZip } from '../io/zip.js';
import { readTorchCheckpoint } from '../io/torch-checkpoint.js';
import { decodeOnnx } from '../io/onnx.js';
import { classifierFromOnnx } from './models/onnx-import.js';

/** Checkpoints keep optimizer state next to the weights under this prefix. */
const OPTIMIZER_PREFIX = 'optimizer.';

export async function tensorsToSt(named: Iterable<[string, Tensor]>): Promise<Map<string, StTensor>> {
  const out = new Map<string, StTensor>();
  for (const [name, t] of named) {
    const data = await t.toArray();
    out.set(name, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data });
  }
  return out;
}

export async function moduleState(m: Module): Promise<Map<string, StTensor>> {
  return tensorsToSt(m.stateDict());
}

export interface LoadOptions {
  strict?: boolean;
  source?: string;
  prefix?: string;
}

/**
 * Load tensors into a module. `prefix` selects entries (e.g. "model.") from a file that also holds
 * optimizer state. With strict (default) a missing or unexpected name is an error.
 */
export function loadModuleState(
  m: Module,
  tensors: Map<string, StTensor>,
  { strict = true, source = 'checkpoint', prefix = '' }: LoadOptions = {},
): void {
  const own = m.stateDict();
  const problems: string[] = [];
  const given = new Map(
    [...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
  );
  // PyTorch BN also stores num_batches_tracked; it carries no information we use
  for (const k of [...given.keys()]) if (k.endsWith('num_batches_tracked')) given.delete(k);
  for (const [name, t] of own) {
    const g = given.get(name);
    if (!g) {
      if (strict) problems.push(`missing "${name}" [${t.shape}]`);
      continue;
    }
    if (g.dtype !== 'F32' && g.dtype !== 'F64' && g.dtype !== 'F16' && g.dtype !== 'BF16')
      problems.push(`"${name}" has dtype ${g.dtype}, expected a float type`);
    else if (g.shape.join() !== t.shape.join())
      problems.push(`"${name}" has shape [${g.shape}], the model expects [${t.shape}]`);
  }
  if (strict)
    for (const name of given.keys())
      if (!own.has(name)) problems.push(`unexpected "${name}" [${given.get(name)?.shape}]`);
  if (problems.length)
    throw new Error(
      `${source} does not fit ${m.kind === 'classifier' ? (m as unknown as { arch: string }).arch : m.kind}:\n  ` +
        `${problems.join('\n  ')}`,
    );
  // write into the existing buffers: optimizers and other holders keep valid references to the tensors
  for (const [name, t] of own) {
    const g = given.get(name);
    if (!g) continue;
    engine().write(t.buffer, g.data instanceof Float32Array ? g.data : Float32Array.from(g.data));
  }
}

/** The module entries of a checkpoint (everything but the optimizer state). */
export function weightsOnly(tensors: Map<string, StTensor>): Map<string, StTensor> {
  return new Map([...tensors].filter(([k]) => !k.startsWith(OPTIMIZER_PREFIX)));
}

/** Optimizer state tensors as checkpoint entries (`optimizer.<name>`). */
export async function optimizerState(opt: Optimizer): Promise<Map<string, StTensor>> {
  const st = await tensorsToSt(Object.entries(opt.stateTensors()));
  return new Map([...st].map(([k, v]) => [`${OPTIMIZER_PREFIX}${k}`, v]));
}

/** Write a checkpoint's optimizer entries into the optimizer's state buffers (shapes checked). */
export function loadOptimizerState(opt: Optimizer, tensors: Map<string, StTensor>, source: string): void {
  for (const [k, t] of Object.entries(opt.stateTensors())) {
    const s = tensors.get(`${OPTIMIZER_PREFIX}${k}`);
    if (!s || s.shape.join() !== t.shape.join())
      throw new Error(`${source}: optimizer state "${k}" missing or of the wrong shape`);
    engine().write(t.buffer, s.data);
  }
}

/**
 * A classifier from a checkpoint's bytes: a safetensors file (ours or any with the seed's key names) or a
 * PyTorch `torch.save(model.state_dict())` zip. The architecture comes from the safetensors metadata or
 * `arch`; the class count from the metadata or the output layer's weight.
 */
/** An .onnx file (by name, or by its first protobuf field, ir_version, where a safetensors header has a '{'). */
export function looksLikeOnnx(bytes: Uint8Array, source: string): boolean {
  return source.toLowerCase().endsWith('.onnx') || (bytes[0] === 0x08 && bytes[8] !== 0x7b && !looksLikeZip(bytes));
}

export function classifierFromCheckpoint(bytes: Uint8Array, source: string, arch?: string): Classifier {
  if (looksLikeOnnx(bytes, source))
    return classifierFromOnnx(decodeOnnx(bytes, source), arch ?? `onnx:${source.split(/[\\/]/).pop()}`);
  const torch = looksLikeZip(bytes);
  const f = torch ? { tensors: readTorchCheckpoint(bytes, source), metadata: {} as Record<string, string> } : null;
  const { tensors, metadata } = f ?? decodeSafetensors(bytes, source);
  const name = arch ?? metadata.arch;
  if (!name)
    throw new Error(
      torch
        ? `${source}: a PyTorch checkpoint does not name its architecture; pass the model name (--model)`
        : `${source}: no "arch" in the safetensors metadata; pass the model name (--model)`,
    );
  const out = tensors.get(outputWeightKey(name));
  const classes = Number(metadata.classes ?? out?.shape[0] ?? 10);
  const model = buildModel(name, { classes });
  try {
    loadModuleState(model, weightsOnly(tensors), { source });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
