// PyTorch checkpoints loaded as they are: fixtures written once by scripts/make-torch-fixtures.py with
// Debian's torch 1.13 and the seed's own model code (test/fixtures/torch), hostile and malformed archives,
// and the safetensors export with the same names.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { readTorchCheckpoint } from '../src/io/torch-checkpoint.js';
import { unpickle } from '../src/io/pickle.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { buildModel } from '../src/nn/models/build.js';
import { loadModuleState, moduleState } from '../src/nn/state.js';
import { loadTrainedModel } from '../src/experiments/train.js';
import { exportSafetensors } from '../src/experiments/export.js';
import { ready } from './helpers.js';

const FIX = join(process.cwd(), 'test/fixtures/torch');
const bytes = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

/** The fixed batch of make-torch-fixtures.py: x[i] = sin(0.37 i) * 1.5 (float64, then float32), NCHW. */
const fixedBatch = (n = 4) =>
  q.fromArray(
    Float32Array.from({ length: n * 3072 }, (_, i) => Math.sin(0.37 * i) * 1.5),
    [n, 3, 32, 32],
  );

async function logitsOf(m: ReturnType<typeof buildModel>): Promise<number[]> {
  m.eval();
  const x = fixedBatch();
  const y = q.noGrad(() => m.forward(x));
  const out = [...(await y.toArray())];
  x.dispose();
  y.dispose();
  return out;
}

beforeAll(async () => {
  await ready;
});

describe('reading torch.save state dicts', () => {
  it('reads float, double and int64 storages, storage offsets and strides as PyTorch wrote them', () => {
    const st = readTorchCheckpoint(bytes('small.pt'), 'small.pt');
    expect([...st.keys()]).toEqual(['conv0.weight', 'conv0.bias', 'bn0.num_batches_tracked', 'view.weight']);
    const w = st.get('conv0.weight');
    expect(w?.shape).toEqual([2, 3, 2, 2]);
    expect([...(w?.data ?? [])]).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(i / 10)));
    expect(st.get('conv0.bias')).toMatchObject({ dtype: 'F64', shape: [2] });
    expect([...(st.get('conv0.bias')?.data ?? [])]).toEqual([0.5, -0.25]);
    expect(st.get('bn0.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect([...(st.get('bn0.num_batches_tracked')?.data ?? [])]).toEqual([3]);
    expect([...(st.get('view.weight')?.data ?? [])]).toEqual([2, 3, 4, 5, 6, 7]); // base[2:8] of one storage
  });

  it("the seed's MobileNetV2 checkpoint loads unchanged and gives PyTorch's logits (1e-4 relative)", async () => {
    const ref = JSON.parse(readFileSync(join(FIX, 'logits.json'), 'utf8')) as { logits: number[][] };
    const m = loadTrainedModel(join(FIX, 'mobilenetv2-cifar10.pt'), 'MobileNetV2');
    expect(m.classes).toBe(10);
    const got = await logitsOf(m);
    m.dispose();
    const want = ref.logits.flat();
    const scale = Math.max(...want.map(Math.abs));
    expect(scale).toBeGreaterThan(0.1); // the batch exercises the net
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `logit ${i}`).toBeLessThanOrEqual(1e-4 * scale));
  });

  it('a .pt without a model name is refused with the fix in the message', () => {
    expect(errorOf(() => loadTrainedModel(join(FIX, 'mobilenetv2-cifar10.pt')))).toMatch(
      /does not name its architecture; pass the model name \(--model\)/,
    );
  });
});

