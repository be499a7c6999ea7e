// Size-bucketed GPU buffer cache (not to be confused with pooling layers). Tensors come and go every step;
// creating GPUBuffers is slow on every
// backend, so freed buffers go back to a free list keyed by their bucket size and are handed out again.
// Reuse is safe without waiting for the GPU: all work goes through one queue in submission order, and the
// engine flushes pending dispatches before any queue.writeBuffer into a recycled buffer.

export interface BufferCacheStats {
  /** buffers currently owned by live tensors */
  liveBuffers: number;
  /** bytes of those buffers (bucket sizes) */
  bytesInUse: number;
  /** bytes of every GPUBuffer the pool holds, in use or free */
  bytesAllocated: number;
  freeBuffers: number;
}

/** Bucket sizes: multiples of 256 B up to 4 KiB, then 8 steps per power of two (≤12.5% waste). */
export function bucketSize(bytes: number): number {
  const b = Math.max(bytes, 16);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

export class BufferCache {
  private free = new Map<number, GPUBuffer[]>();
  private live = 0;
  private inUse = 0;
  private allocated = 0;
  private freeCount = 0;

  constructor(
    private device: GPUDevice,
    private usage: number,
    private maxFreeBytes = 4 * 2 ** 30,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) this.freeCount--;
    else {
      buf = this.device.createBuffer({ size, usage: this.usage });
      this.allocated += size;
    }
    this.live++;
    this.inUse += size;
    return buf;
  }

  /**
   * Take a buffer back. Returns false when the cache is full and the buffer was dropped from it: the caller
   * destroys it, but only once every recorded command using it has been submitted (destroying it earlier
   * makes that submit fail validation: "used in submit while destroyed").
   */
  release(buf: GPUBuffer): boolean {
    const size = buf.size;
    this.live--;
    this.inUse -= size;
    if (this.allocated - this.inUse > this.maxFreeBytes) {
      this.allocated -= size;
      return false;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.freeCount++;
    return true;
  }

  /** Destroy every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.free.values())
      for (const b of list) {
        this.allocated -= b.size;
        b.destroy();
      }
    this.free.clear();
    this.freeCount = 0;
  }

  stats(): BufferCacheStats {
    return {
      liveBuffers: this.live,
      bytesInUse: this.inUse,
      bytesAllocated: this.allocated,
      freeBuffers: this.freeCount,
    };
  }
}
