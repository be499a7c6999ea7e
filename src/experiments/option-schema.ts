// One schema per command: each entry names a hyperparameter once, with its kind, help, default and CLI flag.
// The command's config type, its defaults, its commander options (src/cli/schema-options.ts) and the sweep's
// arguments for it (./sweep.ts) are all derived from the schema, so a new hyperparameter is one entry.
// Platform-neutral and free of commander: experiments import it for their types and defaults.

/** What an option holds: numbers, a word, a flag, comma-separated lists, or one of fixed choices. */
export type OptionKind = 'int' | 'num' | 'str' | 'bool' | 'ints' | 'nums' | 'list' | readonly string[];

export interface OptionSpec {
  kind: OptionKind;
  help: string;
  /** the CLI flag without dashes (default: the key in kebab case) */
  flag?: string;
  /** the value's placeholder in --help (default from the kind) */
  arg?: string;
  default?: unknown;
  /** the run needs it, though it has no default (the CLI derives it, e.g. a checkpoint path) */
  required?: boolean;
  /** the command line must give it (commander refuses to run without it) */
  mandatory?: boolean;
  /** false: the sweep sets it itself (paths, the dataset); a sweep config may not */
  sweep?: boolean;
  /** the smallest value an 'int' option takes (default 0) */
  min?: number;
  /** applied to a word before it is checked against the choices (e.g. "CIFAR-10" -> "cifar10") */
  normalize?: (v: string) => string;
  /** refuses a bad word with an error naming the problem (e.g. an unknown model) */
  check?: (v: string) => void;
}
export type OptionSchema = Record<string, OptionSpec>;

type ValueOf<K> = K extends 'int' | 'num'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'ints' | 'nums'
      ? number[]
      : K extends 'list'
        ? string[]
        : K extends readonly (infer C)[]
          ? C
          : string;
type Given<S> = {
  [K in keyof S]: S[K] extends { default: unknown } | { required: true } | { mandatory: true } ? K : never;
}[keyof S];

/** A command's config: options with a default (or required) are always there; the others may be absent. */
export type OptionValues<S extends OptionSchema> = { [K in Given<S>]: ValueOf<S[K]['kind']> } & {
  [K in Exclude<keyof S, Given<S>>]?: ValueOf<S[K]['kind']>;
};

/** Declare a command's schema (keeps the literal kinds and defaults for the derived types). */
export function defineOptions<const S extends OptionSchema>(schema: S): S {
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.default !== undefined) parseOption(key, spec, spec.default); // a default must be a valid value
  }
  return schema;
}

export const flagOf = (key: string, spec: OptionSpec): string =>
  `--${spec.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
/** The flag's name in camel case: where commander keeps the parsed value, and how a sweep config may say it. */
export const flagNameOf = (key: string, spec: OptionSpec): string =>
  flagOf(key, spec)
    .slice(2)
    .replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export type OptionDefaults<S extends OptionSchema> = {
  [K in keyof S as S[K] extends { default: unknown } ? K : never]: ValueOf<S[K]['kind']>;
};

/** The defaults of every option that has one. */
export function defaultsOf<S extends OptionSchema>(schema: S): OptionDefaults<S> {
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([, s]) => s.default !== undefined)
      .map(([k, s]) => [k, s.default]),
  ) as OptionDefaults<S>;
}

/** `given` over the schema's defaults; an option given as undefined keeps its default. */
export function withDefaults<S extends OptionSchema, T extends object>(schema: S, given: T): OptionDefaults<S> & T {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...defaultsOf(schema), ...set } as OptionDefaults<S> & T;
}

const numberOf = (flag: string, kind: 'int' | 'num', v: unknown, min = 0): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (kind === 'int' && !(Number.isInteger(n) && n >= min))
    throw new Error(`${flag} must be ${min === 0 ? 'a non-negative integer' : `an integer >= ${min}`}, got "${v}"`);
  if (kind === 'num' && Number.isNaN(n)) throw new Error(`${flag} must be a number, got "${v}"`);
  return n;
};
const listOf = (v: unknown): unknown[] =>
  Array.isArray(v)
    ? v
    : String(v)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * One option's value from the command line (a string) or a sweep config (JSON), checked against its kind;
 * a bad value is refused with a message naming the flag.
 */
export function parseOption(key: string, spec: OptionSpec, v: unknown): unknown {
  const flag = flagOf(key, spec);
  const k = spec.kind;
  if (Array.isArray(k)) {
    const w = spec.normalize ? spec.normalize(String(v)) : String(v);
    if (!k.includes(w)) throw new Error(`${flag} must be one of ${k.join(' | ')}, got "${v}"`);
    return w;
  }
  switch (k) {
    case 'int':
    case 'num':
      return numberOf(flag, k, v, spec.min);
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`${flag} is a switch (true or false), got "${v}"`);
      return v;
    case 'ints':
      return listOf(v).map((x) => numberOf(flag, 'int', x));
    case 'nums':
      return listOf(v).map((x) => numberOf(flag, 'num', x));
    case 'list':
      return listOf(v).map(String);
    default:
      if (typeof v !== 'string' || v === '') throw new Error(`${flag} must be a non-empty word, got "${v}"`);
      spec.check?.(v);
      return v;
  }
}

/**
 * The command-line arguments that set `values` (a sweep config's section for `command`); keys outside the
 * schema, and those the sweep sets itself, are refused with a message naming both.
 */
export function argsOf(schema: OptionSchema, command: string, values: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [given, v] of Object.entries(values)) {
    // a config may use the key or the flag's name (gen's itersPerEpoch is --iters: "iters")
    const key =
      given in schema ? given : (Object.keys(schema).find((k) => flagNameOf(k, schema[k]) === given) ?? given);
    const spec = schema[key];
    if (!spec) {
      const known = Object.keys(schema).filter((k) => schema[k].sweep !== false);
      throw new Error(`sweep: "${command}.${given}" is not an option of ${command} (known: ${known.join(', ')})`);
    }
    if (spec.sweep === false) throw new Error(`sweep: "${command}.${given}" is set by the sweep itself`);
    if (v === undefined || v === null) continue;
    const value = parseOption(key, spec, v);
    const flag = flagOf(key, spec);
    if (spec.kind === 'bool') {
      // a switch that defaults to on is turned off with --no-<flag>
      if (value !== (spec.default === true)) args.push(value ? flag : `--no-${flag.slice(2)}`);
    } else args.push(flag, Array.isArray(value) ? value.join(',') : String(value));
  }
  return args;
}
