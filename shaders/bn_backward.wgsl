// Input gradient of training-mode BatchNorm in one pass: dX = G * A[c] + (X - m[c]) * B[c] + D[c], where the
// host folds the per-channel sums (sum G, sum G (X - m), from channel_affine_grad) into A = w rstd,
// B = -w rstd^3 sum G (X - m) / count and D = -w rstd sum G / count.
// With a fused ReLU after the normalisation, G is masked by the forward output Y (GRAD).
// PARAMS [4, C]: rows m, A, B, D. Uniforms: U, declared with the kernel in src/kernels/batchnorm.ts.
@group(0) @binding(1) var<storage, read> G: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read> PARAMS: array<f32>;
{{TAIL}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let inv = linear_id(gid, nwg);
  if (inv >= U.n) { return; }
  // a run of consecutive ELEMs inside one plane (see channel_affine.wgsl)
  let C = U.C; let P = U.P; let per = U.per; let chunks = U.chunks;
  let plane = inv / chunks;
  let c = plane % C;
  let m = {{ELEM}}(PARAMS[c]); let a = {{ELEM}}(PARAMS[C + c]);
  let b = {{ELEM}}(PARAMS[2u * C + c]); let d = {{ELEM}}(PARAMS[3u * C + c]);
  let start = plane * P + (inv % chunks) * per;
  let end = min(start + per, (plane + 1u) * P);
  for (var i = start; i < end; i++) {
    let g = {{GRAD}};
    DX[i] = g * a + (X[i] - m) * b + d;
  }
}
