// Robustness benchmarks on the seed's ResNet_18: PGD-10 over 1,000 images (images/s) next to plain
// inference measured in the same run, and generator iterations at batch 128 extrapolated to one of the
// seed's epochs (200 iterations).
import * as q from '../src/index.js';
import { buildModel } from '../src/nn/models/build.js';
import { pgd, normaliser, withFrozenParams } from '../src/nn/attacks.js';
import { Generator } from '../src/nn/models/generator.js';
import { Adam } from '../src/nn/optim.js';
import { generatorStep, embeddingFrom, GEN_DEFAULTS } from '../src/experiments/gen.js';
import { NORMALIZATION } from '../src/data/cifar-meta.js';
import { row } from './harness.js';

export async function benchRobust(): Promise<void> {
  const model = buildModel('ResNet_18').eval();
  const norm = normaliser(NORMALIZATION.cifar10);
  const rng = new q.Random(1);
  const n = 1000,
    bs = 125;
  const x = q.keep(q.rand([bs, 3, 32, 32], rng));
  const y = q.keep(
    q.fromArray(
      Int32Array.from({ length: bs }, (_, i) => i % 10),
      [bs],
      'int32',
    ),
  );
  q.tidy(() =>
    q.noGrad(() => {
      model.forward(norm(x));
    }),
  );
  await q.engine().sync();
  let t0 = performance.now();
  for (let b = 0; b < n / bs; b++)
    q.tidy(() =>
      q.noGrad(() => {
        model.forward(norm(x));
      }),
    );
  await q.engine().sync();
  const inferIps = n / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let b = 0; b < n / bs; b++) {
    const a = pgd(model, norm, x, y, { eps: 8 / 255, steps: 10, alpha: 2 / 255, seed: b });
    await a.toArray();
    a.dispose();
  }
  const pgdIps = n / ((performance.now() - t0) / 1000);
  row(
    'ResNet_18 PGD-10, 1000 images',
    `${pgdIps.toFixed(1)} img/s`,
    `inference ${inferIps.toFixed(0)} img/s`,
    pgdIps / inferIps,
  );
  console.log('  (PGD-10 = 10 forward+input-gradient passes + 1 start; ratio vs plain inference)');

  const { data, latent } = await embeddingFrom(model);
  const gen = new Generator({ classes: 10, latent, seed: 0 }, data);
  const opt = new Adam(gen.trainable(), { lr: 1e-3, betas: [0.5, 0.999] });
  const cfg = { ...GEN_DEFAULTS };
  const step = () =>
    withFrozenParams(model, () => {
      const r = generatorStep(gen, model, opt, 128, 1, false, new q.Random(2), cfg, NORMALIZATION.cifar10);
      r.ce.dispose();
      r.bns.dispose();
      r.correct.dispose();
    });
  step();
  await q.engine().sync();
  t0 = performance.now();
  const iters = 3;
  for (let i = 0; i < iters; i++) step();
  await q.engine().sync();
  const iterS = (performance.now() - t0) / 1000 / iters;
  row(
    'generator iteration, batch 128',
    `${iterS.toFixed(2)} s`,
    `epoch (200 it) ~${((iterS * 200) / 60).toFixed(1)} min`,
    1,
  );
  x.dispose();
  y.dispose();
  gen.dispose();
  model.dispose();
}
