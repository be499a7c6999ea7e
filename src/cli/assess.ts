// `quantscope assess`: a pretrained CNN assessed for quantization without its data (experiments/assess.ts).
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { ASSESS_OPTIONS, resolveAssessConfig, runAssess } from '../experiments/assess.js';
import { initNode } from '../platform/node.js';
import { addOptions, valuesOf } from './schema-options.js';

export function registerAssessCommand(program: Command): void {
  addOptions(
    program
      .command('assess')
      .description(
        'data-free assessment of a pretrained CNN: generator, fake set, per-format PTQ calibrated on it, ' +
          'predicted acc_loss and robustness, ranked formats',
      ),
    ASSESS_OPTIONS,
  ).action(async (o) => {
    await initNode();
    const v = valuesOf(ASSESS_OPTIONS, o);
    const checkpoint = resolve(v.checkpoint);
    const out = resolve(v.out ?? join(dirname(checkpoint), 'assess'));
    const file = (f?: string) => f && resolve(f);
    const r = await runAssess(
      resolveAssessConfig({
        ...v,
        checkpoint,
        out,
        fit: file(v.fit),
        robustFit: file(v.robustFit),
        genDir: file(v.genDir),
      }),
    );
    for (const x of r.rows)
      console.log(
        `${x.format.padEnd(12)} js_flops ${x.js_flops.toExponential(3)}  predicted loss ` +
          `${x.predicted_loss === null ? '–' : x.predicted_loss.toFixed(4)}  fake PGD ` +
          `${(x.fake_pgd * 100).toFixed(1)}%` +
          (x.measured_loss !== undefined ? `  measured loss ${x.measured_loss.toFixed(4)}` : ''),
      );
    console.log(`recommended under max loss ${r.max_loss}: ${r.recommended.join(', ') || 'none'}`);
    console.log(`report: ${join(out, 'index.html')}`);
  });
}
