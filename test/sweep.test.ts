// Sweeps: the job graph and Slurm scripts; a tiny local sweep with one failing model (its jobs fail or are
// skipped, the rest finish, the report merges); killing a sweep mid-way and re-running it finishes without
// redoing finished jobs or corrupting results; the same sweep through a real single-node Slurm.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadSweepConfig, readStatus, runSweepLocal, sweepJobs, writeSlurm } from '../src/experiments/sweep.js';
import { readJsonl } from '../src/platform/files.js';

const dataDir = join(process.cwd(), '../shared/data');

function tinyConfig(models: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'qs-sweep-'));
  const path = join(dir, 'sweep.json');
  writeFileSync(
    path,
    JSON.stringify({
      out: 'out',
      models,
      datasets: ['cifar10'],
      dataDir,
      train: { epochs: 1, subset: 256, testSubset: 128, batchSize: 64 },
      ptq: { formats: ['INT8', 'INT2', 'POT4'], calibBatches: 1, testSubset: 128 },
      gen: { epochs: 1, iters: 2, batchSize: 16, fakeBatches: 2 },
      robust: { formats: ['INT8'], testSubset: 32, fakeLimit: 32, calibBatches: 1, pcaPerClass: 2 },
    }),
  );
  return path;
}

describe('sweep job graph', () => {
  it('orders train -> ptq/gen -> robust per model and dataset, then one report', () => {
    const c = loadSweepConfig(tinyConfig(['VGG_demo', 'AlexNet_demo']));
    const jobs = sweepJobs(c);
    expect(jobs.map((j) => j.id)).toEqual([
      'train-VGG_demo-cifar10',
      'ptq-VGG_demo-cifar10',
      'gen-VGG_demo-cifar10',
      'robust-VGG_demo-cifar10',
      'train-AlexNet_demo-cifar10',
      'ptq-AlexNet_demo-cifar10',
      'gen-AlexNet_demo-cifar10',
      'robust-AlexNet_demo-cifar10',
      'report',
    ]);
    expect(jobs.find((j) => j.id === 'robust-VGG_demo-cifar10')?.deps).toEqual(['gen-VGG_demo-cifar10']);
    expect(jobs.find((j) => j.id === 'report')?.deps.length).toBe(8);
    expect(jobs[0].args).toContain('--resume');
  });

  it('writes sbatch arrays chained with aftercorr dependencies', () => {
    const path = tinyConfig(['VGG_demo', 'AlexNet_demo']);
    const c = loadSweepConfig(path);
    const dir = writeSlurm(c, path);
    const train = readFileSync(join(dir, 'train.sbatch'), 'utf8');
    expect(train).toMatch(/#SBATCH --array=0-1/);
    expect(train).toMatch(/sweep-job --config .*sweep\.json --stage train --index \$\{SLURM_ARRAY_TASK_ID\}/);
    const submit = readFileSync(join(dir, 'submit.sh'), 'utf8');
    expect(submit).toMatch(/ptq=\$\(sbatch --parsable --dependency=aftercorr:\$train ptq\.sbatch\)/);
    expect(submit).toMatch(/robust=\$\(sbatch --parsable --dependency=aftercorr:\$gen robust\.sbatch\)/);
    expect(submit).toMatch(
      /report=\$\(sbatch --parsable --dependency=afterany:\$train:\$ptq:\$gen:\$robust report\.sbatch\)/,
    );
  });

  it('rejects configs that cannot work, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-sweep-bad-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ models: [], datasets: ['cifar10'] }));
    expect(() => loadSweepConfig(join(dir, 'a.json'))).toThrow(/"models" must be a non-empty list/);
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ models: ['VGG_demo'], datasets: ['cifar10'], robust: {} }));
    expect(() => loadSweepConfig(join(dir, 'b.json'))).toThrow(/"robust" needs "gen"/);
    writeFileSync(join(dir, 'c.json'), '{ models: ');
    expect(() => loadSweepConfig(join(dir, 'c.json'))).toThrow(/not valid JSON/);
  });
});

