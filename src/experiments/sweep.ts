// `quantscope sweep --config FILE`: the full grid (models x datasets; training, PTQ, generator,
// robustness) as dependency-ordered jobs, then one report over everything.
//  - local: a worker pool runs each job as a child `quantscope` process with its own log; a job's status
//    (running / done / failed / skipped) is a small JSON file written atomically. Re-running the sweep
//    skips done jobs; interrupted ones rerun and resume from their own checkpoints; a failed job keeps its
//    log and status, its dependents are skipped, everything else goes on.
//  - --slurm: sbatch scripts with one job array per stage and aftercorr dependencies between stages, and a
//    submit.sh that chains them; each array task runs `quantscope sweep-job`, which writes the same status
//    files, so results merge into the same folder and report.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic, writeJsonAtomic } from '../platform/files.js';
import { log } from './progress.js';
import { argsOf } from './option-schema.js';
import { GEN_OPTIONS, type GenOptions } from './gen-options.js';
import { ROBUST_OPTIONS, type RobustOptions } from './robust-options.js';
import { TRAIN_OPTIONS, type TrainOptions } from './train-options.js';
import { PTQ_OPTIONS, type PtqOptions } from './ptq-options.js';

export interface SweepConfig {
  out: string;
  models: string[];
  datasets: string[];
  dataDir?: string;
  /** any of the options of train, ptq, gen and robust except the paths, the dataset and --quiet (their schemas:
   *  TRAIN_OPTIONS, PTQ_OPTIONS, GEN_OPTIONS, ROBUST_OPTIONS); a flag's name works as well as the key */
  train: Partial<TrainOptions> | Record<string, unknown>;
  ptq: Partial<PtqOptions> | Record<string, unknown> | false;
  gen: Partial<GenOptions> | Record<string, unknown> | false;
  robust: Partial<RobustOptions> | Record<string, unknown> | false;
  slurm?: { partition?: string; gres?: string; time?: string; cpus?: number; extra?: string[] };
  concurrency?: number;
}

export type Stage = 'train' | 'ptq' | 'gen' | 'robust' | 'report';
export const STAGES: Stage[] = ['train', 'ptq', 'gen', 'robust', 'report'];

export interface Job {
  id: string;
  stage: Stage;
  index: number;
  args: string[];
  deps: string[];
}
export interface JobStatus {
  id: string;
  state: 'running' | 'done' | 'failed' | 'skipped';
  pid?: number;
  started?: string;
  ended?: string;
  exitCode?: number | null;
  reason?: string;
  log: string;
}

