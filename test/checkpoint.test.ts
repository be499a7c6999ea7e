// safetensors files: byte layout readable by the reference implementation, round trips, and loading
// errors that list every mismatch.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../src/io/safetensors.js';
import { buildModel } from '../src/nn/models/build.js';
import { loadModuleState, moduleState } from '../src/nn/state.js';
import { writeFileAtomic } from '../src/platform/files.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

describe('safetensors', () => {
  it('writes the reference layout: u64 header size, JSON header, 8-byte aligned data', () => {
    const t = new Map<string, StTensor>([
      ['b', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }],
      ['a', { dtype: 'I32', shape: [1, 1], data: new Int32Array([7]) }],
    ]);
    const bytes = encodeSafetensors(t, { arch: 'x' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ arch: 'x' });
    expect(header.a).toEqual({ dtype: 'I32', shape: [1, 1], data_offsets: [0, 4] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [2], data_offsets: [4, 12] });
    expect(new Float32Array(bytes.slice(8 + n + 4).buffer)).toEqual(new Float32Array([1, 2]));
    const back = decodeSafetensors(bytes);
    expect(back.tensors.get('b')?.data).toEqual(new Float32Array([1, 2]));
    expect(back.metadata.arch).toBe('x');
  });

  it('reads F64 and F16 tensors written by other tools', () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
    });
    const pad = header + ' '.repeat((8 - ((8 + header.length) % 8)) % 8);
    const buf = new Uint8Array(8 + pad.length + 12);
    const dv = new DataView(buf.buffer);
    dv.setBigUint64(0, BigInt(pad.length), true);
    buf.set(new TextEncoder().encode(pad), 8);
    dv.setUint16(8 + pad.length, 0x3c00, true); // 1.0
    dv.setUint16(8 + pad.length + 2, 0xc000, true); // -2.0
    dv.setFloat64(8 + pad.length + 4, 0.25, true);
    const f = decodeSafetensors(buf);
    expect([...(f.tensors.get('h')?.data ?? [])]).toEqual([1, -2]);
    expect([...(f.tensors.get('d')?.data ?? [])]).toEqual([0.25]);
  });

  it('reports truncated and non-safetensors files', () => {
    const bytes = encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]));
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 3), 'm.safetensors')).toThrow(
      /m\.safetensors: "w" data runs past the end/,
    );
    expect(() => decodeSafetensors(new TextEncoder().encode('hello world, not a tensor file'), 'x.bin')).toThrow(
      /x\.bin: header length/,
    );
  });
});

describe('model state', () => {
  it('round-trips a model through a file, giving identical outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-ckpt-'));
    const a = buildModel('AlexNet_BN', { seed: 1 }),
      b = buildModel('AlexNet_BN', { seed: 2 });
    writeFileAtomic(join(dir, 'm.safetensors'), encodeSafetensors(await moduleState(a)));
    expect(readdirSync(dir)).toEqual(['m.safetensors']); // no temp file left behind
    loadModuleState(b, decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'm.safetensors')))).tensors);
    const sa = await moduleState(a),
      sb = await moduleState(b);
    for (const [k, v] of sa) expect(sb.get(k)?.data, k).toEqual(v.data);
    a.dispose();
    b.dispose();
  });

  it('lists missing, unexpected and mis-shaped entries, and ignores num_batches_tracked', async () => {
    const m = buildModel('ResNet_8_demo');
    const st = await moduleState(m);
    st.delete('bn0.running_mean');
    st.set('conv0.weight', { dtype: 'F32', shape: [16, 3, 5, 5], data: new Float32Array(16 * 75) });
    st.set('fc9.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    st.set('bn0.num_batches_tracked', { dtype: 'I64' as 'I32', shape: [], data: new Int32Array(1) });
    let msg = '';
    try {
      loadModuleState(m, st, { source: 'x.safetensors' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/x\.safetensors does not fit ResNet_8_demo/);
    expect(msg).toMatch(/missing "bn0\.running_mean" \[16\]/);
    expect(msg).toMatch(/"conv0\.weight" has shape \[16,3,5,5\], the model expects \[16,3,3,3\]/);
    expect(msg).toMatch(/unexpected "fc9\.weight"/);
    expect(msg).not.toMatch(/num_batches_tracked/);
    m.dispose();
  });
});
