// Helpers the commands share beyond their option schemas (src/experiments/*-options.ts, ./schema-options.ts).
import { resolve } from 'node:path';

export const classesOf = (d: string) => (d === 'cifar100' ? 100 : 10);

/** --checkpoint, or the train command's default location for --model/--dataset. */
export function checkpointOf(cmd: string, o: { checkpoint?: string; model?: string; dataset: string }): string {
  if (!o.checkpoint && !o.model)
    throw new Error(`${cmd}: give --checkpoint FILE or --model NAME (to use runs/<model>-<dataset>/model.safetensors)`);
  return resolve(o.checkpoint ?? `runs/${o.model}-${o.dataset}/model.safetensors`);
}
