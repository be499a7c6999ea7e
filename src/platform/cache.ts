// One rule for every cached result: a JSON file holding the key it was computed from (the hashes of its
// input files and the settings that shape it) next to the value. A changed checkpoint, fake set or setting
// changes the key, so the stale value is recomputed instead of silently reused.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from './files.js';

/** sha256 of a file's bytes, hex; names the file when it is missing. */
export function sha256File(path: string): string {
  if (!existsSync(path)) throw new Error(`cannot hash ${path}: file not found`);
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A short sha256 of a JSON value: the key of a set of inputs (checkpoint hashes, settings). */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

type Key = Record<string, string | number | boolean | null>;

/** The value cached at `path` when it was computed from `key`; otherwise compute, store (atomically), return. */
export async function cached<T>(path: string, key: Key, compute: () => Promise<T>): Promise<T> {
  const want = JSON.stringify(key);
  if (existsSync(path)) {
    try {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as { key?: Key; value?: T };
      if (stored.key && JSON.stringify(stored.key) === want && stored.value !== undefined) return stored.value;
    } catch {
      // a malformed cache file is recomputed like a stale one
    }
  }
  const value = await compute();
  writeJsonAtomic(path, { key, value });
  return value;
}
