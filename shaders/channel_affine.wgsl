// Y = (X - m[c]) * s[c] + b[c] over X [N, C, P] (P = plane size in ELEMs): BatchNorm's normalisation and
// affine transform in one pass (train: batch mean and w * rstd; eval: running stats), also the backward
// of the batch statistics; ACT optionally applies a ReLU (BatchNorm + ReLU in one pass). m, s and b may
// be rows of one packed buffer: each is read at its own offset.
// Uniforms: [0] invocations, [1] C, [2] P, [3] offset of m, [4] of s, [5] of b, [6] ELEMs per
// invocation, [7] invocations per plane.
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<{{ELEM}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let inv = linear_id(gid, nwg);
  if (inv >= u(0u)) { return; }
  // a run of consecutive ELEMs inside one plane: the channel (two divisions, scalarised on CPU SIMD) is
  // found once per invocation, not per element
  let P = u(2u); let per = u(6u); let chunks = u(7u);
  let plane = inv / chunks;
  let c = plane % u(1u);
  let m = {{ELEM}}(M[u(3u) + c]); let s = {{ELEM}}(S[u(4u) + c]); let b = {{ELEM}}(B[u(5u) + c]);
  let start = plane * P + (inv % chunks) * per;
  let end = min(start + per, (plane + 1u) * P);
  for (var i = start; i < end; i++) { Y[i] = {{ACT}}; }
}
