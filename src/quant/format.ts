// A quantization format: how a real value is replaced by the nearest representable one. Every format is
// symmetric with zero point 0 and a per-tensor scale = max|x| / qmax, except block-scaled formats, which
// carry their own per-block scale. Formats register themselves by family (one file per family in
// ./formats) so adding a format is adding a file.

export type QuantKind =
  /** round(x/scale) clamped to ±qmax (integer grid) */
  | 'int'
  /** nearest of an explicit set of magnitudes (ascending, starting at 0), in units of scale */
  | 'levels'
  /** shared power-of-two exponent per block of `blockSize` values, INT elements with `fracBits` */
  | 'block-int';

export interface QuantFormat {
  /** canonical name, e.g. INT8, POT4, FLOAT6_E3, FP8_E4M3, MXINT8 */
  name: string;
  family: string;
  bits: number;
  kind: QuantKind;
  qmax: number;
  /** positive magnitudes including 0, ascending ('levels' formats) */
  levels?: Float64Array;
  blockSize?: number;
  fracBits?: number;
  /** the format biases use (scale = input scale x weight scale) */
  biasFormat: () => QuantFormat;
  /** INT biases: no clamp ("effectively unlimited range") */
  unclamped?: boolean;
  description: string;
}

export interface FormatFamily {
  family: string;
  /** parse a name of this family, or return null when the name is not one of ours */
  parse(name: string): QuantFormat | null;
  /** the formats a sweep over these bit widths covers */
  sweep(bits: number[]): QuantFormat[];
  description: string;
}

const families = new Map<string, FormatFamily>();

export function registerFamily(f: FormatFamily): void {
  families.set(f.family, f);
}
export function formatFamilies(): FormatFamily[] {
  return [...families.values()];
}

export function getFormat(name: string): QuantFormat {
  const n = name.trim().toUpperCase();
  for (const f of families.values()) {
    const q = f.parse(n);
    if (q) return q;
  }
  throw new Error(
    `unknown quantization format "${name}" (families: ` +
      `${[...families.values()].map((f) => `${f.family} — ${f.description}`).join('; ')})`,
  );
}

/** Every format of the named families at the given bit widths (bit widths a family lacks are skipped). */
export function sweepFormats(familyNames: string[], bits: number[]): QuantFormat[] {
  return familyNames.flatMap((name) => {
    const f = families.get(name.trim().toUpperCase());
    if (!f) throw new Error(`unknown format family "${name}" (known: ${[...families.keys()].join(', ')})`);
    return f.sweep(bits);
  });
}

/** Sorted positive magnitudes (with 0) of a sign-symmetric level set. */
export function magnitudes(values: Iterable<number>): Float64Array {
  const s = new Set<number>([0]);
  for (const v of values) s.add(Math.abs(v));
  return Float64Array.from([...s].sort((a, b) => a - b));
}

/**
 * IEEE-style minifloat magnitudes: exponent codes 1..maxExpCode with `bias`, `m` mantissa bits, top exponent code up to
 * `maxExpCode`, excluding mantissas above `maxTopMantissa` at the top exponent.
 */
export function minifloatMagnitudes(
  m: number,
  bias: number,
  maxExpCode: number,
  maxTopMantissa = 2 ** m - 1,
): Float64Array {
  const vals: number[] = [];
  for (let j = 1; j < 2 ** m; j++) vals.push((j / 2 ** m) * 2 ** (1 - bias)); // subnormals
  for (let E = 1; E <= maxExpCode; E++) {
    for (let j = 0; j < 2 ** m; j++) {
      if (E === maxExpCode && j > maxTopMantissa) continue;
      vals.push((1 + j / 2 ** m) * 2 ** (E - bias));
    }
  }
  return magnitudes(vals);
}
