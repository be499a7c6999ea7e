// Per-channel coefficients of training BatchNorm's backward from the forward's packed statistics
// STATS [5, C] (mean, biased variance, scale = w rstd, bias, rstd) and the sums of channel_affine_grad
// SUMS [2, C] (sum g (x - mean), sum g): PARAMS [4, C] for bn_backward (mean, A = scale,
// B = -scale rstd^2 sum g (x - mean) / count, D = -scale sum g / count), and the parameter gradients
// dW = rstd sum g (x - mean), dB = sum g. One invocation per channel.
// Uniforms: U, declared with the kernel in src/kernels/batchnorm.ts.
@group(0) @binding(1) var<storage, read> STATS: array<f32>;
@group(0) @binding(2) var<storage, read> SUMS: array<f32>;
@group(0) @binding(3) var<storage, read_write> PARAMS: array<f32>;
@group(0) @binding(4) var<storage, read_write> DW: array<f32>;
@group(0) @binding(5) var<storage, read_write> DB: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let C = U.C;
  let c = gid.x;
  if (c >= C) { return; }
  let n = f32(U.count);
  let scale = STATS[2u * C + c];
  let rstd = STATS[4u * C + c];
  let sgx = SUMS[c];
  let sg = SUMS[C + c];
  PARAMS[c] = STATS[c];
  PARAMS[C + c] = scale;
  PARAMS[2u * C + c] = -scale * rstd * rstd * sgx / n;
  PARAMS[3u * C + c] = -scale * sg / n;
  DW[c] = rstd * sgx;
  DB[c] = sg;
}
