// Commands for data-free robustness: the generator and the fake-vs-real attack evaluation.
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { GEN_OPTIONS, resolveGenConfig, runGen } from '../experiments/gen.js';
import { ROBUST_OPTIONS, resolveRobustConfig, runRobust } from '../experiments/robust.js';
import { fitRobust, loadRobustPoints, SEED_ROBUST_MODELS } from '../experiments/robust-fit.js';
import { initNode } from '../platform/node.js';
import { checkpointOf } from './options.js';
import { defineOptions } from '../experiments/option-schema.js';

const ROBUST_FIT_OPTIONS = defineOptions({
  results: {
    kind: 'str',
    help: "folder searched for robust.jsonl, or a CSV in the seed's robust.csv layout",
    arg: 'dir|csv',
    default: 'runs',
  },
  models: { kind: 'list', help: "models pooled (default: the seed's six; 'all' for every model found)" },
  json: {
    kind: 'bool',
    help: 'print one JSON row per fit (dataset, fake_set, metric, r2, slope, intercept, points)',
    default: false,
  },
});
import { addOptions, valuesOf } from './schema-options.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function registerRobustCommands(program: Command): void {
  addOptions(
    program
      .command('gen')
      .description(
        "train the Qimera-style generator against a trained classifier (the seed's procedure); writes a fixed fake " +
          'dataset',
      ),
    GEN_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const v = valuesOf(GEN_OPTIONS, o);
    const checkpoint = checkpointOf('gen', v);
    const r = await runGen(
      resolveGenConfig({ ...v, checkpoint, out: resolve(v.out ?? join(dirname(checkpoint), 'gen')) }),
    );
    console.log(
      `generator: gen acc ${(r.genAcc * 100).toFixed(1)}%; fake set ` +
        `${r.fakePath}${r.adjustPath ? `; adjusted (${r.rounds} rounds) ${r.adjustPath}` : ''}`,
    );
  });

  addOptions(
    program
      .command('robust')
      .description(
        'clean/FGSM/PGD accuracy of the full-precision and PTQ models on the test set and the fake sets; fits, ' +
          'PCA, images',
      ),
    ROBUST_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const v = valuesOf(ROBUST_OPTIONS, o);
    const checkpoint = checkpointOf('robust', v);
    const genDir = resolve(v.genDir ?? join(dirname(checkpoint), 'gen'));
    const rows = await runRobust(
      resolveRobustConfig({
        ...v,
        checkpoint,
        genDir,
        ptqDir: v.ptqDir && resolve(v.ptqDir),
        out: resolve(v.out ?? genDir),
      }),
    );
    for (const r of rows)
      console.log(
        `${r.model} ${r.format.padEnd(12)} ${r.data.padEnd(9)} clean ${pct(r.clean)}  clamp ` +
          `${pct(r.clamp ?? NaN)}  ` +
          `fgsm ${pct(r.fgsm)}  pgd ${pct(r.pgd)}  (${r.attack_space ?? 'pixel'} space)`,
      );
  });

  addOptions(
    program
      .command('robust-fit')
      .description('straight-line fits of test-relative on fake-relative accuracy, pooled per dataset and fake set'),
    ROBUST_FIT_OPTIONS,
  ).action((opts) => {
    const o = valuesOf(ROBUST_FIT_OPTIONS, opts);
    const models = o.models?.[0] === 'all' ? null : (o.models ?? SEED_ROBUST_MODELS);
    const rows = fitRobust(loadRobustPoints(resolve(o.results)), models);
    if (o.json) console.log(JSON.stringify(rows, null, 1));
    else
      for (const r of rows)
        console.log(
          `${r.dataset.padEnd(9)} ${r.fake_set.padEnd(9)} ${r.metric.padEnd(6)} R² ${r.r2.toFixed(4)}  ` +
            `test = ${r.slope.toFixed(3)} x fake + ${r.intercept.toFixed(3)}  (${r.points} points)`,
        );
  });
}
