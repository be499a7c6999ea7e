// One model, quantized format after format, on in-memory image sets: the browser page and its Node-side
// check use this same path, so their numbers can be compared one to one.
import { epochBatches } from '../data/batches.js';
import type { ImageSet } from '../data/cifar-meta.js';
import { accuracyOf } from '../nn/metrics.js';
import type { Classifier } from '../nn/models/modules.js';
import { getFormat } from './format.js';
import {
  applyFormat,
  calibrate,
  disposeLayers,
  modelSimilarity,
  restore,
  type Calibration,
  type QuantLayer,
} from './ptq.js';
import { prepareQuantization } from './prepare.js';
import { predictFit, type Fit } from './fit.js';

export interface FormatResult {
  format: string;
  bits: number;
  fpAcc: number;
  qAcc: number;
  accLoss: number;
  jsFlops: number;
  jsParam: number;
  predictedLoss: number | null;
  layers: { name: string; js: number; macShare: number }[];
}

export class QuantSession {
  private constructor(
    readonly model: Classifier,
    private readonly layers: QuantLayer[],
    private readonly cal: Calibration,
    private readonly shares: Map<string, { param: number; mac: number }>,
    readonly totalMacs: number,
    readonly fpAcc: number,
    private readonly test: ImageSet,
  ) {}

  /** Fold BN, calibrate on `calib` (batches of 128 in order), measure full-precision accuracy on `test`. */
  static async create(model: Classifier, calib: ImageSet, test: ImageSet): Promise<QuantSession> {
    const { layers, shares, totalMacs } = await prepareQuantization(model);
    try {
      const cal = await calibrate(model, epochBatches(calib, 128, null, null, 0, 0), Math.ceil(calib.count / 128));
      const fpAcc = await accuracyOf(model, test, { batchSize: 100 });
      return new QuantSession(model, layers, cal, shares, totalMacs, fpAcc, test);
    } catch (e) {
      disposeLayers(layers);
      throw e;
    }
  }

  async evaluate(formatName: string, fit?: Pick<Fit, 'form' | 'params' | 'xScale'> | null): Promise<FormatResult> {
    const f = getFormat(formatName);
    const state = await applyFormat(this.layers, this.cal, f, this.shares, 256);
    try {
      const qAcc = await accuracyOf(this.model, this.test, { batchSize: 100, ctx: state.ctx });
      const sim = modelSimilarity(state.layers, this.totalMacs);
      return {
        format: f.name,
        bits: f.bits,
        fpAcc: this.fpAcc,
        qAcc,
        accLoss: this.fpAcc > 0 ? (this.fpAcc - qAcc) / this.fpAcc : 0,
        jsFlops: sim.js_flops,
        jsParam: sim.js_param,
        predictedLoss: fit ? predictFit(fit, sim.js_flops) : null,
        layers: state.layers.map((l) => ({ name: l.name, js: l.js, macShare: l.macShare })),
      };
    } finally {
      restore(this.layers);
    }
  }

  /** Forward context for a format (fake-quant hooks with quantized weights in place); call restore() after. */
  async apply(formatName: string) {
    return applyFormat(this.layers, this.cal, getFormat(formatName), this.shares, 256);
  }
  restore(): void {
    restore(this.layers);
  }

  dispose(): void {
    disposeLayers(this.layers);
    this.model.dispose();
  }
}
