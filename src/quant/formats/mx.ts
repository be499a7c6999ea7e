// MXINT8 (OCP Microscaling v1.0): blocks of 32 consecutive values share a power-of-two scale
// X = 2^(floor(log2(max|block|))) (emax of the INT8 element is 0); each element is an 8-bit two's
// complement number with an implicit 2^-6 scale, used symmetrically in [-127, 127]·2^-6.
import { intFormat } from './int.js';
import { registerFamily, type QuantFormat } from '../format.js';

export function mxint8(): QuantFormat {
  return {
    name: 'MXINT8',
    family: 'MX',
    bits: 8,
    kind: 'block-int',
    qmax: 127,
    blockSize: 32,
    fracBits: 6,
    biasFormat: () => intFormat(32, true),
    description: 'MXINT8, shared exponent per 32 values',
  };
}

registerFamily({
  family: 'MX',
  description: 'MXINT8 block-scaled integers',
  parse: (n) => (n === 'MXINT8' ? mxint8() : null),
  sweep: (bits) => (bits.includes(8) ? [mxint8()] : []),
});