describe('hostile and malformed archives', () => {
  it('a pickle that calls os.system is refused by name, and nothing runs', () => {
    const marker = '/tmp/quantscope-pwned';
    expect(errorOf(() => readTorchCheckpoint(bytes('calls-os-system.pt'), 'evil.pt'))).toMatch(
      /evil\.pt: refused forbidden global "posix\.system"/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('other globals are refused too, whichever opcode names them (GLOBAL, STACK_GLOBAL)', () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const viaGlobal = Uint8Array.from([0x80, 2, ...enc('cbuiltins\neval\n'), 0x2e]);
    const viaStack = Uint8Array.from([0x80, 4, 0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('exec'), 0x93, 0x2e]);
    const opts = { source: 'p.pkl', calls: {} };
    expect(errorOf(() => unpickle(viaGlobal, opts))).toMatch(/refused forbidden global "builtins\.eval"/);
    expect(errorOf(() => unpickle(viaStack, opts))).toMatch(/refused forbidden global "builtins\.exec"/);
    expect(errorOf(() => unpickle(Uint8Array.from([0x80, 2, 0x69]), opts))).toMatch(/unsupported pickle opcode 0x69/);
    expect(errorOf(() => unpickle(Uint8Array.from([0x80, 2, 0x58, 9, 0, 0, 0, 0x61]), opts))).toMatch(/truncated/);
  });

  it('a truncated zip is named as such', () => {
    const b = bytes('small.pt');
    for (const cut of [b.length - 10, Math.floor(b.length / 2), 30]) {
      expect(errorOf(() => readTorchCheckpoint(b.subarray(0, cut), 'cut.pt'))).toMatch(
        /cut\.pt: not a readable zip archive .*truncated/,
      );
    }
  });

  it('a storage shorter than its tensor is named, with both sizes', () => {
    expect(errorOf(() => readTorchCheckpoint(bytes('short-storage.pt'), 'short.pt'))).toMatch(
      /short\.pt: "conv0\.weight" \[2,3,2,2\] needs 24 elements of storage 0, which holds 12/,
    );
  });

  it('wrong dtype, missing and extra keys are all listed, and nothing is partly loaded', async () => {
    const st = readTorchCheckpoint(bytes('mobilenetv2-cifar10.pt'), 'm.pt');
    const conv = st.get('conv0.weight');
    if (!conv) throw new Error('fixture lacks conv0.weight');
    st.set('conv0.weight', { dtype: 'I64', shape: conv.shape, data: new Int32Array(conv.data.length) });
    st.delete('fc11.bias');
    st.set('fc12.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const m = buildModel('MobileNetV2');
    const before = await moduleState(m);
    const msg = errorOf(() => loadModuleState(m, st, { source: 'm.pt' }));
    expect(msg).toMatch(/m\.pt does not fit MobileNetV2/);
    expect(msg).toMatch(/"conv0\.weight" has dtype I64, expected a float type/);
    expect(msg).toMatch(/missing "fc11\.bias" \[10\]/);
    expect(msg).toMatch(/unexpected "fc12\.weight"/);
    const after = await moduleState(m);
    for (const [k, v] of before) expect(after.get(k)?.data, k).toEqual(v.data);
    m.dispose();
  });
});

describe('export', () => {
  it("writes safetensors with the seed's names that load back to the same logits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-export-'));
    const out = join(dir, 'm.safetensors');
    const r = await exportSafetensors(join(FIX, 'mobilenetv2-cifar10.pt'), out, 'MobileNetV2');
    expect(r).toMatchObject({ arch: 'MobileNetV2', classes: 10 });
    const f = decodeSafetensors(new Uint8Array(readFileSync(out)), out);
    const pt = readTorchCheckpoint(bytes('mobilenetv2-cifar10.pt'), 'm.pt');
    const ptNames = [...pt.keys()].filter((k) => !k.endsWith('num_batches_tracked')).sort();
    expect([...f.tensors.keys()].sort()).toEqual(ptNames);
    const a = loadTrainedModel(out),
      b = loadTrainedModel(join(FIX, 'mobilenetv2-cifar10.pt'), 'MobileNetV2');
    expect(await logitsOf(a)).toEqual(await logitsOf(b));
    a.dispose();
    b.dispose();
  });
});
