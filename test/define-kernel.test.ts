import { describe, expect, it } from 'vitest';
import { defineKernel } from '../src/kernels/define-kernel.js';

describe('defineKernel', () => {
  const k = defineKernel('fill', { n: 'u32', lo: 'f32', off: 'i32', shape: 'u32[6]', last: 'u32' });

  it('generates the WGSL struct and array accessors from the descriptor', () => {
    expect(k.header).toContain('struct Uniforms {');
    expect(k.header).toContain('  n: u32,\n  lo: f32,\n  off: i32,\n  shape: array<vec4<u32>, 2>,\n  last: u32,');
    expect(k.header).toContain('@group(0) @binding(0) var<uniform> U: Uniforms;');
    expect(k.header).toContain('fn U_shape(i: u32) -> u32 { return U.shape[i / 4u][i % 4u]; }');
    expect(k.wgsl({ T: 'f32', VALUE: 'U.lo' })).toContain('dst[i] = U.lo;');
  });

  it('packs values by name with WGSL uniform layout: arrays 16-byte aligned, size a multiple of 16', () => {
    const u = k.pack({ n: 7, lo: 0.5, off: -3, shape: [2, 3, 4], last: 9 });
    const view = new DataView(u.buffer);
    expect(u.length).toBe(16); // n lo off | pad | shape (8 slots) | last, rounded up to 16 bytes
    expect(u[0]).toBe(7);
    expect(view.getFloat32(4, true)).toBe(0.5);
    expect(view.getInt32(8, true)).toBe(-3);
    expect([...u.slice(4, 12)]).toEqual([2, 3, 4, 0, 0, 0, 0, 0]);
    expect(u[12]).toBe(9);
  });

  it('refuses a missing, unknown, mistyped or out-of-range value, naming the kernel and the uniform', () => {
    const ok = { n: 1, lo: 0, off: 0, shape: [1], last: 0 };
    const { n: _n, ...missing } = ok;
    expect(() => k.pack(missing as typeof ok)).toThrow('kernel fill: uniform n not given');
    expect(() => k.pack({ ...ok, extra: 1 } as typeof ok)).toThrow('kernel fill: no uniform "extra"');
    expect(() => k.pack({ ...ok, n: -1 })).toThrow('uniform n = -1 is not a u32');
    expect(() => k.pack({ ...ok, off: 2 ** 31 })).toThrow('is not a i32');
    expect(() => k.pack({ ...ok, shape: [1, 2, 3, 4, 5, 6, 7] })).toThrow('uniform shape takes up to 6 values');
    expect(() => k.pack({ ...ok, last: [1] as unknown as number })).toThrow('uniform last takes a number');
  });

  it('refuses descriptors that cannot become WGSL or do not fit the 256-byte slot', () => {
    expect(() => defineKernel('fill', { 'bad-name': 'u32' })).toThrow('is not a WGSL identifier');
    expect(() => defineKernel('fill', { x: 'u64' as 'u32' })).toThrow('has type "u64"');
    expect(() => defineKernel('fill', { a: 'u32[40]', b: 'u32[40]' })).toThrow('more than 64');
    expect(() => defineKernel('no_such', { n: 'u32' }).wgsl()).toThrow('no shader template "no_such"');
  });
});
