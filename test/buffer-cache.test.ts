// The buffer cache hands freed buffers out again and, once full, drops them without destroying them itself:
// recorded dispatches may still name a dropped buffer, and the engine destroys it only after their submit
// (destroying it at once failed ResNet_50 training at batch 128: "used in submit while destroyed").
import { describe, expect, it } from 'vitest';
import { BufferCache, bucketSize } from '../src/device/buffer-cache.js';

function fakeDevice() {
  const destroyed: number[] = [];
  let next = 0;
  const device = {
    createBuffer: ({ size }: { size: number }) => {
      const id = next++;
      return { size, id, destroy: () => destroyed.push(id) };
    },
  };
  return { device: device as unknown as GPUDevice, destroyed };
}

describe('buffer cache', () => {
  it('reuses a freed buffer of the same bucket', () => {
    const { device } = fakeDevice();
    const cache = new BufferCache(device, 0);
    const a = cache.acquire(1000);
    expect(cache.release(a)).toBe(true);
    expect(cache.acquire(bucketSize(1000) - 10)).toBe(a);
  });

  it('when full, drops a released buffer for the caller to destroy later, and never destroys it itself', () => {
    const { device, destroyed } = fakeDevice();
    const cache = new BufferCache(device, 0, 4096);
    const bufs = [cache.acquire(4096), cache.acquire(4096), cache.acquire(4096)];
    expect(cache.release(bufs[0])).toBe(true); // 4096 free: at the limit, kept
    expect(cache.release(bufs[1])).toBe(false); // over it: dropped
    expect(destroyed).toEqual([]);
    expect(cache.stats()).toMatchObject({ liveBuffers: 1, bytesAllocated: 8192, freeBuffers: 1 });
    cache.trim();
    expect(destroyed.length).toBe(1); // trim destroys only what the cache still holds
  });
});
