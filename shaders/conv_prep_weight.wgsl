// Conv weights [Cout, Cg, KH, KW] -> GEMM operand P[g, k, m] (k = contraction index, m = output channel
// within the group, rows padded to ld with zeros).
// FORWARD: k = (ci, kh, kw), m = co.   INPUT_GRAD: k = (co, kh, kw), m = ci, taps flipped (transposed conv).
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let M = U.M; let Cg = U.Cg; let KH = U.KH; let KW = U.KW; let ld = U.ld; let Kg = U.Kg;
  let m = i % ld;
  let k = (i / ld) % Kg;
  let g = i / (ld * Kg);
  let kw = k % KW;
  let kh = (k / KW) % KH;
  let c = k / (KW * KH);
{{BODY}}
}
