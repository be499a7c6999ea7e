// quantscope command line. Each command parses options here and calls into src/experiments.
import { Command, InvalidArgumentError } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { parseDatasetName } from './data/cifar.js';
import { countFlops, formatFlopsTable } from './experiments/flops.js';
import { runPtq } from './experiments/ptq.js';
import { STAGES, loadSweepConfig, runSweepJob, runSweepLocal, writeSlurm } from './experiments/sweep.js';
import { GEN_DEFAULTS, defaultGenLr, runGen } from './experiments/gen.js';
import { ROBUST_DEFAULTS, runRobust } from './experiments/robust.js';
import { DEMO_DEFAULTS, runDemo } from './experiments/demo.js';
import { buildReport } from './experiments/report.js';
import { formatFitTable, runFit } from './experiments/fit.js';
import { predictLoss } from './experiments/predict.js';
import { NonFiniteLossError, SEED_RECIPE, train } from './experiments/train.js';
import { buildModel, modelNames } from './nn/models/build.js';
import { initNode } from './platform/node.js';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
const modelName = (v: string) => {
  if (!modelNames().includes(v)) throw new InvalidArgumentError(`unknown model "${v}" (known: ${modelNames().join(', ')})`);
  return v;
};
const dataset = (v: string) => {
  try { return parseDatasetName(v); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
};
const classesOf = (d: string) => (d === 'cifar100' ? 100 : 10);

/** --checkpoint, or the train command's default location for --model/--dataset. */
function checkpointOf(cmd: string, o: { checkpoint?: string; model?: string; dataset: string }): string {
  if (!o.checkpoint && !o.model) throw new Error(`${cmd}: give --checkpoint FILE or --model NAME (to use runs/<model>-<dataset>/model.safetensors)`);
  return resolve(o.checkpoint ?? `runs/${o.model}-${o.dataset}/model.safetensors`);
}

/** The L-inf attack options shared by gen (adjust) and robust. */
function withAttackOptions(cmd: Command, d: { eps: number; steps: number; alpha: number }): Command {
  return cmd
    .option('--eps <x>', 'L-inf budget in pixels (0..1)', num('--eps'), d.eps)
    .option('--pgd-steps <n>', 'PGD steps', int('--pgd-steps'), d.steps)
    .option('--pgd-alpha <x>', 'PGD step size', num('--pgd-alpha'), d.alpha);
}

/** --formats mixes family names (swept over --bits) and explicit format names. */
function splitFormats(list: string[]): { families: string[]; formats?: string[] } {
  const families = list.filter((f) => /^(INT|POT|FLOAT|OCP|MX)$/i.test(f));
  const names = list.filter((f) => !families.includes(f));
  return { families, formats: names.length ? names : undefined };
}

export const program = new Command('quantscope')
  .description('WebGPU tensor engine + lab: how much accuracy and robustness does quantizing a CNN cost?')
  .showHelpAfterError();

program.command('models').description('list the model cfg entries with parameter counts').action(async () => {
  await initNode();
  for (const n of modelNames()) {
    const m = buildModel(n);
    console.log(`${n.padEnd(16)} ${m.numParameters().toLocaleString('en-US').padStart(12)} params (10 classes)`);
    m.dispose();
  }
});

program.command('train')
  .description("train a full-precision model with the seed's recipe (SGD+nesterov, MultiStepLR, warm-up)")
  .requiredOption('--model <name>', 'model cfg name', modelName)
  .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
  .option('--epochs <n>', 'epochs', int('--epochs'), SEED_RECIPE.epochs)
  .option('--batch-size <n>', 'batch size', int('--batch-size'), SEED_RECIPE.batchSize)
  .option('--lr <x>', 'base learning rate', num('--lr'), SEED_RECIPE.lr)
  .option('--momentum <x>', 'SGD momentum', num('--momentum'), SEED_RECIPE.momentum)
  .option('--weight-decay <x>', 'weight decay', num('--weight-decay'), SEED_RECIPE.weightDecay)
  .option('--milestones <list>', 'MultiStepLR milestones (epochs)', (v) => list(v).map(Number), [...SEED_RECIPE.milestones])
  .option('--gamma <x>', 'MultiStepLR gamma', num('--gamma'), SEED_RECIPE.gamma)
  .option('--warmup-epochs <n>', 'linear per-batch warm-up epochs', int('--warmup-epochs'), SEED_RECIPE.warmupEpochs)
  .option('--subset <n>', 'train on the first N training images', int('--subset'))
  .option('--test-subset <n>', 'evaluate on the first N test images', int('--test-subset'))
  .option('--eval-every <n>', 'test accuracy every N epochs (0: only at the end)', int('--eval-every'), 1)
  .option('--seed <n>', 'seed for init, order, augmentation, dropout', int('--seed'), 0)
  .option('--data-dir <dir>', 'folder holding cifar-10-batches-bin / cifar-100-binary')
  .option('--out <dir>', 'output folder (default runs/<model>-<dataset>)')
  .option('--resume', 'continue from <out>/checkpoint.safetensors if present', false)
  .option('--quiet', 'no progress output', false)
  .action(async (o) => {
    await initNode();
    const out = resolve(o.out ?? `runs/${o.model}-${o.dataset}`);
    try {
      const r = await train({
        model: o.model, dataset: o.dataset, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay,
        nesterov: true, milestones: o.milestones, gamma: o.gamma, warmupEpochs: o.warmupEpochs, subset: o.subset, testSubset: o.testSubset,
        seed: o.seed, dataDir: o.dataDir, out, evalEvery: o.evalEvery,
      }, o.resume, { quiet: o.quiet });
      console.log(`${o.model} on ${o.dataset}: test accuracy ${(r.testAcc * 100).toFixed(2)}% (train ${(r.trainAcc * 100).toFixed(2)}%); files in ${out}`);
    } catch (e) {
      if (e instanceof NonFiniteLossError) { console.error(`error: ${e.message}`); process.exitCode = 3; return; }
      throw e;
    }
  });

program.command('flops')
  .description('per-layer params and MACs (ptflops convention) for one 32x32 image')
  .requiredOption('--model <name>', 'model cfg name', modelName)
  .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
  .option('--json', 'print JSON instead of a table', false)
  .action(async (o) => {
    await initNode();
    const t = countFlops(buildModel(o.model, { classes: classesOf(o.dataset) }));
    console.log(o.json ? JSON.stringify(t, null, 2) : formatFlopsTable(t));
  });

program.command('ptq')
  .description('post-training quantization sweep: js_param, js_flops, q_acc, acc_loss per format and bit width')
  .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
  .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
  .option('--checkpoint <file>', 'trained model (default runs/<model>-<dataset>/model.safetensors)')
  .option('--formats <list>', 'format families (INT,POT,FLOAT,OCP,MX) or explicit names (INT8,FP8_E4M3,...)', list, ['INT', 'POT', 'FLOAT'])
  .option('--bits <list>', 'bit widths', (v) => list(v).map(Number), [2, 3, 4, 5, 6, 7, 8])
  .option('--calib-batches <n>', 'training batches for activation ranges', int('--calib-batches'), 100)
  .option('--calib-batch-size <n>', 'calibration batch size', int('--calib-batch-size'), 128)
  .option('--test-subset <n>', 'evaluate on the first N test images', int('--test-subset'))
  .option('--hist-bins <n>', 'bins of the histogram JS divergence', int('--hist-bins'), 2048)
  .option('--data-dir <dir>', 'folder holding the datasets')
  .option('--out <dir>', 'output folder (default: the checkpoint\'s folder)')
  .option('--quiet', 'no progress output', false)
  .action(async (o) => {
    await initNode();
    const checkpoint = checkpointOf('ptq', o);
    const rows = await runPtq({
      checkpoint, model: o.model, dataset: o.dataset, ...splitFormats(o.formats), bits: o.bits, calibBatches: o.calibBatches,
      calibBatchSize: o.calibBatchSize, testSubset: o.testSubset, dataDir: o.dataDir, out: resolve(o.out ?? dirname(checkpoint)), histBins: o.histBins, quiet: o.quiet,
    });
    for (const r of rows) console.log(`${r.model} ${r.format.padEnd(12)} js_flops ${r.js_flops.toExponential(3)}  q_acc ${(r.q_acc * 100).toFixed(2)}%  acc_loss ${r.acc_loss.toFixed(4)}`);
  });

program.command('fit')
  .description('fit js_flops (and variants) -> acc_loss per model and overall; write fit.json, fit.csv, PNG/SVG figures')
  .option('--results <dir>', 'folder searched for ptq.jsonl files', 'runs')
  .option('--out <dir>', 'where to write fit.json and figures (default: --results)')
  .action(async (o) => {
    const dir = resolve(o.results);
    const report = await runFit(dir, resolve(o.out ?? dir));
    console.log(formatFitTable(report.fits));
    console.log(`fits and figures in ${resolve(o.out ?? dir)}`);
  });

program.command('predict')
  .description('predict the accuracy loss of quantizing a model from a saved fit (no test data needed)')
  .requiredOption('--fit <file>', 'fit.json written by `quantscope fit`')
  .requiredOption('--checkpoint <file>', 'trained model (safetensors)')
  .requiredOption('--format <list>', 'format names, e.g. INT4,POT5,FLOAT6_E3', list)
  .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
  .option('--measure <name>', 'similarity measure the fit uses', 'js_flops')
  .option('--scope <name>', 'which fit: ALL or a model/dataset scope', 'ALL')
  .action(async (o) => {
    await initNode();
    const rows = await predictLoss({ fitFile: resolve(o.fit), checkpoint: resolve(o.checkpoint), formats: o.format, model: o.model, measure: o.measure, scope: o.scope });
    for (const r of rows) console.log(`${r.model} ${r.format.padEnd(12)} ${o.measure} ${r.x.toExponential(3)}  predicted acc_loss ${r.predicted.toFixed(4)}  (${r.fit})`);
  });

withAttackOptions(program.command('gen'), { eps: GEN_DEFAULTS.eps, steps: GEN_DEFAULTS.pgdSteps, alpha: GEN_DEFAULTS.pgdAlpha })
  .description("train the Qimera-style generator against a trained classifier (the seed's procedure); writes a fixed fake dataset")
  .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
  .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
  .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
  .option('--out <dir>', 'output folder (default <checkpoint folder>/gen)')
  .option('--epochs <n>', 'epochs', int('--epochs'), GEN_DEFAULTS.epochs)
  .option('--iters <n>', 'iterations per epoch', int('--iters'), GEN_DEFAULTS.itersPerEpoch)
  .option('--batch-size <n>', 'batch size', int('--batch-size'), GEN_DEFAULTS.batchSize)
  .option('--lr <x>', 'Adam learning rate (default 0.001 for CIFAR-10, 0.005 for CIFAR-100)', num('--lr'))
  .option('--milestones <list>', 'MultiStepLR milestones', (v) => list(v).map(Number), GEN_DEFAULTS.milestones)
  .option('--gamma <x>', 'MultiStepLR gamma (the seed code: 0.2; its README: 0.1)', num('--gamma'), GEN_DEFAULTS.gamma)
  .option('--bns-weight <x>', 'weight of the BN-statistics loss', num('--bns-weight'), GEN_DEFAULTS.bnsWeight)
  .option('--multi-label-num <k>', 'labels mixed in boundary samples', int('--multi-label-num'), GEN_DEFAULTS.multiLabelNum)
  .option('--mix-prob <p>', 'share of training batches with mixed labels', num('--mix-prob'), GEN_DEFAULTS.mixProb)
  .option('--freeze-embedding', 'keep the label embedding fixed', false)
  .option('--fake-batches <n>', 'batches in the saved fake set', int('--fake-batches'), GEN_DEFAULTS.fakeBatches)
  .option('--adjust', 'adjust against the classifier\'s real clean/PGD accuracy (the seed rule)', false)
  .option('--adjust-rounds <n>', 'maximum adjust rounds', int('--adjust-rounds'), GEN_DEFAULTS.adjustRounds)
  .option('--adjust-fake-batches <n>', 'fake batches measured per adjust round', int('--adjust-fake-batches'), GEN_DEFAULTS.adjustFakeBatches)
  .option('--org-bound <pp>', 'clean-accuracy bound (percentage points)', num('--org-bound'), GEN_DEFAULTS.orgBound)
  .option('--pgd-bound <pp>', 'PGD-accuracy bound (percentage points)', num('--pgd-bound'), GEN_DEFAULTS.pgdBound)
  .option('--widen-every <n>', 'rounds between widenings of both bounds by 1', int('--widen-every'), GEN_DEFAULTS.widenEvery)
  .option('--real-clean <acc>', 'classifier clean accuracy on real test data (fraction; measured when absent)', num('--real-clean'))
  .option('--real-pgd <acc>', 'classifier PGD accuracy on real test data (fraction; measured when absent)', num('--real-pgd'))
  .option('--test-subset <n>', 'test images for the real accuracies', int('--test-subset'))
  .option('--seed <n>', 'seed', int('--seed'), 0)
  .option('--data-dir <dir>', 'folder holding the datasets')
  .option('--quiet', 'no progress output', false)
  .action(async (o) => {
    await initNode();
    const checkpoint = checkpointOf('gen', o);
    const r = await runGen({
      ...GEN_DEFAULTS, checkpoint, model: o.model, dataset: o.dataset, out: resolve(o.out ?? join(dirname(checkpoint), 'gen')), epochs: o.epochs, itersPerEpoch: o.iters,
      batchSize: o.batchSize, lr: o.lr ?? defaultGenLr(o.dataset), milestones: o.milestones, gamma: o.gamma, bnsWeight: o.bnsWeight, multiLabelNum: o.multiLabelNum,
      mixProb: o.mixProb, freezeEmbedding: o.freezeEmbedding, fakeBatches: o.fakeBatches, adjust: o.adjust, adjustRounds: o.adjustRounds,
      adjustFakeBatches: o.adjustFakeBatches, orgBound: o.orgBound, pgdBound: o.pgdBound, widenEvery: o.widenEvery, realClean: o.realClean, realPgd: o.realPgd,
      eps: o.eps, pgdSteps: o.pgdSteps, pgdAlpha: o.pgdAlpha, testSubset: o.testSubset, seed: o.seed, dataDir: o.dataDir, quiet: o.quiet,
    });
    console.log(`generator: gen acc ${(r.genAcc * 100).toFixed(1)}%; fake set ${r.fakePath}${r.adjustPath ? `; adjusted (${r.rounds} rounds) ${r.adjustPath}` : ''}`);
  });

withAttackOptions(program.command('robust'), ROBUST_DEFAULTS)
  .description('clean/FGSM/PGD accuracy of the full-precision and quantized models on fake vs real data; fits, PCA pictures, image grid')
  .option('--model <name>', 'model cfg name (default: from the checkpoint metadata)', modelName)
  .option('--dataset <name>', 'cifar10 | cifar100', dataset, 'cifar10')
  .option('--checkpoint <file>', 'trained classifier (default runs/<model>-<dataset>/model.safetensors)')
  .option('--gen-dir <dir>', 'folder with fake.bin from `quantscope gen` (default <checkpoint folder>/gen)')
  .option('--adjust', 'also evaluate the adjusted fake set', false)
  .option('--formats <list>', 'format families or names', list, ['INT', 'POT', 'FLOAT'])
  .option('--bits <list>', 'bit widths', (v) => list(v).map(Number), [4, 6, 8])
  .option('--batch-size <n>', 'batch size', int('--batch-size'), ROBUST_DEFAULTS.batchSize)
  .option('--test-subset <n>', 'test images', int('--test-subset'))
  .option('--fake-limit <n>', 'fake images', int('--fake-limit'))
  .option('--calib-batches <n>', 'fake batches for activation ranges', int('--calib-batches'), ROBUST_DEFAULTS.calibBatches)
  .option('--out <dir>', 'output folder (default: the gen folder)')
  .option('--data-dir <dir>', 'folder holding the datasets')
  .option('--quiet', 'no progress output', false)
  .action(async (o) => {
    await initNode();
    const checkpoint = checkpointOf('robust', o);
    const genDir = resolve(o.genDir ?? join(dirname(checkpoint), 'gen'));
    const rows = await runRobust({
      checkpoint, model: o.model, dataset: o.dataset, genDir, adjust: o.adjust, ...splitFormats(o.formats), bits: o.bits, eps: o.eps,
      steps: o.pgdSteps, alpha: o.pgdAlpha, batchSize: o.batchSize, testSubset: o.testSubset, fakeLimit: o.fakeLimit, calibBatches: o.calibBatches,
      out: resolve(o.out ?? genDir), dataDir: o.dataDir, quiet: o.quiet,
    });
    for (const r of rows) console.log(`${r.model} ${r.format.padEnd(12)} ${r.data.padEnd(12)} clean ${(r.clean * 100).toFixed(1)}%  fgsm ${(r.fgsm * 100).toFixed(1)}%  pgd ${(r.pgd * 100).toFixed(1)}%`);
  });

program.command('sweep')
  .description('run the full grid (train, ptq, gen, robust per model x dataset) as dependency-ordered jobs, then the report')
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
    console.log(`sweep: ${s.done.length} done, ${s.failed.length} failed${s.failed.length ? ` (${s.failed.join(', ')}; logs in ${join(c.out, 'logs')})` : ''}, ${s.skipped.length} skipped; report ${join(c.out, 'report', 'index.html')}`);
    if (s.failed.length) process.exitCode = 2;
  });

