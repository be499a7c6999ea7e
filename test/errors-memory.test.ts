import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as q from '../src/index.js';
import { ready } from './helpers.js';
import { engine } from '../src/device/engine.js';
// @ts-expect-error plain .mjs script without types
import { bundle } from '../scripts/gen-shaders.mjs';

beforeAll(async () => {
  await ready;
});

describe('bad input gets an error that names the problem', () => {
  it('shape mismatch in broadcasting names both shapes', () => {
    expect(() => q.add(q.zeros([2, 3]), q.zeros([4]))).toThrow(/\[2, 3\] and \[4\] cannot be broadcast/);
  });
  it('matmul inner dimension mismatch', () => {
    expect(() => q.matmul(q.zeros([2, 3]), q.zeros([4, 5]))).toThrow(/inner dimensions differ: \[2, 3\] @ \[4, 5\]/);
  });
  it('wrong dtype', () => {
    const labels = q.fromArray(new Int32Array([1, 2]));
    expect(() => q.exp(labels)).toThrow(/expected float32, got tensor \[2\] int32/);
    expect(() => q.gather(q.zeros([2, 3]), 1, q.zeros([2, 1]))).toThrow(/expected int32/);
    expect(() => q.fromArray([1.5], [1], 'int32')).toThrow(/not an int32/);
  });
  it('out-of-range axis', () => {
    expect(() => q.sum(q.zeros([2, 3]), 2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
    expect(() => q.softmax(q.zeros([2, 3]), -3)).toThrow(/axis -3 is out of range/);
    expect(() => q.permute(q.zeros([2, 3]), [0, 0])).toThrow(/not a permutation/);
  });
  it('reading or using a disposed tensor', async () => {
    const t = q.ones([3]);
    t.name = 'weights';
    t.dispose();
    expect(() => q.exp(t)).toThrow(/disposed "weights" tensor \[3\] float32/);
    await expect(t.toArray()).rejects.toThrow(/disposed/);
  });
  it('bad reshape and data length', () => {
    expect(() => q.reshape(q.zeros([2, 3]), [4, 2])).toThrow(/cannot view \[2, 3\] \(6 elements\) as \[4, 2\]/);
    expect(() => q.fromArray([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
  });
  it('cross-entropy label shape', () => {
    expect(() => q.crossEntropy(q.zeros([4, 3]), q.fromArray(new Int32Array([1, 2])))).toThrow(/labels must be \[4\]/);
  });
  it('backward of a non-scalar without gradient, and of a tensor that needs no grad', () => {
    const x = q.ones([3]).requiresGrad_();
    expect(() => q.exp(x).backward()).toThrow(/not a scalar/);
    expect(() => q.sum(q.ones([3])).backward()).toThrow(/does not require grad/);
  });
  it("a tensor larger than the adapter's storage-binding limit is refused by size when it is made", () => {
    const limit = engine().device.limits.maxStorageBufferBindingSize;
    const floats = Math.floor(limit / 4) + 1;
    expect(() => q.zeros([floats])).toThrow(/MiB tensor exceeds this adapter's storage-binding limit of .* MiB/);
    expect(q.zeros([1024]).shape).toEqual([1024]); // and smaller ones are still made
  });
});

describe('memory', () => {
  it('tidy frees intermediates and keeps returned tensors', async () => {
    const before = q.engine().stats().liveBuffers;
    const y = q.tidy(() => q.sum(q.exp(q.mul(q.ones([100]), 2))));
    expect(q.engine().stats().liveBuffers).toBe(before + 1);
    expect(await y.item()).toBeCloseTo(100 * Math.exp(2), 2);
    y.dispose();
    expect(q.engine().stats().liveBuffers).toBe(before);
  });

  it('live buffers stay constant across repeated training steps', async () => {
    // a two-layer MLP trained with plain SGD; parameters and their grads are kept, all else is freed
    const rng = new q.Random(5);
    const w1 = q.keep(q.mul(q.randn([8, 16], rng), 0.3)).requiresGrad_();
    const w2 = q.keep(q.mul(q.randn([16, 4], rng), 0.3)).requiresGrad_();
    const x = q.keep(q.randn([32, 8], rng));
    const y = q.keep(
      q.fromArray(
        Int32Array.from({ length: 32 }, (_, i) => i % 4),
        [32],
      ),
    );
    const step = () =>
      q.tidy(() => {
        const loss = q.crossEntropy(q.matmul(q.relu(q.matmul(x, w1)), w2), y);
        loss.backward();
        q.noGrad(() => {
          for (const w of [w1, w2]) {
            const upd = q.sub(w, q.mul(w.grad as q.Tensor, 0.5));
            q.engine().copy(upd.buffer, 0, w.buffer, 0, w.size * 4);
            (w.grad as q.Tensor).dispose();
            w.grad = null;
          }
        });
        return loss;
      });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 30; i++) {
      const l = step();
      losses.push(await l.item());
      l.dispose();
      counts.push(q.engine().stats().liveBuffers);
    }
    expect(new Set(counts.slice(2)).size).toBe(1);
    expect(losses[29]).toBeLessThan(losses[0]);
    const s = q.engine().stats();
    expect(s.bytesAllocated).toBeGreaterThanOrEqual(s.bytesInUse);
  });
});

describe('shader bundle', () => {
  it('src/kernels/shaders.gen.ts is generated from the current shaders/ (run scripts/gen-shaders.mjs)', () => {
    expect(readFileSync(new URL('../src/kernels/shaders.gen.ts', import.meta.url), 'utf8')).toBe(bundle());
  });
});
