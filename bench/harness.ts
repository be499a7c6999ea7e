// Shared timing helpers for bench scripts: median of repeated runs, GPU work synchronised.
import { engine } from '../src/device/engine.js';
import * as q from '../src/index.js';
import { buildModel } from '../src/nn/models/build.js';
import { SGD } from '../src/nn/optim.js';
import { countFlops } from '../src/nn/flops.js';

export async function timeGpu(fn: () => void, reps = 5, warmup = 1): Promise<number> {
  return median(await sampleGpu(fn, reps, warmup));
}

/** Each rep's wall time (ms), GPU work synchronised, after `warmup` untimed reps. */
export async function sampleGpu(fn: () => void, reps = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    fn();
    await engine().sync();
  }
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    await engine().sync();
    ts.push(performance.now() - t0);
  }
  return ts;
}

export function timeCpu(fn: () => void, reps = 3): number {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function row(name: string, ours: string, baseline: string, ratio: number): void {
  console.log(
    `${name.padEnd(38)} ${ours.padStart(18)} ${baseline.padStart(22)}   ` +
      `x${ratio < 1 ? ratio.toPrecision(2) : ratio.toFixed(1)}`,
  );
}

/** A model in training mode with the seed's SGD, a fixed random batch and one training step as a function. */
export function trainingStep(name: string, batch: number, rng: q.Random) {
  const model = buildModel(name);
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const x = q.keep(q.randn([batch, 3, 32, 32], rng));
  const y = q.keep(
    q.fromArray(
      Int32Array.from({ length: batch }, (_, i) => i % 10),
      [batch],
      'int32',
    ),
  );
  model.train();
  const step = () =>
    q.tidy(() => {
      q.backward(q.crossEntropy(model.forward(x), y));
      opt.stepUpdate();
      opt.zeroGrad();
    });
  const dispose = () => {
    x.dispose();
    y.dispose();
    model.dispose();
  };
  return { model, step, dispose };
}

/**
 * One model of the table at a batch: a training step (the seed's SGD) and inference, timed on the GPU, with its
 * FLOP table and the GPU memory the buffer cache held at the end.
 */
export async function timeTrainInfer(name: string, batch: number, reps: { train: number; infer: number }) {
  const rng = new q.Random(0);
  const { model, step, dispose } = trainingStep(name, batch, rng);
  try {
    const table = countFlops(model);
    const stepSamples = await sampleGpu(step, reps.train, 1);
    model.eval();
    const x = q.keep(q.randn([batch, 3, 32, 32], rng));
    const inferSamples = await sampleGpu(() => q.tidy(() => q.noGrad(() => void model.forward(x))), reps.infer, 1);
    x.dispose();
    const mib = engine().stats().bytesAllocated / 2 ** 20;
    return {
      stepMs: median(stepSamples),
      inferMs: median(inferSamples),
      stepSamples,
      inferSamples,
      flops: table.totalFlops,
      params: table.totalParams,
      mib,
    };
  } finally {
    dispose();
  }
}
