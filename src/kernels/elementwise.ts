// Elementwise kernels: one template, an expression table. Unary ops read `a`; binary ops `a`, `b`;
// `where` reads `a`, `b`, `c`. p0..p2 are scalar parameters from the uniforms (alpha, clamp bounds).
import { sizeOf } from '../tensor/shape.js';
import { engine, type DType } from '../device/engine.js';
import { defineKernel } from './define-kernel.js';
import { grid1d, perInvocation } from './launch.js';

const MAX_RANK = 12;
const ELEMENTWISE = defineKernel('elementwise', {
  n: 'u32',
  p0: 'f32', // scalar parameters (alpha, clamp bounds, dropout probability and seed)
  p1: 'f32',
  p2: 'f32',
  per: 'u32', // elements per invocation
  // broadcast launches only: the output shape and each input's strides over it
  shape: `u32[${MAX_RANK}]`,
  strides0: `u32[${MAX_RANK}]`,
  strides1: `u32[${MAX_RANK}]`,
  strides2: `u32[${MAX_RANK}]`,
});

export const UNARY: Record<string, string> = {
  neg: '-a',
  exp: 'exp(a)',
  log: 'log(a)',
  sqrt: 'sqrt(a)',
  rsqrt: 'inverseSqrt(a)',
  abs: 'abs(a)',
  sign: 'sign(a)',
  relu: 'max(a, 0.0)',
  relu6: 'clamp(a, 0.0, 6.0)',
  leaky_relu: 'select(a * p0, a, a > 0.0)',
  tanh: 'qs_tanh(a)',
  sigmoid: '1.0 / (1.0 + exp(-a))',
  clamp: 'clamp(a, p0, p1)',
  round: 'round(a)', // WGSL round() is half-to-even, as torch.round
  scale_shift: 'a * p0 + p1',
  cast: 'f32(a)',
  // p0 = drop probability, p1 = seed (an integer below 2^24, exact in f32)
  dropout: 'select(a / (1.0 - p0), 0.0, qs_uniform(i, u32(p1)) < p0)',
};

export const BINARY: Record<string, string> = {
  add: 'a + b',
  add_relu: 'max(a + b, 0.0)', // a residual sum and its ReLU in one pass
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'qs_pow(a, b)',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  eq: 'select(0.0, 1.0, a == b)',
  ne: 'select(0.0, 1.0, a != b)',
  lt: 'select(0.0, 1.0, a < b)',
  le: 'select(0.0, 1.0, a <= b)',
  gt: 'select(0.0, 1.0, a > b)',
  ge: 'select(0.0, 1.0, a >= b)',
  // gradient helpers used by the gradient table (a = upstream gradient, b = saved tensor)
  relu_bw: 'select(0.0, a, b > 0.0)',
  relu6_bw: 'select(0.0, a, b > 0.0 && b < 6.0)',
  leaky_relu_bw: 'select(a * p0, a, b > 0.0)',
  clamp_bw: 'select(0.0, a, b >= p0 && b <= p1)',
  tanh_bw: 'a * (1.0 - b * b)',
  sigmoid_bw: 'a * b * (1.0 - b)',
};

export const TERNARY: Record<string, string> = {
  where: 'select(c, b, a != 0.0)',
};

const HELPERS = `
// PCG hash -> uniform [0, 1): a stateless GPU random stream indexed by (element, seed).
fn qs_pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
fn qs_uniform(i: u32, seed: u32) -> f32 { return f32(qs_pcg(i ^ qs_pcg(seed)) >> 8u) / 16777216.0; }
fn qs_tanh(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
// torch.pow semantics for negative bases with integral exponents (WGSL pow is undefined for x < 0).
fn qs_pow(x: f32, y: f32) -> f32 {
  if (x > 0.0) { return pow(x, y); }
  if (x == 0.0) { if (y > 0.0) { return 0.0; } if (y == 0.0) { return 1.0; } return pos_inf(); }
  if (y != floor(y)) { return nan_f32(); }
  let m = pow(-x, y);
  if (abs(y % 2.0) == 1.0) { return -m; }
  return m;
}`;

