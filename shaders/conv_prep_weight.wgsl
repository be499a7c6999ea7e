// Conv weights [Cout, Cg, KH, KW] -> GEMM operand P[g, k, m] (k = contraction index, m = output channel
// within the group, rows padded to ld with zeros).
// FORWARD: k = (ci, kh, kw), m = co.   INPUT_GRAD: k = (co, kh, kw), m = ci, taps flipped (transposed conv).
// Uniforms: [0] n, [1] M (Cout per group), [2] Cg (Cin per group), [3] KH, [4] KW, [5] ld, [6] Kg.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let M = u(1u); let Cg = u(2u); let KH = u(3u); let KW = u(4u); let ld = u(5u); let Kg = u(6u);
  let m = i % ld;
  let k = (i / ld) % Kg;
  let g = i / (ld * Kg);
  let kw = k % KW;
  let kh = (k / KW) % KH;
  let c = k / (KW * KH);
{{BODY}}
}
