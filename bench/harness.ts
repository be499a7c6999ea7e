// Shared timing helpers for bench scripts: median of repeated runs, GPU work synchronised.
import { engine } from '../src/tensor/device.js';

export async function timeGpu(fn: () => void, reps = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) { fn(); await engine().sync(); }
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    await engine().sync();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

export function timeCpu(fn: () => void, reps = 3): number {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
  return median(ts);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function row(name: string, ours: string, baseline: string, ratio: number): void {
  console.log(`${name.padEnd(38)} ${ours.padStart(18)} ${baseline.padStart(22)}   x${ratio < 1 ? ratio.toPrecision(2) : ratio.toFixed(1)}`);
}