const NAMES = ['a', 'b', 'c'];
const wgslType = (d: DType) => (d === 'int32' ? 'i32' : 'f32');

export interface ElementwiseArgs {
  op: string;
  inputs: { buffer: GPUBuffer; dtype: DType; strides: number[] | null }[]; // strides null = contiguous same shape
  out: GPUBuffer;
  outShape: number[];
  params?: number[];
}

export function elementwise({ op, inputs, out, outShape, params = [] }: ElementwiseArgs): void {
  const expr = UNARY[op] ?? BINARY[op] ?? TERNARY[op];
  if (expr === undefined) throw new Error(`unknown elementwise op "${op}"`);
  const rank = outShape.length;
  const flat = inputs.every((x) => x.strides === null);
  const n = sizeOf(outShape);
  const types = inputs.map((x) => wgslType(x.dtype));
  const key = `ew:${op}:${types.join(',')}:${flat ? 'flat' : `r${rank}`}`;
  if (!flat && rank === 0) throw new Error('elementwise: rank-0 broadcast must use the flat path');
  if (!flat && rank > MAX_RANK)
    throw new Error(`elementwise ${op}: broadcasting over rank ${rank} (at most ${MAX_RANK})`);
  const spec = {
    key,
    inputs: inputs.length,
    outputs: 1,
    source: () => {
      const bindings = inputs.map(
        (_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${types[k]}>;`,
      );
      bindings.push(`@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<f32>;`);
      let setup = '',
        index = '',
        advance = '';
      if (flat) index = inputs.map((_, k) => `    let o${k} = i;`).join('\n');
      else {
        const decompose = (at: string, indent: string) => {
          const l = inputs.map((_, k) => `${indent}o${k} = 0u;`);
          l.push(`${indent}var rem = ${at};`);
          l.push(`${indent}for (var d = ${rank}u; d > 0u; d--) {`);
          l.push(`${indent}  let size = U_shape(d - 1u);`);
          l.push(`${indent}  let coord = rem % size;`);
          l.push(`${indent}  rem = rem / size;`);
          inputs.forEach((_, k) => l.push(`${indent}  o${k} += coord * U_strides${k}(d - 1u);`));
          l.push(`${indent}}`);
          l.push(`${indent}lc = ${at} % lastSize;`);
          return l.join('\n');
        };
        setup = [
          `  let lastSize = U_shape(${rank - 1}u);`,
          ...inputs.map((_, k) => `  var o${k} = 0u;`),
          '  var lc = 0u;',
          '  {',
          decompose('first', '    '),
          '  }',
        ].join('\n');
        advance = [
          '    lc++;',
          ...inputs.map((_, k) => `    o${k} += U_strides${k}(${rank - 1}u);`),
          '    if (lc == lastSize) {',
          decompose('i + 1u', '      '),
          '    }',
        ].join('\n');
      }
      const loads = inputs
        .map((_, k) => `    let ${NAMES[k]} = ${types[k] === 'f32' ? `in${k}[o${k}]` : `f32(in${k}[o${k}])`};`)
        .join('\n');
      return ELEMENTWISE.wgsl({
        BINDINGS: bindings.join('\n'),
        HELPERS,
        SETUP: setup,
        INDEX: index,
        ADVANCE: advance,
        EXPR: expr,
        LOADS: loads,
      });
    },
  };
  const per = perInvocation(n);
  const strides = (k: number) => (flat ? [] : (inputs[k]?.strides ?? []));
  const u = ELEMENTWISE.pack({
    n,
    p0: params[0] ?? 0,
    p1: params[1] ?? 0,
    p2: params[2] ?? 0,
    per,
    shape: flat ? [] : outShape,
    strides0: strides(0),
    strides1: strides(1),
    strides2: strides(2),
  });
  engine().dispatch(spec, [...inputs.map((x) => x.buffer), out], u, grid1d(Math.ceil(n / per)));
}
