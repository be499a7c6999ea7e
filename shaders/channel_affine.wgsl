// Y = (X - m[c]) * s[c] + b[c] over X [N, C, P] (P = plane size in ELEMs): BatchNorm's normalisation and
// affine transform in one pass (train: batch mean and w * rstd; eval: running stats), also the backward
// of the batch statistics; ACT optionally applies a ReLU (BatchNorm + ReLU in one pass). m, s and b may
// be rows of one packed buffer: each is read at its own offset.
// Uniforms: U, declared with the kernel in src/kernels/batchnorm.ts.
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<{{ELEM}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let inv = linear_id(gid, nwg);
  if (inv >= U.n) { return; }
  // a run of consecutive ELEMs inside one plane: the channel (two divisions, scalarised on CPU SIMD) is
  // found once per invocation, not per element
  let P = U.P; let per = U.per; let chunks = U.chunks;
  let plane = inv / chunks;
  let c = plane % U.C;
  let m = {{ELEM}}(M[U.offsetM + c]); let s = {{ELEM}}(S[U.offsetS + c]); let b = {{ELEM}}(B[U.offsetB + c]);
  let start = plane * P + (inv % chunks) * per;
  let end = min(start + per, (plane + 1u) * P);
  for (var i = start; i < end; i++) { Y[i] = {{ACT}}; }
}
