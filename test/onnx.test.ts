// ONNX models in: two CIFAR CNNs that are not in our table (ResNet-20 with its BNs folded into the convs by the
// exporter, and a VGG-11 with BatchNormalization nodes), exported once by scripts/make-onnx-fixtures.py with
// torch 1.13 (opset 13); our logits against PyTorch's on a fixed batch. Then the bad inputs: a truncated
// file, a file that is not ONNX, a model of another input size, an unsupported op.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { decodeOnnx, type OnnxGraph } from '../src/io/onnx.js';
import { classifierFromOnnx } from '../src/nn/models/onnx-import.js';
import { classifierFromCheckpoint } from '../src/nn/state.js';
import { countFlops } from '../src/nn/flops.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const FIX = join(process.cwd(), 'test/fixtures/onnx');
const batch = () => Float32Array.from({ length: 4 * 3 * 32 * 32 }, (_, i) => Math.fround(Math.sin(0.37 * i) * 1.5));
const logits = JSON.parse(readFileSync(join(FIX, 'logits.json'), 'utf8')) as Record<string, number[][]>;

describe('ONNX import', () => {
  for (const name of ['resnet20', 'vgg11bn']) {
    it(`${name}: our logits equal PyTorch's within 1e-4`, async () => {
      const path = join(FIX, `${name}.onnx`);
      const model = classifierFromCheckpoint(new Uint8Array(readFileSync(path)), path).eval();
      expect(model.classes).toBe(10);
      const out = (await q.noGrad(() => model.forward(q.fromArray(batch(), [4, 3, 32, 32]))).toArray()) as Float32Array;
      const want = logits[name].flat();
      let worst = 0;
      for (let i = 0; i < want.length; i++)
        worst = Math.max(worst, Math.abs(out[i] - want[i]) / (1 + Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-4);
      // the layer table the PTQ weighting uses sees every conv and linear
      const t = countFlops(model);
      expect(t.layers.filter((l) => l.kind === 'conv').length).toBe(name === 'resnet20' ? 21 : 8);
      model.dispose();
    });
  }

  it('refuses a truncated file, a non-ONNX file, another input size and an unsupported op, naming each', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'vgg11bn.onnx')));
    expect(() => decodeOnnx(bytes.subarray(0, 5000), 'cut.onnx')).toThrow(/cut\.onnx: not a readable ONNX model/);
    expect(() => decodeOnnx(new TextEncoder().encode('hello, not a model'), 'x.onnx')).toThrow(/x\.onnx/);
    const g = decodeOnnx(bytes, 'vgg.onnx');
    const other: OnnxGraph = { ...g, inputs: [{ name: 'input', dims: ['batch', 3, 64, 64] }] };
    expect(() => classifierFromOnnx(other)).toThrow(/shape \[batch, 3, 64, 64\].*\[N, 3, 32, 32\]/);
    const nodes = g.nodes.map((n, i) => (i === 3 ? { ...n, op: 'Sigmoid' } : n));
    expect(() => classifierFromOnnx({ ...g, nodes })).toThrow(
      new RegExp(`node "${g.nodes[3].name}" \\(Sigmoid\\): unsupported ONNX op`),
    );
  });
});
