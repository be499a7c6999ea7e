// `npm run bench -- peer`: our img/s next to PyTorch 1.13's on the same CPU, for the seed's nine models, in one
// run. PyTorch runs bench/peer_torch.py (the architectures built from ../shared/seed/architectures.json; a
// measurement aid, never a dependency); it is skipped, with a message, when no python3 with torch is found
// ($QS_PYTHON, else /usr/bin/python3, else python3). PEER_MODELS limits the list, PEER_BATCH sets the batch
// (default 32, the batch the table was measured at). Targets: ResNet_18 >= 0.5x in training and in
// inference, every other model >= 0.3x. Both sides time the same reps the same way (one untimed rep, then
// PEER_TRAIN_REPS = 3 steps and PEER_INFER_REPS = 5 passes) and the verdict compares best-of-reps figures,
// the median ratio printed beside it: on a shared VM a neighbour's load only ever slows a rep (one machine
// here swung between 13 and 24 GFLOPS from one 1024^3 matmul to the next), so the best rep is the figure
// that two processes run minutes apart can fairly be compared by (Python's timeit advises the same).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { median, timeTrainInfer } from './harness.js';

const MODELS = ['AlexNet', 'AlexNet_BN', 'VGG_16', 'VGG_19', 'Inception_BN', 'ResNet_18', 'ResNet_50'];
MODELS.push('ResNet_152', 'MobileNetV2');
const TABLES = join(process.cwd(), '../shared/seed/architectures.json');

/** A python3 that imports torch, or null. */
function torchPython(): string | null {
  const candidates = [process.env.QS_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

interface PeerRow {
  model: string;
  params: number;
  train_img_s: number;
  infer_img_s: number;
  train_img_s_best: number;
  infer_img_s_best: number;
  threads: number;
  torch: string;
}

export async function benchPeer(): Promise<void> {
  const py = torchPython();
  if (!py) {
    console.log('  skipped: no python3 with torch found (apt install python3-torch, or set QS_PYTHON)');
    return;
  }
  if (!existsSync(TABLES)) {
    console.log(`  skipped: ${TABLES} not found (the seed's tables)`);
    return;
  }
  const names = (process.env.PEER_MODELS ?? MODELS.join(',')).split(',').filter(Boolean);
  const batch = Number(process.env.PEER_BATCH ?? 32);
  const targets = (name: string) => (name === 'ResNet_18' ? 0.5 : 0.3);
  const reps = { train: Number(process.env.PEER_TRAIN_REPS ?? 3), infer: Number(process.env.PEER_INFER_REPS ?? 5) };
  console.log(
    `  PyTorch via ${py}; batch ${batch}; ratio = ours / PyTorch, best of ${reps.train} steps / ${reps.infer} ` +
      `passes each (median ratio in brackets); targets: ResNet_18 0.5, others 0.3`,
  );
  const env = { ...process.env, PEER_TRAIN_REPS: String(reps.train), PEER_INFER_REPS: String(reps.infer) };
  const imgs = (ms: number) => batch / (ms / 1000);
  for (const name of names) {
    // PyTorch first, in its own process (so its threads and ours never compete)
    const out = execFileSync(py, [join(process.cwd(), 'bench/peer_torch.py'), TABLES, String(batch), name], {
      encoding: 'utf8',
      env,
    });
    const peer = JSON.parse(out.trim().split('\n').pop() as string) as PeerRow;
    const { stepSamples, inferSamples, params } = await timeTrainInfer(name, batch, reps);
    const train = imgs(Math.min(...stepSamples)),
      infer = imgs(Math.min(...inferSamples));
    const rt = train / peer.train_img_s_best,
      ri = infer / peer.infer_img_s_best;
    const rtMedian = imgs(median(stepSamples)) / peer.train_img_s,
      riMedian = imgs(median(inferSamples)) / peer.infer_img_s;
    const t = targets(name);
    const verdict = rt >= t && ri >= t ? 'meets' : 'below';
    const same = params === peer.params ? '' : `  (params differ: ours ${params}, PyTorch ${peer.params})`;
    const col = (ours: number, theirs: number, r: number, rm: number) =>
      `${ours.toFixed(1).padStart(6)} vs ${theirs.toFixed(1).padStart(6)} img/s x${r.toFixed(2)} (x${rm.toFixed(2)})`;
    console.log(
      `  ${name.padEnd(13)} train ${col(train, peer.train_img_s_best, rt, rtMedian)}   ` +
        `infer ${col(infer, peer.infer_img_s_best, ri, riMedian)}   ${verdict} ${t}x ` +
        `(torch ${peer.torch}, ${peer.threads} threads)${same}`,
    );
  }
}