describe('local sweep', () => {
  it('a failing model fails alone: the others finish, dependents are skipped, the report merges', async () => {
    // AlexNet: no BatchNorm, the generator still trains
    const c = loadSweepConfig(tinyConfig(['AlexNet_demo', 'NoSuchNet']));
    const s = await runSweepLocal(c, 2);
    expect(s.failed).toEqual(['train-NoSuchNet-cifar10']);
    expect(s.skipped.sort()).toEqual(['gen-NoSuchNet-cifar10', 'ptq-NoSuchNet-cifar10', 'robust-NoSuchNet-cifar10']);
    expect(s.done).toContain('report');
    expect(readFileSync(readStatus(c, 'train-NoSuchNet-cifar10')?.log as string, 'utf8')).toMatch(
      /unknown model "NoSuchNet"/,
    );
    expect(readJsonl(join(c.out, 'runs', 'AlexNet_demo-cifar10', 'ptq.jsonl')).length).toBe(3);
    // fp32 + INT8 on test and fake
    expect(readJsonl(join(c.out, 'runs', 'AlexNet_demo-cifar10', 'gen', 'robust.jsonl')).length).toBe(4);
    const html = readFileSync(join(c.out, 'report', 'index.html'), 'utf8');
    expect(html).toMatch(/Post-training quantization/);
    expect(html).toMatch(/Data-free robustness/);
  }, 600_000);

  it('a sweep killed mid-way finishes on re-run without redoing finished jobs', async () => {
    const path = tinyConfig(['VGG_demo']);
    const c = loadSweepConfig(path);
    const child = spawn(process.execPath, ['bin/quantscope.mjs', 'sweep', '--config', path], { stdio: 'ignore' });
    // wait until training is done and the next job has started, then kill the sweep without warning
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 200));
      if (
        readStatus(c, 'train-VGG_demo-cifar10')?.state === 'done' &&
        ['ptq', 'gen'].some((s) => readStatus(c, `${s}-VGG_demo-cifar10`))
      )
        break;
    }
    child.kill('SIGKILL');
    const trainDone = readStatus(c, 'train-VGG_demo-cifar10');
    expect(trainDone?.state).toBe('done');
    const s = await runSweepLocal(c);
    expect(s.ran).not.toContain('train-VGG_demo-cifar10');
    expect(readStatus(c, 'train-VGG_demo-cifar10')).toEqual(trainDone);
    expect(s.failed).toEqual([]);
    expect(s.done.length).toBe(5);
    const rows = readJsonl<{ format: string }>(join(c.out, 'runs', 'VGG_demo-cifar10', 'ptq.jsonl'));
    expect(rows.map((r) => r.format).sort()).toEqual(['INT2', 'INT8', 'POT4']);
    expect(existsSync(join(c.out, 'report', 'index.html'))).toBe(true);
  }, 600_000);
});

describe('slurm sweep', () => {
  it('runs the tiny sweep through sbatch on a local single-node Slurm and merges the results', async () => {
    execFileSync('bash', ['scripts/slurm-local.sh', 'install'], { stdio: 'inherit' });
    const started = execFileSync('bash', ['scripts/slurm-local.sh', 'start'], { encoding: 'utf8' });
    // stop what the test started (munged, slurmctld, slurmd), however the test ends
    onTestFinished(() => {
      execFileSync('bash', ['scripts/slurm-local.sh', 'stop']);
    });
    const conf = /SLURM_CONF=(\S+)/.exec(started)?.[1] as string;
    const env = { ...process.env, SLURM_CONF: conf };
    const path = tinyConfig(['VGG_demo', 'AlexNet_demo']);
    const c = loadSweepConfig(path);
    const dir = writeSlurm(c, path);
    const out = execFileSync('bash', [join(dir, 'submit.sh')], { encoding: 'utf8', env });
    expect(out).toMatch(/submitted: train=\d+ ptq=\d+ gen=\d+ robust=\d+ report=\d+/);
    for (let i = 0; i < 900; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      if (readStatus(c, 'report')?.state === 'done') break;
      const q = execFileSync('squeue', ['-h'], { encoding: 'utf8', env });
      if (!q.trim() && readStatus(c, 'report')) break;
    }
    for (const j of sweepJobs(c)) expect(readStatus(c, j.id)?.state, j.id).toBe('done');
    const html = readFileSync(join(c.out, 'report', 'index.html'), 'utf8');
    expect(html).toMatch(/VGG_demo/);
    expect(html).toMatch(/AlexNet_demo/);
  }, 900_000);
});
