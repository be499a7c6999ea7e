// quantscope command line: the commands live in src/cli/*.ts, each calling into src/experiments.
import { Command } from 'commander';
import { registerAssessCommand } from './cli/assess.js';
import { registerModelsCommands } from './cli/models.js';
import { registerPipelineCommands } from './cli/pipeline.js';
import { registerQuantCommands } from './cli/quant.js';
import { registerRobustCommands } from './cli/robust.js';

export const program = new Command('quantscope')
  .description('WebGPU tensor engine + lab: how much accuracy and robustness does quantizing a CNN cost?')
  .showHelpAfterError();

registerModelsCommands(program);
registerQuantCommands(program);
registerRobustCommands(program);
registerPipelineCommands(program);
registerAssessCommand(program);

export async function main(argv = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
  // Dawn keeps handles open after the command is done, so exit explicitly, once stdout has drained
  // (a piped stdout is asynchronous: exiting at once could cut `flops --json` short)
  process.stdout.write('', () => process.exit(process.exitCode ?? 0));
}

await main();
