// The model table against the seed's own: every module of the 9 models x 2 datasets, in build order, with
// the seed's module name, params and MACs (../shared/seed/reference/layers.csv, from its ALL/cfg.py code and
// ptflops), the totals (totals.csv), and the cfg rows of ../shared/seed/architectures.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES, BLOCKS } from '../src/nn/models/architectures.js';
import { buildModel } from '../src/nn/models/build.js';
import { fill, parseRow } from '../src/nn/models/parse.js';
import { countFlops } from '../src/nn/flops.js';
import { ready } from './helpers.js';

const SEED = join(process.cwd(), '../shared/seed');

function readCsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

const totals = readCsv(join(SEED, 'reference/totals.csv'));
const layers = readCsv(join(SEED, 'reference/layers.csv'));

beforeAll(async () => {
  await ready;
});

describe("the seed's model tables (reference/layers.csv, totals.csv)", () => {
  it('covers the 9 seed models on both datasets', () => {
    expect(totals.length).toBe(18);
    expect(new Set(totals.map((t) => t.model))).toEqual(
      new Set(Object.keys(ARCHITECTURES).filter((n) => !n.endsWith('_demo'))),
    );
  });

  for (const t of totals) {
    it(`${t.model} / ${t.dataset}: every module's name, params and MACs, and the totals`, () => {
      const m = buildModel(t.model, { classes: t.dataset === 'cifar100' ? 100 : 10 });
      const table = countFlops(m);
      m.dispose();
      const want = layers
        .filter((l) => l.dataset === t.dataset && l.model === t.model)
        .map((l) => `${l.module} ${l.params} ${l.macs}`);
      expect(table.layers.map((l) => `${l.name} ${l.params} ${l.macs}`)).toEqual(want);
      expect(table.totalParams).toBe(Number(t.params));
      expect(table.totalMacs).toBe(Number(t.macs));
    });
  }
});

type SeedRow = Record<string, unknown> & { op: string };

/** Our row, parsed, in the JSON file's vocabulary (conv: in/out/kernel/stride/padding/bias/after). */
function asSeedRow(text: string, classes: number): SeedRow {
  const r = parseRow(fill(text, { classes }));
  switch (r.op) {
    case 'conv': {
      const after = [...(r.bn ? ['bn'] : []), ...(r.act ? [r.act] : [])];
      return {
        op: 'conv',
        in: r.in,
        out: r.out,
        kernel: r.kernel,
        stride: r.stride,
        padding: r.padding,
        bias: r.bias,
        after,
      };
    }
    case 'adaptive_avgpool':
      return { op: r.op, output: r.output };
    case 'inception':
      return { op: r.op, index: r.row };
    default:
      return r as SeedRow;
  }
}

describe("the seed's cfg rows (architectures.json)", () => {
  const seed = JSON.parse(readFileSync(join(SEED, 'architectures.json'), 'utf8')) as {
    models: Record<string, SeedRow[]>;
    blocks: Record<string, { channels?: number[][]; [k: string]: unknown }>;
  };
  for (const [name, rows] of Object.entries(seed.models)) {
    it(`${name}: the same rows in the same order`, () => {
      const ours = ARCHITECTURES[name].layers.map((l) => asSeedRow(l, 10));
      const theirs = rows.map(({ quantize_input: _q, ...r }) => r);
      expect(ours).toEqual(theirs);
    });
  }
  it('the same block tables', () => {
    const rowsOf = (b: Record<string, unknown>) =>
      Object.entries(b).find(([k]) => k.startsWith('rows'))?.[1] as unknown[][];
    for (const block of ['basic', 'bottleneck', 'inverted_residual']) {
      expect(BLOCKS[block].rows, block).toEqual(rowsOf(seed.blocks[block]));
    }
    expect(BLOCKS.inception.rows).toEqual(seed.blocks.inception.channels);
  });
});
