// Post-training quantization of a trained classifier, as the seed does it:
//  1. fold every BatchNorm into the conv before it (eval-mode statistics),
//  2. calibrate activation ranges: running max|x| of each conv/linear layer's input and output over
//     training batches (symmetric formats need only the magnitude: scale = max(|min|, |max|) / qmax),
//  3. per format: quantize weights per layer (scale = max|w| / qmax) and biases (bias format, scale =
//     input scale x weight scale), evaluate with fake-quantized inputs and outputs of every layer,
//  4. similarity: per-layer JS divergence of softmax(dim 1) of quantized vs full-precision weights,
//     weighted by each layer's share of params and of MACs.
// Differences from the seed (documented in the README): the seed re-calibrates while fake-quantizing
// (upstream quantization shifts downstream ranges) and then runs integer arithmetic; here calibration
// runs once on the folded full-precision model and inference is fake-quant simulation in float32.
import { keep, tidy } from '../tensor/scope.js';
import { abs, maximum } from '../tensor/ops/elementwise.js';
import { max } from '../tensor/ops/reduce-ops.js';
import { clone } from '../tensor/ops/shape-ops.js';
import { fromArray } from '../tensor/ops/creation.js';
import { noGrad } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Conv2d, Linear } from '../nn/layers.js';
import { ConvUnit, type Classifier } from '../nn/models/modules.js';
import { foldedConvParams } from '../nn/bn-fold.js';
import type { ForwardContext } from '../nn/module.js';
import type { Batch } from '../data/batches.js';
import { fakeQuant, absMax } from './fakequant.js';
import { jsDivergence, histogram, histogramJs, histogramRange } from './similarity.js';
import type { QuantFormat } from './format.js';

/**
 * Fold each ConvUnit's BatchNorm into its conv: w' = w·γ/σ, b' = β − γ·μ/σ + b·γ/σ, σ = sqrt(var + eps).
 */
export function foldBatchNorms(model: Classifier): number {
  let folded = 0;
  for (const [, m] of model.modules()) {
    if (!(m instanceof ConvUnit) || !m.bn) continue;
    const conv = m.conv;
    const [w, b] = foldedConvParams(conv, m.bn);
    conv.setTensor('weight', w);
    conv.ensureBias();
    conv.setTensor('bias', b);
    m.dropBatchNorm();
    folded++;
  }
  model.register();
  return folded;
}

export interface QuantLayer {
  name: string;
  layer: Conv2d | Linear;
  fpWeight: Tensor;
  fpBias: Tensor | null;
  weightAbsMax: number;
  /** full-precision weight histograms by bin count (the same for every format) */
  fpHist: Map<number, Uint32Array>;
}

async function fpHistogram(l: QuantLayer, bins: number): Promise<Uint32Array> {
  let h = l.fpHist.get(bins);
  if (!h) {
    const [lo, hi] = histogramRange(l.weightAbsMax);
    h = await histogram(l.fpWeight, bins, lo, hi);
    l.fpHist.set(bins, h);
  }
  return h;
}

/** The conv/linear layers in forward order with copies of their full-precision parameters. */
export async function quantLayers(model: Classifier): Promise<QuantLayer[]> {
  const out: QuantLayer[] = [];
  for (const [name, m] of model.modules()) {
    if (!(m instanceof Conv2d || m instanceof Linear)) continue;
    const fpWeight = keep(clone(m.param('weight')));
    const fpBias = m.hasBias ? keep(clone(m.param('bias'))) : null;
    out.push({ name, layer: m, fpWeight, fpBias, weightAbsMax: await absMax(fpWeight), fpHist: new Map() });
  }
  return out;
}

export interface Calibration {
  [layer: string]: { inAbsMax: number; outAbsMax: number };
}

/**
 * Running max|x| of each conv/linear input and output over the given batches (eval mode). With `inner`
 * (a fake-quant context), ranges are recorded before each quantization step, as the seed's QParam.update
 * does inside its quantized forward, so upstream quantization shapes downstream ranges.
 */
