// The seed's PTQ (../shared/seed/ptq-notes.md, read from ALL/module.py and model_deployment.py) and its
// clean variant. Where it quantizes: the first layer's input; every unit's output after its fused
// activation (conv [+ BN] [+ ReLU/ReLU6], or a linear); the outputs of residual adds, inception concats and
// the adaptive average pool. Weights per tensor on the BN-folded weight (scale max|w| / qmax), biases on the
// format's bias levels with scale s_in · s_w. Symmetric ranges, max|x| / qmax.
//
// Protocol "seed" emulates two quirks of its code, each switchable:
//  - lastOperandRange: an add's / concat's range is calibrated on its LAST operand (the shortcut, the fourth
//    branch: QElementwiseAdd / QConcat call qo.update(x) on the operand), not on the sum;
//  - intUnclamped: INT inference rounds without clamping to the calibrated range (POT and FLOAT saturate).
// Protocol "clean" calibrates each sum on itself and clamps every format.
//
// Calibration runs per format through the fake-quantized network: ranges are recorded at every point before
// it is quantized (the seed's update-then-quantize, so calibration never clips: quantization there is
// unclamped), with the downstream ranges shaped by upstream quantization. The quantizing scales during
// that pass come from a full-precision pass over the same batches (the seed uses its running range; both
// are running maxima of the same batches, so they differ only through the first batches' ranges).
import { noGrad } from '../autograd/tape.js';
import type { Batch } from '../data/batches.js';
import type { Classifier } from '../nn/models/modules.js';
import type { ForwardContext } from '../nn/module.js';
import type { FlopsTable } from '../nn/flops.js';
import { fromArray } from '../tensor/ops/creation.js';
import { abs, maximum } from '../tensor/ops/elementwise.js';
import { max } from '../tensor/ops/reduce-ops.js';
import { clone, reshape } from '../tensor/ops/shape-ops.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { fakeQuant } from './fakequant.js';
import { sweepFormats, type QuantFormat } from './format.js';
import { restore as restoreLayers, type QuantLayer } from './ptq.js';
import { jsDivergence } from './similarity.js';

export type ProtocolName = 'seed' | 'clean' | 'seed-sum-range' | 'seed-int-clamp';
export interface Quirks {
  lastOperandRange: boolean;
  intUnclamped: boolean;
}
export const PROTOCOLS: Record<ProtocolName, Quirks> = {
  seed: { lastOperandRange: true, intUnclamped: true },
  clean: { lastOperandRange: false, intUnclamped: false },
  // one quirk fixed at a time: what each one moves (the report's quirk table)
  'seed-sum-range': { lastOperandRange: false, intUnclamped: true },
  'seed-int-clamp': { lastOperandRange: true, intUnclamped: false },
};

export function protocolQuirks(name: string): Quirks {
  const q = PROTOCOLS[name as ProtocolName];
  if (!q) throw new Error(`unknown PTQ protocol "${name}" (known: ${Object.keys(PROTOCOLS).join(', ')})`);
  return q;
}

/** The seed's sweep: INT2-16, POT2-8, FLOAT k_E e for k = 3..8, e = 1..k-2 (43 formats). */
export function seedFormats(): QuantFormat[] {
  return sweepFormats(
    ['INT', 'POT', 'FLOAT'],
    Array.from({ length: 15 }, (_, i) => i + 2),
  );
}

/** max|x| at each quantization point: the first input, unit outputs, joins (and unit inputs, for bias scales). */
export interface PointRanges {
  input: number;
  units: Record<string, { in: number; out: number }>;
  joins: Record<string, number>;
}

/** The model's total in MMac as ptflops prints it (two decimals; GMac strings x 1024), the seed's weighting. */
export function seedMac(totalMacs: number): number {
  return totalMacs >= 1e9 ? Number((totalMacs / 1e9).toFixed(2)) * 1024 : Number((totalMacs / 1e6).toFixed(2));
}

/**
 * Each unit's share in PERCENT of the whole model (the ptflops table, pools and standalone ReLUs included in
 * the denominator): its conv's or linear's row plus its BN's and fused activation's.
 */
export function unitShares(table: FlopsTable): Map<string, { param: number; mac: number }> {
  const totalParams = table.layers.reduce((s, l) => s + l.params, 0);
  const out = new Map<string, { param: number; mac: number }>();
  for (const l of table.layers) {
    const unit = l.kind === 'conv' || l.kind === 'linear' ? l.name : l.unit;
    if (!unit) continue;
    const s = out.get(unit) ?? { param: 0, mac: 0 };
    s.param += (100 * l.params) / totalParams;
    s.mac += (100 * l.macs) / table.totalMacs;
    out.set(unit, s);
  }
  return out;
}

