// Assets for the browser page (web/public/assets, not committed): a demo model, a saved fit, and small
// slices of CIFAR-10 read from the data folder at build time (the dataset itself never enters the repo).
// Reuses the demo's results when present (demo-out/), otherwise trains and sweeps a small model (~2 min).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initNode } from '../src/platform/node.js';
import { loadCifar } from '../src/data/cifar.js';
import { encodeRecords } from '../src/data/records.js';
import { SEED_RECIPE, train } from '../src/experiments/train.js';
import { runPtq } from '../src/experiments/ptq.js';
import { runFit } from '../src/experiments/fit.js';
import { writeFileAtomic } from '../src/platform/files.js';

export async function buildWebAssets(
  opts: { dataDir?: string; demoDir?: string; quiet?: boolean } = {},
): Promise<string> {
  const root = resolve(import.meta.dirname, '..');
  const out = join(root, 'web/public/assets');
  mkdirSync(out, { recursive: true });
  const dataDir = opts.dataDir ?? resolve(root, '../shared/data');
  const test = loadCifar('cifar10', 'test', { dataDir, limit: 200 });
  const calib = loadCifar('cifar10', 'train', { dataDir, limit: 256 });
  writeFileAtomic(join(out, 'test-slice.bin'), encodeRecords(test.images, test.labels));
  writeFileAtomic(join(out, 'calib-slice.bin'), encodeRecords(calib.images, calib.labels));
  const demo = opts.demoDir ?? join(root, 'demo-out');
  const demoModel = join(demo, 'VGG_demo-cifar10', 'model.safetensors');
  const demoFit = join(demo, 'report', 'fit.json');
  if (existsSync(demoModel) && existsSync(demoFit)) {
    copyFileSync(demoModel, join(out, 'demo-model.safetensors'));
    copyFileSync(demoFit, join(out, 'fit.json'));
    return out;
  }
  const cache = join(root, 'web/.cache');
  const run = join(cache, 'VGG_demo-cifar10');
  if (!existsSync(join(run, 'result.json'))) {
    const r = await train(
      {
        ...SEED_RECIPE,
        milestones: [2],
        model: 'VGG_demo',
        dataset: 'cifar10',
        epochs: 3,
        batchSize: 64,
        lr: 0.05,
        subset: 4000,
        testSubset: 500,
        seed: 0,
        out: run,
        evalEvery: 0,
        dataDir,
      },
      true,
      { quiet: opts.quiet },
    );
    r.model.dispose();
  }
  await runPtq({
    checkpoint: join(run, 'model.safetensors'),
    dataset: 'cifar10',
    families: ['INT', 'POT', 'FLOAT'],
    bits: [2, 3, 4, 6, 8],
    calibBatches: 4,
    calibBatchSize: 128,
    testSubset: 500,
    dataDir,
    out: run,
    histBins: 256,
    quiet: opts.quiet,
  });
  await runFit(cache, cache);
  copyFileSync(join(run, 'model.safetensors'), join(out, 'demo-model.safetensors'));
  copyFileSync(join(cache, 'fit.json'), join(out, 'fit.json'));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await initNode();
  const dataDir = process.argv.includes('--data-dir')
    ? process.argv[process.argv.indexOf('--data-dir') + 1]
    : undefined;
  console.log(`web assets in ${await buildWebAssets({ dataDir })}`);
  process.exit(0);
}
