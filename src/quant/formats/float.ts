// FLOAT-k with e exponent bits (the seed's minifloat), m = k-1-e mantissa bits, no inf/NaN codes:
//   subnormals ±(j·2^-m)·2^(-2^(e-1)+1), j = 1..2^m-1
//   normals    ±(1 + j·2^-m)·2^E, E = -2^(e-1)+2 .. 2^(e-1), j = 0..2^m-1
//   qmax = (1 + (2^m-1)·2^-m)·2^(2^(e-1))
// Named FLOAT<k>_E<e>. Biases use the 16-bit E7 levels.
import { magnitudes, registerFamily, type QuantFormat } from '../format.js';

export function floatFormat(bits: number, e: number): QuantFormat {
  if (!Number.isInteger(bits) || bits < 3 || bits > 16) throw new Error(`FLOAT: bit width must be 3..16, got ${bits}`);
  if (!Number.isInteger(e) || e < 1 || e > bits - 2)
    throw new Error(`FLOAT${bits}: exponent bits must be 1..${bits - 2}, got ${e}`);
  const m = bits - 1 - e;
  // the seed's subnormals sit one binade below IEEE's (exponent -2^(e-1)+1, not that of the smallest normal)
  const vals: number[] = [];
  for (let j = 1; j < 2 ** m; j++) vals.push(j * 2 ** -m * 2 ** (-(2 ** (e - 1)) + 1));
  for (let E = -(2 ** (e - 1)) + 2; E <= 2 ** (e - 1); E++)
    for (let j = 0; j < 2 ** m; j++) vals.push((1 + j * 2 ** -m) * 2 ** E);
  const levels = magnitudes(vals);
  const qmax = (1 + (2 ** m - 1) * 2 ** -m) * 2 ** (2 ** (e - 1));
  return {
    name: `FLOAT${bits}_E${e}`,
    family: 'FLOAT',
    bits,
    kind: 'levels',
    qmax,
    levels,
    biasFormat: () => floatFormat(16, 7),
    description: `${bits}-bit minifloat, ${e} exponent / ${m} mantissa bits`,
  };
}

registerFamily({
  family: 'FLOAT',
  description: 'FLOAT<k>_E<e>, k = 3..8, e = 1..k-2 minifloats',
  parse: (n) => {
    const m = /^FLOAT(\d+)_E(\d+)$/.exec(n);
    return m ? floatFormat(Number(m[1]), Number(m[2])) : null;
  },
  sweep: (bits) =>
    bits.filter((b) => b >= 3 && b <= 8).flatMap((b) => Array.from({ length: b - 2 }, (_, i) => floatFormat(b, i + 1))),
});
