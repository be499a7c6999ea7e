// OCP 8-bit / MX element formats (OCP Microscaling spec v1.0, OFP8 spec): magnitudes as the standard
// defines them, used here with a per-tensor scale = max|x| / (largest magnitude).
//   FP8_E4M3 bias 7, max 448 (S.1111.111 is NaN)   FP8_E5M2 bias 15, max 57344 (IEEE inf/NaN codes)
//   FP6_E3M2 bias 3, max 28    FP6_E2M3 bias 1, max 7.5    FP4_E2M1 bias 1, max 6 (no inf/NaN codes)
import { minifloatMagnitudes, registerFamily, type QuantFormat } from '../format.js';
import { floatFormat } from './float.js';

const TABLE: Record<
  string,
  { bits: number; e: number; m: number; bias: number; maxExpCode: number; maxTopMantissa?: number }
> = {
  FP8_E4M3: { bits: 8, e: 4, m: 3, bias: 7, maxExpCode: 15, maxTopMantissa: 6 },
  FP8_E5M2: { bits: 8, e: 5, m: 2, bias: 15, maxExpCode: 30 },
  FP6_E3M2: { bits: 6, e: 3, m: 2, bias: 3, maxExpCode: 7 },
  FP6_E2M3: { bits: 6, e: 2, m: 3, bias: 1, maxExpCode: 3 },
  FP4_E2M1: { bits: 4, e: 2, m: 1, bias: 1, maxExpCode: 3 },
};

export function ocpFormat(name: string): QuantFormat | null {
  const t = TABLE[name];
  if (!t) return null;
  const levels = minifloatMagnitudes(t.m, t.bias, t.maxExpCode, t.maxTopMantissa);
  return {
    name,
    family: 'OCP',
    bits: t.bits,
    kind: 'levels',
    qmax: levels[levels.length - 1],
    levels,
    biasFormat: () => floatFormat(16, 7),
    description: `OCP ${name.replace('_', ' ')}`,
  };
}

registerFamily({
  family: 'OCP',
  description: 'FP8_E4M3, FP8_E5M2, FP6_E3M2, FP6_E2M3, FP4_E2M1',
  parse: (n) => ocpFormat(n),
  sweep: (bits) =>
    Object.keys(TABLE)
      .filter((k) => bits.includes(TABLE[k].bits))
      .map((k) => ocpFormat(k) as QuantFormat),
});
