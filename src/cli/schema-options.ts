// Commander options from a command's schema (src/experiments/option-schema.ts), and the parsed options back
// as the command's config: the flags, help, defaults and value checks all come from the schema entries.
import { InvalidArgumentError, type Command } from 'commander';
import { flagNameOf, flagOf, parseOption, type OptionSchema, type OptionValues } from '../experiments/option-schema.js';

const PLACEHOLDER: Record<string, string> = {
  int: 'n',
  num: 'x',
  str: 'name',
  ints: 'list',
  nums: 'list',
  list: 'list',
};

/** Register every option of `schema` on `cmd` (except those in `skip`, which the command declares itself). */
export function addOptions(cmd: Command, schema: OptionSchema, skip: readonly string[] = []): Command {
  for (const [key, spec] of Object.entries(schema)) {
    if (skip.includes(key)) continue;
    const flag = flagOf(key, spec);
    if (spec.kind === 'bool') {
      // on by default: --no-<flag> turns it off (commander keeps the value under the flag's name)
      if (spec.default === true) cmd.option(`--no-${flag.slice(2)}`, spec.help);
      else cmd.option(flag, spec.help, (spec.default as boolean | undefined) ?? false);
      continue;
    }
    const arg = spec.arg ?? (Array.isArray(spec.kind) ? 'name' : PLACEHOLDER[spec.kind as string]);
    const parse = (v: string) => {
      try {
        return parseOption(key, spec, v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    };
    if (spec.mandatory) cmd.requiredOption(`${flag} <${arg}>`, spec.help, parse, spec.default as never);
    else cmd.option(`${flag} <${arg}>`, spec.help, parse, spec.default as never);
  }
  return cmd;
}

/** Commander's parsed options (keyed by the flags' camel-case names) as the schema's config. */
export function valuesOf<S extends OptionSchema>(schema: S, opts: Record<string, unknown>): OptionValues<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const name = flagNameOf(key, spec);
    if (opts[name] !== undefined) out[key] = opts[name];
  }
  return out as OptionValues<S>;
}
