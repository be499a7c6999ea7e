// Whole-model throughput on the seed's ResNet-18 (the common wide CIFAR net, 0.56 GMACs):
// a training step at batch 32 and inference at batch 128, in images/s, with the effective GFLOPS next to
// the 1024^3 matmul GFLOPS measured in the same run (the engine's own ceiling on this substrate).
import * as q from '../src/index.js';
import { countFlops } from '../src/nn/flops.js';
import { timeGpu, row, trainingStep } from './harness.js';
import { convSettings } from '../src/kernels/conv.js';

async function matmulGflops(): Promise<number> {
  const N = 1024;
  const a = q.keep(q.randn([N, N])),
    b = q.keep(q.randn([N, N]));
  const ms = await timeGpu(
    () =>
      q.tidy(() => {
        q.matmul(a, b);
      }),
    5,
    1,
  );
  a.dispose();
  b.dispose();
  return (2 * N ** 3) / ms / 1e6;
}

export async function benchModel(name = 'ResNet_18'): Promise<void> {
  const peak = await matmulGflops();
  const rng = new q.Random(0);
  const { model, step: train, dispose } = trainingStep(name, 32, rng);
  const flops = countFlops(model).totalFlops;
  const stepMs = await timeGpu(train, 5, 1);
  const trainIps = 32 / (stepMs / 1000);
  const trainGf = (3 * flops * 32) / stepMs / 1e6; // backward ~ 2x forward
  row(`${name} train step b32`, `${trainIps.toFixed(1)} img/s`, `matmul peak ${peak.toFixed(1)} GF/s`, trainGf / peak);
  console.log(`  effective ${trainGf.toFixed(1)} GF/s (3 x forward FLOPs); ratio = share of the matmul peak`);
  model.eval();
  const xi = q.keep(q.randn([128, 3, 32, 32], rng));
  const infer = () =>
    q.tidy(() =>
      q.noGrad(() => {
        model.forward(xi);
      }),
    );
  const inferMs = await timeGpu(infer, 3, 1);
  const inferIps = 128 / (inferMs / 1000);
  const inferGf = (flops * 128) / inferMs / 1e6;
  row(`${name} inference b128`, `${inferIps.toFixed(1)} img/s`, `matmul peak ${peak.toFixed(1)} GF/s`, inferGf / peak);
  console.log(`  effective ${inferGf.toFixed(1)} GF/s`);
  console.log(
    '  reference (same machine): PyTorch 1.13 CPU ~100 img/s train, ~200 img/s inference; TF.js WebGPU on ' +
      'Dawn/lavapipe ~6 img/s inference',
  );
  console.log(`  vs TF.js WebGPU inference (6 img/s): x${(inferIps / 6).toFixed(1)}`);
  // baseline in the same run: every conv through the implicit GEMM (no Winograd)
  convSettings.winograd = false;
  model.train();
  const gemmStepMs = await timeGpu(train, 2, 1);
  model.eval();
  const gemmInferMs = await timeGpu(infer, 2, 1);
  convSettings.winograd = true;
  row(
    '  without Winograd (same run): train',
    `${(32000 / gemmStepMs).toFixed(1)} img/s`,
    'Winograd speed-up',
    gemmStepMs / stepMs,
  );
  row(
    '  without Winograd (same run): inference',
    `${(128000 / gemmInferMs).toFixed(1)} img/s`,
    'Winograd speed-up',
    gemmInferMs / inferMs,
  );
  xi.dispose();
  dispose();
}
