// Input gradient of training-mode BatchNorm in one pass: dX = G * A[c] + (X - m[c]) * B[c] + D[c], where the
// host folds the per-channel sums (sum G, sum G (X - m), from channel_affine_grad) into A = w rstd,
// B = -w rstd^3 sum G (X - m) / count and D = -w rstd sum G / count.
// PARAMS [4, C]: rows m, A, B, D. Uniforms: [0] ELEMs, [1] C, [2] P (plane size in ELEMs).
@group(0) @binding(1) var<storage, read> G: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read> PARAMS: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<{{ELEM}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let C = u(1u);
  let c = (i / u(2u)) % C;
  DX[i] = G[i] * {{ELEM}}(PARAMS[C + c]) + (X[i] - {{ELEM}}(PARAMS[c])) * {{ELEM}}(PARAMS[2u * C + c]) + {{ELEM}}(PARAMS[3u * C + c]);
}