program.command('sweep-job')
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

program.command('demo')
  .description('the whole pipeline at small scale on the real CIFAR-10 (minutes on 2 CPU cores); writes an HTML report')
  .option('--out <dir>', 'output folder', 'demo-out')
  .option('--data-dir <dir>', 'folder holding cifar-10-batches-bin')
  .option('--models <list>', 'models to train', list, DEMO_DEFAULTS.models)
  .option('--subset <n>', 'training images', int('--subset'), DEMO_DEFAULTS.subset)
  .option('--test-subset <n>', 'test images', int('--test-subset'), DEMO_DEFAULTS.testSubset)
  .option('--epochs <n>', 'epochs', int('--epochs'), DEMO_DEFAULTS.epochs)
  .option('--bits <list>', 'bit widths for PTQ', (v) => list(v).map(Number), DEMO_DEFAULTS.bits)
  .option('--quiet', 'no progress output', false)
  .action(async (o) => {
    await initNode();
    const path = await runDemo({ ...DEMO_DEFAULTS, out: resolve(o.out), dataDir: o.dataDir, models: o.models, subset: o.subset, testSubset: o.testSubset, epochs: o.epochs, bits: o.bits, quiet: o.quiet });
    console.log(`report: ${path}`);
  });

program.command('report')
  .description('rebuild the HTML report, figures and tables from a results folder')
  .option('--results <dir>', 'results folder', 'runs')
  .option('--out <dir>', 'report folder (default <results>/report)')
  .action(async (o) => {
    const dir = resolve(o.results);
    console.log(`report: ${await buildReport(dir, resolve(o.out ?? join(dir, 'report')))}`);
  });

export async function main(argv = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
  // Dawn keeps handles open; leave once the command is done
  setTimeout(() => process.exit(process.exitCode ?? 0), 10).unref();
}

await main();
