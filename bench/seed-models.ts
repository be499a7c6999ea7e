// The seed's nine models at batch 128: a training step (SGD nesterov) and inference in img/s, the effective
// GFLOPS (3 x forward FLOPs for training), and the GPU memory the buffer cache held at the end (a peak: the
// cache only grows). The reference in the same run is ResNet_18's effective GFLOPS: the issue asks that no
// model fall more than 2x below it. SEED_MODELS=ResNet_18,MobileNetV2 limits the list (the full nine take
// tens of minutes on a 2-core lavapipe machine); SEED_BATCH changes the batch.
import { timeTrainInfer } from './harness.js';

const ALL = ['AlexNet', 'AlexNet_BN', 'VGG_16', 'VGG_19', 'Inception_BN', 'ResNet_18', 'ResNet_50', 'ResNet_152'];
ALL.push('MobileNetV2');

export async function benchSeedModels(): Promise<void> {
  const names = (process.env.SEED_MODELS ?? ALL.join(',')).split(',').filter(Boolean);
  const batch = Number(process.env.SEED_BATCH ?? 128);
  const rows: { name: string; train: number; infer: number; trainGf: number; inferGf: number; mib: number }[] = [];
  for (const name of names) {
    const { stepMs, inferMs, flops, mib } = await timeTrainInfer(name, batch, { train: 1, infer: 2 });
    const r = {
      name,
      train: batch / (stepMs / 1000),
      infer: batch / (inferMs / 1000),
      trainGf: (3 * flops * batch) / stepMs / 1e6,
      inferGf: (flops * batch) / inferMs / 1e6,
      mib,
    };
    rows.push(r);
    console.log(
      `${name.padEnd(14)} b${batch}: train ${r.train.toFixed(1).padStart(6)} img/s (${r.trainGf.toFixed(1)} GF/s)  ` +
        `infer ${r.infer.toFixed(1).padStart(6)} img/s (${r.inferGf.toFixed(1)} GF/s)  ` +
        `GPU memory ${mib.toFixed(0)} MiB`,
    );
  }
  const ref = rows.find((r) => r.name === 'ResNet_18');
  if (!ref) return;
  for (const r of rows) {
    const t = r.trainGf / ref.trainGf,
      i = r.inferGf / ref.inferGf;
    const flag = t < 0.5 || i < 0.5 ? '  (more than 2x below ResNet_18)' : '';
    console.log(
      `  ${r.name.padEnd(14)} effective GFLOPS vs ResNet_18: train x${t.toFixed(2)}, infer x${i.toFixed(2)}${flag}`,
    );
  }
}
