// Node file helpers: atomic writes (temp file + fsync + rename) so a kill never leaves a half-written
// checkpoint or result, and readers that name the file in their errors.
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readBytes(path: string, what = 'file'): Uint8Array {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Append one JSON line; lines are small, so a kill at worst loses the line being written (readers skip a torn last
 * line).
 */
export function appendJsonl(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

export function readJsonl<T = Record<string, unknown>>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      /* torn last line after a kill */
    }
  }
  return out;
}

/** Rewrite a JSONL log keeping only the rows `keep` accepts: a resumed run drops what it will redo. */
export function keepJsonl<T>(path: string, keep: (row: T) => boolean): void {
  writeFileAtomic(
    path,
    readJsonl<T>(path)
      .filter(keep)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(''),
  );
}

/** Every file called `name` below dir (depth-first, sorted, at most 6 levels down); [] when dir is missing. */
export function findFiles(dir: string, name: string, depth = 0): string[] {
  if (!existsSync(dir) || depth > 6) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findFiles(p, name, depth + 1));
    else if (entry === name) out.push(p);
  }
  return out;
}

/**
 * Results measured from other inputs are moved aside (to `<path>.stale-<time>`), never mixed with new ones.
 * Returns the path they went to, or null when every row is current.
 */
export function setAsideStale<T>(path: string, stale: (row: T) => boolean): string | null {
  if (!readJsonl<T>(path).some(stale)) return null;
  const aside = `${path}.stale-${Date.now()}`;
  renameSync(path, aside);
  return aside;
}
