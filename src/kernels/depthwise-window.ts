// The sliding register window of the depthwise kernels (shaders/conv_depthwise*.wgsl), written out as WGSL
// statements with every index a constant. One invocation owns R output rows of one channel plane and walks
// the columns: the window holds the IR input rows those R rows reach by the IWN columns one output column
// spans, and each step shifts it by the stride and loads only the SW new columns. A 3x3 stride-1 conv so
// loads 1.5 inputs per output (R = 4) where one invocation per output row loaded all 9 taps; loads, not
// multiply-adds, are what lavapipe's gathers pay for. The statements are unrolled here rather than left to
// loops over private arrays, so that every window element is a register whatever the compiler unrolls.

/** The window's shape: taps, strides, paddings, dilations of the conv it slides over. */
export interface WindowGeometry {
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  DH: number;
  DW: number;
}

/** Output rows per invocation: at most 4, spread so the last block of a short map is not mostly empty. */
export function rowsPerInvocation(OH: number): number {
  const blocks = Math.ceil(OH / 4);
  return Math.ceil(OH / blocks);
}

const range = (n: number) => Array.from({ length: Math.max(0, n) }, (_, i) => i);

/** The input rows R output rows reach, and the input columns one output column spans. */
export function windowSize(g: WindowGeometry, R: number): { IR: number; IWN: number } {
  return { IR: (R - 1) * g.SH + (g.KH - 1) * g.DH + 1, IWN: (g.KW - 1) * g.DW + 1 };
}

/**
 * The window's WGSL pieces, reading `src` through the row offsets `r{j}` (i32, the start of input row j of
 * the block in `src`) and validity `ok{j}` that `rows` declares, with columns checked against `W` (i32):
 * - rows(oh0, plane): declares r{j} / ok{j} for the block whose first output row is oh0 (u32 expression);
 * - declare: the window registers x{j}_{t};
 * - prime: the columns the first step carries over;
 * - step(iw0): shifts the window by SW and loads the new columns, for the step whose first column is iw0;
 * - tap(r, kh, kw): the window register that output row r's tap (kh, kw) reads.
 */
export function slidingWindow(g: WindowGeometry, R: number, src: string) {
  const { IR, IWN } = windowSize(g, R);
  const carried = Math.max(0, IWN - g.SW); // columns a step keeps from the one before
  const load = (j: number, col: string, t: number) =>
    `x${j}_${t} = select(0.0, ${src}[u32(select(0, r${j} + ${col}, ok${j} && c${t}))], ok${j} && c${t});`;
  const colCheck = (col: string, t: number) => `let c${t} = ${col} >= 0 && ${col} < W;`;
  const rows = (oh0: string, plane: string) =>
    range(IR)
      .map(
        (j) =>
          `let ih${j} = i32(${oh0}) * ${g.SH} - ${g.PH} + ${j}; let ok${j} = ih${j} >= 0 && ih${j} < H; ` +
          `let r${j} = ${plane} + ih${j} * W;`,
      )
      .join('\n');
  const declare = range(IR)
    .map((j) =>
      range(IWN)
        .map((t) => `var x${j}_${t} = 0.0;`)
        .join(' '),
    )
    .join('\n');
  // the carried columns t = SW..IWN-1, as they stand before the first step shifts them down
  const prime = range(IWN)
    .filter((t) => t >= g.SW)
    .map((t) => {
      const col = `(${t} - ${g.SW} - ${g.PW})`;
      return `{ ${colCheck(col, t)} ${range(IR)
        .map((j) => load(j, col, t))
        .join(' ')} }`;
    })
    .join('\n');
  const step = (iw0: string) => {
    const shift = range(carried)
      .map((t) => range(IR).map((j) => `x${j}_${t} = x${j}_${t + g.SW};`))
      .flat()
      .join(' ');
    const fresh = range(IWN)
      .filter((t) => t >= carried)
      .map((t) => {
        const col = `(${iw0} + ${t})`;
        return `{ ${colCheck(col, t)} ${range(IR)
          .map((j) => load(j, col, t))
          .join(' ')} }`;
      })
      .join('\n');
    return `${shift}\n${fresh}`;
  };
  const tap = (r: number, kh: number, kw: number) => `x${r * g.SH + kh * g.DH}_${kw * g.DW}`;
  return { rows, declare, prime, step, tap };
}

/** Register names for a channel's taps, w{kh}_{kw}, loaded from `Wt` (flipped in both axes if asked:
 *  the input gradient of a stride-1 conv is the forward conv of dY with the flipped filter). */
export function tapRegisters(g: WindowGeometry, flip: boolean): string {
  return range(g.KH)
    .map((kh) =>
      range(g.KW)
        .map((kw) => {
          const at = flip ? (g.KH - 1 - kh) * g.KW + (g.KW - 1 - kw) : kh * g.KW + kw;
          return `let w${kh}_${kw} = Wt[c * ${g.KH * g.KW}u + ${at}u];`;
        })
        .join(' '),
    )
    .join('\n');
}

export { range as windowRange };
