// The matmul yardstick ../shared/tools/wgsl-matmul-probe.mjs (hand-written register-blocked WGSL kernels at
// 1024^3), run in a child process in the same bench run, so our matmul can be quoted as a ratio to its best
// variant. It is run as shipped, from a copy next to node_modules so that its `import 'webgpu'` resolves,
// with its polling throttled as our engine's is (SYNC=throttle), on its own four layouts plus the
// pre-transposed ('at') layout at two tile sizes, the best it has shown here.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const PROBE = join(process.cwd(), '../shared/tools/wgsl-matmul-probe.mjs');
const CONFIGS = [
  { TM: 4, TN: 4, WGX: 8, WGY: 8, mode: '2d', kvec: false },
  { TM: 4, TN: 4, WGX: 64, mode: 'wgrow', kvec: false },
  { TM: 8, TN: 4, WGX: 64, mode: 'wgrow', kvec: false },
  { TM: 8, TN: 4, WGX: 64, mode: 'wgrow', kvec: true },
  { TM: 16, TN: 16, WGX: 8, mode: 'at' },
  { TM: 8, TN: 8, WGX: 8, mode: 'at' },
];

export interface ProbeResult {
  /** the best variant by its median rep, and that median */
  gflops: number;
  config: string;
  /** the best variant by its fastest rep, and that rep's GFLOPS */
  bestGflops: number;
  bestConfig: string;
}

/** The probe's best correct variant, or a reason why it could not run. */
export function probeBest(): ProbeResult | string {
  if (!existsSync(PROBE)) return `no probe at ${PROBE}`;
  const dir = join(process.cwd(), 'node_modules/.cache/quantscope');
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, 'wgsl-matmul-probe.mjs');
  copyFileSync(PROBE, copy);
  const r = spawnSync(process.execPath, [copy, JSON.stringify(CONFIGS)], {
    encoding: 'utf8',
    env: { ...process.env, SYNC: 'throttle', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    timeout: 600_000,
  });
  if (r.status !== 0) return `probe exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().slice(-300)}`;
  let best: ProbeResult | null = null;
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as {
      ok?: boolean;
      gflops?: number;
      min_ms?: number;
      mode?: string;
      TM?: number;
      TN?: number;
    };
    if (!row.ok || typeof row.gflops !== 'number' || typeof row.min_ms !== 'number') continue;
    const config = `${row.mode} ${row.TM}x${row.TN}`;
    const fastest = (2 * 1024 ** 3) / row.min_ms / 1e6;
    if (!best) best = { gflops: row.gflops, config, bestGflops: fastest, bestConfig: config };
    if (row.gflops > best.gflops) Object.assign(best, { gflops: row.gflops, config });
    if (fastest > best.bestGflops) Object.assign(best, { bestGflops: fastest, bestConfig: config });
  }
  return best ?? `the probe printed no correct variant:\n${r.stdout.slice(-500)}`;
}
