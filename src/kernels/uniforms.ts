// Shapes, strides and scalar parameters travel to kernels in one 256-byte uniform block (64 x u32 slots),
// so one compiled pipeline serves every shape. Kernels read it with u(i) / uf(i) (see shaders/common.wgsl).

export class Uniforms {
  private data = new Uint32Array(64);
  private view = new DataView(this.data.buffer);
  private n = 0;

  u32(...values: number[]): this {
    for (const v of values) {
      if (this.n >= 64) throw new Error('kernel uniforms: more than 64 slots');
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        throw new Error(`kernel uniforms: ${v} is not a u32 (tensor too large?)`);
      this.data[this.n++] = v;
    }
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) {
      this.view.setInt32(4 * this.n++, v, true);
    }
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) {
      this.view.setFloat32(4 * this.n++, v, true);
    }
    return this;
  }

  /** Pad to a fixed slot so kernel code can address a section at a known index. */
  at(slot: number): this {
    if (slot < this.n) throw new Error(`kernel uniforms: slot ${slot} already used`);
    this.n = slot;
    return this;
  }

  bytes(): Uint32Array {
    return this.data.subarray(0, Math.max(4, Math.ceil(this.n / 4) * 4));
  }
}

export const WORKGROUP = 64;

/** Fold a 1-D launch of `invocations` into a 2-D grid (WebGPU caps each dimension at 65,535 workgroups). */
export function grid1d(invocations: number, wg = WORKGROUP): [number, number, number] {
  const groups = Math.ceil(invocations / wg);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/** Elements per invocation for flat loops: large tensors amortise invocation overhead (12 vs 5 GB/s on
 *  lavapipe at 16M), small ones keep enough invocations to fill the cores. */
export const perInvocation = (n: number) => (n >= 1 << 20 ? 32 : n >= 1 << 16 ? 8 : 1);

/**
 * Register-blocked kernels spread a WGX x WGY workgroup over (column tiles, row tiles). When the output
 * has fewer column tiles than the workgroup is wide (small images, narrow matrices), the idle columns
 * would waste SIMD lanes on CPU backends (measured 10 vs 40 GF/s at 4x4): turn the workgroup toward rows.
 */
export function fitWorkgroup(colTiles: number, wgx: number, wgy: number): [number, number] {
  if (colTiles >= wgx) return [wgx, wgy];
  const x = 2 ** Math.floor(Math.log2(colTiles));
  return [x, (wgx * wgy) / x];
}
