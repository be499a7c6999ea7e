// Block-scaled integer fake quantization (MXINT8-style). One invocation per block of BLOCK values:
// X = 2^floor(log2(max|block|)); q = clamp(round(x / X * 2^F), -QMAX, QMAX); out = q * X * 2^-F.
// Power-of-two scalings are exact in f32. Uniforms: U, declared with the kernel in src/kernels/quant.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn pow2(e: i32) -> f32 { return bitcast<f32>(u32(clamp(e + 127, 1, 254)) << 23u); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let blk = linear_id(gid, nwg);
  let n = U.n;
  let bs = U.blockSize;
  let start = blk * bs;
  if (start >= n) { return; }
  let end = min(start + bs, n);
  var amax = 0.0;
  for (var i = start; i < end; i++) { amax = max(amax, abs(src[i])); }
  if (amax == 0.0) {
    for (var i = start; i < end; i++) { dst[i] = 0.0; }
    return;
  }
  let e = i32((bitcast<u32>(amax) >> 23u) & 0xffu) - 127;
  let F = i32(U.fracBits);
  let toInt = pow2(F - e);
  let back = pow2(e - F);
  let qmax = f32(U.qmax);
  for (var i = start; i < end; i++) {
    dst[i] = clamp(round(src[i] * toInt), -qmax, qmax) * back;
  }
}
