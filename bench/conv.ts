// conv2d benchmark: N=32, Cin=Cout=64, 32x32, 3x3, pad 1. Forward and forward+backward milliseconds and
// GFLOPS (direct-convolution FLOPs, so Winograd shows as more than the matmul peak), next to the same conv
// forced through the implicit GEMM, the same FLOPs as one explicit matmul, and the reference
// figures measured on this machine (PyTorch 1.13 CPU fwd ~11 ms, fwd+bwd ~28 ms; TF.js WebGPU fwd 250-390 ms).
import * as q from '../src/index.js';
import { timeGpu, row } from './harness.js';

export async function benchConv(): Promise<void> {
  const rng = new q.Random(2);
  const x = q.keep(q.randn([32, 64, 32, 32], rng)).requiresGrad_();
  const w = q.keep(q.mul(q.randn([64, 64, 3, 3], rng), 0.05)).requiresGrad_();
  const b = q.keep(q.zeros([64])).requiresGrad_();
  const flops = 2 * 32 * 64 * 64 * 9 * 32 * 32;
  const time = async (impl: 'auto' | 'gemm') => [
    await timeGpu(
      () =>
        q.noGrad(() =>
          q.tidy(() => {
            q.conv2d(x, w, b, { padding: 1, impl });
          }),
        ),
      5,
      2,
    ),
    await timeGpu(
      () =>
        q.tidy(() => {
          const y = q.conv2d(x, w, b, { padding: 1, impl });
          q.grad(q.sum(y), [x, w, b]);
        }),
      5,
      2,
    ),
  ];
  const [fwd, fb] = await time('auto'); // Winograd F(4x4, 3x3)
  const [gemmFwd, gemmFb] = await time('gemm');
  // baseline in the same run: the same FLOPs as one plain matmul [64 x 576] @ [576 x 32768]
  const A = q.keep(q.randn([64, 576], rng)),
    B = q.keep(q.randn([576, 32768], rng));
  const mm = await timeGpu(
    () =>
      q.tidy(() => {
        q.matmul(A, B);
      }),
    5,
    1,
  );
  row(
    'conv2d 32x64x32x32 3x3 forward',
    `${fwd.toFixed(1)} ms ${(flops / fwd / 1e6).toFixed(1)} GF/s`,
    `same-FLOP matmul ${mm.toFixed(1)} ms`,
    mm / fwd,
  );
  row(
    'conv2d forward+backward (dx, dw, db)',
    `${fb.toFixed(1)} ms ${((3 * flops) / fb / 1e6).toFixed(1)} GF/s`,
    `3x matmul ${(3 * mm).toFixed(1)} ms`,
    (3 * mm) / fb,
  );
  row('  implicit GEMM forward (same run)', `${gemmFwd.toFixed(1)} ms`, 'Winograd speed-up', gemmFwd / fwd);
  row('  implicit GEMM forward+backward', `${gemmFb.toFixed(1)} ms`, 'Winograd speed-up', gemmFb / fb);
  console.log(
    '  reference (same machine): PyTorch 1.13 CPU fwd ~11 ms, fwd+bwd ~28 ms; TF.js WebGPU on Dawn/lavapipe fwd ' +
      '250-390 ms',
  );
  console.log(`  vs TF.js WebGPU fwd (250 ms best): x${(250 / fwd).toFixed(1)} faster`);
  for (const t of [x, w, b, A, B]) t.dispose();
}
