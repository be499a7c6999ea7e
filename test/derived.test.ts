// Winograd's transformed filters are kept across passes while the weights are unchanged (kernels/derived.ts):
// repeated passes must give what a fresh transform gives, a weight update must invalidate them, training
// (one request per weight version) must keep nothing, and disposing the weights must free what was kept.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { SGD } from '../src/nn/optim.js';
import { clearDerived, derivedSettings, derivedStats } from '../src/kernels/derived.js';
import { expectClose, ready } from './helpers.js';

beforeAll(async () => {
  await ready;
  clearDerived(); // the files of the suite share one engine: start from an empty cache
});
afterEach(() => {
  derivedSettings.enabled = true;
  clearDerived();
});

const input = () =>
  q.fromArray(
    Array.from({ length: 2 * 4 * 10 * 10 }, (_, i) => Math.sin(i * 0.21)),
    [2, 4, 10, 10],
  );
const weights = () =>
  q.fromArray(
    Array.from({ length: 6 * 4 * 9 }, (_, i) => Math.cos(i * 0.17)),
    [6, 4, 3, 3],
  );
const conv = async (x: q.Tensor, w: q.Tensor) => {
  const y = q.noGrad(() => q.conv2d(x, w, null, { padding: 1, impl: 'winograd' }));
  const v = (await y.toArray()) as Float32Array;
  y.dispose();
  return v;
};

describe('derived buffers (kept Winograd filter transforms)', () => {
  it('repeated passes keep one transform and give the uncached result; a weight update invalidates it', async () => {
    const x = input(),
      w = weights();
    w.requiresGrad = true;
    derivedSettings.enabled = false;
    const want = await conv(x, w);
    derivedSettings.enabled = true;
    expect(derivedStats().buffers).toBe(0);
    const first = await conv(x, w);
    expect(derivedStats().buffers).toBe(0); // seen once: not kept
    const second = await conv(x, w);
    const third = await conv(x, w);
    expect(derivedStats().buffers).toBe(1);
    for (const v of [first, second, third]) expectClose(v, want, 1e-6, 1e-6);

    // an optimizer step writes w in place: the kept transform must not be used
    const opt = new SGD([w], { lr: 0.5 });
    const [gw] = q.grad(q.sum(q.conv2d(x, w, null, { padding: 1, impl: 'winograd' })), [w]);
    w.grad = gw;
    opt.stepUpdate();
    const updated = await conv(x, w);
    derivedSettings.enabled = false;
    const wantUpdated = await conv(x, w);
    expect(Math.max(...wantUpdated.map((v, i) => Math.abs(v - want[i])))).toBeGreaterThan(1e-2);
    expectClose(updated, wantUpdated, 1e-6, 1e-6);
    for (const t of [x, w, gw]) t.dispose();
  });

  it('training (forward and input gradient once per weight version) keeps nothing; disposing frees kept', async () => {
    const x = input(),
      w = weights();
    x.requiresGrad = true;
    w.requiresGrad = true;
    const opt = new SGD([w], { lr: 0.01, momentum: 0.9 });
    for (let step = 0; step < 3; step++) {
      const [gx, gw] = q.grad(q.sum(q.mul(q.conv2d(x, w, null, { padding: 1, impl: 'winograd' }), 2)), [x, w]);
      w.grad = gw;
      opt.stepUpdate();
      await gx.toArray();
      gx.dispose();
      gw.dispose();
      w.grad = null;
    }
    expect(derivedStats().buffers).toBe(0);
    await conv(x, w);
    await conv(x, w);
    expect(derivedStats().buffers).toBe(1);
    w.dispose();
    expect(derivedStats()).toEqual({ buffers: 0, bytes: 0 });
    x.dispose();
  });
});