const scaleOf = (f: QuantFormat, amax: number) => amax / f.qmax;
const unclampedOf = (f: QuantFormat): QuantFormat => ({ ...f, unclamped: true });

interface ContextOptions {
  f: QuantFormat | null;
  quirks: Quirks;
  firstLayer: string;
  /** scales to quantize with (null: record only, quantize nothing) */
  ranges: PointRanges | null;
  /** record ranges into these running maxima (calibration) */
  record?: Map<string, Tensor>;
  /** calibration: never clip (the seed updates the range before quantizing) */
  calibrating?: boolean;
}

function track(into: Map<string, Tensor>, key: string, x: Tensor): void {
  const prev = into.get(key);
  const cur = max(abs(x));
  const next = keep(prev ? maximum(prev, cur) : cur);
  prev?.dispose();
  into.set(key, next);
}

/** The forward context of a protocol: records ranges, fake-quantizes at the seed's points, or both. */
export function protocolContext(o: ContextOptions): ForwardContext {
  const { f, quirks, ranges } = o;
  const q = (x: Tensor, amax: number | undefined, what: string): Tensor => {
    if (!f || !ranges) return x;
    if (amax === undefined) throw new Error(`PTQ: ${what} was not seen during calibration`);
    // INT inference without clamping is the seed's quirk; calibration never clips under either protocol
    const g = o.calibrating || (quirks.intUnclamped && f.family === 'INT') ? unclampedOf(f) : f;
    return fakeQuant(x, g, scaleOf(f, amax));
  };
  return {
    inputHook: (name, _l, x) => {
      if (o.record) track(o.record, `in|${name}`, x);
      if (name !== o.firstLayer) return x;
      if (o.record) track(o.record, 'input', x);
      return q(x, ranges?.input, `the input of ${name}`);
    },
    unitHook: (name, y) => {
      if (o.record) track(o.record, `unit|${name}`, y);
      return q(y, ranges?.units[name]?.out, `the output of ${name}`);
    },
    joinHook: (name, kind, y, operands) => {
      const measured = kind !== 'aap' && quirks.lastOperandRange ? operands[operands.length - 1] : y;
      if (o.record) track(o.record, `join|${name}`, measured);
      return q(y, ranges?.joins[name], `the ${kind} ${name}`);
    },
  };
}

/** Running max|x| at every quantization point over the batches, optionally through a quantized network. */
export async function calibratePoints(
  model: Classifier,
  batches: Iterable<Batch>,
  maxBatches: number,
  o: { f: QuantFormat | null; quirks: Quirks; firstLayer: string; ranges: PointRanges | null },
  onBatch?: (i: number) => void,
): Promise<PointRanges> {
  const record = new Map<string, Tensor>();
  const ctx = protocolContext({ ...o, record, calibrating: true });
  model.eval();
  let i = 0;
  for (const b of batches) {
    if (i >= maxBatches) break;
    noGrad(() => tidy(() => void model.forward(fromArray(b.x, model.batchShape(b.n)), ctx)));
    i++; // not inside onBatch?.(): an absent callback would skip the increment
    onBatch?.(i);
  }
  if (i === 0) throw new Error('calibration: no batches');
  const out: PointRanges = { input: 0, units: {}, joins: {} };
  for (const [key, t] of record) {
    const v = await t.item();
    t.dispose();
    const [kind, name] = key.split('|');
    if (kind === 'input') out.input = v;
    else if (kind === 'in') (out.units[name] ??= { in: 0, out: 0 }).in = v;
    else if (kind === 'unit') (out.units[name] ??= { in: 0, out: 0 }).out = v;
    else out.joins[name] = v;
  }
  return out;
}

/** Quantized weights and biases of every unit; biases on the format's bias levels with scale s_in · s_w. */
export function quantizedParams(
  layers: QuantLayer[],
  f: QuantFormat,
  r: PointRanges,
): { w: Tensor; b: Tensor | null }[] {
  return layers.map((l) => {
    const sw = scaleOf(f, l.weightAbsMax);
    const w = fakeQuant(l.fpWeight, f, sw);
    const sin = scaleOf(f, r.units[l.name]?.in ?? 0);
    const b = l.fpBias
      ? f.kind === 'block-int'
        ? clone(l.fpBias)
        : fakeQuant(l.fpBias, f.biasFormat(), sin * sw)
      : null;
    return { w, b };
  });
}

