// Histogram without atomics: each of P invocations counts into its own slice of a scratch buffer
// (scratch[t * bins + bin], plain read-modify-write: atomics crawl on CPU Vulkan), reading elements
// t, t + P, t + 2P, ... so neighbouring invocations read neighbouring values; histogram_reduce then sums
// the P slices per bin. bin = clamp(floor((x - lo) * invWidth), 0, bins - 1).
// Uniforms: U, declared with the kernel in src/kernels/quant.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> scratch: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = linear_id(gid, nwg);
  let P = U.P;
  if (t >= P) { return; }
  let n = U.n;
  let bins = U.bins;
  let lo = U.lo;
  let inv = U.invWidth;
  let base = t * bins;
  for (var b = 0u; b < bins; b++) { scratch[base + b] = 0u; }
  let top = i32(bins) - 1;
  for (var i = t; i < n; i += P) {
    let b = u32(clamp(i32(floor((src[i] - lo) * inv)), 0, top));
    scratch[base + b] = scratch[base + b] + 1u;
  }
}
