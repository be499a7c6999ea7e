// Y = (X - m[c]) * s[c] + b[c] over X [N, C, P] (P = plane size in ELEMs): BatchNorm's normalisation and
// affine transform in one pass (train: batch mean and w * rstd; eval: running stats), also the backward
// of the batch statistics. m, s and b may be rows of one packed buffer: each is read at its own offset.
// Uniforms: [0] ELEMs, [1] C, [2] P, [3] offset of m, [4] of s, [5] of b.
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<{{ELEM}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let c = (i / u(2u)) % u(1u);
  Y[i] = (X[i] - {{ELEM}}(M[u(3u) + c])) * {{ELEM}}(S[u(4u) + c]) + {{ELEM}}(B[u(5u) + c]);
}
