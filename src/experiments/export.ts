// `quantscope export`: any checkpoint we read (ours, or a PyTorch .pt state dict) as a weights-only safetensors
// file with the seed's key names, so `model.load_state_dict(safetensors.torch.load_file(f))` works on the
// seed's PyTorch Model (BatchNorm fills in num_batches_tracked when a state dict lacks it).
import { encodeSafetensors } from '../io/safetensors.js';
import { moduleState } from '../nn/state.js';
import { writeFileAtomic } from '../platform/files.js';
import { loadTrainedModel } from './train.js';

export interface ExportResult {
  arch: string;
  classes: number;
  tensors: number;
  out: string;
}

export async function exportSafetensors(checkpoint: string, out: string, arch?: string): Promise<ExportResult> {
  const model = loadTrainedModel(checkpoint, arch);
  try {
    const state = await moduleState(model);
    const meta = { arch: model.arch, classes: String(model.classes), source: checkpoint };
    writeFileAtomic(out, encodeSafetensors(state, meta));
    return { arch: model.arch, classes: model.classes, tensors: state.size, out };
  } finally {
    model.dispose();
  }
}
