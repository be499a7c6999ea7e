// The start every post-training-quantization flow shares (the ptq sweep, the robustness study and the
// browser's QuantSession): BN folded into the convs, the conv/linear layers with copies of their
// full-precision parameters, and each layer's share of the params and MACs. Calibration differs between
// the flows (cached, on real or on generated data) and is theirs to run, before or after this.
import { countFlops, foldedLayerMacs, type FlopsTable } from '../nn/flops.js';
import type { Classifier } from '../nn/models/modules.js';
import { foldBatchNorms, layerShares, quantLayers, type QuantLayer } from './ptq.js';

export interface PreparedModel {
  layers: QuantLayer[];
  shares: Map<string, { param: number; mac: number }>;
  /** MACs of the unfolded model (the denominator of the similarity measures) */
  totalMacs: number;
  /** the unfolded model's ptflops table (the seed's percent shares come from it) */
  table: FlopsTable;
}

export async function prepareQuantization(model: Classifier): Promise<PreparedModel> {
  // counted before folding, so that a folded BatchNorm's params and MACs go to its conv
  const table = countFlops(model);
  const counts = foldedLayerMacs(table);
  foldBatchNorms(model);
  const layers = await quantLayers(model);
  return { layers, shares: layerShares(layers, counts), totalMacs: table.totalMacs, table };
}