/** JS of a 1-D tensor with softmax over dim 0 (the seed's implicit dim for biases). */
export function jsBias(q: Tensor, fp: Tensor): Tensor {
  return jsDivergence(reshape(q, [1, q.size]), reshape(fp, [1, fp.size]));
}

export interface UnitSimilarity {
  name: string;
  jsWeight: number;
  jsBias: number;
  paramShare: number;
  macShare: number;
}

/** JS(weight) and JS(bias) of each unit (a unit without a bias: its folded zero bias, JS 0), and its shares. */
export async function unitSimilarities(
  layers: QuantLayer[],
  params: { w: Tensor; b: Tensor | null }[],
  shares: Map<string, { param: number; mac: number }>,
): Promise<UnitSimilarity[]> {
  const js = layers.map((l, i) => [
    keep(jsDivergence(params[i].w, l.fpWeight)),
    params[i].b && l.fpBias ? keep(jsBias(params[i].b as Tensor, l.fpBias)) : null,
  ]);
  const out: UnitSimilarity[] = [];
  for (const [i, l] of layers.entries()) {
    const s = shares.get(l.name);
    if (!s) throw new Error(`PTQ: no share for unit ${l.name}`);
    const [jw, jb] = js[i];
    out.push({
      name: l.name,
      jsWeight: await (jw as Tensor).item(),
      jsBias: jb ? await jb.item() : 0,
      paramShare: s.param,
      macShare: s.mac,
    });
    jw?.dispose();
    jb?.dispose();
  }
  return out;
}

/** The seed's model-level numbers: sum over units of (JS(w) + JS(b)) x share (percent). */
export function seedSimilarity(units: UnitSimilarity[], totalMacs: number) {
  const js_flops = units.reduce((s, u) => s + (u.jsWeight + u.jsBias) * u.macShare, 0);
  const js_param = units.reduce((s, u) => s + (u.jsWeight + u.jsBias) * u.paramShare, 0);
  const mac = seedMac(totalMacs);
  return {
    js_flops,
    js_param,
    js_flops_wt_log: js_flops * Math.log10(mac),
    js_flops_wt_cbrt: js_flops * Math.cbrt(mac),
  };
}

/** Load format f into the layers (quantized weights; biases on levels from `ranges`); the context to run it. */
export function loadProtocolFormat(
  layers: QuantLayer[],
  f: QuantFormat,
  o: { quirks: Quirks; firstLayer: string; ranges: PointRanges },
): ForwardContext {
  const params = quantizedParams(layers, f, o.ranges);
  layers.forEach((l, k) => {
    l.layer.setTensor('weight', params[k].w);
    const b = params[k].b;
    if (b) l.layer.setTensor('bias', b);
  });
  return protocolContext({ f, quirks: o.quirks, firstLayer: o.firstLayer, ranges: o.ranges });
}

/**
 * The seed's per-format calibration: quantized weights with full-precision-range biases in place, the
 * activation ranges measured through the fake-quantized network. Leaves that first-pass model loaded.
 */
export async function calibrateFormat(
  model: Classifier,
  layers: QuantLayer[],
  f: QuantFormat,
  o: { quirks: Quirks; firstLayer: string; fpRanges: PointRanges },
  batches: Iterable<Batch>,
  maxBatches: number,
): Promise<PointRanges> {
  loadProtocolFormat(layers, f, { quirks: o.quirks, firstLayer: o.firstLayer, ranges: o.fpRanges });
  return calibratePoints(model, batches, maxBatches, {
    f,
    quirks: o.quirks,
    firstLayer: o.firstLayer,
    ranges: o.fpRanges,
  });
}

/**
 * Run `measure` on the model with format f loaded (quantized weights, biases on levels from the ranges, the
 * fake-quant context), and put the full-precision weights back afterwards, also when measure throws.
 */
export async function withFormat<T>(
  layers: QuantLayer[],
  f: QuantFormat,
  o: { quirks: Quirks; firstLayer: string; ranges: PointRanges },
  measure: (ctx: ForwardContext) => Promise<T>,
): Promise<T> {
  try {
    return await measure(loadProtocolFormat(layers, f, o));
  } finally {
    restoreLayers(layers);
  }
}
