// Engine core benchmark: matmul 1024^3 GFLOPS and a large elementwise op's GB/s, each next to a plain-JS
// Float32Array baseline measured in the same run, and the matmul next to the WGSL probe's best (probe.ts).
import * as q from '../src/index.js';
import { median, sampleGpu, timeGpu, timeCpu, row } from './harness.js';
import { probeBest } from './probe.js';

export async function benchCore(): Promise<void> {
  const N = 1024;
  const rng = new q.Random(1);
  const a = q.keep(q.randn([N, N], rng)),
    b = q.keep(q.randn([N, N], rng));
  const gflopsAt = (ms: number) => (2 * N ** 3) / ms / 1e6;
  // the yardstick of the performance issue: >= 1.5x the probe's best variant, measured in this run. Ours and
  // the probe alternate over PROBE_ROUNDS rounds: on a shared VM the speed can halve for seconds at a time,
  // so a single pair measured a minute apart gave anything from 1.0x to 1.4x on one machine
  const rounds = Number(process.env.PROBE_ROUNDS ?? 3);
  const oursMs: number[] = [],
    medianRatios: number[] = [];
  let probeBestGflops = 0,
    probeBestConfig = '',
    skipped = '';
  for (let r = 0; r < rounds && !skipped; r++) {
    const samples = await sampleGpu(() => q.tidy(() => void q.matmul(a, b)), 7, r === 0 ? 2 : 1);
    oursMs.push(...samples);
    const probe = probeBest();
    if (typeof probe === 'string') skipped = probe;
    else {
      medianRatios.push(gflopsAt(median(samples)) / probe.gflops);
      if (probe.bestGflops > probeBestGflops) [probeBestGflops, probeBestConfig] = [probe.bestGflops, probe.bestConfig];
    }
  }
  // the first round's median is the plain-JS comparison's figure
  const gflops = gflopsAt(median(oursMs.slice(0, 7)));
  // plain-JS baseline: i-k-j loop over Float32Arrays on a 256-row slice (scaled), same run
  const A = new Float32Array(N * N).map((_, i) => Math.sin(i)),
    B = new Float32Array(N * N).map((_, i) => Math.cos(i));
  const rows = 64;
  const C = new Float32Array(rows * N);
  const jsMs = timeCpu(() => {
    C.fill(0);
    for (let i = 0; i < rows; i++)
      for (let k = 0; k < N; k++) {
        const aik = A[i * N + k];
        const bo = k * N,
          co = i * N;
        for (let j = 0; j < N; j++) C[co + j] += aik * B[bo + j];
      }
  }, 3);
  const jsGflops = (2 * rows * N * N) / jsMs / 1e6;
  row(
    'matmul 1024x1024x1024',
    `${gflops.toFixed(1)} GFLOPS`,
    `plain JS ${jsGflops.toFixed(2)} GFLOPS`,
    gflops / jsGflops,
  );

  if (skipped) console.log(`  matmul vs the WGSL probe: skipped (${skipped})`);
  else {
    const oursBest = gflopsAt(Math.min(...oursMs));
    row(
      `matmul 1024^3 vs the WGSL probe, best`,
      `${oursBest.toFixed(1)} GFLOPS`,
      `probe ${probeBestConfig} ${probeBestGflops.toFixed(1)}`,
      oursBest / probeBestGflops,
    );
    console.log(
      `  (fastest rep of each over ${rounds} alternating rounds; per round, medians: ` +
        `${medianRatios.map((x) => `x${x.toFixed(2)}`).join(' ')})`,
    );
  }

  const n = 1 << 24;
  const x = q.keep(q.rand([n])),
    y = q.keep(q.rand([n]));
  const ems = await timeGpu(
    () =>
      q.tidy(() => {
        q.add(x, y);
      }),
    7,
    2,
  );
  const gbs = (3 * 4 * n) / ems / 1e6;
  const X = new Float32Array(n).fill(1),
    Y = new Float32Array(n).fill(2),
    Z = new Float32Array(n);
  const jms = timeCpu(() => {
    for (let i = 0; i < n; i++) Z[i] = X[i] + Y[i];
  }, 5);
  const jgbs = (3 * 4 * n) / jms / 1e6;
  row('add 16M float32 (read 2, write 1)', `${gbs.toFixed(2)} GB/s`, `plain JS ${jgbs.toFixed(2)} GB/s`, gbs / jgbs);
  for (const t of [a, b, x, y]) t.dispose();
}
