// WGSL generation shared by the register-blocked GEMM kernels (matmul_tn / matmul_sg, conv_gemm): a TM x TN
// tile of named vec4 accumulators acc_r_c (TN/4 column groups per row), and the k loop that feeds it.
//
// On lavapipe every assignment to a variable inside a loop is a masked store (the new value blended with
// the old under the loop's execution mask). Unrolling k by CHAIN and folding the steps into one fma
// expression per accumulator pays that blend once per CHAIN steps: the subgroup matmul at 1024^3 went
// from 35 to 44 GFLOPS (Intel Xeon). The order of the additions is unchanged, so results are too.

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One k step's operand loads: defines p{q}{s} (vec4 of 4 rows, q < TM/4) and q{c}{s} (vec4, c < TN/4). */
export type StepLoads = (k: string, suffix: string) => string[];

export function tileDecl(TM: number, TN4: number): string {
  const lines: string[] = [];
  for (let r = 0; r < TM; r++) for (let c = 0; c < TN4; c++) lines.push(`  var acc_${r}_${c} = vec4<f32>(0.0);`);
  return lines.join('\n');
}

/** acc += p·q over the given steps (suffixes), one fma chain per accumulator. */
function fmas(TM: number, TN4: number, suffixes: string[], indent: string): string[] {
  const lines: string[] = [];
  for (let r = 0; r < TM; r++)
    for (let c = 0; c < TN4; c++) {
      let e = `acc_${r}_${c}`;
      for (const s of suffixes) e = `fma(vec4<f32>(p${r >> 2}${s}[${r & 3}]), q${c}${s}, ${e})`;
      lines.push(`${indent}acc_${r}_${c} = ${e};`);
    }
  return lines;
}

/**
 * The k loop over `K` (a WGSL expression): steps of `chain` k values folded into one assignment per
 * accumulator, then single steps for the rest. `indent` is the loop body's indentation.
 */
export function kLoop(K: string, TM: number, TN4: number, loads: StepLoads, chain = 1, indent = '    '): string {
  const single = [`  for (; k < ${K}; k++) {`, ...loads('k', ''), ...fmas(TM, TN4, [''], indent), '  }'];
  if (chain <= 1) return ['  var k = 0u;', ...single].join('\n');
  const suffixes = Array.from({ length: chain }, (_, u) => `_${u}`);
  const body = suffixes.flatMap((s, u) => [`${indent}let k${s} = k + ${u}u;`, ...loads(`k${s}`, s)]);
  return [
    '  var k = 0u;',
    `  for (; k + ${chain}u <= ${K}; k += ${chain}u) {`,
    ...body,
    ...fmas(TM, TN4, suffixes, indent),
    '  }',
    ...single,
  ].join('\n');
}