export async function calibrate(
  model: Classifier,
  batches: Iterable<Batch>,
  maxBatches: number,
  onBatch?: (i: number) => void,
  inner?: ForwardContext,
): Promise<Calibration> {
  const running = new Map<string, Tensor>();
  const track = (key: string, x: Tensor) => {
    const prev = running.get(key);
    const cur = max(abs(x));
    const next = keep(prev ? maximum(prev, cur) : cur);
    if (prev) prev.dispose();
    running.set(key, next);
  };
  const ctx: ForwardContext = {
    inputHook: (name, l, x) => {
      track(`${name}|in`, x);
      return inner?.inputHook ? inner.inputHook(name, l, x) : x;
    },
    layerHook: (name, l, x, y) => {
      track(`${name}|out`, y);
      return inner?.layerHook ? inner.layerHook(name, l, x, y) : y;
    },
  };
  model.eval();
  let i = 0;
  for (const b of batches) {
    if (i >= maxBatches) break;
    noGrad(() =>
      tidy(() => {
        model.forward(fromArray(b.x, model.batchShape(b.n)), ctx);
      }),
    );
    i++;
    onBatch?.(i);
  }
  if (i === 0) throw new Error('calibration: no batches');
  const cal: Calibration = {};
  for (const [key, t] of running) {
    const [name, which] = key.split('|');
    cal[name] ??= { inAbsMax: 0, outAbsMax: 0 };
    const v = await t.item();
    if (which === 'in') cal[name].inAbsMax = v;
    else cal[name].outAbsMax = v;
    t.dispose();
  }
  return cal;
}

export interface LayerSimilarity {
  name: string;
  js: number;
  jsHist: number;
  paramShare: number;
  macShare: number;
}
export interface QuantizedState {
  format: QuantFormat;
  layers: LayerSimilarity[];
  ctx: ForwardContext;
}

/** Shares of params and MACs per quantized layer (BN folded into its conv), normalised to sum to 1. */
export function layerShares(
  layers: QuantLayer[],
  counts: Map<string, { macs: number; params: number }>,
): Map<string, { param: number; mac: number }> {
  let tp = 0,
    tm = 0;
  for (const l of layers) {
    const c = counts.get(l.name);
    if (!c) throw new Error(`PTQ: no MAC count for layer ${l.name}`);
    tp += c.params;
    tm += c.macs;
  }
  return new Map(
    layers.map((l) => {
      const c = counts.get(l.name) as { macs: number; params: number };
      return [l.name, { param: c.params / tp, mac: c.macs / tm }];
    }),
  );
}

/** A layer's weights in format f, with the per-tensor scale max|w| / qmax. */
function quantizedWeight(l: QuantLayer, f: QuantFormat): Tensor {
  return fakeQuant(l.fpWeight, f, l.weightAbsMax / f.qmax);
}

/** JS divergences (seed and histogram) of each layer's quantized weights wqs[i] to its full-precision ones. */
async function similarities(
  layers: QuantLayer[],
  wqs: Tensor[],
  shares: Map<string, { param: number; mac: number }>,
  histBins: number,
): Promise<LayerSimilarity[]> {
  // the seed JS stays on the GPU until every layer is queued; histograms read back layer by layer
  const js = layers.map((l, i) => keep(jsDivergence(wqs[i], l.fpWeight)));
  const out: LayerSimilarity[] = [];
  for (const [i, l] of layers.entries()) {
    const jsHist = await histogramJs(wqs[i], l.fpWeight, l.weightAbsMax, histBins, await fpHistogram(l, histBins));
    const s = shares.get(l.name) as { param: number; mac: number };
    out.push({ name: l.name, js: 0, jsHist, paramShare: s.param, macShare: s.mac });
  }
  for (const [i, t] of js.entries()) {
    out[i].js = await t.item();
    t.dispose();
  }
  return out;
}

