import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argsOf, defaultsOf, defineOptions, parseOption } from '../src/experiments/option-schema.js';
import { GEN_OPTIONS, resolveGenConfig } from '../src/experiments/gen-options.js';
import { loadSweepConfig, sweepJobs } from '../src/experiments/sweep.js';
import { addOptions, valuesOf } from '../src/cli/schema-options.js';

const SCHEMA = defineOptions({
  itersPerEpoch: { kind: 'int', flag: 'iters', help: 'iterations', default: 200, min: 1 },
  lr: { kind: 'num', help: 'learning rate' },
  space: { kind: ['normalized', 'pixel'], help: 'attack space', default: 'normalized' },
  nesterov: { kind: 'bool', help: 'nesterov', default: true },
  adjust: { kind: 'bool', help: 'adjust', default: false },
  milestones: { kind: 'ints', help: 'milestones', default: [15] },
  out: { kind: 'str', help: 'output', required: true, sweep: false },
});

function parse(argv: string[]) {
  const cmd = addOptions(new Command('t').exitOverride(), SCHEMA);
  cmd.parse(argv, { from: 'user' });
  return valuesOf(SCHEMA, cmd.opts());
}

describe('one option schema per command', () => {
  it('derives the defaults, the commander options (flags, help, parsers) and the config from one entry each', () => {
    expect(defaultsOf(SCHEMA)).toEqual({
      itersPerEpoch: 200,
      space: 'normalized',
      nesterov: true,
      adjust: false,
      milestones: [15],
    });
    expect(parse([])).toEqual({
      itersPerEpoch: 200,
      space: 'normalized',
      nesterov: true,
      adjust: false,
      milestones: [15],
    });
    expect(
      parse(['--iters', '5', '--lr', '0.5', '--space', 'pixel', '--no-nesterov', '--adjust', '--milestones', '3,4']),
    ).toEqual({ itersPerEpoch: 5, lr: 0.5, space: 'pixel', nesterov: false, adjust: true, milestones: [3, 4] });
    const help = addOptions(new Command('t'), SCHEMA).helpInformation();
    expect(help).toContain('--iters <n>');
    expect(help).toContain('--no-nesterov');
    expect(help).toContain('--space <name>');
  });

  it('refuses a bad value with a message naming the flag', () => {
    expect(() => parse(['--iters', '0'])).toThrow('--iters must be an integer >= 1, got "0"');
    expect(() => parse(['--lr', 'fast'])).toThrow('--lr must be a number, got "fast"');
    expect(() => parse(['--space', 'latent'])).toThrow('--space must be one of normalized | pixel, got "latent"');
    expect(() => parse(['--milestones', '3,x'])).toThrow('--milestones must be a non-negative integer, got "x"');
    expect(() => defineOptions({ n: { kind: 'int', help: 'n', default: -1 } })).toThrow('--n must be a non-negative');
    expect(() => parseOption('adjust', SCHEMA.adjust, 'yes')).toThrow('--adjust is a switch');
  });

  it("gives a sweep config's section as arguments, by key or flag name, refusing unknown and sweep-owned keys", () => {
    expect(argsOf(SCHEMA, 't', { itersPerEpoch: 3, adjust: true, nesterov: false, milestones: [1, 2] })).toEqual([
      '--iters',
      '3',
      '--adjust',
      '--no-nesterov',
      '--milestones',
      '1,2',
    ]);
    expect(argsOf(SCHEMA, 't', { iters: 4, nesterov: true, adjust: false })).toEqual(['--iters', '4']);
    expect(() => argsOf(SCHEMA, 't', { itres: 3 })).toThrow('sweep: "t.itres" is not an option of t (known:');
    expect(() => argsOf(SCHEMA, 't', { out: 'x' })).toThrow('sweep: "t.out" is set by the sweep itself');
    expect(() => argsOf(SCHEMA, 't', { space: 'latent' })).toThrow('--space must be one of');
  });

  it("the generator's config: protocol and dataset defaults fill what no option set", () => {
    const c = resolveGenConfig({ checkpoint: 'm.safetensors', out: 'o', dataset: 'cifar100', protocol: 'clean' });
    expect(c).toMatchObject({ lr: 0.005, multiLabelNum: 10, lrSchedule: 'multistep', midBnEps: 1e-5, epochs: 20 });
    expect(c.adjustRounds).toBe(Infinity);
    expect(resolveGenConfig({ checkpoint: 'm', out: 'o', dataset: 'cifar10', protocol: 'seed', lr: 0.1 }).lr).toBe(0.1);
    expect(Object.keys(GEN_OPTIONS)).toContain('advWeight');
  });

  it('a sweep config with a misspelt option is refused when it is loaded, naming the stage and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-schema-'));
    const path = join(dir, 's.json');
    const base = { models: ['AlexNet_demo'], datasets: ['cifar10'], train: { epochs: 1 } };
    writeFileSync(path, JSON.stringify({ ...base, gen: { epochs: 1, iters: 2 }, robust: { fakeLimt: 10 } }));
    expect(() => loadSweepConfig(path)).toThrow('"robust.fakeLimt" is not an option of robust');
    writeFileSync(path, JSON.stringify({ ...base, train: { epochs: 1, batchSize: 0 } }));
    expect(() => loadSweepConfig(path)).toThrow('--batch-size must be an integer >= 1, got "0"');
    writeFileSync(path, JSON.stringify({ ...base, gen: { epochs: 2, iters: 3, adjust: true } }));
    const gen = sweepJobs(loadSweepConfig(path)).find((j) => j.stage === 'gen');
    expect(gen?.args).toEqual(expect.arrayContaining(['--epochs', '2', '--iters', '3', '--adjust']));
  });
});
