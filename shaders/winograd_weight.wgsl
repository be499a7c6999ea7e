// Winograd weight transform U = G g G^T of F(4x4, 3x3) (3x3 -> 6x6, generated straight-line code from
// src/kernels/winograd.ts) into the matmul operand layout U[xi * sXi + k * ld + m]: for the forward pass
// k = ci (contraction) and m = co; for the input gradient k = co, m = ci and the taps are flipped (the
// input gradient of a stride-1 conv is a conv of dY with the flipped, transposed filters).
// Uniforms: [0] invocations (Cout * Cin), [1] Cout, [2] Cin, [3] sXi, [4] ld.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let Cin = u(2u);
  // the output channel of the matmul operand (m, contiguous in OUT) walks fastest across invocations
{{INDEX}}
  let base = (co * Cin + ci) * 9u;
  let sXi = u(3u);
{{BODY}}
}
