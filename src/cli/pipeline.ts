// Commands that run the whole pipeline: sweeps (local or Slurm), the demo, the report.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { DEMO_OPTIONS, resolveDemoConfig, runDemo } from '../experiments/demo.js';
import { addOptions, valuesOf } from './schema-options.js';
import { buildReport } from '../experiments/report.js';
import { STAGES, loadSweepConfig, runSweepJob, runSweepLocal, writeSlurm } from '../experiments/sweep.js';
import { initNode } from '../platform/node.js';
import { compareWithSeed, formatCompare, SEED_REFERENCE_DIR } from '../experiments/compare.js';
import { toCsv } from '../experiments/ptq.js';
import { writeFileAtomic } from '../platform/files.js';
import { defineOptions } from '../experiments/option-schema.js';

const SWEEP_OPTIONS = defineOptions({
  config: { kind: 'str', help: 'sweep config (JSON; see examples/sweep-tiny.json)', arg: 'file', mandatory: true },
  concurrency: { kind: 'int', help: 'jobs at a time (local)', min: 1 },
  slurm: {
    kind: 'bool',
    help: 'write sbatch scripts (job arrays + dependencies) instead of running locally',
    default: false,
  },
  submit: { kind: 'bool', help: 'with --slurm: also run submit.sh', default: false },
});
const SWEEP_JOB_OPTIONS = defineOptions({
  config: { kind: 'str', help: 'sweep config', arg: 'file', mandatory: true },
  stage: { kind: STAGES, help: STAGES.join(' | '), mandatory: true },
  index: { kind: 'int', help: '(model, dataset) index, the array task id', arg: 'i', mandatory: true },
});
const REPORT_OPTIONS = defineOptions({
  results: { kind: 'str', help: 'results folder', arg: 'dir', default: 'runs' },
  out: { kind: 'str', help: 'report folder (default <results>/report)', arg: 'dir' },
});
const COMPARE_OPTIONS = defineOptions({
  results: { kind: 'str', help: 'results folder', arg: 'dir', default: 'runs' },
  reference: { kind: 'str', help: "the seed's published numbers", arg: 'dir', default: SEED_REFERENCE_DIR },
  json: { kind: 'bool', help: 'print JSON instead of a table', default: false },
});

export function registerPipelineCommands(program: Command): void {
  addOptions(
    program
      .command('sweep')
      .description(
        'run the full grid (train, ptq, gen, robust per model x dataset) as dependency-ordered jobs, then the report',
      ),
    SWEEP_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(SWEEP_OPTIONS, opts);
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

  addOptions(
    program.command('sweep-job').description('run one job of a sweep (used by the Slurm scripts)'),
    SWEEP_JOB_OPTIONS,
  ).action(async (opts) => {
    const o = valuesOf(SWEEP_JOB_OPTIONS, opts);
    const s = await runSweepJob(loadSweepConfig(resolve(o.config)), o.stage, o.index);
    // exit 0 even when the job failed: its status file and log say so, and Slurm then still runs the
    // dependent array tasks, which mark themselves skipped, and the report (as the local runner does)
    console.log(`${s.id}: ${s.state}${s.reason ? ` (${s.reason}; log ${s.log})` : ''}`);
  });

  addOptions(
    program
      .command('demo')
      .description(
        'the whole pipeline at small scale on the real CIFAR-10 (minutes on 2 CPU cores); writes an HTML report',
      ),
    DEMO_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const v = valuesOf(DEMO_OPTIONS, o);
    const path = await runDemo(resolveDemoConfig({ ...v, out: resolve(v.out) }));
    console.log(`report: ${path}`);
  });

  addOptions(
    program.command('report').description('rebuild the HTML report, figures and tables from a results folder'),
    REPORT_OPTIONS,
  ).action(async (o) => {
    const dir = resolve(o.results);
    console.log(`report: ${await buildReport(dir, resolve(o.out ?? join(dir, 'report')))}`);
  });

  addOptions(
    program
      .command('compare')
      .description(
        "every measured figure (FP accuracy, PTQ accuracy and js_flops per format, fit R²) next to the seed's",
      ),
    COMPARE_OPTIONS,
  ).action((o) => {
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
