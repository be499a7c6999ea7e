// INT-k (the seed's): qmax = 2^(k-1) - 1, round to the nearest integer (ties to even, as torch.round).
// Biases: integers with effectively unlimited range (INT32 in the seed's integer inference).
import { registerFamily, type QuantFormat } from '../format.js';

export function intFormat(bits: number, unclamped = false): QuantFormat {
  if (!Number.isInteger(bits) || bits < 2 || bits > 32) throw new Error(`INT: bit width must be 2..32, got ${bits}`);
  const f: QuantFormat = {
    name: unclamped ? `INT${bits}_UNCLAMPED` : `INT${bits}`,
    family: 'INT',
    bits,
    kind: 'int',
    qmax: 2 ** (bits - 1) - 1,
    unclamped,
    biasFormat: () => intFormat(32, true),
    description: `signed ${bits}-bit integers`,
  };
  return f;
}

registerFamily({
  family: 'INT',
  description: 'INT2..INT16 symmetric integers',
  parse: (n) => {
    const m = /^INT(\d+)$/.exec(n);
    if (!m) return null;
    const b = Number(m[1]);
    if (b < 2 || b > 16) throw new Error(`INT${b}: the INT family covers 2..16 bits`);
    return intFormat(b);
  },
  sweep: (bits) => bits.filter((b) => b >= 2 && b <= 16).map((b) => intFormat(b)),
});
