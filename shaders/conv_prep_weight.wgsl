// Conv weights [Cout, Cg, KH, KW] -> GEMM operand P[g, k, m] (k = contraction index, m = output channel
// within the group, rows padded to ld with zeros).
// FORWARD: k = (ci, kh, kw), m = co.   INPUT_GRAD: k = (co, kh, kw), m = ci, taps flipped (transposed conv).
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
// One invocation per (m, k, g) on a 3D grid (x: m, y: k, z: g), the kernel size compiled in: the flat index
// took six runtime divisions per element, which lavapipe computes lane by lane (ResNet_50's training step
// spent 3.6% here).
const KH: u32 = {{KH}}u;
const KW: u32 = {{KW}}u;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = U.M; let Cg = U.Cg; let ld = U.ld; let Kg = U.Kg;
  let m = gid.x;
  let k = gid.y;
  let g = gid.z;
  if (m >= ld) { return; }
  let i = (g * Kg + k) * ld + m;
  let kw = k % KW;
  let kh = (k / KW) % KH;
  let c = k / (KW * KH);
{{BODY}}
}