export function loadSweepConfig(path: string): SweepConfig {
  if (!existsSync(path)) throw new Error(`sweep config not found: ${path}`);
  let c: SweepConfig;
  try {
    c = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  for (const k of ['models', 'datasets'] as const) {
    if (!Array.isArray(c[k]) || !c[k].length) throw new Error(`${path}: "${k}" must be a non-empty list`);
  }
  c.out = resolve(dirname(path), c.out ?? 'sweep-out');
  if (c.dataDir) c.dataDir = resolve(dirname(path), c.dataDir);
  c.train ??= {};
  c.ptq ??= {};
  c.gen ??= false;
  c.robust ??= false;
  if (c.robust && !c.gen) throw new Error(`${path}: "robust" needs "gen" (it evaluates on the generated data)`);
  try {
    sweepJobs(c); // every stage's options are checked against its schema before any job runs
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return c;
}

const pairs = (c: SweepConfig) => c.models.flatMap((m) => c.datasets.map((d) => ({ model: m, dataset: d })));
const runDir = (c: SweepConfig, model: string, dataset: string) => join(c.out, 'runs', `${model}-${dataset}`);

function opt(name: string, v: unknown): string[] {
  if (v === undefined || v === null || v === false) return [];
  if (v === true) return [name];
  return [name, Array.isArray(v) ? v.join(',') : String(v)];
}

/** The job graph, in dependency order. */
export function sweepJobs(c: SweepConfig): Job[] {
  const jobs: Job[] = [];
  const data = opt('--data-dir', c.dataDir);
  pairs(c).forEach(({ model, dataset }, index) => {
    const dir = runDir(c, model, dataset);
    const ckpt = join(dir, 'model.safetensors');
    const key = `${model}-${dataset}`;
    const t = c.train;
    jobs.push({
      id: `train-${key}`,
      stage: 'train',
      index,
      deps: [],
      args: [
        'train',
        '--model',
        model,
        '--dataset',
        dataset,
        '--out',
        dir,
        '--resume',
        '--eval-every',
        '0',
        ...argsOf(TRAIN_OPTIONS, 'train', t),
        ...data,
      ],
    });
    if (c.ptq) {
      const p = c.ptq;
      jobs.push({
        id: `ptq-${key}`,
        stage: 'ptq',
        index,
        deps: [`train-${key}`],
        args: [
          'ptq',
          '--checkpoint',
          ckpt,
          '--dataset',
          dataset,
          '--out',
          dir,
          ...argsOf(PTQ_OPTIONS, 'ptq', p),
          ...data,
        ],
      });
    }
    if (c.gen) {
      const g = c.gen;
      jobs.push({
        id: `gen-${key}`,
        stage: 'gen',
        index,
        deps: [`train-${key}`],
        args: [
          'gen',
          '--checkpoint',
          ckpt,
          '--dataset',
          dataset,
          '--out',
          join(dir, 'gen'),
          ...argsOf(GEN_OPTIONS, 'gen', g),
          ...data,
        ],
      });
    }
    if (c.robust) {
      const r = c.robust;
      jobs.push({
        id: `robust-${key}`,
        stage: 'robust',
        index,
        deps: [`gen-${key}`],
        args: [
          'robust',
          '--checkpoint',
          ckpt,
          '--dataset',
          dataset,
          '--gen-dir',
          join(dir, 'gen'),
          ...opt('--adjust', c.gen && c.gen.adjust),
          ...argsOf(ROBUST_OPTIONS, 'robust', r),
          ...data,
        ],
      });
    }
  });
  jobs.push({
    id: 'report',
    stage: 'report',
    index: 0,
    deps: jobs.map((j) => j.id),
    args: ['report', '--results', join(c.out, 'runs'), '--out', join(c.out, 'report')],
  });
  return jobs;
}

const statusPath = (c: SweepConfig, id: string) => join(c.out, 'jobs', `${id}.json`);
const logPath = (c: SweepConfig, id: string) => join(c.out, 'logs', `${id}.log`);

export function readStatus(c: SweepConfig, id: string): JobStatus | null {
  const p = statusPath(c, id);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
}

function writeStatus(c: SweepConfig, s: JobStatus): void {
  writeJsonAtomic(statusPath(c, s.id), s);
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/quantscope.mjs');

/** Run one job as a child process; resolves with its final status. */
export function runJob(c: SweepConfig, job: Job): Promise<JobStatus> {
  mkdirSync(dirname(logPath(c, job.id)), { recursive: true });
  const fd = openSync(logPath(c, job.id), 'a');
  const started = new Date().toISOString();
  const child = spawn(process.execPath, [CLI, ...job.args, ...(job.stage === 'report' ? [] : ['--quiet'])], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env },
  });
  writeStatus(c, { id: job.id, state: 'running', pid: child.pid, started, log: logPath(c, job.id) });
  return new Promise((res) => {
    child.on('exit', (code, signal) => {
      closeSync(fd);
      const s: JobStatus = {
        id: job.id,
        state: code === 0 ? 'done' : 'failed',
        started,
        ended: new Date().toISOString(),
        exitCode: code,
        log: logPath(c, job.id),
        ...(code === 0 ? {} : { reason: signal ? `killed by ${signal}` : `exit code ${code}` }),
      };
      writeStatus(c, s);
      res(s);
    });
  });
}

export interface SweepSummary {
  done: string[];
  failed: string[];
  skipped: string[];
  ran: string[];
}

/** Run the sweep locally with a worker pool. Done jobs are skipped; failed ones are retried. */
export async function runSweepLocal(c: SweepConfig, concurrency = c.concurrency ?? 1): Promise<SweepSummary> {
  const jobs = sweepJobs(c);
  writeJsonAtomic(join(c.out, 'sweep.json'), { config: c, jobs });
  // a previous sweep killed mid-way may have left children running: stop them before redoing their jobs
  for (const j of jobs) {
    const s = readStatus(c, j.id);
    if (s?.state === 'running' && alive(s.pid)) {
      try {
        process.kill(s.pid as number, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
  const state = new Map<string, JobStatus['state'] | 'pending'>();
  for (const j of jobs) state.set(j.id, readStatus(c, j.id)?.state === 'done' ? 'done' : 'pending');
  const ran: string[] = [];
  const running = new Map<string, Promise<void>>();
  for (;;) {
    for (const j of jobs) {
      if (state.get(j.id) !== 'pending') continue;
      const bad = j.deps.find((d) => state.get(d) === 'failed' || state.get(d) === 'skipped');
      if (bad && j.stage !== 'report') {
        state.set(j.id, 'skipped');
        writeStatus(c, {
          id: j.id,
          state: 'skipped',
          reason: `dependency ${bad} did not finish`,
          log: logPath(c, j.id),
        });
        log(`sweep: skip ${j.id} (dependency ${bad} did not finish)`);
      }
    }
    // the report merges whatever finished, once nothing else can change
    const terminal = (d: string) => ['done', 'failed', 'skipped'].includes(state.get(d) as string);
    const ready = jobs.filter(
      (j) =>
        state.get(j.id) === 'pending' &&
        j.deps.every((d) => (j.stage === 'report' ? terminal(d) : state.get(d) === 'done')),
    );
    for (const j of ready) {
      if (running.size >= concurrency) break;
      state.set(j.id, 'running');
      log(`sweep: start ${j.id}`);
      ran.push(j.id);
      running.set(
        j.id,
        runJob(c, j).then((s) => {
          state.set(j.id, s.state);
          log(`sweep: ${j.id} ${s.state}${s.reason ? ` (${s.reason}; log ${s.log})` : ''}`);
          running.delete(j.id);
        }),
      );
    }
    if (!running.size) break;
    await Promise.race(running.values());
  }
  const by = (st: string) => jobs.filter((j) => state.get(j.id) === st).map((j) => j.id);
  return { done: by('done'), failed: by('failed'), skipped: [...by('skipped'), ...by('pending')], ran };
}

/** `quantscope sweep-job`: one job of a Slurm array (skips it when already done). */
export async function runSweepJob(c: SweepConfig, stage: Stage, index: number): Promise<JobStatus> {
  const job = sweepJobs(c).find((j) => j.stage === stage && j.index === index);
  if (!job) throw new Error(`sweep-job: no ${stage} job with index ${index}`);
  const prev = readStatus(c, job.id);
  if (prev?.state === 'done') {
    log(`sweep-job: ${job.id} already done`);
    return prev;
  }
  const failedDep = job.deps.find((d) => readStatus(c, d)?.state !== 'done');
  if (failedDep && stage !== 'report') {
    const s: JobStatus = {
      id: job.id,
      state: 'skipped',
      reason: `dependency ${failedDep} is not done`,
      log: logPath(c, job.id),
    };
    writeStatus(c, s);
    return s;
  }
  return runJob(c, job);
}

/** Write sbatch scripts (one array per stage) and submit.sh chaining them with dependencies. */
export function writeSlurm(c: SweepConfig, configPath: string): string {
  const dir = join(c.out, 'slurm');
  const jobs = sweepJobs(c);
  const n = pairs(c).length;
  const s = c.slurm ?? {};
  const header = (stage: Stage, array: boolean) => [
    '#!/bin/bash',
    `#SBATCH --job-name=qs-${stage}`,
    `#SBATCH --output=${join(c.out, 'logs', `slurm-${stage}-%a.log`)}`,
    ...(array ? [`#SBATCH --array=0-${n - 1}`] : []),
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.gres && stage !== 'report' ? [`#SBATCH --gres=${s.gres}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    `#SBATCH --cpus-per-task=${s.cpus ?? 1}`,
    ...(s.extra ?? []).map((e) => `#SBATCH ${e}`),
    'set -euo pipefail',
    `cd ${resolve(dirname(CLI), '..')}`,
    'export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}',
  ];
  mkdirSync(join(c.out, 'logs'), { recursive: true });
  const stages = STAGES.filter((st) => jobs.some((j) => j.stage === st));
  for (const st of stages) {
    const array = st !== 'report';
    const lines = [
      ...header(st, array),
      `${JSON.stringify(process.execPath)} ${CLI} sweep-job --config ${resolve(configPath)} --stage ${st} --index ` +
        `${array ? '${SLURM_ARRAY_TASK_ID}' : '0'}`,
      '',
    ];
    writeFileAtomic(join(dir, `${st}.sbatch`), lines.join('\n'));
  }
  const dep = (st: Stage) => (st === 'ptq' || st === 'gen' ? 'train' : st === 'robust' ? 'gen' : null);
  const submit = [
    '#!/bin/bash',
    '# Submit the sweep: one job array per stage; array task i of a stage waits for task i of the stage it needs.',
    'set -euo pipefail',
    `cd ${dir}`,
  ];
  for (const st of stages) {
    if (st === 'report') {
      const all = stages
        .filter((x) => x !== 'report')
        .map((x) => `$${x}`)
        .join(':');
      submit.push(`report=$(sbatch --parsable --dependency=afterany:${all} report.sbatch)`);
    } else {
      const d = dep(st);
      submit.push(
        `${st}=$(sbatch --parsable ${d && stages.includes(d) ? `--dependency=aftercorr:$${d} ` : ''}${st}.sbatch)`,
      );
    }
  }
  submit.push('echo "submitted: ' + stages.map((st) => `${st}=$${st}`).join(' ') + '"', '');
  writeFileAtomic(join(dir, 'submit.sh'), submit.join('\n'));
  chmodSync(join(dir, 'submit.sh'), 0o755);
  return dir;
}
