// Commands that run the whole pipeline: sweeps (local or Slurm), the demo, the report.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../experiments/demo.js';
import { buildReport } from '../experiments/report.js';
import { STAGES, loadSweepConfig, runSweepJob, runSweepLocal, writeSlurm } from '../experiments/sweep.js';
import { initNode } from '../platform/node.js';
import { compareWithSeed, formatCompare, SEED_REFERENCE_DIR } from '../experiments/compare.js';
import { toCsv } from '../experiments/ptq.js';
import { writeFileAtomic } from '../platform/files.js';
import { int, list, modelName } from './options.js';

export function registerPipelineCommands(program: Command): void {
  program
    .command('sweep')
    .description(
      'run the full grid (train, ptq, gen, robust per model x dataset) as dependency-ordered jobs, then the report',
    )
    .requiredOption('--config <file>', 'sweep config (JSON; see examples/sweep-tiny.json)')
    .option('--concurrency <n>', 'jobs at a time (local)', int('--concurrency'))
    .option('--slurm', 'write sbatch scripts (job arrays + dependencies) instead of running locally', false)
    .option('--submit', 'with --slurm: also run submit.sh', false)
    .action(async (o) => {
      const c = loadSweepConfig(resolve(o.config));
      if (o.slurm) {
        const dir = writeSlurm(c, resolve(o.config));
        console.log(`sbatch scripts in ${dir}; submit with ${join(dir, 'submit.sh')}`);
        if (o.submit) {
          const { execFileSync } = await import('node:child_process');
          console.log(execFileSync('bash', [join(dir, 'submit.sh')], { encoding: 'utf8' }).trim());
        }
        return;
      }
      const s = await runSweepLocal(c, o.concurrency);
      console.log(
        `sweep: ${s.done.length} done, ${s.failed.length} ` +
          `failed${s.failed.length ? ` (${s.failed.join(', ')}; logs in ${join(c.out, 'logs')})` : ''}, ` +
          `${s.skipped.length} skipped; report ${join(c.out, 'report', 'index.html')}`,
      );
      if (s.failed.length) process.exitCode = 2;
    });

  program
    .command('sweep-job')
    .description('run one job of a sweep (used by the Slurm scripts)')
    .requiredOption('--config <file>', 'sweep config')
    .requiredOption('--stage <name>', STAGES.join(' | '))
    .requiredOption('--index <i>', '(model, dataset) index, the array task id', int('--index'))
    .action(async (o) => {
      if (!STAGES.includes(o.stage)) throw new Error(`sweep-job: unknown stage "${o.stage}" (${STAGES.join(', ')})`);
      const s = await runSweepJob(loadSweepConfig(resolve(o.config)), o.stage, o.index);
      // exit 0 even when the job failed: its status file and log say so, and Slurm then still runs the
      // dependent array tasks, which mark themselves skipped, and the report (as the local runner does)
      console.log(`${s.id}: ${s.state}${s.reason ? ` (${s.reason}; log ${s.log})` : ''}`);
    });

  program
    .command('demo')
    .description(
      'the whole pipeline at small scale on the real CIFAR-10 (minutes on 2 CPU cores); writes an HTML report',
    )
    .option('--out <dir>', 'output folder', 'demo-out')
    .option('--data-dir <dir>', 'folder holding cifar-10-batches-bin')
    .option('--models <list>', 'models to train', list, DEMO_DEFAULTS.models)
    .option('--subset <n>', 'training images', int('--subset'), DEMO_DEFAULTS.subset)
    .option('--test-subset <n>', 'test images', int('--test-subset'), DEMO_DEFAULTS.testSubset)
    .option('--epochs <n>', 'epochs', int('--epochs'), DEMO_DEFAULTS.epochs)
    .option('--bits <list>', 'bit widths for PTQ', (v) => list(v).map(Number), DEMO_DEFAULTS.bits)
    .option(
      '--seed-model <name>',
      "one of the seed's own models, scaled down ('none' leaves it out)",
      (v: string) => (v === 'none' ? v : modelName(v)),
      DEMO_DEFAULTS.seedModel?.model ?? 'none',
    )
    .option('--quiet', 'no progress output', false)
    .action(async (o) => {
      await initNode();
      const path = await runDemo({
        ...DEMO_DEFAULTS,
        out: resolve(o.out),
        dataDir: o.dataDir,
        models: o.models,
        subset: o.subset,
        testSubset: o.testSubset,
        epochs: o.epochs,
        bits: o.bits,
        quiet: o.quiet,
        seedModel:
          o.seedModel === 'none' || !DEMO_DEFAULTS.seedModel
            ? null
            : { ...DEMO_DEFAULTS.seedModel, model: o.seedModel },
      });
      console.log(`report: ${path}`);
    });

  program
    .command('report')
    .description('rebuild the HTML report, figures and tables from a results folder')
    .option('--results <dir>', 'results folder', 'runs')
    .option('--out <dir>', 'report folder (default <results>/report)')
    .action(async (o) => {
      const dir = resolve(o.results);
      console.log(`report: ${await buildReport(dir, resolve(o.out ?? join(dir, 'report')))}`);
    });

  program
    .command('compare')
    .description("every measured figure (FP accuracy, PTQ accuracy and js_flops per format, fit R²) next to the seed's")
    .option('--results <dir>', 'results folder', 'runs')
    .option('--reference <dir>', "the seed's published numbers", SEED_REFERENCE_DIR)
    .option('--json', 'print JSON instead of a table', false)
    .action((o) => {
      const dir = resolve(o.results);
      const rows = compareWithSeed(dir, resolve(o.reference));
      writeFileAtomic(
        join(dir, 'compare.csv'),
        toCsv(
          rows.map((r) => ({ ...r })),
          ['model', 'dataset', 'figure', 'ours', 'seed'],
        ),
      );
      console.log(o.json ? JSON.stringify(rows, null, 2) : formatCompare(rows));
    });
}
