// Winograd weight transform U = G g G^T (straight-line code generated in src/kernels/winograd.ts) into
// the matmul operand layout U[xi * sXi + k * ld + m]: for the forward pass k = ci (contraction) and
// m = co; for the input gradient k = co, m = ci and the taps are flipped (the input gradient of a
// stride-1 conv is a conv of dY with the flipped, transposed filters).
// F(4x4, 3x3) reads the 3x3 taps as they are. F(4x4, 2x2) for stride-2 convs reads, for the
// space-to-depth channel ci = (cx, ph, pw), the 2x2 filter g[a][b] = w[cx][2a + ph + KOFF][2b + pw + KOFF]
// (zero where that tap falls outside the 3x3 kernel).
// An invocation transforms one filter, or (vector variant, m a multiple of 4) the four filters of m0..m0+3
// as the components of vec4 values, so that each position is one vec4 store.
// Uniforms: U, declared with the kernel in src/kernels/winograd.ts.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
{{OUT}}
const SPLIT: u32 = {{SPLIT}}u;
fn tap(base: u32, kh: i32, kw: i32) -> f32 {
  if (kh < 0 || kw < 0 || kh > 2 || kw > 2) { return 0.0; }
  return Wt[base + u32(kh * 3 + kw)];
}
// filter (co, ci) of the split channels: where its 3x3 taps start and its phase
struct Filter { base: u32, ph: i32, pw: i32 }
fn filterAt(co: u32, ci: u32) -> Filter {
  let Cin = U.Cin;
  return Filter((co * (Cin / (SPLIT * SPLIT)) + ci / (SPLIT * SPLIT)) * 9u, i32((ci / SPLIT) % SPLIT), i32(ci % SPLIT));
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let Cin = U.Cin;
  let sXi = U.sXi;
  // the matmul operand's m (contiguous in OUT) walks fastest across invocations
{{INDEX}}
{{BODY}}
}
