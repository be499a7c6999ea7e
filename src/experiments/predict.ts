// `quantscope predict`: apply a saved fit to a model: quantize its (BN-folded) weights, compute the
// similarity measure, read the predicted acc_loss off the fitted curve. Needs no dataset.
import { countFlops, foldedLayerMacs } from '../nn/flops.js';
import { loadTrainedModel } from './train.js';
import { describeFit, predictInterval } from '../quant/fit.js';
import {
  disposeLayers,
  foldBatchNorms,
  getFormat,
  layerShares,
  modelSimilarity,
  quantLayers,
  weightSimilarities,
} from '../quant/index.js';
import { readFitReport, type Measure } from './fit.js';

export interface PredictOptions {
  fitFile: string;
  checkpoint: string;
  formats: string[];
  model?: string;
  measure: string;
  scope: string;
}

export async function predictLoss(
  o: PredictOptions,
): Promise<{ model: string; format: string; x: number; predicted: number; interval: [number, number]; fit: string }[]> {
  const report = readFitReport(o.fitFile, 'predict');
  const ofMeasure = report.fits.filter((f) => f.measure === o.measure);
  // "ALL" names the pooled fit when there is one dataset's (pooled fits are per dataset: ALL/<dataset>)
  const pooled = ofMeasure.filter((f) => f.scope.startsWith('ALL/'));
  const entry =
    ofMeasure.find((f) => f.scope === o.scope) ?? (o.scope === 'ALL' && pooled.length === 1 ? pooled[0] : undefined);
  if (!entry) {
    const have = [...new Set(report.fits.map((f) => `${f.measure}@${f.scope}`))].join(', ');
    throw new Error(`${o.fitFile}: no fit for measure ${o.measure} and scope ${o.scope} (available: ${have})`);
  }
  const model = loadTrainedModel(o.checkpoint, o.model);
  const table = countFlops(model);
  const counts = foldedLayerMacs(table);
  foldBatchNorms(model);
  const layers = await quantLayers(model);
  const shares = layerShares(layers, counts);
  const out = [];
  try {
    for (const name of o.formats) {
      const f = getFormat(name);
      const sim = modelSimilarity(await weightSimilarities(layers, f, shares), table.totalMacs);
      const x = sim[o.measure as Measure];
      if (x === undefined) throw new Error(`unknown measure ${o.measure}`);
      const band = predictInterval(entry.best, x);
      out.push({
        model: model.arch,
        format: f.name,
        x,
        predicted: band.value,
        interval: [band.lo, band.hi] as [number, number],
        fit: `${entry.best.form} fit on ${entry.scope}, R² ${entry.best.r2.toFixed(3)}: ${describeFit(entry.best)}`,
      });
    }
  } finally {
    disposeLayers(layers);
    model.dispose();
  }
  return out;
}
