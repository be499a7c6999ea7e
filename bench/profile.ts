// npm run bench -- profile: where a wide ResNet-18 training step (batch 32) spends its GPU time, per kernel
// (PROFILE_MODE=infer: an inference pass instead; PROFILE_MODEL=MobileNetV2: another seed model).
// One step is recorded dispatch by dispatch (buffers kept alive), then every recorded dispatch is replayed
// on its own, a few times in one submit, and timed. The per-kernel sum is set against the real step time
// measured in the same run, so a profile that stopped adding up would show.
import * as q from '../src/index.js';
import { engine } from '../src/device/engine.js';
import { timeGpu, trainingStep } from './harness.js';

type Dispatch = Parameters<ReturnType<typeof engine>['dispatch']>;

export async function benchProfile(name = 'ResNet_18', batch = 32, mode = 'train'): Promise<void> {
  const e = engine();
  const rng = new q.Random(0);
  const training = trainingStep(name, batch, rng);
  const dispose = training.dispose;
  let step = training.step;
  if (mode === 'infer') {
    // inference: the model in eval mode, forward only, as bench/harness.ts times it
    training.model.eval();
    const x = q.keep(q.randn(training.model.batchShape(batch), rng));
    step = () => q.tidy(() => q.noGrad(() => void training.model.forward(x)));
  }
  const stepMs = await timeGpu(step, 3, 1);

  const recorded: Dispatch[] = [];
  const dispatch = e.dispatch.bind(e),
    release = e.releaseBuffer.bind(e);
  const held: GPUBuffer[] = [];
  e.dispatch = (...args: Dispatch) => {
    recorded.push([
      args[0],
      args[1],
      new Uint8Array(args[2].buffer, args[2].byteOffset, args[2].byteLength).slice(),
      args[3],
    ] as unknown as Dispatch);
    dispatch(...args);
  };
  e.releaseBuffer = (b: GPUBuffer) => {
    held.push(b);
  }; // replayed dispatches must find their buffers
  step();
  await e.sync();
  e.dispatch = dispatch;
  const reps = 3;
  const emptyMs = await timeGpu(() => undefined, 5, 1);
  const byKey = new Map<string, { ms: number; count: number }>();
  for (const d of recorded) {
    const ms = await timeGpu(
      () => {
        for (let r = 0; r < reps; r++) dispatch(...d);
      },
      1,
      0,
    );
    const key = process.env.PROFILE_FULL_KEYS ? d[0].key : d[0].key.split(':')[0];
    if (process.env.PROFILE_DETAIL === key) {
      const u = new Uint32Array((d[2] as Uint8Array).slice().buffer);
      // conv_gemm: 2 x Cout x (Cg KH KW) x OH OW x images (grid z = images x groups, or 1 with all images folded)
      const conv = key.startsWith('conv_gemm')
        ? 2 * u[13] * u[1] * u[2] * u[3] * u[5] * u[6] * (d[3][2] / u[8]) * u[16]
        : 0;
      const flops = key === 'mm_tn' || key === 'mm_sg' ? 2 * u[0] * u[1] * u[2] * d[3][2] : conv;
      console.log(
        `    ${d[0].key} u=[${[...u.slice(0, 14)].join(',')}] grid=${d[3].join('x')} ` +
          `${((ms - emptyMs) / reps).toFixed(2)} ` +
          `ms${flops ? ` ${(flops / ((ms - emptyMs) / reps) / 1e6).toFixed(1)} GF/s` : ''}`,
      );
    }
    const s = byKey.get(key) ?? { ms: 0, count: 0 };
    s.ms += Math.max(0, ms - emptyMs) / reps;
    s.count++;
    byKey.set(key, s);
  }
  e.releaseBuffer = release;
  for (const b of held) release(b);
  const total = [...byKey.values()].reduce((a, s) => a + s.ms, 0);
  console.log(
    `${name} ${mode === 'infer' ? 'inference' : 'training step'} b${batch}: ${stepMs.toFixed(0)} ms measured, ` +
      `${total.toFixed(0)} ms summed over ${recorded.length} dispatches replayed one by one`,
  );
  for (const [key, s] of [...byKey].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `  ${key.padEnd(28)} ${s.ms.toFixed(1).padStart(8)} ms ${((100 * s.ms) / total).toFixed(1).padStart(5)}%  ` +
        `${String(s.count).padStart(4)} dispatches`,
    );
  }
  dispose();
}
