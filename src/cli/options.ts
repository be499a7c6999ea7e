// Option parsers and option groups shared by the commands: every bad value is rejected with a message
// that names the option.
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { parseDatasetName } from '../data/cifar.js';
import { modelNames } from '../nn/models/build.js';

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};
export const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
export const modelName = (v: string) => {
  if (!modelNames().includes(v))
    throw new InvalidArgumentError(`unknown model "${v}" (known: ${modelNames().join(', ')})`);
  return v;
};
export const dataset = (v: string) => {
  try {
    return parseDatasetName(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
export const classesOf = (d: string) => (d === 'cifar100' ? 100 : 10);

/** --checkpoint, or the train command's default location for --model/--dataset. */
export function checkpointOf(cmd: string, o: { checkpoint?: string; model?: string; dataset: string }): string {
  if (!o.checkpoint && !o.model)
    throw new Error(`${cmd}: give --checkpoint FILE or --model NAME (to use runs/<model>-<dataset>/model.safetensors)`);
  return resolve(o.checkpoint ?? `runs/${o.model}-${o.dataset}/model.safetensors`);
}
