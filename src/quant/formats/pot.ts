// POT-k (the seed's power-of-two format): levels {0} ∪ {±2^i : i = -2^(k-1)+2 .. 0}, qmax = 1.
// Biases use the 8-bit POT levels.
import { magnitudes, registerFamily, type QuantFormat } from '../format.js';

export function potFormat(bits: number): QuantFormat {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new Error(`POT: bit width must be 2..8, got ${bits}`);
  const lv: number[] = [];
  for (let i = -(2 ** (bits - 1)) + 2; i <= 0; i++) lv.push(2 ** i);
  return {
    name: `POT${bits}`,
    family: 'POT',
    bits,
    kind: 'levels',
    qmax: 1,
    levels: magnitudes(lv),
    biasFormat: () => potFormat(8),
    description: `${bits}-bit powers of two`,
  };
}

registerFamily({
  family: 'POT',
  description: 'POT2..POT8 powers of two',
  parse: (n) => {
    const m = /^POT(\d+)$/.exec(n);
    return m ? potFormat(Number(m[1])) : null;
  },
  sweep: (bits) => bits.filter((b) => b >= 2 && b <= 8).map(potFormat),
});
