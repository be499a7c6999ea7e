// Winograd weight transform U = G g G^T (straight-line code generated in src/kernels/winograd.ts) into
// the matmul operand layout U[xi * sXi + k * ld + m]: for the forward pass k = ci (contraction) and
// m = co; for the input gradient k = co, m = ci and the taps are flipped (the input gradient of a
// stride-1 conv is a conv of dY with the flipped, transposed filters).
// F(4x4, 3x3) reads the 3x3 taps as they are. F(4x4, 2x2) for stride-2 convs reads, for the
// space-to-depth channel ci = (cx, ph, pw), the 2x2 filter g[a][b] = w[cx][2a + ph + KOFF][2b + pw + KOFF]
// (zero where that tap falls outside the 3x3 kernel).
// Uniforms: [0] invocations (Cout * Cin), [1] Cout, [2] Cin (channels after the split), [3] sXi, [4] ld.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
const SPLIT: u32 = {{SPLIT}}u;
fn tap(base: u32, kh: i32, kw: i32) -> f32 {
  if (kh < 0 || kw < 0 || kh > 2 || kw > 2) { return 0.0; }
  return Wt[base + u32(kh * 3 + kw)];
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let Cin = u(2u);
  // the output channel of the matmul operand (m, contiguous in OUT) walks fastest across invocations
{{INDEX}}
  let ph = i32((ci / SPLIT) % SPLIT); let pw = i32(ci % SPLIT);
  let base = (co * (Cin / (SPLIT * SPLIT)) + ci / (SPLIT * SPLIT)) * 9u;
  let sXi = u(3u);
{{BODY}}
}
