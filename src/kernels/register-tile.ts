// WGSL generation shared by the register-blocked GEMM kernels (matmul_tn / matmul_sg, conv_gemm): a TM x TN
// tile of named vec4 accumulators acc_r_c (TN/4 column groups per row), and the k loop that feeds it.
//
// On lavapipe every assignment to a variable inside a loop is a masked store (the new value blended with
// the old under the loop's execution mask). Unrolling k by `chain` and folding the steps into one fma
// expression per accumulator pays that blend once per chain: the subgroup matmul on ResNet_18's products
// ran 1.3x faster with chains of 2. The order of the additions is unchanged, so results are too.

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One k step's operand loads: defines p{q}{s} (vec4 of 4 rows, q < TM/4) and q{c}{s} (vec4, c < TN/4). */
export type StepLoads = (k: string, suffix: string) => string[];

export function tileDecl(TM: number, TN4: number): string {
  const lines: string[] = [];
  for (let r = 0; r < TM; r++) for (let c = 0; c < TN4; c++) lines.push(`  var acc_${r}_${c} = vec4<f32>(0.0);`);
  return lines.join('\n');
}

/** acc += p·q over the steps (each names its row-group and column-group operands), one fma chain each. */
function fmas(TM: number, TN4: number, steps: { p: (q: number) => string; q: (c: number) => string }[]): string[] {
  const lines: string[] = [];
  for (let r = 0; r < TM; r++)
    for (let c = 0; c < TN4; c++) {
      let e = `acc_${r}_${c}`;
      for (const s of steps) e = `fma(vec4<f32>(${s.p(r >> 2)}[${r & 3}]), ${s.q(c)}, ${e})`;
      lines.push(`    acc_${r}_${c} = ${e};`);
    }
  return lines;
}

/**
 * `prelude(k)`: statements at the top of each iteration (k: its first step), before the steps' loads, for
 * operands loaded once for all `chain` steps.
 *
 * The k loop over `K` (a WGSL expression) in steps of `chain` k values folded into one assignment per
 * accumulator. Where K is not a multiple of the chain, the last steps re-read the final k (clamped) and zero
 * their operands, so they add exact zeros: one copy of the body instead of a second loop for the remainder
 * keeps the compile time of lavapipe's largest kernels down (a 32 x 8 subgroup tile took ~10 s with both).
 */
export function kLoop(
  K: string,
  TM: number,
  TN4: number,
  loads: StepLoads,
  chain = 1,
  prelude: (k: string) => string[] = () => [],
): string {
  const TM4 = TM / 4;
  if (chain <= 1)
    return [
      `  for (var k = 0u; k < ${K}; k++) {`,
      ...prelude('k'),
      ...loads('k', ''),
      ...fmas(TM, TN4, [{ p: (q) => `p${q}`, q: (c) => `q${c}` }]),
      '  }',
    ].join('\n');
  const body: string[] = [];
  const steps: { p: (q: number) => string; q: (c: number) => string }[] = [];
  for (let u = 0; u < chain; u++) {
    const s = `_${u}`;
    if (u === 0) {
      body.push(`    let k${s} = k;`, ...loads(`k${s}`, s));
      steps.push({ p: (q) => `p${q}${s}`, q: (c) => `q${c}${s}` });
      continue;
    }
    body.push(`    let in${s} = k + ${u}u < ${K};`, `    let k${s} = min(k + ${u}u, ${K} - 1u);`, ...loads(`k${s}`, s));
    for (let q = 0; q < TM4; q++) body.push(`    let pz${q}${s} = select(vec4<f32>(0.0), p${q}${s}, in${s});`);
    for (let c = 0; c < TN4; c++) body.push(`    let qz${c}${s} = select(vec4<f32>(0.0), q${c}${s}, in${s});`);
    steps.push({ p: (q) => `pz${q}${s}`, q: (c) => `qz${c}${s}` });
  }
  return [
    `  for (var k = 0u; k < ${K}; k += ${chain}u) {`,
    ...prelude('k'),
    ...body,
    ...fmas(TM, TN4, steps),
    '  }',
  ].join('\n');
}
