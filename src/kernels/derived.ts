// Buffers derived from another buffer's contents (Winograd's transformed filters), kept while the source is
// unchanged. Inference and the attacks of the robustness study run one set of weights through many passes,
// so their filter transforms need computing once; a training step writes the weights every step.
//
// Policy: a derived buffer is kept only when the same source, unwritten since (Engine.writeCount), asks for
// it a second time. A training step asks once per version and kind (the forward and the flipped input-
// gradient filters are different kinds), so training never holds extra memory for it. Kept buffers go
// when their source is released, and oldest first past a byte budget (derivedSettings).
import { engine, type Engine } from '../device/engine.js';

interface Entry {
  writes: number;
  bytes: number;
  buffer: GPUBuffer | null; // null: seen once at this version, not kept
}

let bySource = new WeakMap<GPUBuffer, Map<string, Entry>>();
let kept: { source: GPUBuffer; kind: string }[] = []; // oldest first
let keptBytes = 0;
let hooked: Engine | null = null;

/** Tests and benchmarks switch the cache off to compare, or set its budget. */
// the budget holds the largest seed model's inference: ResNet_152's GEMM-layout and Winograd filters take 644 MiB
// (at 512 MiB every pass evicted in a cycle and re-made the filters)
export const derivedSettings = { enabled: true, budgetBytes: 2 ** 30 };

/** A buffer derived from `source` as `kind` (made by `make`); call `release` when done with it. */
export function derived(
  kind: string,
  source: GPUBuffer,
  bytes: number,
  make: (into: GPUBuffer) => void,
): { buffer: GPUBuffer; release: () => void } {
  const e = engine();
  if (hooked !== e) {
    e.onRelease((b) => dropAll(b));
    hooked = e;
  }
  const fresh = () => {
    const buffer = e.createBuffer(bytes);
    make(buffer);
    return buffer;
  };
  const own = () => {
    const buffer = fresh();
    return { buffer, release: () => e.releaseBuffer(buffer) };
  };
  if (!derivedSettings.enabled) return own();
  const writes = e.writeCount(source);
  let kinds = bySource.get(source);
  if (!kinds) bySource.set(source, (kinds = new Map()));
  const entry = kinds.get(kind);
  if (entry && entry.writes === writes && entry.bytes === bytes) {
    if (!entry.buffer) {
      // asked for a second time at this version: keep it from now on
      entry.buffer = fresh();
      kept.push({ source, kind });
      keptBytes += bytes;
      evict();
    }
    return { buffer: entry.buffer, release: () => undefined };
  }
  drop(source, kind);
  kinds.set(kind, { writes, bytes, buffer: null });
  return own();
}

function drop(source: GPUBuffer, kind: string): void {
  const entry = bySource.get(source)?.get(kind);
  if (!entry) return;
  bySource.get(source)?.delete(kind);
  if (!entry.buffer) return;
  kept = kept.filter((k) => k.source !== source || k.kind !== kind);
  keptBytes -= entry.bytes;
  engine().releaseBuffer(entry.buffer);
}

function dropAll(source: GPUBuffer): void {
  const kinds = bySource.get(source);
  if (!kinds) return;
  for (const kind of [...kinds.keys()]) drop(source, kind);
  bySource.delete(source);
}

function evict(): void {
  while (keptBytes > derivedSettings.budgetBytes && kept.length > 1) drop(kept[0].source, kept[0].kind);
}

/** How much the cache holds (tests). */
export function derivedStats(): { buffers: number; bytes: number } {
  return { buffers: kept.length, bytes: keptBytes };
}

/** Release every kept buffer. */
export function clearDerived(): void {
  for (const { source, kind } of [...kept]) drop(source, kind);
  bySource = new WeakMap();
  kept = [];
}