/** Biases on the format's bias levels with scale = input scale x weight scale (block formats: float32). */
export function quantizeBiases(layers: QuantLayer[], cal: Calibration, f: QuantFormat): void {
  for (const l of layers) {
    if (!l.fpBias) continue;
    const bq =
      f.kind === 'block-int'
        ? clone(l.fpBias)
        : fakeQuant(l.fpBias, f.biasFormat(), (cal[l.name].inAbsMax / f.qmax) * (l.weightAbsMax / f.qmax));
    l.layer.setTensor('bias', bq);
  }
}

/** The forward context that fake-quantizes every conv/linear input and output with calibrated ranges. */
export function formatContext(cal: Calibration, f: QuantFormat): ForwardContext {
  const scaleOf = (amax: number) => amax / f.qmax;
  return {
    inputHook: (name, _l, x) => fakeQuant(x, f, scaleOf(cal[name].inAbsMax)),
    layerHook: (name, _l, _x, y) => fakeQuant(y, f, scaleOf(cal[name].outAbsMax)),
  };
}

/**
 * Put the format's quantized weights and biases into the model, and return the forward context that
 * fake-quantizes every layer's input and output, plus per-layer similarities. Undo with restore().
 */
export async function applyFormat(
  layers: QuantLayer[],
  cal: Calibration,
  f: QuantFormat,
  shares: Map<string, { param: number; mac: number }>,
  histBins = 2048,
): Promise<QuantizedState> {
  const unseen = layers.find((l) => !cal[l.name]);
  if (unseen) throw new Error(`PTQ: layer ${unseen.name} was not seen during calibration`);
  const wqs = layers.map((l) => quantizedWeight(l, f));
  const sims = await similarities(layers, wqs, shares, histBins);
  layers.forEach((l, i) => l.layer.setTensor('weight', wqs[i]));
  quantizeBiases(layers, cal, f);
  return { format: f, layers: sims, ctx: formatContext(cal, f) };
}

/** Per-layer similarities of a format without touching the model (prediction needs no data). */
export async function weightSimilarities(
  layers: QuantLayer[],
  f: QuantFormat,
  shares: Map<string, { param: number; mac: number }>,
  histBins = 2048,
): Promise<LayerSimilarity[]> {
  const wqs = layers.map((l) => quantizedWeight(l, f));
  try {
    return await similarities(layers, wqs, shares, histBins);
  } finally {
    for (const w of wqs) w.dispose();
  }
}

/** Put the full-precision (folded) weights back. */
export function restore(layers: QuantLayer[]): void {
  for (const l of layers) {
    l.layer.setTensor('weight', clone(l.fpWeight));
    if (l.fpBias) l.layer.setTensor('bias', clone(l.fpBias));
  }
}

export interface Similarity {
  js_param: number;
  js_flops: number;
  js_flops_wt_log: number;
  js_flops_wt_cbrt: number;
  js_hist_param: number;
  js_hist_flops: number;
}

/** The seed's model-level similarity numbers from per-layer JS divergences. totalMacs: the model's MACs. */
export function modelSimilarity(layers: LayerSimilarity[], totalMacs: number): Similarity {
  const js_param = layers.reduce((s, l) => s + l.js * l.paramShare, 0);
  const js_flops = layers.reduce((s, l) => s + l.js * l.macShare, 0);
  return {
    js_param,
    js_flops,
    js_flops_wt_log: js_flops * Math.log10(totalMacs),
    js_flops_wt_cbrt: js_flops * Math.cbrt(totalMacs),
    js_hist_param: layers.reduce((s, l) => s + l.jsHist * l.paramShare, 0),
    js_hist_flops: layers.reduce((s, l) => s + l.jsHist * l.macShare, 0),
  };
}

export function disposeLayers(layers: QuantLayer[]): void {
  for (const l of layers) {
    l.fpWeight.dispose();
    l.fpBias?.dispose();
  }
}
